/* Strict JSON input: the spec walker names the first bad field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "core/json.h"

static bool
no_x(const char *s, size_t len)
{
    return memchr(s, 'x', len) == NULL;
}

static enum sv_err
run(const char *text, const char **bad, const char **name, bool *flag)
{
    json_t *root = NULL;
    static const char *n;
    static bool b;
    const struct sv_field spec[] = {
        SV_F_STR("name", &n, 2, 5, no_x),
        {.name = "flag", .type = SV_FT_BOOL, .required = false, .out = &b},
        SV_F_END,
    };
    enum sv_err rc = sv_json_load_object(text, strlen(text), &root);

    *bad = NULL;
    n = NULL;
    b = false;
    if (rc == SV_OK)
        rc = sv_json_spec_parse(root, spec, bad);
    if (rc == SV_OK) {
        *name = n; /* borrowed from root: copy the verdict before decref */
        *flag = b;
        static char copy[16];
        snprintf(copy, sizeof copy, "%s", n);
        *name = copy;
    }
    if (*bad != NULL) {
        static char badcopy[32];
        snprintf(badcopy, sizeof badcopy, "%s", *bad);
        *bad = badcopy;
    }
    json_decref(root);
    return rc;
}

static void
test_json_spec_ok(void **state)
{
    (void)state;
    const char *bad, *name;
    bool flag;
    assert_int_equal(
        run("{\"name\":\"abc\",\"flag\":true}", &bad, &name, &flag), SV_OK);
    assert_string_equal(name, "abc");
    assert_true(flag);
    assert_int_equal(run("{\"name\":\"ab\"}", &bad, &name, &flag), SV_OK);
    assert_false(flag);
    /* Optional fields may be null. */
    assert_int_equal(run("{\"name\":\"ab\",\"flag\":null}", &bad, &name, &flag),
                     SV_OK);
}

static void
test_json_spec_rejects(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        enum sv_err rc;
        const char *field;
    } cases[] = {
        {"", SV_E_JSON_MALFORMED, NULL},
        {"{", SV_E_JSON_MALFORMED, NULL},
        {"{\"name\":\"ab\",}", SV_E_JSON_MALFORMED, NULL},
        {"[]", SV_E_FIELD_INVALID, NULL},
        {"\"str\"", SV_E_FIELD_INVALID, NULL},
        {"{\"name\":\"ab\",\"name\":\"cd\"}", SV_E_JSON_MALFORMED, NULL},
        {"{}", SV_E_FIELD_MISSING, "name"},
        {"{\"name\":null}", SV_E_FIELD_MISSING, "name"},
        {"{\"name\":5}", SV_E_FIELD_INVALID, "name"},
        {"{\"name\":\"a\"}", SV_E_FIELD_INVALID, "name"},
        {"{\"name\":\"abcdef\"}", SV_E_FIELD_INVALID, "name"},
        {"{\"name\":\"axc\"}", SV_E_FIELD_INVALID, "name"},
        {"{\"name\":\"a\\u0000b\"}", SV_E_JSON_MALFORMED, NULL},
        {"{\"name\":\"ab\",\"flag\":1}", SV_E_FIELD_INVALID, "flag"},
        {"{\"name\":\"ab\",\"extra\":1}", SV_E_FIELD_UNKNOWN, "extra"},
        {"{\"nmae\":\"ab\"}", SV_E_FIELD_UNKNOWN, "nmae"},
        {"{\"name\":\"\xff\xfe\"}", SV_E_JSON_MALFORMED, NULL},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *bad, *name;
        bool flag;
        enum sv_err rc = run(cases[i].text, &bad, &name, &flag);
        if (rc != cases[i].rc)
            fail_msg("case %zu (%s): got %s, want %s", i, cases[i].text,
                     sv_err_code(rc), sv_err_code(cases[i].rc));
        if (cases[i].field == NULL)
            assert_null(bad);
        else
            assert_string_equal(bad, cases[i].field);
    }
}

static void
test_json_counts_code_points(void **state)
{
    (void)state;
    const char *bad, *name;
    bool flag;
    /* Five characters, fifteen bytes: within max 5. */
    assert_int_equal(run("{\"name\":\"密码安全策\"}", &bad, &name, &flag),
                     SV_OK);
    assert_int_equal(run("{\"name\":\"密码安全策略\"}", &bad, &name, &flag),
                     SV_E_FIELD_INVALID);
}

/* An object field is handed over whole; anything else is refused. */
static void
test_json_spec_object(void **state)
{
    const json_t *dev = NULL;
    const char *bad = NULL;
    const struct sv_field spec[] = {SV_F_OBJ_OPT("device", &dev), SV_F_END};
    json_t *root = NULL;
    (void)state;

    static const char ok[] = "{\"device\":{\"kind\":\"cli\"}}";
    assert_int_equal(sv_json_load_object(ok, strlen(ok), &root), SV_OK);
    assert_int_equal(sv_json_spec_parse(root, spec, &bad), SV_OK);
    assert_non_null(dev);
    assert_string_equal(json_string_value(json_object_get(dev, "kind")), "cli");
    json_decref(root);
    dev = NULL;
    assert_int_equal(sv_json_load_object("{}", 2, &root), SV_OK);
    assert_int_equal(sv_json_spec_parse(root, spec, &bad), SV_OK);
    assert_null(dev); /* optional */
    json_decref(root);
    static const char *const wrong[] = {
        "{\"device\":[]}", "{\"device\":\"cli\"}", "{\"device\":1}"};
    for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++) {
        assert_int_equal(sv_json_load_object(wrong[i], strlen(wrong[i]), &root),
                         SV_OK);
        assert_int_equal(sv_json_spec_parse(root, spec, &bad),
                         SV_E_FIELD_INVALID);
        assert_string_equal(bad, "device");
        json_decref(root);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_spec_ok),
        cmocka_unit_test(test_json_spec_object),
        cmocka_unit_test(test_json_spec_rejects),
        cmocka_unit_test(test_json_counts_code_points),
    };
    sv_json_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}

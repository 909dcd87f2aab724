/*
 * The audit action catalogue (actions.def): unique well-formed wire strings,
 * a report category each (AUD-2), name and parse round-trip. The OpenAPI
 * document names a few actions as examples, not a list, so it is not read.
 */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "audit/audit.h"

static const struct {
    const char *name; /* the enumerator's NAME */
    const char *wire;
} def[] = {
#define SV_AUDIT_ACTION(name, wire, category) {#name, wire},
#include "audit/actions.def"
#undef SV_AUDIT_ACTION
};

/* word(.word)+ with word = [a-z][a-z0-9_]* */
static bool
well_formed(const char *s)
{
    int words = 0;

    for (;;) {
        if (!islower((unsigned char)*s))
            return false;
        while (islower((unsigned char)*s) || isdigit((unsigned char)*s) ||
               *s == '_')
            s++;
        words++;
        if (*s == '\0')
            return words >= 2;
        if (*s++ != '.')
            return false;
    }
}

static void
test_every_action_is_well_formed_and_unique(void **state)
{
    (void)state;
    assert_int_equal(sizeof def / sizeof def[0], SV_AUDIT__COUNT);
    for (int i = 0; i < SV_AUDIT__COUNT; i++) {
        const char *w = sv_audit_action_name((enum sv_audit_action)i);
        assert_non_null(w);
        assert_string_equal(w, def[i].wire);
        if (!well_formed(w))
            fail_msg("action %d: \"%s\" is not word(.word)+", i, w);
        assert_true(strlen(w) <= 64); /* the API's ?action= limit */
        for (int j = 0; j < i; j++)
            if (strcmp(w, sv_audit_action_name((enum sv_audit_action)j)) == 0)
                fail_msg("\"%s\" is both action %d and %d", w, j, i);
    }
}

/* NAME is the wire string in capitals with '.' as '_'. */
static void
test_enumerator_names_follow_the_wire_string(void **state)
{
    (void)state;
    for (int i = 0; i < SV_AUDIT__COUNT; i++) {
        char want[80];
        size_t n = strlen(def[i].wire);

        assert_true(n < sizeof want);
        for (size_t k = 0; k <= n; k++)
            want[k] = def[i].wire[k] == '.'
                          ? '_'
                          : (char)toupper((unsigned char)def[i].wire[k]);
        assert_string_equal(def[i].name, want);
    }
}

static void
test_every_action_has_a_category(void **state)
{
    (void)state;
    for (int c = 0; c < SV_AUDIT_CAT__COUNT; c++) {
        const char *n = sv_audit_category_name((enum sv_audit_category)c);
        assert_non_null(n);
        for (int d = 0; d < c; d++)
            assert_string_not_equal(
                n, sv_audit_category_name((enum sv_audit_category)d));
    }
    assert_null(sv_audit_category_name(SV_AUDIT_CAT__COUNT));
    for (int i = 0; i < SV_AUDIT__COUNT; i++) {
        enum sv_audit_category c =
            sv_audit_action_category((enum sv_audit_action)i);
        assert_true(c >= 0 && c < SV_AUDIT_CAT__COUNT);
    }
    /* a few the AUD-2 reports depend on */
    assert_int_equal(sv_audit_action_category(SV_AUDIT_AUTH_LOGIN),
                     SV_AUDIT_CAT_LOGIN_FAILURE);
    assert_int_equal(sv_audit_action_category(SV_AUDIT_SECURITY_LOCK),
                     SV_AUDIT_CAT_LOGIN_FAILURE);
    assert_int_equal(sv_audit_action_category(SV_AUDIT_ACCOUNT_CREATED),
                     SV_AUDIT_CAT_PRIVILEGE_CHANGE);
    assert_int_equal(sv_audit_action_category(SV_AUDIT_TENANT_POLICY),
                     SV_AUDIT_CAT_CONFIG_CHANGE);
    assert_int_equal(
        sv_audit_action_category(SV_AUDIT_AUTH_PASSWORD_CHANGE_REQUIRED),
        SV_AUDIT_CAT_DENIED_ACCESS);
    assert_int_equal(sv_audit_action_category(SV_AUDIT_AUTH_LOGOUT),
                     SV_AUDIT_CAT_ACTIVITY);
    assert_string_equal(sv_audit_category_name(SV_AUDIT_CAT_LOGIN_FAILURE),
                        "login_failure");
}

static void
test_parse_and_name_round_trip(void **state)
{
    (void)state;
    enum sv_audit_action a;

    for (int i = 0; i < SV_AUDIT__COUNT; i++) {
        assert_true(sv_audit_action_parse(
            sv_audit_action_name((enum sv_audit_action)i), &a));
        assert_int_equal(a, i);
    }
    /* the wire strings the API suites and the OpenAPI examples use */
    assert_true(sv_audit_action_parse("auth.login", &a));
    assert_int_equal(a, SV_AUDIT_AUTH_LOGIN);
    assert_true(sv_audit_action_parse("security.blacklist.lift", &a));
    assert_int_equal(a, SV_AUDIT_SECURITY_BLACKLIST_LIFT);
    assert_string_equal(sv_audit_action_name(SV_AUDIT_AUTH_RESET_REQUEST),
                        "auth.reset_request");

    a = SV_AUDIT_AUTH_LOGOUT;
    assert_false(sv_audit_action_parse("no.such.action", &a));
    assert_false(sv_audit_action_parse("", &a));
    assert_false(sv_audit_action_parse("AUTH.LOGIN", &a));
    assert_false(sv_audit_action_parse("auth.login ", &a));
    assert_false(sv_audit_action_parse("auth", &a));
    assert_false(sv_audit_action_parse(NULL, &a));
    assert_int_equal(a, SV_AUDIT_AUTH_LOGOUT); /* untouched */
    assert_null(sv_audit_action_name(SV_AUDIT__COUNT));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_action_is_well_formed_and_unique),
        cmocka_unit_test(test_enumerator_names_follow_the_wire_string),
        cmocka_unit_test(test_every_action_has_a_category),
        cmocka_unit_test(test_parse_and_name_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

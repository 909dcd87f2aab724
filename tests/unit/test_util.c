/* Time, ids, cursors and the other small helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/util.h"
#include "directory/tenant.h"
#include "identity/identity.h"

static void
test_rfc3339_round_trip(void **state)
{
    (void)state;
    char buf[SV_RFC3339_LEN + 1];
    int64_t ms;

    sv_rfc3339(1764075671123, buf);
    assert_string_equal(buf, "2025-11-25T13:01:11.123Z");
    assert_true(sv_rfc3339_parse(buf, &ms));
    assert_int_equal(ms, 1764075671123);
    assert_true(sv_rfc3339_parse("2025-11-25T21:01:11+08:00", &ms));
    assert_int_equal(ms, 1764075671000);
    assert_true(sv_rfc3339_parse("2025-11-25T13:01:11.5Z", &ms));
    assert_int_equal(ms, 1764075671500);
}

static void
test_rfc3339_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "2025-11-25",
        "2025-11-25 13:01:11Z",
        "2025-13-25T13:01:11Z",
        "2025-11-25T25:01:11Z",
        "2025-11-25T13:01:11",
        "2025-11-25T13:01:11Zx",
        "2025-11-25T13:01:11.Z",
        "1969-12-31T23:59:59Z",
        "2025-11-25T13:01:11+8:00",
    };
    int64_t ms;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (sv_rfc3339_parse(bad[i], &ms))
            fail_msg("accepted '%s'", bad[i]);
}

static void
test_uuid7(void **state)
{
    (void)state;
    char a[SV_UUID_LEN + 1], b[SV_UUID_LEN + 1];
    sv_uuid7(a);
    sv_uuid7(b);
    assert_true(sv_check_uuid(a));
    assert_int_equal(a[14], '7');
    assert_string_not_equal(a, b);
    assert_false(sv_check_uuid("01A212DE-3DE2-77CD-A21A-E93AF5ECCF68"));
    assert_false(sv_check_uuid("01a212de-3de2-77cd-a21a-e93af5eccf6"));
    assert_false(sv_check_uuid("01a212de03de2-77cd-a21a-e93af5eccf68"));
    assert_false(sv_check_uuid("../../etc/passwd"));
}

static void
test_cursor(void **state)
{
    (void)state;
    struct sv_arena *a = sv_arena_new();
    char *c = sv_cursor_encode(a, "u", "abc");
    assert_string_equal(sv_cursor_decode(a, "u", c), "abc");
    assert_null(sv_cursor_decode(a, "a", c)); /* other kind */
    assert_null(sv_cursor_decode(a, "u", "!!!"));
    assert_null(sv_cursor_decode(a, "u", ""));
    sv_arena_free(a);
}

static void
test_parse_i64(void **state)
{
    (void)state;
    int64_t v;
    assert_true(sv_parse_i64("42", 1, 200, &v));
    assert_int_equal(v, 42);
    assert_false(sv_parse_i64("0", 1, 200, &v));
    assert_false(sv_parse_i64("201", 1, 200, &v));
    assert_false(sv_parse_i64("4x", 1, 200, &v));
    assert_false(sv_parse_i64(" 4", 1, 200, &v));
    assert_false(sv_parse_i64("", 1, 200, &v));
    assert_false(sv_parse_i64("99999999999999999999", 0, INT64_MAX, &v));
}

static void
test_name_rules(void **state)
{
    (void)state;
    assert_true(sv_check_username("alice", 5));
    assert_true(sv_check_username("a.b_c-9", 7));
    assert_false(sv_check_username("al", 2));
    assert_false(sv_check_username("Alice", 5));
    assert_false(sv_check_username(".alice", 6));
    assert_false(sv_check_username("al ice", 6));
    assert_true(sv_check_slug("demo", 4));
    assert_false(sv_check_slug("-demo", 5));
    assert_false(sv_check_slug("demo-", 5));
    assert_false(sv_check_slug("d", 1));
    assert_false(sv_check_slug("De", 2));
    assert_true(sv_check_email("a@b.c", 5));
    assert_false(sv_check_email("a@@b.c", 6));
    assert_false(sv_check_email("ab.c", 4));
    assert_false(sv_check_email("a b@c.d", 7));
    assert_true(sv_check_tenant_name("Acme 有限公司", strlen("Acme 有限公司")));
    assert_false(sv_check_tenant_name("a\nb", 3));
}

static void
test_utf8_valid(void **state)
{
    (void)state;
    assert_true(sv_utf8_valid("plain", 5));
    assert_true(sv_utf8_valid("密码 é 😀", strlen("密码 é 😀")));
    assert_false(sv_utf8_valid("\xff", 1));
    assert_false(sv_utf8_valid("\xc3", 1));             /* truncated */
    assert_false(sv_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    assert_false(sv_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(sv_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
}

static void
test_sanitize_text(void **state)
{
    (void)state;
    struct sv_arena *a = sv_arena_new();
    char ua[300];

    assert_string_equal(sv_sanitize_text(a, "curl/8.0", 256), "curl/8.0");
    assert_string_equal(sv_sanitize_text(a,
                                         "a\xff"
                                         "b\x01"
                                         "c\nd",
                                         256),
                        "a?b?c?d");
    assert_string_equal(sv_sanitize_text(a, "G\xffT", 16), "G?T");
    /* Cut on a character boundary: 255 bytes + a 2-byte char -> 255. */
    memset(ua, 'a', 255);
    strcpy(ua + 255, "é");
    char *s = sv_sanitize_text(a, ua, 256);
    assert_int_equal(strlen(s), 255);
    assert_true(sv_utf8_valid(s, strlen(s)));
    sv_arena_free(a);
}

static void
test_arena(void **state)
{
    (void)state;
    struct sv_arena *a = sv_arena_new();
    for (int i = 0; i < 1000; i++) {
        char *p = sv_arena_printf(a, "item %d", i);
        assert_string_equal(p, sv_arena_printf(a, "item %d", i));
    }
    char *big = sv_arena_alloc(a, 100000);
    memset(big, 1, 100000);
    sv_arena_free(a);
    sv_arena_free(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rfc3339_round_trip),
        cmocka_unit_test(test_rfc3339_rejects),
        cmocka_unit_test(test_uuid7),
        cmocka_unit_test(test_cursor),
        cmocka_unit_test(test_parse_i64),
        cmocka_unit_test(test_name_rules),
        cmocka_unit_test(test_utf8_valid),
        cmocka_unit_test(test_sanitize_text),
        cmocka_unit_test(test_arena),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* SCIM (issue 11, part 7): the filter subset provisioning clients send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "scim/filter.h"

#define URN "urn:ietf:params:scim:schemas:core:2.0:User"

static void
test_filter_eq(void **state)
{
    struct scim_filter f;
    (void)state;

    assert_true(scim_filter_parse("userName eq \"bjensen\"", URN, &f));
    assert_string_equal(f.attr, "userName");
    assert_string_equal(f.value, "bjensen");
    assert_false(f.is_bool);
    assert_true(scim_filter_is(&f, "USERNAME"));
    /* The operator and the URN case-insensitively; spaces around. */
    assert_true(scim_filter_parse("  " URN ":userName EQ \"x\"  ", URN, &f));
    assert_string_equal(f.attr, "userName");
    assert_true(scim_filter_parse("emails.value eq \"a@b.example\"", URN, &f));
    assert_string_equal(f.attr, "emails.value");
    assert_true(scim_filter_parse("active eq false", URN, &f));
    assert_true(f.is_bool);
    assert_false(f.bool_value);
    assert_true(scim_filter_parse("active eq True", URN, &f));
    assert_true(f.bool_value);
}

static void
test_filter_escapes(void **state)
{
    struct scim_filter f;
    (void)state;

    assert_true(
        scim_filter_parse("userName eq \"a\\\"b\\\\c\\u00e9\"", URN, &f));
    assert_string_equal(f.value, "a\"b\\c\xc3\xa9");
    assert_true(
        scim_filter_parse("displayName eq \"\\ud83d\\ude00\"", URN, &f));
    assert_string_equal(f.value, "\xf0\x9f\x98\x80");
    /* A lone surrogate, a NUL, a bad escape, an unterminated string. */
    assert_false(scim_filter_parse("userName eq \"\\ud83d\"", URN, &f));
    assert_false(scim_filter_parse("userName eq \"\\u0000\"", URN, &f));
    assert_false(scim_filter_parse("userName eq \"\\x\"", URN, &f));
    assert_false(scim_filter_parse("userName eq \"abc", URN, &f));
    /* Invalid UTF-8 in the value. */
    assert_false(scim_filter_parse("userName eq \"\xc3\"", URN, &f));
}

static void
test_filter_refused(void **state)
{
    struct scim_filter f;
    char big[SCIM_FILTER_MAX + 16];
    (void)state;

    const char *bad[] = {
        "",
        "userName",
        "userName eq",
        "userName co \"x\"",
        "userName sw \"x\"",
        "userName pr",
        "userName eq \"x\" and active eq true",
        "(userName eq \"x\")",
        "userName eq 42",
        "userName eq null",
        "user$Name eq \"x\"",
        "1userName eq \"x\"",
        "emails..value eq \"x\"",
        "emails. eq \"x\"",
        "userName eq \"x\" trailing",
        "userName eq\"x\"",
        "userName eqx \"x\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        assert_false(scim_filter_parse(bad[i], URN, &f));
    assert_false(scim_filter_parse(NULL, URN, &f));
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    memcpy(big, "userName eq \"", 13);
    big[sizeof big - 2] = '"';
    assert_false(scim_filter_parse(big, URN, &f));
    /* An attribute longer than SCIM_ATTR_MAX. */
    char attr[SCIM_ATTR_MAX + 20];
    memset(attr, 'a', SCIM_ATTR_MAX + 1);
    strcpy(attr + SCIM_ATTR_MAX + 1, " eq \"x\"");
    assert_false(scim_filter_parse(attr, URN, &f));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_eq),
        cmocka_unit_test(test_filter_escapes),
        cmocka_unit_test(test_filter_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * DIR-4: the canonical forms personal data is indexed under. E-mail: trimmed,
 * lower case, one "@". Mainland resident ID numbers (GB 11643-1999): 18
 * characters, a real province and birth date, the MOD 11-2 check character,
 * a final "x" upper-cased; every single-character change of a valid number
 * is refused (the check character catches all of them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "directory/personal.h"

static void
email(void **state)
{
    char out[SV_PERSONAL_EMAIL_MAX + 1];
    char longest[SV_PERSONAL_EMAIL_MAX + 2];
    (void)state;

    assert_true(sv_email_normalise("  Alice.Liu@Example.COM \t", out));
    assert_string_equal(out, "alice.liu@example.com");
    assert_true(sv_email_normalise("a@b", out));
    assert_string_equal(out, "a@b");
    /* not ASCII: kept as typed (only A-Z is folded) */
    assert_true(sv_email_normalise("Zhang@例子.中国", out));
    assert_string_equal(out, "zhang@例子.中国");

    const char *bad[] = {"",
                         "   ",
                         "alice",
                         "@example.com",
                         "alice@",
                         "a@b@c",
                         "al ice@example.com",
                         "alice@exa\tmple.com",
                         "alice@example.com\x01",
                         "a\x7f@b.c",
                         "@"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(out, "junk");
        assert_false(sv_email_normalise(bad[i], out));
        assert_string_equal(out, "");
    }
    memset(longest, 'a', sizeof longest);
    longest[SV_PERSONAL_EMAIL_MAX - 2] = '@';
    longest[SV_PERSONAL_EMAIL_MAX] = '\0'; /* 254 bytes */
    assert_true(sv_email_normalise(longest, out));
    longest[SV_PERSONAL_EMAIL_MAX] = 'a';
    longest[SV_PERSONAL_EMAIL_MAX + 1] = '\0'; /* 255 bytes */
    assert_false(sv_email_normalise(longest, out));
}

static const char *const valid_ids[] = {
    "11010519491231002X", "44030419900307123X", "310115198002290013",
    "510722199508157314", "650102200012010042",
};

static void
resident_id_valid(void **state)
{
    char out[SV_RESIDENT_ID_LEN + 1];
    (void)state;

    for (size_t i = 0; i < sizeof valid_ids / sizeof *valid_ids; i++) {
        assert_true(sv_resident_id_normalise(valid_ids[i], out));
        assert_string_equal(out, valid_ids[i]);
    }
    assert_true(sv_resident_id_normalise(" 11010519491231002x\n", out));
    assert_string_equal(out, "11010519491231002X");
    assert_int_equal(sv_resident_id_check_char("11010519491231002"), 'X');
    assert_int_equal(sv_resident_id_check_char("31011519800229001"), '3');
}

static void
resident_id_refused(void **state)
{
    char out[SV_RESIDENT_ID_LEN + 1];
    char id[SV_RESIDENT_ID_LEN + 1];
    (void)state;

    const char *bad[] = {
        "",
        "11010519491231002",   /* 17 characters */
        "11010519491231002XX", /* 19 */
        "110105194912310021",  /* wrong check character */
        "11010519491231002Y",  /* not a digit or X */
        "X10105194912310021",  /* X elsewhere */
        "110105 19491231002X", /* white space inside */
        "990105194912310023",  /* no province 99 (check character right) */
        "160105194912310029",  /* no province 16 */
        "310115198102290010",  /* 29 February 1981 */
        "310115180002290018",  /* 1800 */
        "310115198013010013",  /* month 13 */
        "310115198012000016",  /* day 0 */
        "11010519491231002\xef\xbc\xb8", /* a full-width X */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(out, "junk");
        assert_false(sv_resident_id_normalise(bad[i], out));
        assert_string_equal(out, "");
    }
    /* Every one-character change of a valid number is refused. */
    for (size_t v = 0; v < sizeof valid_ids / sizeof *valid_ids; v++) {
        for (int pos = 0; pos < SV_RESIDENT_ID_LEN; pos++) {
            for (const char *c = "0123456789X"; *c; c++) {
                strcpy(id, valid_ids[v]);
                if (id[pos] == *c)
                    continue;
                id[pos] = *c;
                if (sv_resident_id_normalise(id, out))
                    fail_msg("%s (position %d) accepted", id, pos + 1);
            }
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(email),
        cmocka_unit_test(resident_id_valid),
        cmocka_unit_test(resident_id_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

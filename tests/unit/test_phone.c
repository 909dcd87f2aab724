/*
 * DIR-4: phone numbers are indexed under their E.164 form, read with the
 * tenant's default country; only numbers libphonenumber calls valid pass,
 * and letters, control characters, invalid UTF-8 and long input are
 * refused before it sees them. DIR-5: the display mask keeps the first 3
 * and last 4 digits of the national number, fewer for short ones, and
 * always hides at least 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "directory/phone.h"

struct typed {
    const char *in, *region, *e164;
};

/* Each typed form, with the region it is read in, and the one E.164 form. */
static const struct typed valid[] = {
    /* A Chinese mobile as people type it. */
    {"+86 138 0013 8000", "CN", "+8613800138000"},
    {"13800138000", "CN", "+8613800138000"},
    {"138-0013-8000", "CN", "+8613800138000"},
    {"  138 0013 8000  ", "CN", "+8613800138000"},
    {"0086 138 0013 8000", "CN", "+8613800138000"}, /* CN's call prefix */
    {"(+86) 138.0013.8000", "CN", "+8613800138000"},
    {"+8613800138000", "US", "+8613800138000"},       /* '+': region unused */
    {"011 86 138 0013 8000", "US", "+8613800138000"}, /* US's prefix */
    /* Full-width digits, plus and ideographic space (Chinese input). */
    {"\xef\xbc\x8b\xef\xbc\x98\xef\xbc\x96\xe3\x80\x80"
     "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90\xef\xbc\x90"
     "\xef\xbc\x91\xef\xbc\x93\xef\xbc\x98\xef\xbc\x90\xef\xbc\x90"
     "\xef\xbc\x90",
     "CN", "+8613800138000"},
    /* A Beijing fixed line, trunk prefix 0. */
    {"010 6552 9988", "CN", "+861065529988"},
    {"+86 10 6552 9988", "CN", "+861065529988"},
    /* US. */
    {"(201) 555-0123", "US", "+12015550123"},
    {"201.555.0123", "US", "+12015550123"},
    {"1 201 555 0123", "US", "+12015550123"},
    {"+1 201-555-0123", "DE", "+12015550123"},
    /* Germany: Berlin fixed line and a mobile, trunk prefix 0 optional. */
    {"030 123456", "DE", "+4930123456"},
    {"30 123456", "DE", "+4930123456"},
    {"+49 30 123456", "DE", "+4930123456"},
    {"0049 30 123456", "DE", "+4930123456"},
    {"01512 3456789", "DE", "+4915123456789"},
    {"+49 1512 3456789", "GB", "+4915123456789"},
    /* United Kingdom: Birmingham and a mobile. */
    {"0121 234 5678", "GB", "+441212345678"},
    {"+44 121 234 5678", "GB", "+441212345678"},
    {"07400 123456", "GB", "+447400123456"},
    {"+44 (0)7400 123456", "CN", "+447400123456"},
};

static void
normalise_valid(void **state)
{
    char out[SV_PHONE_E164_MAX + 1];
    (void)state;

    for (size_t i = 0; i < sizeof valid / sizeof *valid; i++) {
        strcpy(out, "junk");
        enum sv_phone_result r =
            sv_phone_normalise(valid[i].in, valid[i].region, out);
        if (r != SV_PHONE_OK || strcmp(out, valid[i].e164) != 0)
            fail_msg("\"%s\" in %s: %d \"%s\", want \"%s\"", valid[i].in,
                     valid[i].region, (int)r, out, valid[i].e164);
        /* The E.164 form is a fixed point, whatever the region. */
        char again[SV_PHONE_E164_MAX + 1];
        assert_int_equal(sv_phone_normalise(out, "DE", again), SV_PHONE_OK);
        assert_string_equal(again, out);
    }
}

/* Each is refused in the region given, with the out buffer left empty. */
static const struct typed invalid[] = {
    {"12345", "CN", NULL},                     /* too short */
    {"1380013800", "CN", NULL},                /* a digit missing */
    {"138001380001", "CN", NULL},              /* a digit too many */
    {"23800138000", "CN", NULL},               /* no mobile range 2xx */
    {"086 13800138000", "CN", NULL},           /* a trunk 0 before a mobile */
    {"0086 138 0013 8000", "US", NULL},        /* 00 is not US's prefix */
    {"555-0123", "US", NULL},                  /* no area code */
    {"+1 555 555 5555", "US", NULL},           /* possible, but not valid */
    {"+1 201 555 01234", "US", NULL},          /* a digit too many */
    {"07400 12345", "GB", NULL},               /* a digit missing */
    {"+999 123 456 789", "CN", NULL},          /* no such country code */
    {"+86", "CN", NULL},                       /* a country code alone */
    {"1380013800O", "CN", NULL},               /* a letter O for a zero */
    {"abc13800138000", "CN", NULL},            /* the library would skip it */
    {"call 13800138000", "CN", NULL},          /* ditto */
    {"1-800-FLOWERS", "US", NULL},             /* letters as digits */
    {"13800138000 ext 5", "CN", NULL},         /* an extension */
    {"13800138000#5", "CN", NULL},             /* ditto */
    {"tel:+86-138-0013-8000", "CN", NULL},     /* an RFC 3966 URI */
    {"++86 138 0013 8000", "CN", NULL},        /* two '+' */
    {"138+0013 8000", "CN", NULL},             /* a '+' after a digit */
    {"13800138000+", "CN", NULL},              /* the library drops it */
    {"138/0013/8000", "CN", NULL},             /* '/' is not in the set */
    {"", "CN", NULL},                          /* empty */
    {"    ", "CN", NULL},                      /* spaces only */
    {"+ - ( ) .", "CN", NULL},                 /* no digit */
    {"138\t0013 8000", "CN", NULL},            /* control characters */
    {"13800138000\n", "CN", NULL},             /* ditto */
    {"13800138000\x7f", "CN", NULL},           /* DEL */
    {"\x1b[1m13800138000", "CN", NULL},        /* an escape sequence */
    {"13800138000\xc2\x85", "CN", NULL},       /* U+0085, a C1 control */
    {"13800138000\xef\xbc", "CN", NULL},       /* a cut full-width digit */
    {"138\xef\xbc-0013-8000", "CN", NULL},     /* ditto, ASCII after */
    {"1380013800\xc0\xb0", "CN", NULL},        /* an overlong '0' */
    {"13800138000\x80", "CN", NULL},           /* a lone continuation byte */
    {"13800138000\xff", "CN", NULL},           /* never in UTF-8 */
    {"13800138000\xef\xbc\x8a", "CN", NULL},   /* U+FF0A '*' */
    {"138\xe2\x80\x8b-0013-8000", "CN", NULL}, /* U+200B, zero width */
};

static void
normalise_invalid(void **state)
{
    char out[SV_PHONE_E164_MAX + 1];
    (void)state;

    for (size_t i = 0; i < sizeof invalid / sizeof *invalid; i++) {
        strcpy(out, "junk");
        enum sv_phone_result r =
            sv_phone_normalise(invalid[i].in, invalid[i].region, out);
        if (r != SV_PHONE_INVALID || out[0] != '\0')
            fail_msg("case %zu in %s: %d \"%s\", want refused", i,
                     invalid[i].region, (int)r, out);
    }
    strcpy(out, "junk");
    assert_int_equal(sv_phone_normalise(NULL, "CN", out), SV_PHONE_INVALID);
    assert_string_equal(out, "");
}

/* SV_PHONE_INPUT_MAX bytes pass, one more is refused. */
static void
normalise_length(void **state)
{
    char in[SV_PHONE_INPUT_MAX + 2], out[SV_PHONE_E164_MAX + 1];
    const char *number = "+86 138 0013 8000";
    (void)state;

    memset(in, ' ', sizeof in);
    strcpy(in + SV_PHONE_INPUT_MAX - strlen(number), number);
    assert_int_equal(strlen(in), 64);
    assert_int_equal(sv_phone_normalise(in, "CN", out), SV_PHONE_OK);
    assert_string_equal(out, "+8613800138000");

    memset(in, ' ', sizeof in);
    strcpy(in + SV_PHONE_INPUT_MAX + 1 - strlen(number), number);
    assert_int_equal(strlen(in), 65);
    strcpy(out, "junk");
    assert_int_equal(sv_phone_normalise(in, "CN", out), SV_PHONE_INVALID);
    assert_string_equal(out, "");
}

static void
region(void **state)
{
    char out[SV_PHONE_E164_MAX + 1];
    const char *bad[] = {"ZZ",  "XX", "cn",  "Cn",  "C",         "CHN", "",
                         "001", "C1", "CN ", " CN", "\xc3\x87N", NULL};
    (void)state;

    assert_true(sv_phone_region_check("CN"));
    assert_true(sv_phone_region_check("US"));
    assert_true(sv_phone_region_check("DE"));
    assert_true(sv_phone_region_check("GB"));
    assert_true(sv_phone_region_check("HK"));
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        if (sv_phone_region_check(bad[i]))
            fail_msg("region %zu accepted", i);
        /* Checked first: also with a '+' number, also with a bad one. */
        strcpy(out, "junk");
        assert_int_equal(sv_phone_normalise("+8613800138000", bad[i], out),
                         SV_PHONE_REGION);
        assert_string_equal(out, "");
        assert_int_equal(sv_phone_normalise("abc", bad[i], out),
                         SV_PHONE_REGION);
    }
}

/* The same national number means another number in another region. */
static void
region_reads_national(void **state)
{
    char out[SV_PHONE_E164_MAX + 1];
    (void)state;

    assert_int_equal(sv_phone_normalise("030 123456", "DE", out), SV_PHONE_OK);
    assert_string_equal(out, "+4930123456");
    assert_int_equal(sv_phone_normalise("13800138000", "US", out),
                     SV_PHONE_INVALID);
    /* A New Jersey number in US, a Guangzhou one (020) in CN. */
    assert_int_equal(sv_phone_normalise("201 555 0123", "US", out),
                     SV_PHONE_OK);
    assert_string_equal(out, "+12015550123");
    assert_int_equal(sv_phone_normalise("201 555 0123", "CN", out),
                     SV_PHONE_OK);
    assert_string_equal(out, "+862015550123");
}

struct masked {
    const char *e164, *mask;
};

static void
mask(void **state)
{
    /* phone.h: last min(4, n - 2) and first min(3, n - 6) digits shown of
     * the n-digit national significant number. */
    static const struct masked m[] = {
        {"+8613812341234", "138****1234"},      /* n = 11 */
        {"+8613800138000", "138****8000"},      /* n = 11 */
        {"+861065529988", "106***9988"},        /* n = 10 */
        {"+12015550123", "201***0123"},         /* n = 10 */
        {"+4915123456789", "151****6789"},      /* n = 11 */
        {"+441212345678", "121***5678"},        /* n = 10 */
        {"+390612345678", "061***5678"},        /* Italy: the 0 is kept */
        {"+123456789012345", "234*******2345"}, /* n = 14, the longest */
        {"+1234567890", "234**7890"},           /* n = 9: 3 + 4 */
        {"+4930123456", "30**3456"},            /* n = 8: 2 + 4 */
        {"+12345678", "2**5678"},               /* n = 7: 1 + 4 */
        {"+1234567", "**4567"},                 /* n = 6: 0 + 4 */
        {"+4930123", "**123"},                  /* n = 5: 0 + 3 */
        {"+6834002", "**02"},                   /* n = 4 (Niue): 0 + 2 */
        {"+1234", "**4"},                       /* n = 3 */
        {"+123", "**"},                         /* n = 2 */
    };
    char out[SV_PHONE_E164_MAX];
    (void)state;

    for (size_t i = 0; i < sizeof m / sizeof *m; i++) {
        strcpy(out, "junk");
        sv_phone_mask(m[i].e164, out, sizeof out);
        if (strcmp(out, m[i].mask) != 0)
            fail_msg("%s masked \"%s\", want \"%s\"", m[i].e164, out,
                     m[i].mask);
        /* At least 2 hidden, whatever the length. */
        assert_non_null(strstr(out, "**"));
    }
}

static void
mask_refused(void **state)
{
    const char *bad[] = {"8613812341234",
                         "+86 138 1234 1234",
                         "+86138123412a4",
                         "",
                         "+",
                         "+1",
                         "+999123456",
                         "+0123456789",
                         "+1234567890123456",
                         "+8613812341234\n",
                         NULL};
    char out[SV_PHONE_E164_MAX];
    (void)state;

    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        strcpy(out, "junk");
        sv_phone_mask(bad[i], out, sizeof out);
        if (out[0] != '\0')
            fail_msg("case %zu masked \"%s\"", i, out);
    }
    /* Too small for the mask: empty, never a cut mask. */
    strcpy(out, "junk");
    sv_phone_mask("+8613812341234", out, 11);
    assert_string_equal(out, "");
    sv_phone_mask("+8613812341234", out, 12);
    assert_string_equal(out, "138****1234");
    /* len 0: nothing written. */
    strcpy(out, "junk");
    sv_phone_mask("+8613812341234", out, 0);
    assert_string_equal(out, "junk");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(normalise_valid),
        cmocka_unit_test(normalise_invalid),
        cmocka_unit_test(normalise_length),
        cmocka_unit_test(region),
        cmocka_unit_test(region_reads_national),
        cmocka_unit_test(mask),
        cmocka_unit_test(mask_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* Image CAPTCHA: the PNG, the answer alphabet, normalising, keyed hash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gd.h>
#include <sodium.h>

#include "auth/captcha.h"

static const char ALPHABET[] = "ACDEFGHJKMNPRTUVWXY34789";

static const unsigned char PNG_SIG[8] = {0x89, 'P',  'N',  'G',
                                         '\r', '\n', 0x1a, '\n'};

static void
test_captcha_draw_png(void **state)
{
    (void)state;
    char answer[SV_CAPTCHA_LEN + 1];
    unsigned char *png = NULL;
    size_t png_len = 0;
    gdImagePtr im;

    assert_int_equal(sv_captcha_draw(answer, &png, &png_len), SV_OK);
    assert_non_null(png);
    assert_true(png_len > sizeof PNG_SIG);
    assert_memory_equal(png, PNG_SIG, sizeof PNG_SIG);
    im = gdImageCreateFromPngPtr((int)png_len, png);
    assert_non_null(im);
    assert_int_equal(gdImageSX(im), SV_CAPTCHA_WIDTH);
    assert_int_equal(gdImageSY(im), SV_CAPTCHA_HEIGHT);
    gdImageDestroy(im);
    free(png);
}

static void
test_captcha_draw_answer_alphabet(void **state)
{
    (void)state;
    char answer[SV_CAPTCHA_LEN + 1], canon[SV_CAPTCHA_LEN + 1];
    unsigned char *png;
    size_t png_len;

    for (int n = 0; n < 20; n++) {
        assert_int_equal(sv_captcha_draw(answer, &png, &png_len), SV_OK);
        free(png);
        assert_int_equal(strlen(answer), SV_CAPTCHA_LEN);
        for (int i = 0; i < SV_CAPTCHA_LEN; i++)
            assert_non_null(strchr(ALPHABET, answer[i]));
        /* An answer is its own canonical form. */
        assert_true(sv_captcha_normalise(answer, canon));
        assert_string_equal(canon, answer);
    }
}

static void
test_captcha_draws_differ(void **state)
{
    (void)state;
    char a[SV_CAPTCHA_LEN + 1], b[SV_CAPTCHA_LEN + 1];
    unsigned char *pa, *pb;
    size_t la, lb;

    assert_int_equal(sv_captcha_draw(a, &pa, &la), SV_OK);
    assert_int_equal(sv_captcha_draw(b, &pb, &lb), SV_OK);
    assert_string_not_equal(a, b);
    assert_true(la != lb || memcmp(pa, pb, la) != 0);
    free(pa);
    free(pb);
}

static void
test_captcha_normalise(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",       "ACDEF",  "ACDEFGH", "ACDEF1", "ACDEFI",
        "ACDEFL", "ACDEF5", "ACDEFS",  "ACDEFZ", "ACDEF2",
        "ACDE-F", "ACDEF!", "ACDEF\n", "ACDEFÉ", "      ",
    };
    char out[SV_CAPTCHA_LEN + 1];

    assert_true(sv_captcha_normalise("ACDEFG", out));
    assert_string_equal(out, "ACDEFG");
    assert_true(sv_captcha_normalise("acdefg", out));
    assert_string_equal(out, "ACDEFG");
    assert_true(sv_captcha_normalise(" a c d\te f g ", out));
    assert_string_equal(out, "ACDEFG");
    /* Look-alikes fold onto the character the alphabet keeps. */
    assert_true(sv_captcha_normalise("0oQ6bB", out));
    assert_string_equal(out, "DDDG88");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sv_captcha_normalise(bad[i], out));
}

static void
test_captcha_hash_and_check(void **state)
{
    (void)state;
    uint8_t key[32], other_key[32], stored[SV_CAPTCHA_HASH_LEN];
    uint8_t h[SV_CAPTCHA_HASH_LEN];
    const char *id = "0190c2b4-8e5a-7a4b-9c3d-2f1e0a9b8c7d";

    randombytes_buf(key, sizeof key);
    randombytes_buf(other_key, sizeof other_key);
    sv_captcha_hash(key, id, "HK7W3R", stored);
    sv_captcha_hash(key, id, "HK7W3R", h);
    assert_memory_equal(h, stored, sizeof h); /* deterministic */

    assert_true(sv_captcha_check(key, id, "HK7W3R", stored));
    assert_true(sv_captcha_check(key, id, " hk7 w3r", stored));
    assert_false(sv_captcha_check(key, id, "HK7W3T", stored));
    assert_false(sv_captcha_check(key, id, "HK7W3", stored));
    assert_false(sv_captcha_check(key, id, "", stored));
    /* Bound to the challenge and to the key. */
    assert_false(sv_captcha_check(key, "0190c2b4-8e5a-7a4b-9c3d-2f1e0a9b8c7e",
                                  "HK7W3R", stored));
    assert_false(sv_captcha_check(other_key, id, "HK7W3R", stored));
}

static void
test_captcha_hash_domain_separated(void **state)
{
    (void)state;
    uint8_t key[32] = {0}, a[SV_CAPTCHA_HASH_LEN], b[SV_CAPTCHA_HASH_LEN];
    uint8_t want[SV_CAPTCHA_HASH_LEN];
    static const char msg[] = "sv-captcha-v1"
                              "c1\0"
                              "ACDEFG";

    /* Layout: tag | id | 0 | answer, keyed BLAKE2b-256. */
    crypto_generichash(want, sizeof want, (const uint8_t *)msg, sizeof msg - 1,
                       key, sizeof key);
    sv_captcha_hash(key, "c1", "ACDEFG", a);
    assert_memory_equal(a, want, sizeof a);
    /* Moving a character across the id/answer boundary changes the hash. */
    sv_captcha_hash(key, "c1A", "CDEFG", b);
    assert_memory_not_equal(a, b, sizeof a);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_captcha_draw_png),
        cmocka_unit_test(test_captcha_draw_answer_alphabet),
        cmocka_unit_test(test_captcha_draws_differ),
        cmocka_unit_test(test_captcha_normalise),
        cmocka_unit_test(test_captcha_hash_and_check),
        cmocka_unit_test(test_captcha_hash_domain_separated),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

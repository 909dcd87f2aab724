/* TOTP (RFC 6238 known answers, window, replay) and recovery codes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/totp.h"

/* RFC 6238 appendix B: the SHA-1 secret. */
static const uint8_t RFC_SECRET[] = "12345678901234567890";
#define RFC_SECRET_LEN 20

static void
test_totp_code_rfc6238_vectors(void **state)
{
    (void)state;
    /* The last six digits of the RFC's eight-digit SHA-1 values. */
    static const struct {
        int64_t t;
        const char *code;
    } v[] = {
        {59, "287082"},         {1111111109, "081804"}, {1111111111, "050471"},
        {1234567890, "005924"}, {2000000000, "279037"}, {20000000000, "353130"},
    };
    char out[SV_TOTP_DIGITS + 1];

    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        assert_int_equal(sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, v[i].t, out),
                         SV_OK);
        assert_string_equal(out, v[i].code);
    }
}

static void
test_totp_code_rejects_negative_time(void **state)
{
    (void)state;
    char out[SV_TOTP_DIGITS + 1];

    assert_int_not_equal(sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, -1, out),
                         SV_OK);
}

static void
test_totp_verify_window(void **state)
{
    (void)state;
    const int64_t now = 1111111111, base = now / SV_TOTP_STEP_S;
    char code[SV_TOTP_DIGITS + 1];
    int64_t step = 0;

    for (int off = -2; off <= 2; off++) {
        int64_t t = now + off * SV_TOTP_STEP_S;

        assert_int_equal(sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, t, code),
                         SV_OK);
        step = -7;
        if (off >= -1 && off <= 1) {
            assert_true(sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, now, 0,
                                       &step));
            assert_int_equal(step, base + off);
        } else {
            assert_false(sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, now,
                                        0, &step));
            assert_int_equal(step, -7); /* untouched on refusal */
        }
    }
}

static void
test_totp_verify_wrong_code(void **state)
{
    (void)state;
    const int64_t now = 1234567890;
    char code[SV_TOTP_DIGITS + 1];
    int64_t step;

    assert_int_equal(sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, now, code),
                     SV_OK);
    code[5] = code[5] == '9' ? '0' : (char)(code[5] + 1);
    assert_false(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, now, 0, &step));
}

static void
test_totp_verify_refuses_replay(void **state)
{
    (void)state;
    const int64_t now = 2000000000, base = now / SV_TOTP_STEP_S;
    char code[SV_TOTP_DIGITS + 1], older[SV_TOTP_DIGITS + 1];
    int64_t step = 0;

    assert_int_equal(sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, now, code),
                     SV_OK);
    assert_true(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, now, 0, &step));
    assert_int_equal(step, base);
    /* The same code again, within the same step or the next one. */
    assert_false(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, now, step, &step));
    assert_false(sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code,
                                now + SV_TOTP_STEP_S, base, &step));
    /* An older step's code, still inside the window, after a newer one. */
    assert_int_equal(
        sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, now - SV_TOTP_STEP_S, older),
        SV_OK);
    assert_false(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, older, now, base, &step));
    /* The next step's code is still fine. */
    assert_int_equal(
        sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, now + SV_TOTP_STEP_S, code),
        SV_OK);
    assert_true(sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code,
                               now + SV_TOTP_STEP_S, base, &step));
    assert_int_equal(step, base + 1);
}

static void
test_totp_verify_refuses_malformed(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "12345",   "1234567", "12a456", "",       " 287082",
        "287082 ", "28708\n", "+87082", "-87082", "２87082",
    };
    int64_t step;

    /* "287082" is right at t = 59: only the form is wrong below. */
    assert_true(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, "287082", 59, -1, &step));
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(
            sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, bad[i], 59, -1, &step));
}

static void
test_totp_verify_near_epoch(void **state)
{
    (void)state;
    char code[SV_TOTP_DIGITS + 1];
    int64_t step = -1;

    /* Step -1 does not exist; step 0 and 1 work at t = 10. */
    assert_int_equal(sv_totp_code(RFC_SECRET, RFC_SECRET_LEN, 0, code), SV_OK);
    assert_true(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, 10, -1, &step));
    assert_int_equal(step, 0);
    assert_false(
        sv_totp_verify(RFC_SECRET, RFC_SECRET_LEN, code, -10, -1, &step));
}

static void
test_totp_base32(void **state)
{
    (void)state;
    char out[SV_TOTP_B32_MAX + 1];
    uint8_t secret[SV_TOTP_SECRET_LEN];

    sv_totp_base32(RFC_SECRET, RFC_SECRET_LEN, out);
    assert_string_equal(out, "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    /* RFC 4648 section 10, padding dropped. */
    sv_totp_base32((const uint8_t *)"", 0, out);
    assert_string_equal(out, "");
    sv_totp_base32((const uint8_t *)"f", 1, out);
    assert_string_equal(out, "MY");
    sv_totp_base32((const uint8_t *)"fo", 2, out);
    assert_string_equal(out, "MZXQ");
    sv_totp_base32((const uint8_t *)"foo", 3, out);
    assert_string_equal(out, "MZXW6");
    sv_totp_base32((const uint8_t *)"foob", 4, out);
    assert_string_equal(out, "MZXW6YQ");
    sv_totp_base32((const uint8_t *)"fooba", 5, out);
    assert_string_equal(out, "MZXW6YTB");
    sv_totp_base32((const uint8_t *)"foobar", 6, out);
    assert_string_equal(out, "MZXW6YTBOI");
    sv_totp_secret_new(secret);
    sv_totp_base32(secret, sizeof secret, out);
    assert_int_equal(strlen(out), 32);
}

static void
test_totp_secret_new_random(void **state)
{
    (void)state;
    uint8_t a[SV_TOTP_SECRET_LEN], b[SV_TOTP_SECRET_LEN];

    sv_totp_secret_new(a);
    sv_totp_secret_new(b);
    assert_memory_not_equal(a, b, sizeof a);
}

static void
test_totp_uri(void **state)
{
    (void)state;
    char *uri = sv_totp_uri("Acme Corp", "alice@acme:sales", RFC_SECRET,
                            RFC_SECRET_LEN);

    assert_non_null(uri);
    assert_string_equal(uri, "otpauth://totp/Acme%20Corp:alice%40acme%3Asales"
                             "?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
                             "&issuer=Acme%20Corp&algorithm=SHA1&digits=6"
                             "&period=30");
    assert_null(strchr(uri, ' '));
    free(uri);

    uri = sv_totp_uri("Sales:vault", "b&c?d=e", RFC_SECRET, RFC_SECRET_LEN);
    assert_non_null(uri);
    assert_non_null(strstr(uri, "/Sales%3Avault:b%26c%3Fd%3De?"));
    assert_non_null(strstr(uri, "&issuer=Sales%3Avault&"));
    free(uri);
}

static bool
in_recovery_alphabet(char c)
{
    return c != '\0' && strchr("23456789abcdefghjkmnpqrstuvwxyz", c) != NULL;
}

static void
test_recovery_code_new_format(void **state)
{
    (void)state;
    char a[SV_RECOVERY_CODE_LEN + 1], b[SV_RECOVERY_CODE_LEN + 1];
    char norm[SV_RECOVERY_CODE_LEN + 1];

    for (int n = 0; n < 200; n++) {
        sv_recovery_code_new(a);
        assert_int_equal(strlen(a), SV_RECOVERY_CODE_LEN);
        assert_int_equal(a[4], '-');
        for (int i = 0; i < SV_RECOVERY_CODE_LEN; i++)
            if (i != 4)
                assert_true(in_recovery_alphabet(a[i]));
        assert_true(sv_recovery_code_normalise(a, norm));
        assert_string_equal(norm, a);
    }
    sv_recovery_code_new(b);
    assert_string_not_equal(a, b);
}

static void
test_recovery_code_normalise(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",          "abcd-efg",   "abcd-efghj", "abcdefg",   "abcdefghj",
        "abc-defgh", "abcd--efgh", "abcd-efg-h", "-abcdefgh", "abcdefgh-",
        "abcd-efg0", "abcd-efgl",  "abcd-efgi",  "abcd-efgo", "abcd_efgh",
        "abcd-efg!", "abcd-éfg",
    };
    char out[SV_RECOVERY_CODE_LEN + 1];

    assert_true(sv_recovery_code_normalise("abcd-efgh", out));
    assert_string_equal(out, "abcd-efgh");
    assert_true(sv_recovery_code_normalise("ABCD-EFGH", out));
    assert_string_equal(out, "abcd-efgh");
    assert_true(sv_recovery_code_normalise("abcdefgh", out));
    assert_string_equal(out, "abcd-efgh");
    assert_true(sv_recovery_code_normalise("AbCd23z9", out));
    assert_string_equal(out, "abcd-23z9");
    assert_true(sv_recovery_code_normalise(" abcd efgh ", out));
    assert_string_equal(out, "abcd-efgh");
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(sv_recovery_code_normalise(bad[i], out));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_totp_code_rfc6238_vectors),
        cmocka_unit_test(test_totp_code_rejects_negative_time),
        cmocka_unit_test(test_totp_verify_window),
        cmocka_unit_test(test_totp_verify_wrong_code),
        cmocka_unit_test(test_totp_verify_refuses_replay),
        cmocka_unit_test(test_totp_verify_refuses_malformed),
        cmocka_unit_test(test_totp_verify_near_epoch),
        cmocka_unit_test(test_totp_base32),
        cmocka_unit_test(test_totp_secret_new_random),
        cmocka_unit_test(test_totp_uri),
        cmocka_unit_test(test_recovery_code_new_format),
        cmocka_unit_test(test_recovery_code_normalise),
    };
    if (sodium_init() < 0 || !sv_totp_init())
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

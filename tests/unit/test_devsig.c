/* Signed device requests (DEV-1): signature, freshness, strict parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/devsig.h"

#define METHOD "POST"
#define PATH "/api/v1/devices/self/approvals/0190-abc?x=1"
#define TS INT64_C(1764075671123)
#define NONCE "AbCdEfGh_-123456"
#define BODY "{\"decision\":\"approve\",\"number\":47}"

struct keys {
    uint8_t pk[SV_DEVSIG_PK_LEN];
    uint8_t sk[SV_DEVSIG_SK_LEN];
};

static void
sign_good(const struct keys *k, char sig[SV_DEVSIG_B64_MAX + 1])
{
    assert_int_equal(
        sv_devsig_sign(k->sk, METHOD, PATH, TS, NONCE, BODY, strlen(BODY), sig),
        SV_OK);
}

static enum sv_err
verify_good(const uint8_t *pk, const char *sig)
{
    return sv_devsig_verify(pk, sig, METHOD, PATH, TS, NONCE, BODY,
                            strlen(BODY));
}

static void
test_devsig_sign_verifies(void **state)
{
    (void)state;
    struct keys k;
    char sig[SV_DEVSIG_B64_MAX + 1];

    crypto_sign_keypair(k.pk, k.sk);
    sign_good(&k, sig);
    assert_int_equal(strlen(sig), 86);
    assert_null(strchr(sig, '='));
    assert_null(strchr(sig, '+'));
    assert_null(strchr(sig, '/'));
    assert_int_equal(verify_good(k.pk, sig), SV_OK);
}

/* The exact signed bytes of docs/auth-flow.md section 5. */
static void
test_devsig_signed_bytes_match_contract(void **state)
{
    (void)state;
    struct keys k;
    char sig[SV_DEVSIG_B64_MAX + 1], hex[65], msg[512];
    uint8_t digest[32], raw[64];
    size_t raw_len;

    crypto_sign_keypair(k.pk, k.sk);
    sign_good(&k, sig);
    crypto_hash_sha256(digest, (const uint8_t *)BODY, strlen(BODY));
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
    snprintf(msg, sizeof msg,
             "sv-device-sig-v1\n" METHOD "\n" PATH "\n1764075671123\n" NONCE
             "\n%s",
             hex);
    assert_int_equal(
        sodium_base642bin(raw, sizeof raw, sig, strlen(sig), NULL, &raw_len,
                          NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING),
        0);
    assert_int_equal(raw_len, 64);
    assert_int_equal(crypto_sign_verify_detached(raw, (const uint8_t *)msg,
                                                 strlen(msg), k.pk),
                     0);
    /* Ed25519 is deterministic: the same input gives the same signature. */
    char again[SV_DEVSIG_B64_MAX + 1];
    sign_good(&k, again);
    assert_string_equal(sig, again);
}

/* An empty body signs hex(SHA-256("")), with or without a NULL pointer. */
static void
test_devsig_empty_body(void **state)
{
    (void)state;
    struct keys k;
    char sig[SV_DEVSIG_B64_MAX + 1];

    crypto_sign_keypair(k.pk, k.sk);
    assert_int_equal(sv_devsig_sign(k.sk, "GET", "/api/v1/me/devices", TS,
                                    NONCE, NULL, 0, sig),
                     SV_OK);
    assert_int_equal(sv_devsig_verify(k.pk, sig, "GET", "/api/v1/me/devices",
                                      TS, NONCE, "", 0),
                     SV_OK);
    /* ...but not the body "{}". */
    assert_int_equal(sv_devsig_verify(k.pk, sig, "GET", "/api/v1/me/devices",
                                      TS, NONCE, "{}", 2),
                     SV_E_SIGNATURE_INVALID);
    /* NULL body with a length is misuse: refused. */
    assert_int_equal(sv_devsig_sign(k.sk, "GET", "/x", TS, NONCE, NULL, 3, sig),
                     SV_E_FIELD_INVALID);
}

static void
test_devsig_changed_fields_fail(void **state)
{
    (void)state;
    struct keys k;
    char sig[SV_DEVSIG_B64_MAX + 1];
    const size_t blen = strlen(BODY);

    crypto_sign_keypair(k.pk, k.sk);
    sign_good(&k, sig);
    assert_int_equal(
        sv_devsig_verify(k.pk, sig, "GET", PATH, TS, NONCE, BODY, blen),
        SV_E_SIGNATURE_INVALID);
    assert_int_equal(
        sv_devsig_verify(k.pk, sig, "post", PATH, TS, NONCE, BODY, blen),
        SV_E_SIGNATURE_INVALID);
    assert_int_equal(sv_devsig_verify(k.pk, sig, METHOD,
                                      "/api/v1/devices/self/approvals/0190-abc",
                                      TS, NONCE, BODY, blen),
                     SV_E_SIGNATURE_INVALID);
    assert_int_equal(
        sv_devsig_verify(k.pk, sig, METHOD, PATH, TS + 1, NONCE, BODY, blen),
        SV_E_SIGNATURE_INVALID);
    assert_int_equal(sv_devsig_verify(k.pk, sig, METHOD, PATH, TS,
                                      "AbCdEfGh_-123457", BODY, blen),
                     SV_E_SIGNATURE_INVALID);
    assert_int_equal(
        sv_devsig_verify(k.pk, sig, METHOD, PATH, TS, NONCE,
                         "{\"decision\":\"approve\",\"number\":48}", blen),
        SV_E_SIGNATURE_INVALID);
    assert_int_equal(
        sv_devsig_verify(k.pk, sig, METHOD, PATH, TS, NONCE, BODY, blen - 1),
        SV_E_SIGNATURE_INVALID);
    /* Field boundaries cannot be shifted: "POST" "/a" vs "POST\n/a"… */
    assert_int_equal(sv_devsig_verify(k.pk, sig, METHOD "\n" PATH, PATH, TS,
                                      NONCE, BODY, blen),
                     SV_E_SIGNATURE_INVALID);
    /* The untouched original still verifies. */
    assert_int_equal(verify_good(k.pk, sig), SV_OK);
}

static void
test_devsig_other_key_fails(void **state)
{
    (void)state;
    struct keys k, other;
    char sig[SV_DEVSIG_B64_MAX + 1];

    crypto_sign_keypair(k.pk, k.sk);
    crypto_sign_keypair(other.pk, other.sk);
    sign_good(&k, sig);
    assert_int_equal(verify_good(other.pk, sig), SV_E_SIGNATURE_INVALID);
    sign_good(&other, sig);
    assert_int_equal(verify_good(k.pk, sig), SV_E_SIGNATURE_INVALID);
}

static void
test_devsig_malformed_signature_fails(void **state)
{
    (void)state;
    struct keys k;
    char sig[SV_DEVSIG_B64_MAX + 1], bad[SV_DEVSIG_B64_MAX + 8];
    uint8_t raw[64];

    crypto_sign_keypair(k.pk, k.sk);
    sign_good(&k, sig);

    /* Truncated by one character and by a whole block. */
    snprintf(bad, sizeof bad, "%.85s", sig);
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    snprintf(bad, sizeof bad, "%.43s", sig);
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    /* Longer, padded, empty, NULL. */
    snprintf(bad, sizeof bad, "%sA", sig);
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    snprintf(bad, sizeof bad, "%s==", sig);
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    assert_int_equal(verify_good(k.pk, ""), SV_E_SIGNATURE_INVALID);
    assert_int_equal(verify_good(k.pk, NULL), SV_E_SIGNATURE_INVALID);
    /* Standard base64 alphabet, garbage, embedded space. */
    snprintf(bad, sizeof bad, "%s", sig);
    bad[10] = '+';
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    memset(bad, '*', 86);
    bad[86] = '\0';
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    snprintf(bad, sizeof bad, "%s", sig);
    bad[40] = ' ';
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    /* Well-formed base64url of 64 bytes that is not the signature. */
    randombytes_buf(raw, sizeof raw);
    sodium_bin2base64(bad, sizeof bad, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(strlen(bad), 86);
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    /* One flipped bit in the decoded signature. */
    size_t len;
    assert_int_equal(
        sodium_base642bin(raw, sizeof raw, sig, 86, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING),
        0);
    raw[20] ^= 0x01;
    sodium_bin2base64(bad, sizeof bad, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
    /* Non-canonical last character (trailing bits set) is refused. */
    snprintf(bad, sizeof bad, "%s", sig);
    bad[85] = (char)(bad[85] + 1); /* canonical endings: A, Q, g, w */
    assert_int_equal(verify_good(k.pk, bad), SV_E_SIGNATURE_INVALID);
}

static void
test_devsig_bad_inputs_refused(void **state)
{
    (void)state;
    struct keys k;
    char sig[SV_DEVSIG_B64_MAX + 1];

    crypto_sign_keypair(k.pk, k.sk);
    assert_int_equal(sv_devsig_sign(k.sk, "", PATH, TS, NONCE, "", 0, sig),
                     SV_E_FIELD_INVALID);
    assert_string_equal(sig, "");
    assert_int_equal(sv_devsig_sign(k.sk, "GET", "", TS, NONCE, "", 0, sig),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_devsig_sign(k.sk, NULL, PATH, TS, NONCE, "", 0, sig),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_devsig_sign(k.sk, "GET", NULL, TS, NONCE, "", 0, sig),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_devsig_sign(k.sk, "GE\nT", PATH, TS, NONCE, "", 0, sig),
                     SV_E_FIELD_INVALID);
    assert_int_equal(
        sv_devsig_sign(k.sk, "GET", "/a\n/b", TS, NONCE, "", 0, sig),
        SV_E_FIELD_INVALID);
    assert_int_equal(sv_devsig_sign(k.sk, "GET", PATH, TS, "short", "", 0, sig),
                     SV_E_FIELD_INVALID);
    assert_int_equal(sv_devsig_sign(k.sk, "GET", PATH, -1, NONCE, "", 0, sig),
                     SV_E_FIELD_INVALID);
    /* More than 16 digits cannot be sent as a header, so cannot be signed. */
    assert_int_equal(sv_devsig_sign(k.sk, "GET", PATH,
                                    INT64_C(10000000000000000), NONCE, "", 0,
                                    sig),
                     SV_E_FIELD_INVALID);

    /* Verify refuses the same malformed fields as a bad signature. */
    sign_good(&k, sig);
    assert_int_equal(
        sv_devsig_verify(k.pk, sig, "", PATH, TS, NONCE, BODY, strlen(BODY)),
        SV_E_SIGNATURE_INVALID);
    assert_int_equal(sv_devsig_verify(k.pk, sig, METHOD, PATH "\n", TS, NONCE,
                                      BODY, strlen(BODY)),
                     SV_E_SIGNATURE_INVALID);
    assert_int_equal(sv_devsig_verify(k.pk, sig, METHOD, PATH, TS,
                                      "bad nonce with spaces", BODY,
                                      strlen(BODY)),
                     SV_E_SIGNATURE_INVALID);
    assert_int_equal(sv_devsig_verify(k.pk, sig, METHOD, PATH, -TS, NONCE, BODY,
                                      strlen(BODY)),
                     SV_E_SIGNATURE_INVALID);
}

static void
test_devsig_fresh_window(void **state)
{
    (void)state;
    const int64_t now = INT64_C(1764075671123), w = 300000;

    assert_true(sv_devsig_fresh(now, now, w));
    /* Inside, both directions. */
    assert_true(sv_devsig_fresh(now - 1000, now, w));
    assert_true(sv_devsig_fresh(now + 1000, now, w));
    /* At the edge: |now − ts| == window is fresh. */
    assert_true(sv_devsig_fresh(now - w, now, w));
    assert_true(sv_devsig_fresh(now + w, now, w));
    /* Just outside, both directions. */
    assert_false(sv_devsig_fresh(now - w - 1, now, w));
    assert_false(sv_devsig_fresh(now + w + 1, now, w));
    /* Far away and at the extremes: no overflow. */
    assert_false(sv_devsig_fresh(0, now, w));
    assert_false(sv_devsig_fresh(INT64_MAX, now, w));
    assert_false(sv_devsig_fresh(INT64_MIN, now, w));
    assert_false(sv_devsig_fresh(INT64_MAX, INT64_MIN, w));
    assert_false(sv_devsig_fresh(INT64_MIN, INT64_MAX, INT64_MAX));
    assert_true(sv_devsig_fresh(INT64_MAX, INT64_MAX - 5, 5));
    /* Zero window: only the same millisecond; negative: never. */
    assert_true(sv_devsig_fresh(now, now, 0));
    assert_false(sv_devsig_fresh(now + 1, now, 0));
    assert_false(sv_devsig_fresh(now, now, -1));
}

static void
test_devsig_parse_ts(void **state)
{
    (void)state;
    int64_t v = 42;

    assert_true(sv_devsig_parse_ts("1764075671123", &v));
    assert_int_equal(v, INT64_C(1764075671123));
    assert_true(sv_devsig_parse_ts("0", &v));
    assert_int_equal(v, 0);
    assert_true(sv_devsig_parse_ts("9999999999999999", &v)); /* 16 digits */
    assert_int_equal(v, INT64_C(9999999999999999));

    v = 42;
    assert_false(sv_devsig_parse_ts("10000000000000000", &v)); /* 17 */
    assert_false(sv_devsig_parse_ts("", &v));
    assert_false(sv_devsig_parse_ts(NULL, &v));
    assert_false(sv_devsig_parse_ts("+1764075671123", &v));
    assert_false(sv_devsig_parse_ts("-1764075671123", &v));
    assert_false(sv_devsig_parse_ts(" 1764075671123", &v));
    assert_false(sv_devsig_parse_ts("1764075671123 ", &v));
    assert_false(sv_devsig_parse_ts("17640 75671123", &v));
    assert_false(sv_devsig_parse_ts("1764075671123\n", &v));
    assert_false(sv_devsig_parse_ts("0x10", &v));
    assert_false(sv_devsig_parse_ts("1.5", &v));
    assert_false(sv_devsig_parse_ts("1e3", &v));
    assert_false(sv_devsig_parse_ts("01764075671123", &v)); /* not canonical */
    assert_false(sv_devsig_parse_ts("00", &v));
    assert_false(sv_devsig_parse_ts("\xd9\xa1", &v)); /* Arabic-Indic one */
    assert_int_equal(v, 42);                          /* untouched on failure */
}

static void
test_devsig_nonce(void **state)
{
    (void)state;
    char n[80];

    assert_true(sv_devsig_nonce_ok("abcdefghijklmnop")); /* 16 */
    assert_true(sv_devsig_nonce_ok("ABCDEFGHIJKLMNOPQRSTUVWXYZ-_0123456789"));
    memset(n, 'a', 64);
    n[64] = '\0';
    assert_true(sv_devsig_nonce_ok(n)); /* 64 */
    n[63] = '-';
    assert_true(sv_devsig_nonce_ok(n));

    n[64] = 'a';
    n[65] = '\0';
    assert_false(sv_devsig_nonce_ok(n));                 /* 65 */
    assert_false(sv_devsig_nonce_ok("abcdefghijklmno")); /* 15 */
    assert_false(sv_devsig_nonce_ok(""));
    assert_false(sv_devsig_nonce_ok(NULL));
    assert_false(sv_devsig_nonce_ok("abcdefghijklmno=")); /* padding */
    assert_false(sv_devsig_nonce_ok("abcdefghijklmn+/")); /* std base64 */
    assert_false(sv_devsig_nonce_ok("abcdefgh ijklmnop"));
    assert_false(sv_devsig_nonce_ok("abcdefghijklmnop\n"));
    assert_false(sv_devsig_nonce_ok("abcdefgh.ijklmnop"));
    assert_false(sv_devsig_nonce_ok("abcdefghijklmno\xc3\xa9"));
}

static void
test_devsig_pk_round_trip(void **state)
{
    (void)state;
    struct keys k;
    uint8_t back[SV_DEVSIG_PK_LEN];
    char b64[48], bad[64];

    crypto_sign_keypair(k.pk, k.sk);
    sv_devsig_pk_b64(k.pk, b64);
    assert_int_equal(strlen(b64), 43);
    assert_null(strpbrk(b64, "=+/"));
    assert_true(sv_devsig_parse_pk(b64, back));
    assert_memory_equal(back, k.pk, sizeof back);

    /* Known answer: 32 zero bytes, and 0xff bytes. */
    uint8_t zero[SV_DEVSIG_PK_LEN] = {0}, ff[SV_DEVSIG_PK_LEN];
    memset(ff, 0xff, sizeof ff);
    sv_devsig_pk_b64(zero, b64);
    assert_string_equal(b64, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
    sv_devsig_pk_b64(ff, b64);
    assert_string_equal(b64, "__________________________________________8");
    assert_true(sv_devsig_parse_pk(b64, back));
    assert_memory_equal(back, ff, sizeof back);

    /* Wrong lengths, padding, other alphabet, non-canonical tail. */
    memcpy(back, k.pk, sizeof back);
    assert_false(sv_devsig_parse_pk("", back));
    assert_false(sv_devsig_parse_pk(NULL, back));
    assert_false(sv_devsig_parse_pk(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", back)); /* 42 */
    assert_false(sv_devsig_parse_pk(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", back)); /* 44 */
    assert_false(sv_devsig_parse_pk(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", back));
    assert_false(sv_devsig_parse_pk(
        "//////////////////////////////////////////8", back));
    assert_false(sv_devsig_parse_pk(
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB", back));
    assert_false(sv_devsig_parse_pk(
        "AAAAAAAAAAAAAAAAAAAAA AAAAAAAAAAAAAAAAAAAAA", back));
    sv_devsig_pk_b64(k.pk, b64);
    snprintf(bad, sizeof bad, "%s\n", b64);
    assert_false(sv_devsig_parse_pk(bad, back));
    /* A failed parse leaves the output alone. */
    assert_memory_equal(back, k.pk, sizeof back);
}

/* Signing with the key a client stored, then verifying with the parsed pk. */
static void
test_devsig_end_to_end_with_parsed_key(void **state)
{
    (void)state;
    struct keys k;
    uint8_t pk[SV_DEVSIG_PK_LEN];
    char b64[48], sig[SV_DEVSIG_B64_MAX + 1];
    int64_t ts;

    crypto_sign_keypair(k.pk, k.sk);
    sv_devsig_pk_b64(k.pk, b64);
    assert_true(sv_devsig_parse_pk(b64, pk));
    assert_true(sv_devsig_parse_ts("1764075671123", &ts));
    sign_good(&k, sig);
    assert_int_equal(
        sv_devsig_verify(pk, sig, METHOD, PATH, ts, NONCE, BODY, strlen(BODY)),
        SV_OK);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devsig_sign_verifies),
        cmocka_unit_test(test_devsig_signed_bytes_match_contract),
        cmocka_unit_test(test_devsig_empty_body),
        cmocka_unit_test(test_devsig_changed_fields_fail),
        cmocka_unit_test(test_devsig_other_key_fails),
        cmocka_unit_test(test_devsig_malformed_signature_fails),
        cmocka_unit_test(test_devsig_bad_inputs_refused),
        cmocka_unit_test(test_devsig_fresh_window),
        cmocka_unit_test(test_devsig_parse_ts),
        cmocka_unit_test(test_devsig_nonce),
        cmocka_unit_test(test_devsig_pk_round_trip),
        cmocka_unit_test(test_devsig_end_to_end_with_parsed_key),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * Signed device requests (DEV-1). See devsig.h and docs/auth-flow.md
 * section 5 for the signed bytes; everything here is pure computation.
 */
#include "auth/devsig.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define SIG_PREFIX "sv-device-sig-v1\n"
#define TS_DIGITS_MAX 16
#define PK_B64_LEN 43  /* base64url, no padding, of 32 bytes */
#define SIG_B64_LEN 86 /* base64url, no padding, of 64 bytes */

bool
sv_devsig_nonce_ok(const char *nonce)
{
    size_t n = 0;

    if (nonce == NULL)
        return false;
    for (; nonce[n] != '\0'; n++) {
        char c = nonce[n];
        if (n >= SV_DEVSIG_NONCE_MAX)
            return false;
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return false;
    }
    return n >= SV_DEVSIG_NONCE_MIN;
}

bool
sv_devsig_parse_ts(const char *s, int64_t *ts_ms)
{
    int64_t v = 0;
    size_t n;

    if (s == NULL)
        return false;
    for (n = 0; s[n] != '\0'; n++) {
        if (n >= TS_DIGITS_MAX || s[n] < '0' || s[n] > '9')
            return false;
        v = v * 10 + (s[n] - '0'); /* ≤ 16 digits: cannot overflow */
    }
    /*
     * The signed bytes carry the timestamp re-rendered in canonical decimal,
     * so a leading zero could never verify: refuse it here, plainly.
     */
    if (n == 0 || (n > 1 && s[0] == '0'))
        return false;
    *ts_ms = v;
    return true;
}

bool
sv_devsig_fresh(int64_t ts_ms, int64_t now_ms, int64_t window_ms)
{
    uint64_t diff;

    if (window_ms < 0)
        return false;
    /* Unsigned difference: exact for any pair of int64 values. */
    if (ts_ms >= now_ms)
        diff = (uint64_t)ts_ms - (uint64_t)now_ms;
    else
        diff = (uint64_t)now_ms - (uint64_t)ts_ms;
    return diff <= (uint64_t)window_ms;
}

/*
 * Only [A-Za-z0-9_-]: libsodium's decoder maps some bytes >= 0x80 to
 * values too, which would let two texts name the same key or signature
 * (found by fuzz_text).
 */
static bool
b64url_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_'))
            return false;
    }
    return true;
}

bool
sv_devsig_parse_pk(const char *b64, uint8_t pk[SV_DEVSIG_PK_LEN])
{
    uint8_t tmp[SV_DEVSIG_PK_LEN];
    size_t bin_len = 0;
    const char *end = NULL;

    if (b64 == NULL || strnlen(b64, PK_B64_LEN + 1) != PK_B64_LEN ||
        !b64url_chars(b64, PK_B64_LEN))
        return false;
    if (sodium_base642bin(tmp, sizeof tmp, b64, PK_B64_LEN, NULL, &bin_len,
                          &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        bin_len != SV_DEVSIG_PK_LEN || end != b64 + PK_B64_LEN)
        return false;
    memcpy(pk, tmp, SV_DEVSIG_PK_LEN);
    return true;
}

void
sv_devsig_pk_b64(const uint8_t pk[SV_DEVSIG_PK_LEN], char out[48])
{
    sodium_bin2base64(out, 48, pk, SV_DEVSIG_PK_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Method and path: non-empty, and no '\n' that could shift the fields. */
static bool
check_field(const char *s)
{
    return s != NULL && s[0] != '\0' && strchr(s, '\n') == NULL;
}

/**
 * Build the signed bytes.
 * @param[out] out  malloc'd message; caller frees with free().
 * @return SV_OK, SV_E_FIELD_INVALID on malformed input, SV_E_INTERNAL when
 *         memory runs out.
 */
static enum sv_err
build_message(const char *method, const char *path, int64_t ts_ms,
              const char *nonce, const void *body, size_t body_len,
              uint8_t **out, size_t *out_len)
{
    uint8_t digest[crypto_hash_sha256_BYTES];
    char hex[2 * crypto_hash_sha256_BYTES + 1];
    char ts[24];
    size_t method_len, path_len, cap;
    uint8_t *msg;
    int n;

    *out = NULL;
    *out_len = 0;
    if (!check_field(method) || !check_field(path) ||
        !sv_devsig_nonce_ok(nonce) || ts_ms < 0 ||
        (body == NULL && body_len != 0))
        return SV_E_FIELD_INVALID;
    n = snprintf(ts, sizeof ts, "%" PRId64, ts_ms);
    if (n <= 0 || n > TS_DIGITS_MAX)
        return SV_E_FIELD_INVALID;
    crypto_hash_sha256(digest, body_len ? body : (const void *)"", body_len);
    sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);

    method_len = strlen(method);
    path_len = strlen(path);
    if (method_len > SIZE_MAX / 4 || path_len > SIZE_MAX / 4)
        return SV_E_FIELD_INVALID;
    cap = sizeof SIG_PREFIX - 1 + method_len + 1 + path_len + 1 + (size_t)n +
          1 + strlen(nonce) + 1 + sizeof hex;
    msg = malloc(cap);
    if (msg == NULL)
        return SV_E_INTERNAL;
    n = snprintf((char *)msg, cap, SIG_PREFIX "%s\n%s\n%s\n%s\n%s", method,
                 path, ts, nonce, hex);
    if (n < 0 || (size_t)n >= cap) {
        free(msg);
        return SV_E_INTERNAL;
    }
    *out = msg;
    *out_len = (size_t)n;
    return SV_OK;
}

enum sv_err
sv_devsig_sign(const uint8_t sk[SV_DEVSIG_SK_LEN], const char *method,
               const char *path, int64_t ts_ms, const char *nonce,
               const void *body, size_t body_len,
               char sig_b64[SV_DEVSIG_B64_MAX + 1])
{
    uint8_t sig[crypto_sign_BYTES];
    uint8_t *msg = NULL;
    size_t msg_len = 0;
    enum sv_err rc;

    sig_b64[0] = '\0';
    rc = build_message(method, path, ts_ms, nonce, body, body_len, &msg,
                       &msg_len);
    if (rc != SV_OK)
        return rc;
    if (crypto_sign_detached(sig, NULL, msg, msg_len, sk) != 0) {
        rc = SV_E_CRYPTO;
        goto cleanup;
    }
    sodium_bin2base64(sig_b64, SV_DEVSIG_B64_MAX + 1, sig, sizeof sig,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
cleanup:
    free(msg);
    return rc;
}

enum sv_err
sv_devsig_verify(const uint8_t pk[SV_DEVSIG_PK_LEN], const char *sig_b64,
                 const char *method, const char *path, int64_t ts_ms,
                 const char *nonce, const void *body, size_t body_len)
{
    uint8_t sig[crypto_sign_BYTES];
    uint8_t *msg = NULL;
    size_t msg_len = 0, sig_len = 0;
    const char *end = NULL;
    enum sv_err rc;

    /* Exactly 86 characters that decode to exactly 64 bytes. */
    if (sig_b64 == NULL || strnlen(sig_b64, SIG_B64_LEN + 1) != SIG_B64_LEN ||
        !b64url_chars(sig_b64, SIG_B64_LEN))
        return SV_E_SIGNATURE_INVALID;
    if (sodium_base642bin(sig, sizeof sig, sig_b64, SIG_B64_LEN, NULL, &sig_len,
                          &end,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        sig_len != sizeof sig || end != sig_b64 + SIG_B64_LEN)
        return SV_E_SIGNATURE_INVALID;
    rc = build_message(method, path, ts_ms, nonce, body, body_len, &msg,
                       &msg_len);
    if (rc == SV_E_FIELD_INVALID)
        return SV_E_SIGNATURE_INVALID;
    if (rc != SV_OK)
        return rc;
    rc = crypto_sign_verify_detached(sig, msg, msg_len, pk) == 0
             ? SV_OK
             : SV_E_SIGNATURE_INVALID;
    free(msg);
    return rc;
}

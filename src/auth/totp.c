#include "auth/totp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <liboath/oath.h>
#include <sodium.h>

static const char B32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* Recovery codes: lower case without 0/o, 1/i/l; 31 characters, so a code
 * carries 8 * log2(31) ≈ 39.6 bits. */
static const char RECOVERY_ALPHABET[] = "23456789abcdefghjkmnpqrstuvwxyz";
#define RECOVERY_ALPHABET_LEN (sizeof RECOVERY_ALPHABET - 1)

/* Times past this would overflow step arithmetic; far beyond any clock. */
#define MAX_TIME_S (INT64_MAX / 4)

bool
sv_totp_init(void)
{
    return oath_init() == OATH_OK;
}

void
sv_totp_secret_new(uint8_t secret[SV_TOTP_SECRET_LEN])
{
    randombytes_buf(secret, SV_TOTP_SECRET_LEN);
}

void
sv_totp_base32(const uint8_t *secret, size_t len, char out[SV_TOTP_B32_MAX + 1])
{
    uint32_t acc = 0;
    int bits = 0;
    size_t n = 0;

    sv_assert((len * 8 + 4) / 5 <= SV_TOTP_B32_MAX);
    for (size_t i = 0; i < len; i++) {
        acc = (acc << 8) | secret[i];
        bits += 8;
        while (bits >= 5) {
            bits -= 5;
            out[n++] = B32[(acc >> bits) & 31];
        }
    }
    if (bits > 0)
        out[n++] = B32[(acc << (5 - bits)) & 31];
    out[n] = '\0';
    sodium_memzero(&acc, sizeof acc);
}

/** Percent-encode @p s (RFC 3986: all but unreserved) at @p out. */
static size_t
pct_encode(char *out, const char *s)
{
    static const char HEX[] = "0123456789ABCDEF";
    size_t n = 0;

    for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
            (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
            *p == '~') {
            out[n++] = (char)*p;
        } else {
            out[n++] = '%';
            out[n++] = HEX[*p >> 4];
            out[n++] = HEX[*p & 15];
        }
    }
    out[n] = '\0';
    return n;
}

char *
sv_totp_uri(const char *issuer, const char *account, const uint8_t *secret,
            size_t len)
{
    static const char TAIL[] = "&algorithm=SHA1&digits=6&period=30";
    char b32[SV_TOTP_B32_MAX + 1];
    size_t il = strlen(issuer), al = strlen(account), cap, n = 0;
    char *uri;

    if (il > 1024 || al > 1024)
        return NULL;
    /* Each byte of issuer (twice) and account may become three. */
    cap = sizeof "otpauth://totp/" + 3 * il + 1 + 3 * al +
          sizeof "?secret=" + SV_TOTP_B32_MAX + sizeof "&issuer=" + 3 * il +
          sizeof TAIL;
    uri = malloc(cap);
    if (uri == NULL)
        return NULL;
    sv_totp_base32(secret, len, b32);
    n += (size_t)sprintf(uri, "otpauth://totp/");
    n += pct_encode(uri + n, issuer);
    uri[n++] = ':'; /* the label's issuer/account separator stays literal */
    n += pct_encode(uri + n, account);
    n += (size_t)sprintf(uri + n, "?secret=%s&issuer=", b32);
    n += pct_encode(uri + n, issuer);
    memcpy(uri + n, TAIL, sizeof TAIL);
    sodium_memzero(b32, sizeof b32);
    return uri;
}

enum sv_err
sv_totp_code(const uint8_t *secret, size_t len, int64_t now_s,
             char out[SV_TOTP_DIGITS + 1])
{
    if (now_s < 0 || now_s > MAX_TIME_S)
        return SV_E_FIELD_INVALID;
    if (oath_totp_generate((const char *)secret, len, (time_t)now_s,
                           SV_TOTP_STEP_S, OATH_TOTP_DEFAULT_START_TIME,
                           SV_TOTP_DIGITS, out) != OATH_OK) {
        sodium_memzero(out, SV_TOTP_DIGITS + 1);
        return SV_E_CRYPTO;
    }
    return SV_OK;
}

bool
sv_totp_verify(const uint8_t *secret, size_t len, const char *code,
               int64_t now_s, int64_t last_step, int64_t *step)
{
    char want[SV_TOTP_DIGITS + 1];
    int64_t base, matched = -1;

    for (size_t i = 0; i < SV_TOTP_DIGITS; i++)
        if (code[i] < '0' || code[i] > '9')
            return false;
    if (code[SV_TOTP_DIGITS] != '\0' || now_s < 0 || now_s > MAX_TIME_S)
        return false;
    base = now_s / SV_TOTP_STEP_S;
    /* AUTH-8: all three steps are computed and compared in constant time,
     * so timing does not tell which one matched. */
    for (int64_t off = -1; off <= 1; off++) {
        int64_t s = base + off;

        if (s < 0)
            continue;
        if (sv_totp_code(secret, len, s * SV_TOTP_STEP_S, want) != SV_OK)
            continue;
        /* The latest matching step wins: it refuses the most on replay. */
        if (sodium_memcmp(want, code, SV_TOTP_DIGITS) == 0)
            matched = s;
    }
    sodium_memzero(want, sizeof want);
    /* AUTH-8: a step at or before the last accepted one is a replay. */
    if (matched < 0 || matched <= last_step)
        return false;
    *step = matched;
    return true;
}

void
sv_recovery_code_new(char out[SV_RECOVERY_CODE_LEN + 1])
{
    for (size_t i = 0; i < SV_RECOVERY_CODE_LEN; i++)
        out[i] =
            i == 4
                ? '-'
                : RECOVERY_ALPHABET[randombytes_uniform(RECOVERY_ALPHABET_LEN)];
    out[SV_RECOVERY_CODE_LEN] = '\0';
}

bool
sv_recovery_code_normalise(const char *typed,
                           char out[SV_RECOVERY_CODE_LEN + 1])
{
    char buf[SV_RECOVERY_CODE_LEN + 1];
    size_t n = 0;
    bool ok = false;

    /* Spaces around or inside are dropped (pasted codes); the dash is
     * accepted only between the two halves. */
    for (const char *p = typed; *p != '\0'; p++) {
        char c = *p;

        if (c == ' ' || c == '\t')
            continue;
        if (n == SV_RECOVERY_CODE_LEN)
            goto cleanup;
        if (n == 4) {
            buf[n++] = '-';
            if (c == '-')
                continue;
        }
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (strchr(RECOVERY_ALPHABET, c) == NULL)
            goto cleanup;
        buf[n++] = c;
    }
    if (n != SV_RECOVERY_CODE_LEN)
        goto cleanup;
    buf[n] = '\0';
    memcpy(out, buf, sizeof buf);
    ok = true;
cleanup:
    sodium_memzero(buf, sizeof buf);
    return ok;
}

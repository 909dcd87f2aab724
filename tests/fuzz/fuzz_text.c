/* Fuzz: small text parsers reached from URLs and headers. */
#include <stdlib.h>
#include <string.h>

#include "auth/captcha.h"
#include "auth/devsig.h"
#include "auth/totp.h"
#include "core/util.h"
#include "crypto/token.h"
#include "directory/personal.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sv_arena *a;
    uint8_t hash[SV_TOKEN_HASH_LEN];
    char captcha[SV_CAPTCHA_LEN + 1], recovery[SV_RECOVERY_CODE_LEN + 1];
    char again[SV_RECOVERY_CODE_LEN + 1]; /* >= SV_CAPTCHA_LEN + 1 too */
    int64_t v;
    char *s;

    if (size > 4096)
        return 0;
    s = malloc(size + 1);
    if (s == NULL)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    if (sv_rfc3339_parse(s, &v) && v < 0)
        abort(); /* parsed times are never before the epoch */
    if (sv_parse_i64(s, 0, 10, &v) && (v < 0 || v > 10))
        abort();
    (void)sv_check_uuid(s);
    (void)sv_token_hash(s, hash);
    /* Normalised answers are canonical: normalising again is the identity. */
    if (sv_captcha_normalise(s, captcha) &&
        (strlen(captcha) != SV_CAPTCHA_LEN ||
         !sv_captcha_normalise(captcha, again) || strcmp(captcha, again) != 0))
        abort();
    if (sv_recovery_code_normalise(s, recovery) &&
        (strlen(recovery) != SV_RECOVERY_CODE_LEN || recovery[4] != '-' ||
         !sv_recovery_code_normalise(recovery, again) ||
         strcmp(recovery, again) != 0))
        abort();
    /* Personal data (DIR-4): the canonical form is a fixed point. */
    char email[SV_PERSONAL_EMAIL_MAX + 1], email2[SV_PERSONAL_EMAIL_MAX + 1];
    char rid[SV_RESIDENT_ID_LEN + 1], rid2[SV_RESIDENT_ID_LEN + 1];
    if (sv_email_normalise(s, email) &&
        (!sv_email_normalise(email, email2) || strcmp(email, email2) != 0 ||
         strchr(email, '@') == NULL))
        abort();
    if (sv_resident_id_normalise(s, rid) &&
        (strlen(rid) != SV_RESIDENT_ID_LEN ||
         !sv_resident_id_normalise(rid, rid2) || strcmp(rid, rid2) != 0))
        abort();
    /* Device request headers (DEV-1): parsers never accept what they
     * cannot round-trip, and verify never crashes on garbage. */
    uint8_t pk[SV_DEVSIG_PK_LEN];
    char pk_b64[48];
    if (sv_devsig_parse_ts(s, &v) && v < 0)
        abort();
    (void)sv_devsig_nonce_ok(s);
    if (sv_devsig_parse_pk(s, pk)) {
        sv_devsig_pk_b64(pk, pk_b64);
        if (strcmp(pk_b64, s) != 0)
            abort();
    }
    memset(pk, 7, sizeof pk);
    if (sv_devsig_verify(pk, s, "GET", "/x", 1, "nonce-nonce-nonce", s, size) ==
        SV_OK)
        abort(); /* no signature by a key nobody holds */
    a = sv_arena_new();
    (void)sv_cursor_decode(a, "u", s);
    sv_arena_free(a);
    free(s);
    return 0;
}

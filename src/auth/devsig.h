/*
 * Signed device requests (DEV-1): Ed25519 over
 *   "sv-device-sig-v1\n" METHOD "\n" PATH_AND_QUERY "\n" TIMESTAMP "\n"
 *   NONCE "\n" hex(SHA-256(body))
 * Headers X-SV-Device, X-SV-Timestamp, X-SV-Nonce, X-SV-Signature
 * (base64url, no padding). See docs/auth-flow.md section 5.
 */
#ifndef SV_AUTH_DEVSIG_H
#define SV_AUTH_DEVSIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_DEVSIG_PK_LEN 32
#define SV_DEVSIG_SK_LEN 64
#define SV_DEVSIG_B64_MAX 88 /* base64url of 64 bytes is 86 characters */
#define SV_DEVSIG_NONCE_MIN 16
#define SV_DEVSIG_NONCE_MAX 64

/** True when @p nonce is 16–64 characters of [A-Za-z0-9_-]. */
bool sv_devsig_nonce_ok(const char *nonce);

/**
 * Parse a timestamp header: decimal milliseconds, no sign, no spaces.
 * False when malformed.
 */
bool sv_devsig_parse_ts(const char *s, int64_t *ts_ms);

/** |now − ts| ≤ window. */
bool sv_devsig_fresh(int64_t ts_ms, int64_t now_ms, int64_t window_ms);

/** Parse a base64url (no padding) public key of exactly 32 bytes. */
bool sv_devsig_parse_pk(const char *b64, uint8_t pk[SV_DEVSIG_PK_LEN]);

/** Encode a public key as base64url without padding (43 characters). */
void sv_devsig_pk_b64(const uint8_t pk[SV_DEVSIG_PK_LEN], char out[48]);

/**
 * Sign: writes the base64url signature (NUL-terminated) into @p sig_b64.
 */
SV_MUST_CHECK enum sv_err sv_devsig_sign(const uint8_t sk[SV_DEVSIG_SK_LEN],
                                         const char *method, const char *path,
                                         int64_t ts_ms, const char *nonce,
                                         const void *body, size_t body_len,
                                         char sig_b64[SV_DEVSIG_B64_MAX + 1]);

/**
 * Verify: SV_OK, or SV_E_SIGNATURE_INVALID when the signature is
 * malformed or does not verify. Freshness and replay are the caller's.
 */
SV_MUST_CHECK enum sv_err sv_devsig_verify(const uint8_t pk[SV_DEVSIG_PK_LEN],
                                           const char *sig_b64,
                                           const char *method, const char *path,
                                           int64_t ts_ms, const char *nonce,
                                           const void *body, size_t body_len);

#endif

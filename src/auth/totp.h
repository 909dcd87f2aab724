/*
 * TOTP (AUTH-8, RFC 6238 with HMAC-SHA1, 30 s steps, 6 digits) through
 * liboath, and one-time recovery codes.
 */
#ifndef SV_AUTH_TOTP_H
#define SV_AUTH_TOTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_TOTP_SECRET_LEN 20
#define SV_TOTP_STEP_S 30
#define SV_TOTP_DIGITS 6
#define SV_TOTP_B32_MAX 40     /* base32 of 20 bytes is 32 characters */
#define SV_RECOVERY_CODE_LEN 9 /* "xxxx-xxxx" */
#define SV_RECOVERY_CODES 10

/** Call once at start-up (oath_init); false on failure. */
bool sv_totp_init(void);

/** A new random secret. */
void sv_totp_secret_new(uint8_t secret[SV_TOTP_SECRET_LEN]);

/** RFC 4648 base32 without padding, as authenticator apps want it. */
void sv_totp_base32(const uint8_t *secret, size_t len,
                    char out[SV_TOTP_B32_MAX + 1]);

/**
 * otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&
 * digits=6&period=30, label and issuer percent-encoded. malloc'd.
 */
char *sv_totp_uri(const char *issuer, const char *account,
                  const uint8_t *secret, size_t len);

/** The code for time @p now_s (tests and the device CLI). */
SV_MUST_CHECK enum sv_err sv_totp_code(const uint8_t *secret, size_t len,
                                       int64_t now_s,
                                       char out[SV_TOTP_DIGITS + 1]);

/**
 * Check @p code (exactly 6 digits) at @p now_s, ±1 step. A step at or
 * before @p last_step (the last accepted one) is refused: a code is never
 * accepted twice. On success *step is the matched step (time / 30).
 */
bool sv_totp_verify(const uint8_t *secret, size_t len, const char *code,
                    int64_t now_s, int64_t last_step, int64_t *step);

/** A new recovery code "xxxx-xxxx" (lower-case, unambiguous alphabet). */
void sv_recovery_code_new(char out[SV_RECOVERY_CODE_LEN + 1]);

/**
 * What a person typed → canonical "xxxx-xxxx" (case folded, the dash
 * optional). False when it cannot be a recovery code.
 */
bool sv_recovery_code_normalise(const char *typed,
                                char out[SV_RECOVERY_CODE_LEN + 1]);

#endif

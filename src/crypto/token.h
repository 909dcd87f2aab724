/* Session tokens (AUTH, sessions): 256 random bits, stored only as SHA-256. */
#ifndef SV_CRYPTO_TOKEN_H
#define SV_CRYPTO_TOKEN_H

#include <stdbool.h>
#include <stdint.h>

#define SV_TOKEN_PREFIX "svs_"
#define SV_TOKEN_LEN (4 + 43) /* prefix + base64url(32 bytes), no padding */
#define SV_TOKEN_HASH_LEN 32

/** New token text into @p out and its SHA-256 into @p hash. */
void sv_token_new(char out[SV_TOKEN_LEN + 1], uint8_t hash[SV_TOKEN_HASH_LEN]);

/** API tokens (apitoken/): the same form under their own prefix, so that
 *  neither kind is ever taken for the other. */
#define SV_API_TOKEN_PREFIX "svt_"
/** sv_token_new() / sv_token_hash() under @p prefix (4 characters). */
void sv_token_new_prefixed(const char *prefix, char out[SV_TOKEN_LEN + 1],
                           uint8_t hash[SV_TOKEN_HASH_LEN]);
bool sv_token_hash_prefixed(const char *prefix, const char *token,
                            uint8_t hash[SV_TOKEN_HASH_LEN]);

/**
 * Hash a presented token. False when it is not of the token's exact form
 * (no database look-up is wasted on those).
 */
bool sv_token_hash(const char *token, uint8_t hash[SV_TOKEN_HASH_LEN]);

/**
 * Keyed BLAKE2b-256 of a short one-time secret (an SMS or reset code, a QR
 * secret), bound to what it is for: @p domain NUL @p owner NUL @p code,
 * under @p key. Stored instead of the code; compare with sodium_memcmp.
 */
void sv_code_hash(const uint8_t key[32], const char *domain, const char *owner,
                  const char *code, uint8_t out[32]);

#endif

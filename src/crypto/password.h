/* Password hashing (AUTH-2): Argon2id through libsodium crypto_pwhash_str. */
#ifndef SV_CRYPTO_PASSWORD_H
#define SV_CRYPTO_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#include "core/errors.h"

#define SV_HASH_LEN crypto_pwhash_STRBYTES
#define SV_TEMP_PASSWORD_LEN 16

struct sv_pwparams {
    unsigned long long opslimit;
    size_t memlimit; /* bytes */
};

/** Hash @p pw into @p out (NUL-terminated encoded string). Slow by design. */
SV_MUST_CHECK enum sv_err sv_password_hash(const struct sv_pwparams *p,
                                           const char *pw, size_t len,
                                           char out[SV_HASH_LEN]);

/**
 * Verify @p pw against @p hash. SV_OK on match, SV_E_INVALID_CREDENTIALS
 * otherwise (including a malformed hash). Constant-time in the password.
 */
SV_MUST_CHECK enum sv_err sv_password_verify(const char *hash, const char *pw,
                                             size_t len);

/**
 * The password hash of an account that has no password yet (a bulk
 * import, docs/import.md): not an Argon2id string, so no password verifies
 * against it. The person sets one through the self-service reset (a code
 * to the account's e-mail) or an admin reset (AUTH-3).
 */
#define SV_PASSWORD_NONE "!none"

/**
 * Whether @p hash is a password's hash (an Argon2 string), not
 * SV_PASSWORD_NONE or another marker of "no password". A sign-in to an
 * account without one must cost what a wrong password costs (AUTH-4):
 * verify against a dummy hash instead.
 */
bool sv_password_is_set(const char *hash);

/** True when @p hash was made with other parameters than @p p. */
bool sv_password_needs_rehash(const struct sv_pwparams *p, const char *hash);

/**
 * A random temporary password of SV_TEMP_PASSWORD_LEN characters with lower
 * case, upper case, digits and symbols; it satisfies every policy.
 */
void sv_password_temp(char out[SV_TEMP_PASSWORD_LEN + 1]);

/**
 * A NUL-terminated copy of the secret @p s (@p len bytes) in locked,
 * guarded memory (sodium_malloc); NULL when none is left. Free with
 * sodium_free(), which wipes it.
 */
char *sv_secret_dup(const char *s, size_t len);

#endif

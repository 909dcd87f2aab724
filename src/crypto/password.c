#include "crypto/password.h"

#include <string.h>

enum sv_err
sv_password_hash(const struct sv_pwparams *p, const char *pw, size_t len,
                 char out[SV_HASH_LEN])
{
    if (crypto_pwhash_str_alg(out, pw, len, p->opslimit, p->memlimit,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        return SV_E_OVERLOADED; /* out of memory */
    return SV_OK;
}

enum sv_err
sv_password_verify(const char *hash, const char *pw, size_t len)
{
    return crypto_pwhash_str_verify(hash, pw, len) == 0
               ? SV_OK
               : SV_E_INVALID_CREDENTIALS;
}

bool
sv_password_is_set(const char *hash)
{
    /* Argon2id, and Argon2i strings libsodium still verifies. */
    return hash != NULL && strncmp(hash, "$argon2", 7) == 0;
}

bool
sv_password_needs_rehash(const struct sv_pwparams *p, const char *hash)
{
    /* 1: other parameters, -1: not an Argon2id string (also upgrade). */
    return crypto_pwhash_str_needs_rehash(hash, p->opslimit, p->memlimit) != 0;
}

void
sv_password_temp(char out[SV_TEMP_PASSWORD_LEN + 1])
{
    /* No look-alikes (0/O, 1/l/I) so a person can type it from a screen. */
    static const char *const sets[] = {
        "abcdefghijkmnopqrstuvwxyz",
        "ABCDEFGHJKLMNPQRSTUVWXYZ",
        "23456789",
        "!#%+-=?@_~",
    };
    static const char all[] = "abcdefghijkmnopqrstuvwxyz"
                              "ABCDEFGHJKLMNPQRSTUVWXYZ"
                              "23456789"
                              "!#%+-=?@_~";
    size_t i;

    for (i = 0; i < 4; i++)
        out[i] = sets[i][randombytes_uniform((uint32_t)strlen(sets[i]))];
    for (; i < SV_TEMP_PASSWORD_LEN; i++)
        out[i] = all[randombytes_uniform(sizeof all - 1)];
    /* Fisher-Yates so the class positions are not fixed. */
    for (i = SV_TEMP_PASSWORD_LEN - 1; i > 0; i--) {
        size_t j = randombytes_uniform((uint32_t)i + 1);
        char t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
    out[SV_TEMP_PASSWORD_LEN] = '\0';
}

char *
sv_secret_dup(const char *s, size_t len)
{
    char *p = sodium_malloc(len + 1);
    if (p != NULL) {
        memcpy(p, s, len);
        p[len] = '\0';
    }
    return p;
}

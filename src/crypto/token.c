#include "crypto/token.h"

#include <string.h>

#include <sodium.h>

void
sv_token_new(char out[SV_TOKEN_LEN + 1], uint8_t hash[SV_TOKEN_HASH_LEN])
{
    sv_token_new_prefixed(SV_TOKEN_PREFIX, out, hash);
}

bool
sv_token_hash(const char *token, uint8_t hash[SV_TOKEN_HASH_LEN])
{
    return sv_token_hash_prefixed(SV_TOKEN_PREFIX, token, hash);
}

void
sv_token_new_prefixed(const char *prefix, char out[SV_TOKEN_LEN + 1],
                      uint8_t hash[SV_TOKEN_HASH_LEN])
{
    uint8_t raw[32];

    randombytes_buf(raw, sizeof raw);
    memcpy(out, prefix, 4);
    sodium_bin2base64(out + 4, SV_TOKEN_LEN + 1 - 4, raw, sizeof raw,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(hash, (const uint8_t *)out, SV_TOKEN_LEN);
}

bool
sv_token_hash_prefixed(const char *prefix, const char *token,
                       uint8_t hash[SV_TOKEN_HASH_LEN])
{
    uint8_t raw[32];
    size_t raw_len = 0;

    if (strlen(token) != SV_TOKEN_LEN || memcmp(token, prefix, 4) != 0)
        return false;
    if (sodium_base642bin(raw, sizeof raw, token + 4, SV_TOKEN_LEN - 4, NULL,
                          &raw_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        raw_len != sizeof raw)
        return false;
    sodium_memzero(raw, sizeof raw);
    crypto_hash_sha256(hash, (const uint8_t *)token, SV_TOKEN_LEN);
    return true;
}

void
sv_code_hash(const uint8_t key[32], const char *domain, const char *owner,
             const char *code, uint8_t out[32])
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, key, 32, 32);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const uint8_t *)owner, strlen(owner) + 1);
    crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
    crypto_generichash_final(&st, out, 32);
    sodium_memzero(&st, sizeof st);
}

/*
 * Key management centre (DATA-2), first part.
 *
 *   root key (key file, 0600)
 *     └─ tenant master key (TMK): random, one per tenant, in the key store
 *        (a directory of files wrapped by the root key, never in the
 *        database or a backup); destroyed when the tenant is deleted
 *        (crypto-shredding: no copy of the database opens its keys then)
 *          ├─ tenant key-encryption key (KEK): random, versioned, stored
 *          │    wrapped in the database
 *          │    └─ field key       AEAD for encrypted columns
 *          └─ tenant blind-index key: random, one per tenant, stored
 *               wrapped; HMAC-SHA-256 for exact-match lookups. Not tied to
 *               a KEK version, so a rotation leaves every index as it is.
 *
 * Before migration 016 the KEKs were wrapped by the root key and the index
 * key derived from KEK version 1: sv_keyring_legacy_rewrap() moves such a
 * tenant under a master key, keeping its index key.
 *
 * Every ciphertext: version byte | key id (u32 BE) | nonce | ciphertext+tag.
 * Version 1 is AES-256-GCM; version 2 (XChaCha20-Poly1305) is used only on
 * CPUs without AES-NI, where libsodium offers no AES-GCM. The AAD binds the
 * header and tenant | table | column | row id, so a ciphertext cannot be
 * moved to another row, column or tenant.
 *
 * Key material lives in sodium_malloc'd memory and is wiped when freed.
 */
#ifndef SV_CRYPTO_KEYRING_H
#define SV_CRYPTO_KEYRING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_KEY_LEN 32
#define SV_AEAD_HDR_LEN 5                            /* version + key id */
#define SV_AEAD_OVERHEAD (SV_AEAD_HDR_LEN + 24 + 16) /* max nonce + tag */
#define SV_WRAPPED_KEK_MAX (SV_KEY_LEN + SV_AEAD_OVERHEAD)
#define SV_BLIND_INDEX_LEN 32

struct sv_keyring;

/** Where a field ciphertext belongs; all four are bound into the AAD. */
struct sv_aad {
    const char *tenant_id;
    const char *table;
    const char *column;
    const char *row_id;
};

/** Unwrapped keys of one tenant KEK version. Caller frees with
 * sv_tenant_keys_free(). */
struct sv_tenant_keys {
    char tenant_id[37];
    uint32_t version;
    uint8_t *field_key; /* sodium_malloc, SV_KEY_LEN */
    uint8_t *bidx_key;  /* sodium_malloc, SV_KEY_LEN */
    int dead; /* destroyed (retired version, deleted tenant): nothing seals
               * or opens with it; read with __atomic_load_n */
};

/** Create a new root key file (32 random bytes, mode 0600). Fails if it exists.
 */
SV_MUST_CHECK enum sv_err sv_keyring_create_file(const char *path);

/**
 * Load the root key file. Refuses a file readable by group or others, or of
 * the wrong size. Caller frees with sv_keyring_free().
 */
SV_MUST_CHECK enum sv_err sv_keyring_load(const char *path,
                                          struct sv_keyring **out, char *err,
                                          size_t err_len);
void sv_keyring_free(struct sv_keyring *kr);

/** Where the tenant master keys live (default: "keys" next to the root
 *  key file). */
void sv_keyring_set_tenant_dir(struct sv_keyring *kr, const char *dir);

/** Make tenant @p tenant_id's master key (0600, written whole, fsync'd).
 *  SV_E_EXISTS when it has one. */
SV_MUST_CHECK enum sv_err sv_keyring_tmk_create(const struct sv_keyring *kr,
                                                const char *tenant_id);
/** Does the tenant have a master key? */
bool sv_keyring_tmk_exists(const struct sv_keyring *kr, const char *tenant_id);
/**
 * Destroy the tenant's master key: overwritten, fsync'd, unlinked. Every
 * key of the tenant wrapped under it, wherever a copy is, no longer opens.
 * SV_OK when there is none.
 */
SV_MUST_CHECK enum sv_err sv_keyring_tmk_shred(const struct sv_keyring *kr,
                                               const char *tenant_id);

/** Overwrite a key file in place, sync it, unlink it; SV_OK when there is
 *  none. */
SV_MUST_CHECK enum sv_err sv_keyring_shred_file(const char *path);

/**
 * Make a new random KEK for @p tenant_id / @p version and write it wrapped by
 * the tenant's master key into @p wrapped (SV_WRAPPED_KEK_MAX bytes).
 * SV_E_NOT_FOUND when the tenant has no master key.
 */
SV_MUST_CHECK enum sv_err sv_keyring_kek_new(const struct sv_keyring *kr,
                                             const char *tenant_id,
                                             uint32_t version, uint8_t *wrapped,
                                             size_t *wrapped_len);

/**
 * Make a new random blind-index key for @p tenant_id, wrapped by its
 * master key into @p wrapped (SV_WRAPPED_KEK_MAX bytes).
 */
SV_MUST_CHECK enum sv_err sv_keyring_index_key_new(const struct sv_keyring *kr,
                                                   const char *tenant_id,
                                                   uint8_t *wrapped,
                                                   size_t *wrapped_len);

/**
 * A KEK version of a tenant made before migration 016 (@p old, wrapped by
 * the root key) wrapped anew under the tenant's master key; with
 * @p index_wrapped (for version 1), also the blind-index key its indexes
 * were made with (derived from that KEK), wrapped under the master key.
 */
SV_MUST_CHECK enum sv_err
sv_keyring_legacy_rewrap(const struct sv_keyring *kr, const char *tenant_id,
                         uint32_t version, const uint8_t *old, size_t old_len,
                         uint8_t *wrapped, size_t *wrapped_len,
                         uint8_t *index_wrapped, size_t *index_len);

/**
 * Unwrap KEK @p version of @p tenant_id and its blind-index key under the
 * tenant's master key, and derive the field key. SV_E_TAMPERED when either
 * does not open (another tenant's, another version's, altered);
 * SV_E_NOT_FOUND when the master key is gone (a deleted tenant).
 */
SV_MUST_CHECK enum sv_err
sv_keyring_tenant_open(const struct sv_keyring *kr, const char *tenant_id,
                       uint32_t version, const uint8_t *wrapped,
                       size_t wrapped_len, const uint8_t *index_wrapped,
                       size_t index_len, struct sv_tenant_keys **out);
void sv_tenant_keys_free(struct sv_tenant_keys *tk);

/** Bytes needed to seal @p pt_len bytes. */
size_t sv_field_sealed_len(size_t pt_len);

/**
 * Encrypt a field. @p out must hold sv_field_sealed_len(pt_len) bytes.
 */
SV_MUST_CHECK enum sv_err sv_field_seal(const struct sv_tenant_keys *tk,
                                        const struct sv_aad *aad,
                                        const uint8_t *pt, size_t pt_len,
                                        uint8_t *out, size_t *out_len);

/**
 * Decrypt a field. @p out must hold ct_len bytes. Returns SV_E_TAMPERED for a
 * forged, truncated or moved ciphertext, or one under another key version.
 */
SV_MUST_CHECK enum sv_err sv_field_open(const struct sv_tenant_keys *tk,
                                        const struct sv_aad *aad,
                                        const uint8_t *ct, size_t ct_len,
                                        uint8_t *out, size_t *out_len);

/** Key version a ciphertext was made with (0 when malformed). */
uint32_t sv_field_key_id(const uint8_t *ct, size_t ct_len);

/**
 * Blind index: HMAC-SHA-256(bidx key, column | normalised value). The caller
 * normalises (e.g. lower-cases an e-mail) before calling.
 */
void sv_blind_index(const struct sv_tenant_keys *tk, const char *column,
                    const char *value, size_t len,
                    uint8_t out[SV_BLIND_INDEX_LEN]);

/*
 * Platform signing key (Ed25519), derived from the root key: signs audit
 * stream heads so a rewritten chain cannot be passed off as intact.
 */
#define SV_SIG_LEN 64
#define SV_SIGN_PK_LEN 32

/** Sign @p msg with the platform key (inside the token when the root is
 *  in one: SV_E_CRYPTO when it fails). */
SV_MUST_CHECK enum sv_err sv_keyring_sign(const struct sv_keyring *kr,
                                          const uint8_t *msg, size_t len,
                                          uint8_t sig[SV_SIG_LEN]);
/** Verify a platform signature. */
SV_MUST_CHECK bool sv_keyring_verify(const struct sv_keyring *kr,
                                     const uint8_t *msg, size_t len,
                                     const uint8_t sig[SV_SIG_LEN]);
/**
 * A purpose key derived from the root key (KDF context @p ctx8, exactly 8
 * characters, and @p id), e.g. the backup encryption key.
 */
void sv_keyring_derive(const struct sv_keyring *kr, const char ctx8[8],
                       uint64_t id, uint8_t out[SV_KEY_LEN]);

/**
 * A purpose key of tenant @p tenant_id, derived from its master key (KDF
 * context @p ctx8, exactly 8 characters, and @p id), e.g. the key of its
 * segment of a backup. SV_E_NOT_FOUND when the master key is gone.
 */
SV_MUST_CHECK enum sv_err sv_keyring_tenant_derive(const struct sv_keyring *kr,
                                                   const char *tenant_id,
                                                   const char ctx8[8],
                                                   uint64_t id,
                                                   uint8_t out[SV_KEY_LEN]);

/** The platform public key (for verifiers outside this process). */
void sv_keyring_public_key(const struct sv_keyring *kr,
                           uint8_t pk[SV_SIGN_PK_LEN]);

/*
 * The root in a PKCS#11 token (p11-kit; SoftHSM2 in the tests): an AES key
 * "salesvault-root" that never leaves it wraps the tenant master keys and
 * the platform key (a random key made at init, stored wrapped in
 * platform.key, the master of sv_keyring_derive()); an Ed25519 key
 * "salesvault-audit" signs audit heads inside it. Nothing is derived from
 * raw root bytes in process: whoever copies the data directory holds
 * nothing that opens or signs.
 */
struct sv_keyring_token {
    const char *module;        /* the PKCS#11 module */
    const char *label;         /* the token's label */
    const char *pin_file;      /* the user PIN, 0600 */
    const char *platform_file; /* platform.key; the key store is keys/ next
                                * to it unless set */
};

/** Make the token's keys (kept if there) and platform.key (if missing):
 *  a random platform master, or @p from's (a root moved from a file). */
SV_MUST_CHECK enum sv_err
sv_keyring_token_init(const struct sv_keyring_token *t,
                      const struct sv_keyring *from, char *err, size_t err_len);

/** Open the root in the token. Caller frees with sv_keyring_free(). */
SV_MUST_CHECK enum sv_err
sv_keyring_load_token(const struct sv_keyring_token *t, struct sv_keyring **out,
                      char *err, size_t err_len);

/** Is the root in a token? */
bool sv_keyring_in_token(const struct sv_keyring *kr);

/**
 * Move tenant @p tenant_id's master key from root @p from to root @p to
 * (the same key, wrapped anew, the file replaced whole). *moved: it was
 * under @p from; already under @p to is SV_OK with *moved false.
 */
SV_MUST_CHECK enum sv_err sv_keyring_tmk_move(const struct sv_keyring *from,
                                              const struct sv_keyring *to,
                                              const char *tenant_id,
                                              bool *moved);

/**
 * Key-file root: when @p path (platform.key) exists, the platform keys'
 * master is in it, wrapped by the root (after a root rotation), not the
 * root key itself. SV_OK when there is none.
 */
SV_MUST_CHECK enum sv_err sv_keyring_load_platform(struct sv_keyring *kr,
                                                   const char *path);
/** Write @p from's platform master to @p path, wrapped by @p to's root. */
SV_MUST_CHECK enum sv_err
sv_keyring_write_platform(const struct sv_keyring *to,
                          const struct sv_keyring *from, const char *path);

/** A root key file at @p path whose key is @p from's platform master (a
 *  root moved out of a token); an existing file is kept. */
SV_MUST_CHECK enum sv_err
sv_keyring_root_file_from(const struct sv_keyring *from, const char *path);

#endif

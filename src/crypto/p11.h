/*
 * PKCS#11 wrapper (DATA-2, root key in a token): the root key stays inside
 * a token (an HSM, or SoftHSM2 in tests) and never leaves it. The token
 *   - encrypts and decrypts the 32-byte tenant keys with an AES-256 key
 *     (AES-256-GCM, IV from libsodium, AAD bound), and
 *   - signs audit stream heads with an Ed25519 key (CKM_EDDSA).
 * Keys are found by their CKA_LABEL. Secret and private keys are made
 * sensitive and non-extractable, so the token refuses to hand them out.
 *
 * The module is loaded through p11-kit (managed mode), one R/W session per
 * handle, logged in as the user. Calls on one handle are serialised by a
 * mutex: they are rare (one unwrap per tenant key, one signature per audit
 * head), so one session is enough.
 *
 * This header names no PKCS#11 type: callers need not include pkcs11.h.
 */
#ifndef SV_CRYPTO_P11_H
#define SV_CRYPTO_P11_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

#define SV_P11_GCM_IV_LEN 12
#define SV_P11_GCM_TAG_LEN 16
/** Bytes sv_p11_encrypt() adds: IV | ciphertext | tag. */
#define SV_P11_GCM_OVERHEAD (SV_P11_GCM_IV_LEN + SV_P11_GCM_TAG_LEN)
#define SV_P11_SIG_LEN 64
#define SV_P11_PK_LEN 32
/** Longest object label accepted (bytes, without the NUL). */
#define SV_P11_LABEL_MAX 64
/** Longest token label: PKCS#11 gives it 32 bytes, space padded. */
#define SV_P11_TOKEN_LABEL_MAX 32

struct sv_p11;

/**
 * Load the PKCS#11 module at @p module_path through p11-kit, find the
 * initialised token labelled @p token_label, open a R/W session and log in
 * as the user with @p pin.
 *
 * WARNING: one open handle per token per process. PKCS#11 keeps the login
 * per application, not per session: while another handle is logged in, the
 * token would accept any PIN, so a second concurrent open is refused
 * (SV_E_CONFLICT) instead of trusting that login. Close the first handle, or
 * share it (it is thread-safe).
 *
 * @param[in] module_path  e.g. /usr/lib/softhsm/libsofthsm2.so; a name
 *                         without '/' is looked up in p11-kit's module
 *                         directory. Borrowed.
 * @param[in] token_label  1..SV_P11_TOKEN_LABEL_MAX bytes. Borrowed.
 * @param[in] pin          user PIN, NUL-terminated. Borrowed: copied into
 *                         sodium_malloc memory for the C_Login call and
 *                         wiped; the caller wipes its own copy. Never
 *                         logged, never put into @p err.
 * @param[out] out         the handle; caller frees with sv_p11_close().
 *                         NULL on failure.
 * @param[out] err         a message for the operator on failure (never the
 *                         PIN); "" on success.
 * @param[in] err_len      size of @p err.
 * @return SV_OK;
 *         SV_E_FIELD_MISSING  the PIN is NULL or empty (refused before any
 *                             PKCS#11 call);
 *         SV_E_FIELD_INVALID  the token label is empty or too long, or the
 *                             PIN is too long (> 255 bytes);
 *         SV_E_NOT_FOUND      no module at @p module_path, or no token with
 *                             that label;
 *         SV_E_INVALID_CREDENTIALS  the token refused the PIN (incorrect,
 *                             invalid, expired or of a length it refuses);
 *         SV_E_LOGIN_LOCKED   the token has locked the user PIN;
 *         SV_E_CONFLICT       two tokens carry the label, or the token is
 *                             already logged in by another handle;
 *         SV_E_CRYPTO         any other PKCS#11 failure (@p err names the
 *                             call and the CK_RV).
 */
SV_MUST_CHECK enum sv_err sv_p11_open(const char *module_path,
                                      const char *token_label, const char *pin,
                                      struct sv_p11 **out, char *err,
                                      size_t err_len);

/** Log out, close the session, finalise and release the module. The caller
 * makes sure no other thread uses @p p any more. NULL is a no-op. */
void sv_p11_close(struct sv_p11 *p);

/**
 * Generate in the token a persistent AES-256 secret key labelled @p label:
 * CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE, CKA_ENCRYPT, CKA_DECRYPT true;
 * CKA_EXTRACTABLE, CKA_WRAP, CKA_UNWRAP false.
 *
 * @param[in] label  1..SV_P11_LABEL_MAX bytes. Borrowed.
 * @return SV_OK; SV_E_EXISTS when an object of any class already carries
 *         @p label; SV_E_FIELD_INVALID for a bad label; SV_E_CRYPTO when
 *         the token fails.
 */
SV_MUST_CHECK enum sv_err sv_p11_aes_create(struct sv_p11 *p,
                                            const char *label);

/**
 * AES-256-GCM inside the token under the key labelled @p label.
 * @p out = 12-byte IV (random, libsodium) | ciphertext | 16-byte tag.
 *
 * @param[in] aad      bound into the tag; may be NULL when @p aad_len is 0.
 * @param[in] pt       plaintext; may be NULL when @p pt_len is 0.
 * @param[out] out     must hold @p pt_len + SV_P11_GCM_OVERHEAD bytes.
 * @param[out] out_len bytes written.
 * @return SV_OK; SV_E_NOT_FOUND when no AES key carries @p label;
 *         SV_E_CONFLICT when several do; SV_E_FIELD_INVALID for a bad label
 *         or a length PKCS#11 cannot carry; SV_E_CRYPTO when the token fails.
 */
SV_MUST_CHECK enum sv_err sv_p11_encrypt(struct sv_p11 *p, const char *label,
                                         const uint8_t *aad, size_t aad_len,
                                         const uint8_t *pt, size_t pt_len,
                                         uint8_t *out, size_t *out_len);

/**
 * The inverse of sv_p11_encrypt(). The plaintext passes through a
 * sodium_malloc scratch buffer (the token wants room for the tag too),
 * wiped before return; nothing is written to @p out unless the tag checks.
 *
 * WARNING: SoftHSM2 2.6.1 reports a failed tag as CKR_GENERAL_ERROR (not
 * CKR_ENCRYPTED_DATA_INVALID), so that code reads as SV_E_TAMPERED: an
 * internal failure of the token inside C_Decrypt does too.
 *
 * @param[out] out     must hold @p ct_len - SV_P11_GCM_OVERHEAD bytes.
 * @param[out] out_len bytes written.
 * @return SV_OK; SV_E_TAMPERED for a wrong tag or AAD, a ciphertext under
 *         another key, or an input shorter than SV_P11_GCM_OVERHEAD;
 *         SV_E_NOT_FOUND when no AES key carries @p label; SV_E_CONFLICT,
 *         SV_E_FIELD_INVALID, SV_E_CRYPTO as for sv_p11_encrypt().
 */
SV_MUST_CHECK enum sv_err sv_p11_decrypt(struct sv_p11 *p, const char *label,
                                         const uint8_t *aad, size_t aad_len,
                                         const uint8_t *ct, size_t ct_len,
                                         uint8_t *out, size_t *out_len);

/**
 * Generate in the token a persistent Ed25519 key pair
 * (CKM_EC_EDWARDS_KEY_PAIR_GEN, CKA_EC_PARAMS = OID 1.3.101.112), both
 * objects labelled @p label. The private key is CKA_PRIVATE, sensitive,
 * non-extractable and may only sign; the public key may only verify.
 *
 * @return SV_OK; SV_E_EXISTS when an object of any class already carries
 *         @p label; SV_E_FIELD_INVALID for a bad label; SV_E_CRYPTO when
 *         the token fails (e.g. it has no EdDSA).
 */
SV_MUST_CHECK enum sv_err sv_p11_ed25519_create(struct sv_p11 *p,
                                                const char *label);

/**
 * Sign @p msg with the Ed25519 private key labelled @p label (CKM_EDDSA,
 * pure Ed25519): verifies with crypto_sign_verify_detached() against
 * sv_p11_ed25519_public().
 *
 * @param[in] msg   may be NULL when @p len is 0.
 * @param[out] sig  SV_P11_SIG_LEN bytes.
 * @return SV_OK; SV_E_NOT_FOUND when no Ed25519 private key carries
 *         @p label; SV_E_CONFLICT, SV_E_FIELD_INVALID, SV_E_CRYPTO as for
 *         sv_p11_encrypt().
 */
SV_MUST_CHECK enum sv_err sv_p11_sign(struct sv_p11 *p, const char *label,
                                      const uint8_t *msg, size_t len,
                                      uint8_t sig[SV_P11_SIG_LEN]);

/**
 * The raw 32-byte Ed25519 public key labelled @p label, from CKA_EC_POINT
 * (a DER OCTET STRING as SoftHSM returns it, or the raw 32 bytes).
 *
 * @return SV_OK; SV_E_NOT_FOUND when no Ed25519 public key carries
 *         @p label; SV_E_CRYPTO for a CKA_EC_POINT of another shape;
 *         SV_E_CONFLICT, SV_E_FIELD_INVALID as for sv_p11_encrypt().
 */
SV_MUST_CHECK enum sv_err sv_p11_ed25519_public(struct sv_p11 *p,
                                                const char *label,
                                                uint8_t pk[SV_P11_PK_LEN]);

/**
 * Does an object of any class labelled @p label exist (visible to the
 * logged-in user)?
 *
 * @param[out] yes  the answer.
 * @return SV_OK; SV_E_FIELD_INVALID for a bad label; SV_E_CRYPTO when the
 *         token fails.
 */
SV_MUST_CHECK enum sv_err sv_p11_has(struct sv_p11 *p, const char *label,
                                     bool *yes);

/** How the token protects a secret or private key (sv_p11_key_find()). */
struct sv_p11_key_info {
    bool is_secret;            /* CKO_SECRET_KEY; else CKO_PRIVATE_KEY */
    bool is_sensitive;         /* CKA_SENSITIVE */
    bool is_extractable;       /* CKA_EXTRACTABLE */
    bool is_always_sensitive;  /* CKA_ALWAYS_SENSITIVE */
    bool is_never_extractable; /* CKA_NEVER_EXTRACTABLE */
    bool is_value_readable;    /* C_GetAttributeValue(CKA_VALUE) succeeded */
    unsigned long value_rv;    /* its CK_RV: CKR_ATTRIBUTE_SENSITIVE (0x11)
                                  for a sealed key */
};

/**
 * Ask the token how the secret key (else the private key) labelled
 * @p label is protected, and try to read its CKA_VALUE: a startup self-check
 * that the root keys cannot leave the token, and the tests' proof. Should
 * the token hand the value out, it is wiped at once and never returned.
 *
 * @param[out] info  the answers.
 * @return SV_OK; SV_E_NOT_FOUND when no secret or private key carries
 *         @p label; SV_E_CONFLICT, SV_E_FIELD_INVALID, SV_E_CRYPTO as for
 *         sv_p11_encrypt().
 */
SV_MUST_CHECK enum sv_err sv_p11_key_find(struct sv_p11 *p, const char *label,
                                          struct sv_p11_key_info *info);

#endif

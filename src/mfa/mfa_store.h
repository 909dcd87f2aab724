/* The SQL of second factors and the bound phone (only here). */
#ifndef SV_MFA_MFA_STORE_H
#define SV_MFA_MFA_STORE_H

#include "auth/totp.h"
#include "crypto/keyring.h"
#include "db/db.h"
#include "directory/field.h"
#include "mfa/mfa.h"

#define MFA_SECRET_ENC_MAX (SV_TOTP_SECRET_LEN + SV_AEAD_OVERHEAD)
#define MFA_PHONE_ENC_MAX (SV_PHONE_MAX + SV_AEAD_OVERHEAD)
#define MFA_HASH_LEN 32

/** totp.secret: sealed, exactly SV_TOTP_SECRET_LEN bytes. */
extern const struct sv_field_desc mfa_store_totp_secret_field;
/** accounts.phone: sealed E.164 number. */
extern const struct sv_field_desc mfa_store_phone_field;
/**
 * recovery_codes.code_hash: not sealed, only blind-indexed ("account id:code"
 * under the tenant's index key).
 */
extern const struct sv_field_desc mfa_store_recovery_field;

/* A totp row as stored: the secret still sealed. */
struct totp_row {
    uint8_t secret_enc[MFA_SECRET_ENC_MAX];
    size_t secret_enc_len;
    bool confirmed;
    int64_t last_step;
};

enum sv_qs mfa_store_totp_find(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, struct totp_row *r);
/**
 * Insert a pending secret, or replace the account's secret if it is still
 * unconfirmed. SV_QS_NONE when a confirmed one is in the way.
 */
enum sv_qs mfa_store_totp_put_pending(struct sv_dbc *c, const char *tenant_id,
                                      const char *account_id,
                                      const uint8_t *secret_enc, size_t len,
                                      int64_t now);
/** Confirm a pending secret with its first step. SV_QS_NONE if none. */
enum sv_qs mfa_store_totp_confirm(struct sv_dbc *c, const char *tenant_id,
                                  const char *account_id, int64_t step);
/** Store the accepted step only if it is later than the stored one. */
enum sv_qs mfa_store_totp_advance(struct sv_dbc *c, const char *tenant_id,
                                  const char *account_id, int64_t step);
enum sv_qs mfa_store_totp_delete(struct sv_dbc *c, const char *tenant_id,
                                 const char *account_id);

enum sv_qs mfa_store_recovery_insert(struct sv_dbc *c, const char *tenant_id,
                                     const char *account_id,
                                     const uint8_t hash[MFA_HASH_LEN]);
/** Mark an unused code used. SV_QS_NONE when no such unused code. */
enum sv_qs mfa_store_recovery_use(struct sv_dbc *c, const char *tenant_id,
                                  const char *account_id,
                                  const uint8_t hash[MFA_HASH_LEN],
                                  int64_t now);
enum sv_qs mfa_store_recovery_delete(struct sv_dbc *c, const char *tenant_id,
                                     const char *account_id);

/** sessions.mfa_pending = 0 for every session of the account. */
/** Restrict them again where the tenant requires MFA. */
enum sv_qs mfa_store_sessions_mfa_again(struct sv_dbc *c, const char *tenant_id,
                                        const char *account_id);
enum sv_qs mfa_store_sessions_mfa_done(struct sv_dbc *c, const char *tenant_id,
                                       const char *account_id,
                                       const char *session_id);

/** The sealed phone: SV_QS_NONE when no such account; *len 0 when unset. */
enum sv_qs mfa_store_phone_find(struct sv_dbc *c, const char *tenant_id,
                                const char *account_id,
                                uint8_t enc[MFA_PHONE_ENC_MAX], size_t *len);
/** Set (or, with @p enc NULL, clear) the sealed phone. */
enum sv_qs mfa_store_phone_set(struct sv_dbc *c, const char *tenant_id,
                               const char *account_id, const uint8_t *enc,
                               size_t len);

#endif

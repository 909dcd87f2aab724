/* identity's SQL (only here). */
#ifndef SV_IDENTITY_STORE_H
#define SV_IDENTITY_STORE_H

#include "db/db.h"
#include "directory/field.h"
#include "identity/identity.h"

/** accounts.email: sealed, blind-indexed lower-cased (DIR-4). */
extern const struct sv_field_desc identity_store_email_field;

/* An account row as stored: e-mail still sealed. */
struct account_row {
    struct sv_account a;
    char hash[SV_HASH_LEN];
    uint8_t email_enc[SV_EMAIL_MAX + SV_AEAD_OVERHEAD];
    size_t email_enc_len;
};

enum sv_qs identity_store_insert_account(struct sv_dbc *c,
                                         const struct account_row *r,
                                         const uint8_t *email_bidx);
/** Every account's id and username. */
enum sv_qs identity_store_each_account(struct sv_dbc *c, const char *tenant_id,
                                       sv_account_each_fn fn, void *cls);
enum sv_qs identity_store_find_account(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, struct account_row *r);
enum sv_qs identity_store_find_account_by_username(struct sv_dbc *c,
                                                   const char *tenant_id,
                                                   const char *username,
                                                   struct account_row *r);
typedef void (*account_row_fn)(void *cls, struct account_row *r);
/** Accounts after @p after_id by id; with @p like (a LIKE pattern) only
 *  those whose username matches it or whose e-mail's blind index is
 *  @p email_bidx (NULL: none). */
enum sv_qs identity_store_list_accounts(struct sv_dbc *c, const char *tenant_id,
                                        const char *after_id, int limit,
                                        const char *like,
                                        const uint8_t *email_bidx,
                                        account_row_fn row, void *cls);
/** The account's live sessions, newest first (at most 200). */
enum sv_qs identity_store_list_sessions(struct sv_dbc *c, const char *tenant_id,
                                        const char *account_id, int64_t now,
                                        int64_t idle_ms, sv_session_row_fn row,
                                        void *cls);
/** Revoke every live session of the account but @p keep_id; *n: how many. */
enum sv_qs identity_store_revoke_other_sessions(struct sv_dbc *c,
                                                const char *tenant_id,
                                                const char *account_id,
                                                const char *keep_id,
                                                int64_t now, int64_t *n);
/** Revoke session @p id if it is the account's and live: else NONE. */
enum sv_qs identity_store_revoke_own_session(struct sv_dbc *c,
                                             const char *tenant_id,
                                             const char *account_id,
                                             const char *id, int64_t now);
/** Close the account's logins in progress (challenges). */
enum sv_qs identity_store_close_logins(struct sv_dbc *c,
                                       const char *account_id);
/** Force a password change at the next request. */
enum sv_qs identity_store_flag_change(struct sv_dbc *c, const char *tenant_id,
                                      const char *id);
enum sv_qs identity_store_set_password(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, const char *hash,
                                       bool must_change, int64_t now);
/** Set the hash to @p new_hash only if it is still @p old_hash. */
enum sv_qs identity_store_swap_hash(struct sv_dbc *c, const char *tenant_id,
                                    const char *id, const char *old_hash,
                                    const char *new_hash);
/** A user's own change: only if the hash is still @p old_hash. */
enum sv_qs identity_store_change_password(struct sv_dbc *c,
                                          const char *tenant_id, const char *id,
                                          const char *old_hash,
                                          const char *new_hash, int64_t now);
/** DIR-6: set (@p disabled) or clear accounts.disabled_at; SV_QS_NONE
 *  when it already was so (or no such account). */
enum sv_qs identity_store_set_disabled(struct sv_dbc *c, const char *tenant_id,
                                       const char *id, bool disabled,
                                       int64_t now);
/** SV_QS_ONE while the session is not revoked. */
enum sv_qs identity_store_session_alive(struct sv_dbc *c, const char *tenant_id,
                                        const char *id);

enum sv_qs identity_store_insert_session(struct sv_dbc *c,
                                         const char *tenant_id, const char *id,
                                         const char *account_id,
                                         const uint8_t *token_hash, int64_t now,
                                         int64_t expires_at, const char *ip,
                                         const char *ua, const char *device_id,
                                         bool mfa_pending);
enum sv_qs identity_store_resolve_session(struct sv_dbc *c,
                                          const uint8_t *token_hash,
                                          int64_t now, int64_t idle_ms,
                                          struct sv_session *out);
enum sv_qs identity_store_touch_session(struct sv_dbc *c, const char *tenant_id,
                                        const char *id, int64_t now);
enum sv_qs identity_store_revoke_session(struct sv_dbc *c,
                                         const char *tenant_id, const char *id,
                                         int64_t now);
/** Delete the sessions that ended (expired or revoked) before @p before. */
enum sv_qs identity_store_sweep_sessions(struct sv_dbc *c,
                                         const char *tenant_id, int64_t before);
/** Revoke all sessions of an account but @p except_id (NULL: all). */
enum sv_qs identity_store_revoke_account_sessions(struct sv_dbc *c,
                                                  const char *tenant_id,
                                                  const char *account_id,
                                                  const char *except_id,
                                                  int64_t now);

#endif

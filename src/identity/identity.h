/*
 * Accounts, sessions and login (AUTH-1, AUTH-2, AUTH-3, AUTH-7).
 *
 * Slow steps (Argon2id) are split out so the HTTP layer can run them on the
 * hashing pool: *_lookup (read) → *_work (CPU, no database) → *_finish
 * (one write transaction with its audit events).
 */
#ifndef SV_IDENTITY_IDENTITY_H
#define SV_IDENTITY_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/audit.h"
#include "core/errors.h"
#include "crypto/password.h"
#include "crypto/token.h"
#include "directory/tenant.h"
#include "risk/risk.h"

struct sv_app;
struct sv_dbc;

#define SV_USERNAME_MAX 64
#define SV_EMAIL_MAX 254
#define SV_PASSWORD_MAX_BYTES 1024 /* far above any policy; bounds hashing */

/*
 * The built-in role an account holds over the whole tenant, as the account
 * APIs and the CLI give it and show it (a summary of its assignments:
 * access/access.h holds the model; department and custom roles are
 * assignments seen through /access).
 */
enum sv_role { SV_ROLE_MEMBER = 0, SV_ROLE_ADMIN = 1, SV_ROLE_AUDITOR = 2 };

struct sv_account {
    char id[37];
    char tenant_id[37];
    char username[SV_USERNAME_MAX + 1];
    enum sv_role role;
    bool must_change_password;
    bool has_email;
    char email[SV_EMAIL_MAX + 1];
    int64_t created_at;
    /* DIR-6: disabled (a temporary disable or an offboarding): it cannot
     * sign in and its sessions do not resolve. */
    bool disabled;
};

/**
 * Inside a transaction: an audit event by @p actor about account
 * @p target_id (NULL: none) in @p tenant_id's stream (NULL: platform).
 */
SV_MUST_CHECK enum sv_err
sv_account_audit(struct sv_dbc *c, const char *tenant_id,
                 const struct sv_actor *actor, enum sv_audit_action action,
                 const char *target_id, const char *result, const char *reason,
                 const char *details);

bool sv_check_username(const char *s, size_t len);
bool sv_check_email(const char *s, size_t len);
SV_MUST_CHECK bool sv_role_parse(const char *s, enum sv_role *out);
const char *sv_role_name(enum sv_role r);

/* ---- accounts ---- */

/**
 * Inside a transaction: create an account with password hash @p hash that
 * must be changed at first login. SV_E_USERNAME_TAKEN on a duplicate.
 */
SV_MUST_CHECK enum sv_err
sv_account_create_tx(struct sv_dbc *c, const struct sv_tenant *t,
                     const char *username, enum sv_role role, const char *email,
                     const char *hash, const struct sv_actor *actor,
                     struct sv_account *out);

/**
 * Inside a transaction, for a bulk import (provision/, docs/import.md): a
 * new member account @p id named @p username with no password
 * (SV_PASSWORD_NONE: the person sets one through the reset), e-mail
 * @p email (canonical, or NULL) sealed and blind-indexed with @p tk, at
 * @p now. Not audited: the importer writes its account.created event in
 * its audit batch. The caller has checked @p username free under the
 * directory lock; the insert may be batched (sv_db_batch_begin), where a
 * taken username fails the transaction.
 */
struct sv_tenant_keys;
SV_MUST_CHECK enum sv_err sv_account_insert_imported_tx(
    struct sv_dbc *c, const struct sv_tenant_keys *tk, const char *tenant_id,
    const char *id, const char *username, const char *email, int64_t now);

/** Every account of the tenant: its id and username, for a bulk import's
 *  checks. Borrowed strings, valid during the call. */
typedef void (*sv_account_each_fn)(void *cls, const char *id,
                                   const char *username);
SV_MUST_CHECK enum sv_err sv_account_each_tx(struct sv_dbc *c,
                                             const char *tenant_id,
                                             sv_account_each_fn fn, void *cls);

/** Find by id within tenant @p tenant_id (other tenants: SV_E_NOT_FOUND). */
SV_MUST_CHECK enum sv_err sv_account_find(struct sv_dbc *c,
                                          const char *tenant_id, const char *id,
                                          struct sv_account *out);
SV_MUST_CHECK enum sv_err sv_account_find_by_username(struct sv_dbc *c,
                                                      const char *tenant_id,
                                                      const char *username,
                                                      struct sv_account *out);

typedef void (*sv_account_row_fn)(void *cls, const struct sv_account *a);
/** The longest search of sv_account_list (bytes). */
#define SV_ACCOUNT_QUERY_MAX 64

/**
 * Accounts ordered by id after @p after_id (NULL: from the start). With
 * @p q (1..SV_ACCOUNT_QUERY_MAX bytes; NULL: every account) only those
 * whose username starts with @p q (case-insensitive) or whose e-mail is
 * @p q (a whole address: e-mails are sealed, no prefix can be matched).
 */
SV_MUST_CHECK enum sv_err sv_account_list(struct sv_dbc *c,
                                          const char *tenant_id, const char *q,
                                          const char *after_id, int limit,
                                          sv_account_row_fn row, void *cls,
                                          bool *more);

/**
 * Inside a transaction: admin reset (AUTH-3): set a temporary password
 * hash, force a change, revoke every session of the account, audit.
 */
SV_MUST_CHECK enum sv_err sv_account_reset_tx(struct sv_dbc *c,
                                              const char *tenant_id,
                                              const char *account_id,
                                              const char *hash,
                                              const struct sv_actor *actor);

/* ---- sessions ---- */

struct sv_session {
    char id[37];
    char tenant_id[37];
    char tenant_slug[SV_SLUG_MAX + 1];
    char account_id[37];
    char username[SV_USERNAME_MAX + 1];
    enum sv_role role;
    bool must_change_password;
    int64_t last_seen_at;
    int64_t expires_at;
    /* Read in the same query, so GET /me needs no second one. */
    char tenant_name[SV_TENANT_NAME_MAX * 4 + 1];
    int64_t account_created_at;
    uint8_t email_enc[SV_EMAIL_MAX + SV_AEAD_OVERHEAD];
    size_t email_enc_len;
    bool mfa_pending; /* AUTH-8: may only enrol an authenticator */
    /* DEV-1: the device it was opened on ("" when none) */
    char device_id[37];
    char device_kind[8];    /* web, mobile, cli */
    char device_client[64]; /* the id the client names */
    uint8_t device_pk[32];
    bool has_device_pk; /* its requests must be signed */
};

/**
 * Resolve a presented token: SV_E_UNAUTHENTICATED when malformed, unknown,
 * revoked, idle too long or past its lifetime. Refreshes last_seen_at at
 * most once a minute.
 */
SV_MUST_CHECK enum sv_err sv_session_resolve(struct sv_app *app,
                                             const char *token,
                                             struct sv_session *out);

/** One live session of an account; strings borrowed for the callback. */
struct sv_session_view {
    const char *id, *ip, *user_agent, *device_id;
    int64_t created_at, last_seen_at, expires_at;
};
typedef void (*sv_session_row_fn)(void *cls, const struct sv_session_view *v);

/** The caller's live sessions, newest first; @p start runs per attempt. */
SV_MUST_CHECK enum sv_err sv_sessions_list(struct sv_app *app,
                                           const struct sv_session *s,
                                           void (*start)(void *cls),
                                           sv_session_row_fn row, void *cls);
/**
 * Sign out the caller's session @p id (session.revoke): SV_E_NOT_FOUND when
 * it is not the caller's account's, or not live.
 */
SV_MUST_CHECK enum sv_err sv_session_revoke_own(struct sv_app *app,
                                                const struct sv_session *s,
                                                const char *id,
                                                const struct sv_actor *actor);
/** Sign out every other session of the caller's account; *n: how many. */
SV_MUST_CHECK enum sv_err
sv_sessions_revoke_others(struct sv_app *app, const struct sv_session *s,
                          const struct sv_actor *actor, int64_t *n);

/** In tenant @p tenant_id's transaction: the sessions that ended (expired
 *  or revoked) more than SV_SESSION_KEEP_MS ago, gone (app.c's sweep). */
#define SV_SESSION_KEEP_MS (7LL * 24 * 3600 * 1000)
struct sv_dbc;
SV_MUST_CHECK enum sv_err
sv_session_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms);

/** Revoke one session (logout). */
SV_MUST_CHECK enum sv_err sv_session_revoke(struct sv_app *app,
                                            const struct sv_session *s,
                                            const struct sv_actor *actor);

/* ---- password change (own) ---- */

struct sv_pwchange {
    struct sv_app *app;
    const struct sv_session *session;
    char *current; /* sodium_malloc */
    size_t current_len;
    char *next; /* sodium_malloc */
    size_t next_len;
    const char *ip, *user_agent;
    struct sv_tenant tenant;
    struct sv_account account;
    char hash[SV_HASH_LEN];
    enum sv_err verdict; /* from work */
    char new_hash[SV_HASH_LEN];
    bool held;           /* the account's one place for a change in flight */
    bool session_closed; /* too many wrong `current`: this session ended */
};

SV_MUST_CHECK enum sv_err sv_pwchange_init(struct sv_pwchange *p,
                                           const char *current, size_t clen,
                                           const char *next, size_t nlen);
void sv_pwchange_free(struct sv_pwchange *p);
/**
 * Before any hashing: SV_E_RATE_LIMITED while the account has another
 * change in flight (on this node) or SV_PWCHANGE_MAX_FAILURES wrong
 * `current` passwords (decaying); then the account and its hash.
 */
SV_MUST_CHECK enum sv_err sv_pwchange_lookup(struct sv_app *app,
                                             struct sv_pwchange *p);
/** Verify current, check policy, hash the new one. */
void sv_pwchange_work(struct sv_app *app, struct sv_pwchange *p);
/**
 * Store, revoke the account's other sessions, audit. A wrong `current` is
 * counted on the account and the session; the session's
 * SV_PWCHANGE_SESSION_FAILURES-th closes it (p->session_closed).
 */
SV_MUST_CHECK enum sv_err sv_pwchange_finish(struct sv_app *app,
                                             struct sv_pwchange *p);
/** Give back the account's place (sv_pwchange_free does it too). */
void sv_pwchange_leave(struct sv_pwchange *p);

#define SV_PWCHANGE_MAX_FAILURES 5
#define SV_PWCHANGE_SESSION_FAILURES 3

/* ---- whole operations, each one transaction (for handlers and the CLI) ----
 */

/** The signed-in account and its tenant (GET /me). */
SV_MUST_CHECK enum sv_err sv_me_get(struct sv_app *app,
                                    const struct sv_session *s,
                                    struct sv_account *a, struct sv_tenant *t);

/** Create an account in tenant @p tenant_id (see sv_account_create_tx). */
SV_MUST_CHECK enum sv_err
sv_account_create(struct sv_app *app, const char *tenant_id,
                  const char *username, enum sv_role role, const char *email,
                  const char *hash, const struct sv_actor *actor,
                  struct sv_account *out);

/** Admin reset of account @p id in @p tenant_id (see sv_account_reset_tx). */
SV_MUST_CHECK enum sv_err sv_account_reset(struct sv_app *app,
                                           const char *tenant_id,
                                           const char *id, const char *hash,
                                           const struct sv_actor *actor);

/** Record a request refused because a password change is forced. */
SV_MUST_CHECK enum sv_err sv_session_audit_blocked(struct sv_app *app,
                                                   const struct sv_session *s,
                                                   const struct sv_actor *actor,
                                                   const char *route);

/* ---- inside a transaction, for the capabilities above ---- */

/**
 * Account @p username's row and password hash, for the sign-in
 * (SV_E_NOT_FOUND when none). The caller wipes @p hash.
 */
SV_MUST_CHECK enum sv_err sv_account_credentials_tx(struct sv_dbc *c,
                                                    const char *tenant_id,
                                                    const char *username,
                                                    struct sv_account *out,
                                                    char hash[SV_HASH_LEN]);
/**
 * The password checked outside the transaction still counts only if the
 * account's hash is still @p checked: then *still is true and the hash
 * becomes @p store (an upgraded hash, or @p checked again).
 */
SV_MUST_CHECK enum sv_err
sv_account_confirm_hash_tx(struct sv_dbc *c, const char *tenant_id,
                           const char *account_id, const char *checked,
                           const char *store, bool *still);
/** Force a password change at the account's next request (AUTH-6). */
SV_MUST_CHECK enum sv_err sv_account_must_change_tx(struct sv_dbc *c,
                                                    const char *tenant_id,
                                                    const char *account_id);
/**
 * A new password hash (@p must_change: forced change at the next request);
 * every session of the account revoked and its logins in progress closed.
 * SV_E_NOT_FOUND when no such account.
 */
SV_MUST_CHECK enum sv_err sv_account_set_password_tx(struct sv_dbc *c,
                                                     const char *tenant_id,
                                                     const char *account_id,
                                                     const char *hash,
                                                     bool must_change);
/**
 * DIR-6: disable account @p account_id (if it is not already): it cannot
 * sign in (the password step answers as for a wrong password), every
 * session of it is revoked (*@p sessions: how many) and its logins in
 * progress are closed. Unaudited: the caller's event says why.
 * SV_E_NOT_FOUND when the tenant has no such account.
 */
SV_MUST_CHECK enum sv_err sv_account_disable_tx(struct sv_dbc *c,
                                                const char *tenant_id,
                                                const char *account_id,
                                                int64_t *sessions);
/**
 * DIR-6: enable account @p account_id again. With @p hash (a temporary
 * password's) the password becomes it, to be changed at the next sign-in;
 * NULL keeps the password. Unaudited, as disable. SV_E_NOT_FOUND.
 */
SV_MUST_CHECK enum sv_err sv_account_enable_tx(struct sv_dbc *c,
                                               const char *tenant_id,
                                               const char *account_id,
                                               const char *hash);
/** Close every login of the account still in progress. */
SV_MUST_CHECK enum sv_err sv_account_close_logins_tx(struct sv_dbc *c,
                                                     const char *account_id);
/** A new session row (its id into @p id_out), token hashed by the caller. */
SV_MUST_CHECK enum sv_err
sv_session_open_tx(struct sv_dbc *c, const char *tenant_id,
                   const char *account_id, const uint8_t *token_hash,
                   int64_t now, int64_t expires_at, const char *ip,
                   const char *user_agent, const char *device_id,
                   bool mfa_pending, char id_out[37]);

/**
 * A new password @p pw for account @p a of tenant @p t: the tenant's policy
 * (with the account's name and e-mail as personal data), then Argon2id into
 * @p out. The slow part of a change or reset: outside any transaction.
 * @return SV_OK; the policy's SV_E_PASSWORD_* rule; SV_E_OVERLOADED.
 */
SV_MUST_CHECK enum sv_err sv_account_new_password(struct sv_app *app,
                                                  const struct sv_tenant *t,
                                                  const struct sv_account *a,
                                                  const char *pw, size_t len,
                                                  char out[SV_HASH_LEN]);

/**
 * AUTH-1, the check as you type (POST /me/password/check): @p pw against
 * the caller's tenant policy with the same personal words as
 * sv_account_new_password(), every rule's verdict into @p out. Changes
 * nothing, hashes nothing, keeps nothing; the caller wipes @p pw.
 */
SV_MUST_CHECK enum sv_err sv_password_check(struct sv_app *app,
                                            const struct sv_session *s,
                                            const char *pw, size_t len,
                                            struct sv_pw_report *out);

/* ---- admin unlock, look-up, CSRF ---- */

/** Admin unlock of account @p account_id (AUTH-4). */
SV_MUST_CHECK enum sv_err sv_account_unlock(struct sv_app *app,
                                            const char *tenant_id,
                                            const char *account_id,
                                            const struct sv_actor *actor);
/** Account @p id of tenant @p tenant_id (SV_E_NOT_FOUND elsewhere). */
SV_MUST_CHECK enum sv_err sv_account_get(struct sv_app *app,
                                         const char *tenant_id, const char *id,
                                         struct sv_account *out);
/** The browser CSRF token of session token @p token (43 characters). */
void sv_csrf_token(const struct sv_app *app, const char *token, char out[48]);

#endif

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
#include "identity/flow.h"
#include "risk/risk.h"

struct sv_app;
struct sv_dbc;

#define SV_USERNAME_MAX 64
#define SV_EMAIL_MAX 254
#define SV_PASSWORD_MAX_BYTES 1024 /* far above any policy; bounds hashing */

enum sv_role { SV_ROLE_MEMBER = 0, SV_ROLE_ADMIN = 1 };

struct sv_account {
    char id[37];
    char tenant_id[37];
    char username[SV_USERNAME_MAX + 1];
    enum sv_role role;
    bool must_change_password;
    bool has_email;
    char email[SV_EMAIL_MAX + 1];
    int64_t created_at;
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

/** Find by id within tenant @p tenant_id (other tenants: SV_E_NOT_FOUND). */
SV_MUST_CHECK enum sv_err sv_account_find(struct sv_dbc *c,
                                          const char *tenant_id, const char *id,
                                          struct sv_account *out);
SV_MUST_CHECK enum sv_err sv_account_find_by_username(struct sv_dbc *c,
                                                      const char *tenant_id,
                                                      const char *username,
                                                      struct sv_account *out);

typedef void (*sv_account_row_fn)(void *cls, const struct sv_account *a);
/** Accounts ordered by id after @p after_id (NULL: from the start). */
SV_MUST_CHECK enum sv_err
sv_account_list(struct sv_dbc *c, const char *tenant_id, const char *after_id,
                int limit, sv_account_row_fn row, void *cls, bool *more);

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

/** Revoke one session (logout). */
SV_MUST_CHECK enum sv_err sv_session_revoke(struct sv_app *app,
                                            const struct sv_session *s,
                                            const struct sv_actor *actor);

/* ---- login ---- */

struct sv_login {
    /* in */
    struct sv_app *app;
    const char *tenant_slug;
    const char *username;
    char *password; /* sodium_malloc'd copy, wiped by sv_login_free() */
    size_t password_len;
    const char *ip;
    const char *user_agent;
    struct sv_client client; /* DEV-1 */
    bool captcha_passed;     /* AUTH-4: this attempt solved a CAPTCHA */
    /* the keyed name, when it comes from a challenge (not the typed name) */
    bool has_name_key;
    uint8_t name_key[32];
    /* lookup */
    bool tenant_found, account_found;
    struct sv_tenant tenant;
    struct sv_account account;
    char hash[SV_HASH_LEN];
    struct sv_guard guard;
    bool blacklisted, captcha_due, flooding;
    bool must_wait; /* AUTH-4: the name's checks in flight are full */
    /* the request's side: a place of its source (per node), how long
     * it may wait for one or for a slot of its name */
    bool source_held;
    char source[64];
    int64_t wait_until;
    int64_t locked_until; /* > now: the name is locked */
    /* work */
    bool ok;
    bool stale; /* the password changed while it was being checked */
    bool rehashed;
    bool weak; /* AUTH-6: fails today's policy or the weak list */
    char new_hash[SV_HASH_LEN];
    /* finish */
    struct sv_outcome out;
};

/** Copy @p password into locked memory. */
SV_MUST_CHECK enum sv_err sv_login_init(struct sv_login *l,
                                        const char *password, size_t len);
void sv_login_free(struct sv_login *l);
SV_MUST_CHECK enum sv_err sv_login_lookup(struct sv_app *app,
                                          struct sv_login *l);
/**
 * After the lookup, before any hashing: SV_E_BLACKLISTED, SV_E_LOGIN_LOCKED
 * (*retry_after_s set), SV_E_RATE_LIMITED, or SV_OK with l->captcha_due
 * telling whether a CAPTCHA challenge must come first and l->must_wait
 * whether the attempt must wait for a slot of its name (then nothing was
 * taken: look up again later).
 */
SV_MUST_CHECK enum sv_err sv_login_gate(struct sv_login *l,
                                        int64_t *retry_after_s);
/** The slow part: Argon2id verify (dummy hash for unknown accounts). */
void sv_login_work(struct sv_app *app, struct sv_login *l);
/**
 * Record the attempt (AUTH-7), count a failure (AUTH-4/5) and, on success,
 * go on with the flow: l->out is a session or a challenge.
 * SV_E_INVALID_CREDENTIALS for every kind of wrong name or password.
 * Call only when sv_login_gate() let the attempt through.
 */
SV_MUST_CHECK enum sv_err sv_login_finish(struct sv_app *app,
                                          struct sv_login *l);
/** A slot taken by the lookup and not yet given back by the finish. */
void sv_login_release(struct sv_app *app, struct sv_login *l);

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

/**
 * One page of accounts. @p start(cls) runs before the rows of each attempt
 * (a retried transaction starts over), then @p row for each account.
 */
SV_MUST_CHECK enum sv_err
sv_account_page(struct sv_app *app, const char *tenant_id, const char *after_id,
                int limit, void (*start)(void *cls), sv_account_row_fn row,
                void *cls, bool *more);

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

#endif

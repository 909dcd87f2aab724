/*
 * The sign-in (AUTH-4…8, DEV-1…4): the password step, what a correct
 * password leads to, challenges and their steps, and the approvals a
 * trusted device gives. docs/auth-flow.md is the contract; this is its
 * implementation.
 */
#ifndef SV_LOGIN_LOGIN_H
#define SV_LOGIN_LOGIN_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/captcha.h"
#include "core/errors.h"
#include "crypto/token.h"
#include "device/device.h"
#include "identity/identity.h"

struct sv_app;
struct sv_dbc;
struct sv_actor;
struct sv_session;
struct sv_tenant;
struct sv_account;

/** What a login (or a completed step) leads to. */
struct sv_outcome {
    /*
     * A refusal that was audited in the step's transaction (which
     * therefore commits): the step answers with this error.
     */
    enum sv_err refused;
    bool challenge;
    /* challenge */
    char ch_id[37];
    char ch_token[SV_TOKEN_LEN + 1]; /* only when the challenge is new */
    int64_t ch_expires_at;
    char next[64]; /* comma-separated */
    /* session */
    char token[SV_TOKEN_LEN + 1];
    int64_t expires_at;
    char device_id[37];
    bool must_change_password;
    bool mfa_pending;
    enum sv_client_kind kind; /* web: the token goes in a cookie */
    /* for the request log */
    char tenant_id[37], account_id[37];
};

/** Wipe the secrets of @p o. */
void sv_outcome_wipe(struct sv_outcome *o);

/**
 * Inside the login transaction, after the password was found right:
 * register the device, decide the steps, then open a challenge or a
 * session. @p weak: the password fails today's policy (AUTH-6).
 */
SV_MUST_CHECK enum sv_err sv_login_after_password_tx(
    struct sv_dbc *c, struct sv_app *app, const struct sv_tenant *t,
    const struct sv_account *a, const struct sv_client *cl, bool weak,
    bool rehashed, struct sv_outcome *out);

/**
 * A CAPTCHA is due: open a challenge that asks for one before the password
 * is looked at. @p tenant_slug / @p username as typed; @p tenant_id when
 * the tenant exists (NULL otherwise).
 */
SV_MUST_CHECK enum sv_err
sv_login_captcha_challenge(struct sv_app *app, const char *tenant_id,
                           const char *tenant_slug, const char *username,
                           const uint8_t name_key[32],
                           const struct sv_client *cl, struct sv_outcome *out);

/* ---- challenge steps (the token is X-Challenge-Token) ---- */

/**
 * A new CAPTCHA image for challenge @p id (PNG, malloc'd): the id, token
 * and draw count are checked before anything is drawn. @p answer_out
 * (may be NULL) gets the answer, for the test hook only.
 */
SV_MUST_CHECK enum sv_err
sv_login_captcha_image(struct sv_app *app, const char *id, const char *token,
                       unsigned char **png, size_t *len,
                       char answer_out[SV_CAPTCHA_LEN + 1]);

/**
 * Check the CAPTCHA answer and consume the challenge; on success the
 * typed tenant and username are copied out for the password step.
 */
SV_MUST_CHECK enum sv_err
sv_login_captcha_answer(struct sv_app *app, const char *id, const char *token,
                        const char *answer, char *tenant_slug, size_t slug_cap,
                        char *username, size_t user_cap, uint8_t name_key[32],
                        struct sv_client *cl);

/** A TOTP or recovery code for the device or MFA step. */
SV_MUST_CHECK enum sv_err sv_login_totp(struct sv_app *app, const char *id,
                                        const char *token, const char *code,
                                        const char *ip, struct sv_outcome *out);

/** Send an SMS code; @p sent_to gets the masked number. */
SV_MUST_CHECK enum sv_err sv_login_sms_send(struct sv_app *app, const char *id,
                                            const char *token,
                                            char sent_to[24]);
SV_MUST_CHECK enum sv_err sv_login_sms_verify(struct sv_app *app,
                                              const char *id, const char *token,
                                              const char *code, const char *ip,
                                              struct sv_outcome *out);

/** Push (qr == false) or QR approval: the number to show, the QR text. */
SV_MUST_CHECK enum sv_err
sv_login_approval_start(struct sv_app *app, const char *id, const char *token,
                        bool qr, int *number, int64_t *expires_at,
                        char qr_text[128]);

/**
 * Where the challenge stands: SV_OK with out->challenge or a session when
 * decided, *pending when the approval is still open; APPROVAL_DENIED,
 * CHALLENGE_EXPIRED.
 */
SV_MUST_CHECK enum sv_err sv_login_wait(struct sv_app *app, const char *id,
                                        const char *token, const char *ip,
                                        bool *pending, struct sv_outcome *out);

/* ---- the trusted device's side ---- */

struct sv_approval_view {
    char id[37];
    bool qr;
    char ip[64];
    char user_agent[257];
    int64_t created_at, expires_at;
    int choices[3];
};

typedef void (*sv_approval_row_fn)(void *cls, const struct sv_approval_view *v);

SV_MUST_CHECK enum sv_err sv_login_approvals_pending(struct sv_app *app,
                                                     const struct sv_session *s,
                                                     void (*start)(void *),
                                                     sv_approval_row_fn row,
                                                     void *cls);
/** Look up the approval a scanned QR text names (binds it to the device). */
SV_MUST_CHECK enum sv_err sv_login_approval_scan(struct sv_app *app,
                                                 const struct sv_session *s,
                                                 const char *qr_text,
                                                 struct sv_approval_view *v);
/** Approve (with the number picked) or deny; wakes the waiting client. */
SV_MUST_CHECK enum sv_err
sv_login_approval_decide(struct sv_app *app, const struct sv_session *s,
                         const char *approval_id, bool approve, int number,
                         const struct sv_actor *actor);

/** Seconds until the lock on challenge @p id's account name ends (0: none). */
int64_t sv_login_retry_after(struct sv_app *app, const char *id);

/** True when challenge @p id is no longer waiting on an approval. */
bool sv_login_settled(struct sv_app *app, const char *id);

/**
 * How the flow reaches requests parked on a challenge (long polls): the
 * server's sv_wake() and sv_parked_count(), installed at start-up
 * (sv_app_serve) so identity/ needs no http/ header. Unset (the CLI,
 * tests): nothing is parked and a wake does nothing.
 */
struct sv_login_waker {
    void (*wake)(const char *key); /* resume requests parked on @p key */
    unsigned (*parked)(void);      /* requests parked now */
};
/** Install @p w (borrowed; it must outlive serving). Before serving. */
void sv_login_set_waker(const struct sv_login_waker *w);

/** The server's ticker: wake long polls decided on any node. */
void sv_login_tick(struct sv_app *app);
/** In tenant @p tenant_id's transaction: every account's approvals too old
 *  to count any more, gone (app.c's sweep of expired rows). */
struct sv_dbc;
SV_MUST_CHECK enum sv_err
sv_login_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms);

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

#endif

/*
 * The login flow (AUTH-4…8, DEV-1…4): what a correct password leads to,
 * challenges and their steps, devices and approvals. docs/auth-flow.md is
 * the contract; this is its implementation.
 */
#ifndef SV_IDENTITY_FLOW_H
#define SV_IDENTITY_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "auth/captcha.h"
#include "core/errors.h"
#include "crypto/token.h"

struct sv_app;
struct sv_dbc;
struct sv_actor;
struct sv_session;
struct sv_tenant;
struct sv_account;

enum sv_client_kind {
    SV_CLIENT_API,
    SV_CLIENT_WEB,
    SV_CLIENT_MOBILE,
    SV_CLIENT_CLI
};

#define SV_DEVICE_TEXT_MAX 64

/** Who is signing in (DEV-1). */
struct sv_client {
    enum sv_client_kind kind;
    char device[SV_DEVICE_TEXT_MAX + 1]; /* the id the client names */
    char name[SV_DEVICE_TEXT_MAX * 4 + 1];
    char model[SV_DEVICE_TEXT_MAX * 4 + 1];
    char platform[SV_DEVICE_TEXT_MAX * 4 + 1];
    uint8_t pk[32];
    bool has_pk;
    char nonce[65]; /* of the signed login (replay check), "" when none */
    const char *ip, *user_agent;
};

const char *sv_client_kind_name(enum sv_client_kind k);
/** "web", "mobile", "cli" → kind (API is the absence of a device). */
bool sv_client_kind_parse(const char *s, enum sv_client_kind *out);

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
SV_MUST_CHECK enum sv_err
sv_flow_after_password_tx(struct sv_dbc *c, struct sv_app *app,
                          const struct sv_tenant *t, const struct sv_account *a,
                          const struct sv_client *cl, bool weak, bool rehashed,
                          struct sv_outcome *out);

/**
 * A CAPTCHA is due: open a challenge that asks for one before the password
 * is looked at. @p tenant_slug / @p username as typed; @p tenant_id when
 * the tenant exists (NULL otherwise).
 */
SV_MUST_CHECK enum sv_err
sv_flow_captcha_challenge(struct sv_app *app, const char *tenant_id,
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
sv_flow_captcha_image(struct sv_app *app, const char *id, const char *token,
                      unsigned char **png, size_t *len,
                      char answer_out[SV_CAPTCHA_LEN + 1]);

/**
 * Check the CAPTCHA answer and consume the challenge; on success the
 * typed tenant and username are copied out for the password step.
 */
SV_MUST_CHECK enum sv_err
sv_flow_captcha_answer(struct sv_app *app, const char *id, const char *token,
                       const char *answer, char *tenant_slug, size_t slug_cap,
                       char *username, size_t user_cap, uint8_t name_key[32],
                       struct sv_client *cl);

/** A TOTP or recovery code for the device or MFA step. */
SV_MUST_CHECK enum sv_err sv_flow_totp(struct sv_app *app, const char *id,
                                       const char *token, const char *code,
                                       const char *ip, struct sv_outcome *out);

/** Send an SMS code; @p sent_to gets the masked number. */
SV_MUST_CHECK enum sv_err sv_flow_sms_send(struct sv_app *app, const char *id,
                                           const char *token, char sent_to[24]);
SV_MUST_CHECK enum sv_err sv_flow_sms_verify(struct sv_app *app, const char *id,
                                             const char *token,
                                             const char *code, const char *ip,
                                             struct sv_outcome *out);

/** Push (qr == false) or QR approval: the number to show, the QR text. */
SV_MUST_CHECK enum sv_err
sv_flow_approval_start(struct sv_app *app, const char *id, const char *token,
                       bool qr, int *number, int64_t *expires_at,
                       char qr_text[128]);

/**
 * Where the challenge stands: SV_OK with out->challenge or a session when
 * decided, *pending when the approval is still open; APPROVAL_DENIED,
 * CHALLENGE_EXPIRED.
 */
SV_MUST_CHECK enum sv_err sv_flow_wait(struct sv_app *app, const char *id,
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

SV_MUST_CHECK enum sv_err sv_flow_approvals_pending(struct sv_app *app,
                                                    const struct sv_session *s,
                                                    void (*start)(void *),
                                                    sv_approval_row_fn row,
                                                    void *cls);
/** Look up the approval a scanned QR text names (binds it to the device). */
SV_MUST_CHECK enum sv_err sv_flow_approval_scan(struct sv_app *app,
                                                const struct sv_session *s,
                                                const char *qr_text,
                                                struct sv_approval_view *v);
/** Approve (with the number picked) or deny; wakes the waiting client. */
SV_MUST_CHECK enum sv_err sv_flow_approval_decide(struct sv_app *app,
                                                  const struct sv_session *s,
                                                  const char *approval_id,
                                                  bool approve, int number,
                                                  const struct sv_actor *actor);

/* ---- devices (DEV-1, DEV-5) ---- */

struct sv_device_view {
    const char *id, *kind, *name, *model, *platform, *state, *last_ip;
    int64_t first_seen_at, last_seen_at;
};
typedef void (*sv_device_row_fn)(void *cls, const struct sv_device_view *d);

SV_MUST_CHECK enum sv_err sv_devices_list(struct sv_app *app,
                                          const char *tenant_id,
                                          const char *account_id,
                                          void (*start)(void *),
                                          sv_device_row_fn row, void *cls);
/** Revoke: the device's sessions die in the same transaction. */
SV_MUST_CHECK enum sv_err sv_device_revoke(struct sv_app *app,
                                           const char *tenant_id,
                                           const char *account_id,
                                           const char *device_id,
                                           const struct sv_actor *actor);

/**
 * A signed request's nonce, recorded for the replay window:
 * SV_E_SIGNATURE_INVALID when it was seen before.
 */
SV_MUST_CHECK enum sv_err sv_device_nonce_use(struct sv_app *app,
                                              const struct sv_session *s,
                                              const char *nonce);

/** Admin unlock of account @p account_id (AUTH-4). */
SV_MUST_CHECK enum sv_err sv_account_unlock(struct sv_app *app,
                                            const char *tenant_id,
                                            const char *account_id,
                                            const struct sv_actor *actor);

/**
 * Inside a transaction: close every login of account @p account_id still
 * in progress (its password changed, or it was reset).
 */
SV_MUST_CHECK enum sv_err sv_flow_close_account_tx(struct sv_dbc *c,
                                                   const char *account_id);

/** Seconds until the lock on challenge @p id's account name ends (0: none). */
int64_t sv_flow_retry_after(struct sv_app *app, const char *id);

/** True when challenge @p id is no longer waiting on an approval. */
bool sv_flow_settled(struct sv_app *app, const char *id);

/** Account @p id of tenant @p tenant_id (SV_E_NOT_FOUND elsewhere). */
SV_MUST_CHECK enum sv_err sv_account_get(struct sv_app *app,
                                         const char *tenant_id, const char *id,
                                         struct sv_account *out);

/**
 * How the flow reaches requests parked on a challenge (long polls): the
 * server's sv_wake() and sv_parked_count(), installed at start-up
 * (sv_app_serve) so identity/ needs no http/ header. Unset (the CLI,
 * tests): nothing is parked and a wake does nothing.
 */
struct sv_flow_waker {
    void (*wake)(const char *key); /* resume requests parked on @p key */
    unsigned (*parked)(void);      /* requests parked now */
};
/** Install @p w (borrowed; it must outlive serving). Before serving. */
void sv_flow_set_waker(const struct sv_flow_waker *w);

/** The server's ticker: wake long polls decided on any node. */
void sv_flow_tick(struct sv_app *app);

/** The browser CSRF token of session token @p token (43 characters). */
void sv_csrf_token(const struct sv_app *app, const char *token, char out[48]);

#endif

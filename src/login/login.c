/*
 * The login flow: see flow.h and docs/auth-flow.md.
 *
 * A challenge row carries everything a step needs (who, which device,
 * which steps are open); each step is one transaction that checks the
 * challenge's stage and moves it on with a compare-and-set, so a step
 * can complete once only even when requests race or nodes differ.
 */
#include "login/login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "auth/captcha.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "identity/identity.h"
#include "device/device.h"
#include "directory/tenant.h"
#include "identity/identity.h"
#include "login/login_store.h"
#include "mfa/mfa.h"
#include "notify/inbox.h"
#include "notify/notify.h"
#include "policy/policy.h"
#include "risk/risk.h"

enum {
    CHALLENGE_MAX_FAILURES = 5,
    CAPTCHA_MAX_DRAWS = 5,
    /* CAPTCHA challenges one address may hold open at once */
    CAPTCHA_OPEN_PER_SOURCE = 100,
    SMS_MAX_SENDS = 3,
    CODE_DIGITS = 6
};

/* Long polls parked on a challenge (flow.h); NULL: none. */
static const struct sv_login_waker *waker;

void
sv_login_set_waker(const struct sv_login_waker *w)
{
    waker = w;
}

static void
wake(const char *key)
{
    if (waker != NULL)
        waker->wake(key);
}

static unsigned
parked_count(void)
{
    return waker != NULL ? waker->parked() : 0;
}

void
sv_outcome_wipe(struct sv_outcome *o)
{
    sodium_memzero(o->token, sizeof o->token);
    sodium_memzero(o->ch_token, sizeof o->ch_token);
}

static enum sv_err
flow_audit(struct sv_dbc *c, const char *tenant_id, const char *account_id,
           const char *username, const char *ip, const char *ua,
           enum sv_audit_action action, const char *target_type,
           const char *target_id, const char *result, const char *reason,
           const char *details)
{
    struct sv_actor actor = {account_id, username, ip, ua};
    return sv_audit_by(c, tenant_id, &actor, action, target_type, target_id,
                       result, reason, details);
}

/* The counters of the name, IP and device a challenge belongs to. */
static void
ch_guard(const struct sv_app *app, const struct login_challenge *ch,
         struct sv_guard *g, const char *ip, const char *device)
{
    if (ch->has_name_key)
        sv_guard_init_key(app, g, ch->name_key, ip, device);
    else
        sv_guard_init(app, g, ch->tenant_slug, ch->username, ip, device);
}

/*
 * The challenge @p id if @p token is its token, open and unexpired. A wrong
 * token is "no such challenge": a guessed id reveals nothing.
 */
static enum sv_err ch_gate(struct sv_dbc *c, const struct sv_app *app,
                           const struct login_challenge *ch);

static enum sv_err
ch_load(struct sv_dbc *c, const struct sv_app *app, const char *id,
        const char *token, struct login_challenge *ch)
{
    uint8_t h[SV_TOKEN_HASH_LEN];
    enum sv_qs qs;

    if (id == NULL || token == NULL || !sv_token_hash(token, h))
        return SV_E_CHALLENGE_NOT_FOUND;
    qs = login_store_find(c, id, ch);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE || sodium_memcmp(h, ch->token_hash, 32) != 0)
        return SV_E_CHALLENGE_NOT_FOUND;
    if (strcmp(ch->stage, "denied") == 0)
        return SV_E_APPROVAL_DENIED;
    if (ch->expires_at <= sv_now_ms() || strcmp(ch->stage, "done") == 0 ||
        strcmp(ch->stage, "closed") == 0 ||
        ch->failures >= CHALLENGE_MAX_FAILURES)
        return SV_E_CHALLENGE_EXPIRED;
    return ch_gate(c, app, ch);
}

/*
 * AUTH-4/5 apply to every step, not only the password: a locked name, a
 * blacklisted source or device is refused here too (guessing a second
 * factor over many challenges must hit the same lock).
 */
static enum sv_err
ch_gate(struct sv_dbc *c, const struct sv_app *app,
        const struct login_challenge *ch)
{
    struct sv_guard g;
    bool black = false;
    int64_t now = sv_now_ms();
    enum sv_err rc;

    ch_guard(app, ch, &g, ch->cl.ip, ch->cl.device);
    rc = sv_guard_read(c, app, &g, now);
    if (rc != SV_OK)
        return rc;
    if (g.locked_until > now)
        return SV_E_LOGIN_LOCKED;
    if (ch->tenant_id[0] != '\0' &&
        (rc = sv_db_scope_tenant(c, ch->tenant_id)) != SV_OK)
        return rc;
    if ((rc = sv_db_scope_platform(c)) != SV_OK)
        return rc;
    rc = sv_guard_blacklisted(c, ch->tenant_id[0] ? ch->tenant_id : NULL,
                              ch->cl.ip, ch->cl.device, now, &black);
    if (rc == SV_OK && black)
        return SV_E_BLACKLISTED;
    return rc;
}

static bool
next_has(const struct login_challenge *ch, const char *step)
{
    char buf[sizeof ch->next], *save = NULL;
    snprintf(buf, sizeof buf, "%s", ch->next);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, step) == 0)
            return true;
    return false;
}

static enum sv_err
ch_insert(struct sv_dbc *c, struct sv_app *app, struct login_challenge *ch,
          struct sv_outcome *out)
{
    int64_t now = sv_now_ms();
    enum sv_qs qs;

    sv_uuid7(ch->id);
    sv_token_new(out->ch_token, ch->token_hash);
    ch->created_at = now;
    ch->expires_at = now + app->cfg.challenge_ttl_ms;
    if (!ch->has_name_key) {
        struct sv_guard g;
        sv_guard_init(app, &g, ch->tenant_slug, ch->username, "", "");
        memcpy(ch->name_key, g.name_key, 32);
        ch->has_name_key = true;
    }
    qs = login_store_insert(c, ch);
    if (qs < 0)
        return sv_qs_err(qs);
    out->challenge = true;
    snprintf(out->ch_id, sizeof out->ch_id, "%s", ch->id);
    out->ch_expires_at = ch->expires_at;
    snprintf(out->next, sizeof out->next, "%s", ch->next);
    return SV_OK;
}

/* Move @p ch from its current stage to @p stage; false if someone else did. */
static enum sv_err
ch_move(struct sv_dbc *c, struct login_challenge *ch, const char *stage,
        const char *next, const char *device_done)
{
    enum sv_qs qs = login_store_set_stage(c, ch, stage, next, device_done);

    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_CHALLENGE_EXPIRED;
    snprintf(ch->stage, sizeof ch->stage, "%s", stage);
    snprintf(ch->next, sizeof ch->next, "%s", next);
    return SV_OK;
}

/* ---- the end of a login: a session ---- */

static enum sv_err
open_session(struct sv_dbc *c, struct sv_app *app, const char *tenant_id,
             const char *tenant_slug, const char *account_id,
             const char *username, const struct sv_client *cl,
             const char *device_id, bool mfa_pending, const char *via,
             bool must_change, bool rehashed, struct sv_outcome *out)
{
    uint8_t hash[SV_TOKEN_HASH_LEN];
    char id[SV_UUID_LEN + 1], when[SV_RFC3339_LEN + 1];
    char body[1024], details[256];
    int64_t now = sv_now_ms();
    enum sv_err rc;

    sv_token_new(out->token, hash);
    out->expires_at = now + app->cfg.absolute_lifetime_ms;
    rc =
        sv_session_open_tx(c, tenant_id, account_id, hash, now, out->expires_at,
                           cl->ip, cl->user_agent, device_id, mfa_pending, id);
    if (rc != SV_OK)
        return rc;
    /* AUTH-4: the name's failures are forgotten, this attempt refunded. */
    rc = sv_guard_session_tx(c, app, tenant_slug, username);
    if (rc != SV_OK)
        return rc;
    out->challenge = false;
    out->kind = cl->kind;
    out->mfa_pending = mfa_pending;
    out->must_change_password = must_change;
    snprintf(out->device_id, sizeof out->device_id, "%s", device_id);
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", tenant_id);
    snprintf(out->account_id, sizeof out->account_id, "%s", account_id);

    /* AUTH-7: the owner hears of every sign-in, with device, IP and time. */
    sv_rfc3339(now, when);
    snprintf(body, sizeof body,
             "Signed in on %s%s%s (%s, %s) from %s at %s. If this was not "
             "you, change your password and revoke the device.",
             cl->name[0] ? cl->name : "an unnamed device",
             cl->model[0] ? " / " : "", cl->model,
             sv_client_kind_name(cl->kind),
             cl->platform[0] ? cl->platform : "unknown platform",
             cl->ip && cl->ip[0] ? cl->ip : "an unknown address", when);
    rc = sv_inbox_post_tx(c, tenant_id, account_id, "login", "New sign-in",
                          body);
    if (rc != SV_OK)
        return rc;
    json_t *d =
        json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:b}", "via", via,
                  "device_kind", sv_client_kind_name(cl->kind), "device_model",
                  sv_or_null(cl->model), "device_name", sv_or_null(cl->name),
                  "device", device_id, "mfa_pending", mfa_pending);
    if (d != NULL && rehashed)
        json_object_set_new(d, "rehashed", json_true()); /* AUTH-2 */
    char *text = d ? json_dumps(d, JSON_COMPACT) : NULL;
    json_decref(d);
    snprintf(details, sizeof details, "%s", text ? text : "{}");
    free(text);
    return flow_audit(c, tenant_id, account_id, username, cl->ip,
                      cl->user_agent, SV_AUDIT_AUTH_LOGIN, "account",
                      account_id, "success", NULL, details);
}

/* ---- after the password ---- */

static void
append_step(char *next, size_t cap, const char *step)
{
    size_t n = strlen(next);
    snprintf(next + n, cap - n, "%s%s", n ? "," : "", step);
}

/*
 * A correct password that still cannot sign in (no second factor for a
 * device, a revoked device, another key for a known device id, a replayed
 * login): audited, committed, and answered with @p why.
 */
static enum sv_err
refuse(struct sv_dbc *c, const char *tenant_id, const struct sv_account *a,
       const struct sv_client *cl, enum sv_err why, struct sv_outcome *out)
{
    char details[96];
    snprintf(details, sizeof details, "{\"device_kind\":\"%s\"}",
             sv_client_kind_name(cl->kind));
    out->refused = why;
    return flow_audit(c, tenant_id, a->id, a->username, cl->ip, cl->user_agent,
                      SV_AUDIT_AUTH_LOGIN, "account", a->id, "failure",
                      sv_err_code(why), details);
}

/* DEV-1: a signed login is good once (its nonce is kept for the window). */
static enum sv_err
login_nonce(struct sv_dbc *c, struct sv_app *app, const char *tenant_id,
            const struct sv_client *cl)
{
    char key[SV_DEVICE_TEXT_MAX + 8];

    if (cl->nonce[0] == '\0')
        return SV_OK;
    snprintf(key, sizeof key, "login:%s", cl->device);
    return sv_device_nonce_tx(c, app, tenant_id, key, cl->nonce);
}

enum sv_err
sv_login_after_password_tx(struct sv_dbc *c, struct sv_app *app,
                           const struct sv_tenant *t,
                           const struct sv_account *a,
                           const struct sv_client *cl, bool weak, bool rehashed,
                           struct sv_outcome *out)
{
    struct sv_device d;
    struct login_challenge ch;
    bool mfa = false, phone = false, totp = false, trusted_here;
    int64_t trusted = 0;
    bool must_change = a->must_change_password;
    enum sv_err rc;

    rc = login_nonce(c, app, t->id, cl);
    if (rc == SV_OK)
        rc = sv_device_upsert_tx(c, t->id, a->id, cl, &d);
    if (rc == SV_E_DEVICE_REVOKED || rc == SV_E_SIGNATURE_INVALID)
        return refuse(c, t->id, a, cl, rc, out);
    if (rc == SV_OK) { /* as it is now, not as the lookup saw it */
        struct sv_tenant now_t;
        rc = sv_tenant_find(c, t->id, &now_t);
        mfa = rc == SV_OK && now_t.require_mfa;
    }
    if (rc == SV_OK)
        rc = sv_device_count_trusted_tx(c, t->id, a->id, &trusted);
    if (rc == SV_OK)
        rc = sv_phone_bound_tx(c, t->id, a->id, &phone);
    if (rc == SV_OK)
        rc = sv_totp_enrolled_tx(c, t->id, a->id, &totp);
    if (rc != SV_OK)
        return rc;

    /* AUTH-6: a password that fails today's rules must be changed. */
    if (weak) {
        if ((rc = sv_account_must_change_tx(c, t->id, a->id)) != SV_OK)
            return rc;
        must_change = true;
        rc = sv_inbox_post_tx(
            c, t->id, a->id, "risk", "Your password must be changed",
            "Your password is on the list of weak or breached passwords, or "
            "no longer meets your organisation's rules. Choose a new one now.");
        if (rc == SV_OK)
            rc = flow_audit(c, t->id, a->id, a->username, cl->ip,
                            cl->user_agent, SV_AUDIT_AUTH_RISK, "account",
                            a->id, "success", "weak_password", NULL);
        if (rc != SV_OK)
            return rc;
    }

    trusted_here =
        sv_client_is_device(cl->kind) && strcmp(d.state, "trusted") == 0;
    memset(&ch, 0, sizeof ch);
    if (!trusted_here) {
        if (sv_client_is_device(cl->kind)) {
            if (phone)
                append_step(ch.next, sizeof ch.next, "sms_code");
            if (trusted > 0)
                append_step(ch.next, sizeof ch.next, "device_approval");
            if (totp)
                append_step(ch.next, sizeof ch.next, "totp");
            if (ch.next[0] == '\0') /* DEV-2: trust needs a 2nd factor */
                return refuse(c, t->id, a, cl, SV_E_NO_SECOND_FACTOR, out);
        } else if (trusted > 0) {
            append_step(ch.next, sizeof ch.next, "qr_approval"); /* DEV-3 */
        } else {
            if (phone)
                append_step(ch.next, sizeof ch.next, "sms_code");
            if (totp)
                append_step(ch.next, sizeof ch.next, "totp");
        }
    }
    if (ch.next[0] == '\0' && mfa && totp)
        append_step(ch.next, sizeof ch.next, "totp"); /* AUTH-8 */
    if (ch.next[0] == '\0')
        return open_session(c, app, t->id, t->slug, a->id, a->username, cl,
                            d.id, mfa && !totp,
                            trusted_here ? "trusted_device" : "password_only",
                            must_change, rehashed, out);

    snprintf(ch.tenant_slug, sizeof ch.tenant_slug, "%s", t->slug);
    snprintf(ch.username, sizeof ch.username, "%s", a->username);
    snprintf(ch.tenant_id, sizeof ch.tenant_id, "%s", t->id);
    snprintf(ch.account_id, sizeof ch.account_id, "%s", a->id);
    ch.cl = *cl;
    snprintf(ch.stage, sizeof ch.stage, "%s", trusted_here ? "mfa" : "device");
    rc = ch_insert(c, app, &ch, out);
    if (rc != SV_OK)
        return rc;
    snprintf(out->tenant_id, sizeof out->tenant_id, "%s", t->id);
    snprintf(out->account_id, sizeof out->account_id, "%s", a->id);
    return flow_audit(c, t->id, a->id, a->username, cl->ip, cl->user_agent,
                      SV_AUDIT_AUTH_CHALLENGE, "challenge", ch.id, "success",
                      "password_ok", NULL);
}

/*
 * A step passed (@p how): either the MFA step is still due, or the login
 * ends in a session. The device becomes trusted when a second factor
 * proved it (DEV-2, DEV-4).
 */
static enum sv_err
advance(struct sv_dbc *c, struct sv_app *app, struct login_challenge *ch,
        const char *how, struct sv_outcome *out)
{
    struct sv_device d;
    struct sv_account acc;
    struct sv_tenant t;
    bool totp = false;
    enum sv_err rc;

    rc = sv_db_scope_tenant(c, ch->tenant_id);
    if (rc == SV_OK)
        rc = sv_tenant_find(c, ch->tenant_id, &t);
    if (rc == SV_OK)
        rc = sv_totp_enrolled_tx(c, ch->tenant_id, ch->account_id, &totp);
    if (rc != SV_OK)
        return rc;
    if (strcmp(ch->stage, "mfa") != 0 && t.require_mfa && totp &&
        strcmp(how, "totp") != 0) {
        rc = ch_move(c, ch, "mfa", "totp", how);
        if (rc != SV_OK)
            return rc;
        out->challenge = true;
        snprintf(out->ch_id, sizeof out->ch_id, "%s", ch->id);
        out->ch_expires_at = ch->expires_at;
        snprintf(out->next, sizeof out->next, "totp");
        return SV_OK;
    }
    rc = ch_move(c, ch, "done", "", how);
    if (rc != SV_OK)
        return rc;
    rc = sv_device_find_tx(c, ch->tenant_id, ch->account_id, ch->cl.device, &d);
    if (rc != SV_OK && rc != SV_E_NOT_FOUND)
        return rc;
    if (rc == SV_E_NOT_FOUND || strcmp(d.state, "revoked") == 0) {
        /* revoked while the login waited */
        struct sv_account who = {0};
        snprintf(who.id, sizeof who.id, "%s", ch->account_id);
        snprintf(who.username, sizeof who.username, "%s", ch->username);
        return refuse(c, ch->tenant_id, &who, &ch->cl, SV_E_DEVICE_REVOKED,
                      out);
    }
    if (sv_client_is_device(ch->cl.kind) && strcmp(d.state, "unknown") == 0) {
        struct sv_actor by = {ch->account_id, ch->username, ch->cl.ip,
                              ch->cl.user_agent};
        rc = sv_device_trust_tx(c, ch->tenant_id, &d, &by, how);
        if (rc != SV_OK)
            return rc;
    }
    rc = sv_account_find(c, ch->tenant_id, ch->account_id, &acc);
    /* DIR-6: disabling closed its logins; this is the second wall. */
    if (rc == SV_OK && acc.disabled)
        rc = SV_E_NOT_FOUND;
    if (rc != SV_OK)
        return rc == SV_E_NOT_FOUND ? SV_E_CHALLENGE_EXPIRED : rc;
    rc = open_session(c, app, ch->tenant_id, ch->tenant_slug, ch->account_id,
                      acc.username, &ch->cl, d.id, t.require_mfa && !totp, how,
                      acc.must_change_password, false, out);
    sodium_memzero(&acc, sizeof acc);
    return rc;
}

/*
 * A wrong answer on a step: counted on the challenge and the counters. A
 * wrong CAPTCHA counts towards the CAPTCHA, not the lock; a wrong second
 * factor (after a right password) counts towards the lock too.
 */
static enum sv_err
step_failed(struct sv_dbc *c, struct sv_app *app, struct login_challenge *ch,
            const char *step)
{
    struct sv_guard g;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {ch->account_id[0] ? ch->account_id : NULL,
                             ch->username, ch->cl.ip, ch->cl.user_agent};
    bool soft = strcmp(step, "captcha_invalid") == 0;
    enum sv_qs qs;
    enum sv_err rc;

    qs = login_store_fail(c, ch->id);
    if (qs < 0)
        return sv_qs_err(qs);
    /* Scope first: the guard may write a tenant's blacklist entry. */
    if (ch->tenant_id[0] != '\0' &&
        (rc = sv_db_scope_tenant(c, ch->tenant_id)) != SV_OK)
        return rc;
    if ((rc = sv_db_scope_platform(c)) != SV_OK)
        return rc;
    ch_guard(app, ch, &g, ch->cl.ip, ch->cl.device);
    if (ch->username[0] == '\0') {
        sv_guard_fingerprint(&g, fp);
        actor.username = fp;
    }
    rc = sv_guard_fail_tx(c, app, &g, soft ? SV_FAIL_SOFT : SV_FAIL_CHECK,
                          ch->tenant_id[0] ? ch->tenant_id : NULL, &actor,
                          sv_now_ms());
    if (rc != SV_OK)
        return rc;
    return flow_audit(c, ch->tenant_id[0] ? ch->tenant_id : NULL,
                      actor.account_id, actor.username, ch->cl.ip,
                      ch->cl.user_agent, SV_AUDIT_AUTH_CHALLENGE, "challenge",
                      ch->id, "failure", step, NULL);
}

/* ---- CAPTCHA ---- */

struct cap_ctx {
    struct sv_app *app;
    const char *tenant_id, *slug, *username;
    const uint8_t *name_key;
    const struct sv_client *cl;
    struct sv_outcome *out;
};

/* A node's bound on new CAPTCHA challenges, whatever their sources. */
static struct sv_bucket captcha_bucket = SV_BUCKET_INIT(50.0, 500.0);

static enum sv_err
cap_new_tx(struct sv_dbc *c, void *cls)
{
    struct cap_ctx *x = cls;
    struct login_challenge ch;
    int64_t open = 0;
    enum sv_qs qs;

    /* AUTH-4: one address holds a bounded number of them. */
    qs = login_store_open_by_ip(c, x->cl->ip, sv_now_ms(), &open);
    if (qs < 0)
        return sv_qs_err(qs);
    if (open >= CAPTCHA_OPEN_PER_SOURCE)
        return SV_E_RATE_LIMITED;
    memset(&ch, 0, sizeof ch);
    snprintf(ch.tenant_slug, sizeof ch.tenant_slug, "%s", x->slug);
    /* "" when the name is no account's: it may be a password. */
    snprintf(ch.username, sizeof ch.username, "%s", x->username);
    memcpy(ch.name_key, x->name_key, 32);
    ch.has_name_key = true;
    /* The tenant only (never the account): the answer must not tell. */
    snprintf(ch.tenant_id, sizeof ch.tenant_id, "%s",
             x->tenant_id ? x->tenant_id : "");
    ch.cl = *x->cl;
    snprintf(ch.stage, sizeof ch.stage, "captcha");
    snprintf(ch.next, sizeof ch.next, "captcha");
    return ch_insert(c, x->app, &ch, x->out);
}

enum sv_err
sv_login_captcha_challenge(struct sv_app *app, const char *tenant_id,
                           const char *tenant_slug, const char *username,
                           const uint8_t name_key[32],
                           const struct sv_client *cl, struct sv_outcome *out)
{
    struct cap_ctx x = {app,      tenant_id, tenant_slug, username,
                        name_key, cl,        out};
    if (!sv_bucket_take(&captcha_bucket))
        return SV_E_OVERLOADED;
    return sv_db_run_tx(app->db, "captcha_challenge", cap_new_tx, &x);
}

struct img_ctx {
    struct sv_app *app;
    const char *id, *token;
    char answer[SV_CAPTCHA_LEN + 1];
};

/* The cheap checks, and a draw counted, before any image is drawn. */
static enum sv_err
img_reserve_tx(struct sv_dbc *c, void *cls)
{
    struct img_ctx *x = cls;
    struct login_challenge ch;
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "captcha") != 0)
        return SV_E_STEP_NOT_ALLOWED;
    qs = login_store_draw(c, ch.id, CAPTCHA_MAX_DRAWS);
    if (qs < 0)
        return sv_qs_err(qs);
    return qs == SV_QS_ONE ? SV_OK : SV_E_RATE_LIMITED;
}

static enum sv_err
img_tx(struct sv_dbc *c, void *cls)
{
    struct img_ctx *x = cls;
    struct login_challenge ch;
    uint8_t h[32];
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "captcha") != 0)
        return SV_E_STEP_NOT_ALLOWED;
    sv_captcha_hash(x->app->code_key, ch.id, x->answer, h);
    return sv_qs_ok(login_store_set_captcha(c, ch.id, h));
}

enum sv_err
sv_login_captcha_image(struct sv_app *app, const char *id, const char *token,
                       unsigned char **png, size_t *len,
                       char answer_out[SV_CAPTCHA_LEN + 1])
{
    struct img_ctx x = {app, id, token, {0}};
    enum sv_err rc;

    *png = NULL;
    rc = sv_db_run_tx(app->db, "captcha_draw", img_reserve_tx, &x);
    if (rc == SV_OK)
        rc = sv_captcha_draw(x.answer, png, len);
    if (rc == SV_OK)
        rc = sv_db_run_tx(app->db, "captcha_image", img_tx, &x);
    if (rc == SV_OK && answer_out != NULL)
        memcpy(answer_out, x.answer, sizeof x.answer);
    sodium_memzero(x.answer, sizeof x.answer);
    if (rc != SV_OK) {
        free(*png);
        *png = NULL;
    }
    return rc;
}

struct ans_ctx {
    struct sv_app *app;
    const char *id, *token, *answer;
    struct login_challenge ch;
    bool wrong;
};

static enum sv_err
ans_tx(struct sv_dbc *c, void *cls)
{
    struct ans_ctx *x = cls;
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &x->ch);

    x->wrong = false;
    if (rc != SV_OK)
        return rc;
    if (strcmp(x->ch.stage, "captcha") != 0)
        return SV_E_STEP_NOT_ALLOWED;
    if (!x->ch.has_captcha ||
        !sv_captcha_check(x->app->code_key, x->ch.id, x->answer,
                          x->ch.captcha_hash)) {
        x->wrong = true;
        return step_failed(c, x->app, &x->ch, "captcha_invalid");
    }
    /* Single use: the password step runs once per solved CAPTCHA. */
    return ch_move(c, &x->ch, "done", "", "captcha");
}

enum sv_err
sv_login_captcha_answer(struct sv_app *app, const char *id, const char *token,
                        const char *answer, char *tenant_slug, size_t slug_cap,
                        char *username, size_t user_cap, uint8_t name_key[32],
                        struct sv_client *cl)
{
    struct ans_ctx x = {.app = app, .id = id, .token = token, .answer = answer};
    enum sv_err rc = sv_db_run_tx(app->db, "captcha_answer", ans_tx, &x);

    if (rc != SV_OK)
        return rc;
    if (x.wrong)
        return SV_E_CAPTCHA_INVALID;
    snprintf(tenant_slug, slug_cap, "%s", x.ch.tenant_slug);
    snprintf(username, user_cap, "%s", x.ch.username);
    {
        struct sv_guard g;
        ch_guard(app, &x.ch, &g, "", "");
        memcpy(name_key, g.name_key, 32);
    }
    /* The same client, as the challenge recorded it. */
    const char *ip = cl->ip, *ua = cl->user_agent;
    *cl = x.ch.cl;
    cl->ip = ip;
    cl->user_agent = ua;
    return SV_OK;
}

/* ---- codes: TOTP and SMS ---- */

struct code_ctx {
    struct sv_app *app;
    const char *id, *token, *code, *ip;
    bool sms;
    struct sv_outcome *out;
    bool wrong;
};

static enum sv_err
code_tx(struct sv_dbc *c, void *cls)
{
    struct code_ctx *x = cls;
    struct login_challenge ch;
    bool ok = false;
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);

    x->wrong = false;
    if (rc != SV_OK)
        return rc;
    if (x->sms) {
        if (strcmp(ch.stage, "device") != 0 || !next_has(&ch, "sms_code"))
            return SV_E_STEP_NOT_ALLOWED;
        if (ch.has_code && ch.code_expires_at > sv_now_ms()) {
            uint8_t h[32];
            sv_code_hash(x->app->code_key, "sms", ch.id, x->code, h);
            ok = sodium_memcmp(h, ch.code_hash, 32) == 0;
        }
    } else {
        if (!next_has(&ch, "totp"))
            return SV_E_STEP_NOT_ALLOWED;
        rc = sv_db_scope_tenant(c, ch.tenant_id);
        if (rc == SV_OK)
            rc = sv_totp_check_tx(c, ch.tenant_id, ch.account_id, x->code, &ok);
        if (rc != SV_OK)
            return rc;
    }
    if (!ok) {
        x->wrong = true;
        return step_failed(c, x->app, &ch, x->sms ? "sms_code" : "totp");
    }
    return advance(c, x->app, &ch, x->sms ? "sms_code" : "totp", x->out);
}

static enum sv_err
run_code(struct sv_app *app, struct code_ctx *x)
{
    enum sv_err rc = sv_db_run_tx(app->db, "challenge_code", code_tx, x);
    if (rc == SV_OK && x->wrong)
        return SV_E_CODE_INVALID;
    if (rc == SV_OK && x->out->refused != SV_OK)
        return x->out->refused;
    return rc;
}

enum sv_err
sv_login_totp(struct sv_app *app, const char *id, const char *token,
              const char *code, const char *ip, struct sv_outcome *out)
{
    struct code_ctx x = {app, id, token, code, ip, false, out, false};
    return run_code(app, &x);
}

enum sv_err
sv_login_sms_verify(struct sv_app *app, const char *id, const char *token,
                    const char *code, const char *ip, struct sv_outcome *out)
{
    struct code_ctx x = {app, id, token, code, ip, true, out, false};
    return run_code(app, &x);
}

struct send_ctx {
    struct sv_app *app;
    const char *id, *token;
    char code[CODE_DIGITS + 1];
    char phone[SV_PHONE_MAX + 1];
};

static enum sv_err
send_tx(struct sv_dbc *c, void *cls)
{
    struct send_ctx *x = cls;
    struct login_challenge ch;
    bool has = false;
    uint8_t h[32];
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "device") != 0 || !next_has(&ch, "sms_code"))
        return SV_E_STEP_NOT_ALLOWED;
    if (ch.code_sends >= SMS_MAX_SENDS)
        return SV_E_RATE_LIMITED;
    rc = sv_db_scope_tenant(c, ch.tenant_id);
    if (rc == SV_OK)
        rc = sv_phone_get_tx(c, ch.tenant_id, ch.account_id, x->phone, &has);
    if (rc != SV_OK)
        return rc;
    if (!has)
        return SV_E_NO_SECOND_FACTOR;
    sv_code_hash(x->app->code_key, "sms", ch.id, x->code, h);
    rc = sv_qs_ok(login_store_set_code(c, ch.id, h,
                                       sv_now_ms() + x->app->cfg.code_ttl_ms));
    if (rc != SV_OK)
        return rc;
    return flow_audit(c, ch.tenant_id, ch.account_id, ch.username, ch.cl.ip,
                      ch.cl.user_agent, SV_AUDIT_AUTH_SMS_CODE, "challenge",
                      ch.id, "success", NULL, NULL);
}

enum sv_err
sv_login_sms_send(struct sv_app *app, const char *id, const char *token,
                  char sent_to[24])
{
    struct send_ctx x = {.app = app, .id = id, .token = token};
    char text[256];
    enum sv_err rc;

    snprintf(x.code, sizeof x.code, "%06u", randombytes_uniform(1000000));
    rc = sv_db_run_tx(app->db, "sms_send", send_tx, &x);
    if (rc == SV_OK) {
        snprintf(text, sizeof text,
                 "Your Salesvault sign-in code is %s. It expires in %lld "
                 "seconds. Never share it.",
                 x.code, (long long)(app->cfg.code_ttl_ms / 1000));
        struct sv_message m = {"sms", x.phone, "Salesvault sign-in code", text};
        rc = sv_notify_send(app->notify, &m);
        sodium_memzero(text, sizeof text);
        size_t n = strlen(x.phone);
        snprintf(sent_to, 24, "•••••%s", n >= 4 ? x.phone + n - 4 : "");
    }
    sodium_memzero(x.code, sizeof x.code);
    sodium_memzero(x.phone, sizeof x.phone);
    return rc;
}

/* ---- approvals (DEV-3, DEV-4) ---- */

static void
numbers(int *number, int choices[3])
{
    int n = 10 + (int)randombytes_uniform(90);
    choices[0] = n;
    for (int i = 1; i < 3; i++) {
        int v;
        do
            v = 10 + (int)randombytes_uniform(90);
        while (v == choices[0] || (i == 2 && v == choices[1]));
        choices[i] = v;
    }
    /* shuffle */
    for (int i = 2; i > 0; i--) {
        int j = (int)randombytes_uniform((uint32_t)i + 1), t = choices[i];
        choices[i] = choices[j];
        choices[j] = t;
    }
    *number = n;
}

struct ap_ctx {
    struct sv_app *app;
    const char *id, *token;
    bool qr;
    int number;
    int64_t expires_at;
    char *qr_text;
};

enum { APPROVALS_PER_CHALLENGE = 3, APPROVALS_PER_HOUR = 10 };

/*
 * Push fatigue: a few requests per login, and (pushed unasked to the
 * phone) a few pushes per account per hour. A QR is only seen by whoever
 * scans it, so it counts per login only.
 */
static enum sv_err
count_approvals(struct sv_dbc *c, const struct login_challenge *ch, bool qr,
                int64_t now)
{
    int64_t n = 0;
    enum sv_qs qs;

    qs = login_store_approval_prune(c, ch->tenant_id, ch->account_id,
                                    now - 2 * 3600 * 1000);
    if (qs >= 0)
        qs = login_store_approval_count(c, ch->tenant_id, ch->id, &n);
    if (qs < 0)
        return sv_qs_err(qs);
    if (n >= APPROVALS_PER_CHALLENGE)
        return SV_E_RATE_LIMITED;
    if (qr)
        return SV_OK;
    qs = login_store_approval_count_pushes(c, ch->tenant_id, ch->account_id,
                                           now - 3600 * 1000, &n);
    if (qs < 0)
        return sv_qs_err(qs);
    return n >= APPROVALS_PER_HOUR ? SV_E_RATE_LIMITED : SV_OK;
}

static enum sv_err
ap_start_tx(struct sv_dbc *c, void *cls)
{
    struct ap_ctx *x = cls;
    struct login_challenge ch;
    struct login_approval ap = {0};
    char secret_b64[48];
    uint8_t secret[32];
    int64_t now = sv_now_ms();
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "device") != 0 ||
        !next_has(&ch, x->qr ? "qr_approval" : "device_approval"))
        return SV_E_STEP_NOT_ALLOWED;
    if ((rc = sv_db_scope_tenant(c, ch.tenant_id)) != SV_OK)
        return rc;
    if ((rc = count_approvals(c, &ch, x->qr, now)) != SV_OK)
        return rc;
    sv_uuid7(ap.id);
    numbers(&x->number, ap.choices);
    ap.number = x->number;
    x->expires_at =
        now + (x->qr ? x->app->cfg.qr_ttl_ms : x->app->cfg.code_ttl_ms);
    if (x->expires_at > ch.expires_at)
        x->expires_at = ch.expires_at;
    if (x->qr) {
        randombytes_buf(secret, sizeof secret);
        sodium_bin2base64(secret_b64, sizeof secret_b64, secret, sizeof secret,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        snprintf(x->qr_text, 128, "svqr1.%s.%s", ap.id, secret_b64);
        sv_code_hash(x->app->code_key, "qr", ap.id, secret_b64, ap.qr_hash);
        ap.has_qr = true;
        sodium_memzero(secret, sizeof secret);
        sodium_memzero(secret_b64, sizeof secret_b64);
    }
    snprintf(ap.account_id, sizeof ap.account_id, "%s", ch.account_id);
    snprintf(ap.challenge_id, sizeof ap.challenge_id, "%s", ch.id);
    ap.qr = x->qr;
    snprintf(ap.ip, sizeof ap.ip, "%s", ch.cl.ip);
    snprintf(ap.user_agent, sizeof ap.user_agent, "%s", ch.cl.user_agent);
    ap.created_at = now;
    ap.expires_at = x->expires_at;
    if ((rc = sv_qs_ok(login_store_approval_insert(c, ch.tenant_id, &ap))) !=
            SV_OK ||
        (rc = sv_qs_ok(login_store_set_approval(c, ch.id, ap.id))) != SV_OK)
        return rc;
    return flow_audit(c, ch.tenant_id, ch.account_id, ch.username, ch.cl.ip,
                      ch.cl.user_agent, SV_AUDIT_AUTH_APPROVAL_REQUEST,
                      "approval", ap.id, "success", x->qr ? "qr" : "push",
                      NULL);
}

enum sv_err
sv_login_approval_start(struct sv_app *app, const char *id, const char *token,
                        bool qr, int *number, int64_t *expires_at,
                        char qr_text[128])
{
    struct ap_ctx x = {app, id, token, qr, 0, 0, qr_text};
    enum sv_err rc;

    qr_text[0] = '\0';
    rc = sv_db_run_tx(app->db, "approval_start", ap_start_tx, &x);
    *number = x.number;
    *expires_at = x.expires_at;
    return rc;
}

struct wait_ctx {
    struct sv_app *app;
    const char *id, *token, *ip;
    bool pending;
    struct sv_outcome *out;
};

static enum sv_err
wait_tx(struct sv_dbc *c, void *cls)
{
    struct wait_ctx *x = cls;
    struct login_challenge ch;
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);

    x->pending = false;
    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "approved") == 0)
        return advance(c, x->app, &ch, ch.device_done, x->out);
    if (strcmp(ch.stage, "device") == 0 && ch.approval_id[0] != '\0') {
        x->pending = true;
        return SV_OK;
    }
    return SV_E_STEP_NOT_ALLOWED;
}

enum sv_err
sv_login_wait(struct sv_app *app, const char *id, const char *token,
              const char *ip, bool *pending, struct sv_outcome *out)
{
    struct wait_ctx x = {app, id, token, ip, false, out};
    enum sv_err rc = sv_db_run_tx(app->db, "challenge_wait", wait_tx, &x);
    *pending = x.pending;
    if (rc == SV_OK && out->refused != SV_OK)
        return out->refused;
    return rc;
}

/* ---- the trusted device's side ---- */

static void
view_of(const struct login_approval *a, struct sv_approval_view *v)
{
    memset(v, 0, sizeof *v);
    snprintf(v->id, sizeof v->id, "%s", a->id);
    v->qr = a->qr;
    snprintf(v->ip, sizeof v->ip, "%s", a->ip);
    snprintf(v->user_agent, sizeof v->user_agent, "%s", a->user_agent);
    v->created_at = a->created_at;
    v->expires_at = a->expires_at;
    memcpy(v->choices, a->choices, sizeof v->choices);
}

/* Approvals are for a trusted mobile/CLI device of the same account. */
static enum sv_err
device_session_only(const struct sv_session *s)
{
    return s->has_device_pk ? SV_OK : SV_E_FORBIDDEN;
}

struct pend_ctx {
    const struct sv_session *s;
    void (*start)(void *);
    sv_approval_row_fn row;
    void *cls;
};

static void
pend_row(void *cls, const struct login_approval *a)
{
    struct pend_ctx *x = cls;
    struct sv_approval_view v;

    view_of(a, &v);
    x->row(x->cls, &v);
}

static enum sv_err
pend_tx(struct sv_dbc *c, void *cls)
{
    struct pend_ctx *x = cls;

    if (x->start)
        x->start(x->cls);
    return sv_qs_ok(login_store_approval_pending(
        c, x->s->tenant_id, x->s->account_id, sv_now_ms(), pend_row, x));
}

enum sv_err
sv_login_approvals_pending(struct sv_app *app, const struct sv_session *s,
                           void (*start)(void *), sv_approval_row_fn row,
                           void *cls)
{
    struct pend_ctx x = {s, start, row, cls};
    enum sv_err rc = device_session_only(s);
    return rc != SV_OK
               ? rc
               : sv_db_run_tenant_ro(app->db, s->tenant_id, pend_tx, &x);
}

struct scan_ctx {
    struct sv_app *app;
    const struct sv_session *s;
    char aid[40];
    const char *secret;
    struct sv_approval_view *v;
};

static enum sv_err
scan_tx(struct sv_dbc *c, void *cls)
{
    struct scan_ctx *x = cls;
    struct login_approval a;
    uint8_t h[32];
    enum sv_qs qs;

    qs = login_store_approval_find(c, x->s->tenant_id, x->aid, &a);
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    view_of(&a, x->v);
    sv_code_hash(x->app->code_key, "qr", x->aid, x->secret, h);
    /* Another account's QR, or a forged one, names nothing. */
    if (!a.qr || !a.has_qr || sodium_memcmp(h, a.qr_hash, 32) != 0 ||
        strcmp(a.account_id, x->s->account_id) != 0)
        return SV_E_NOT_FOUND;
    if (strcmp(a.state, "pending") != 0 || a.expires_at <= sv_now_ms())
        return SV_E_CHALLENGE_EXPIRED;
    if (a.device_id[0] != '\0' && strcmp(a.device_id, x->s->device_id) != 0)
        return SV_E_CHALLENGE_EXPIRED; /* scanned by another device */
    return sv_qs_ok(login_store_approval_scanned(c, x->s->tenant_id, x->aid,
                                                 x->s->device_id));
}

enum sv_err
sv_login_approval_scan(struct sv_app *app, const struct sv_session *s,
                       const char *qr_text, struct sv_approval_view *v)
{
    struct scan_ctx x = {.app = app, .s = s, .v = v};
    const char *dot;
    enum sv_err rc = device_session_only(s);

    if (rc != SV_OK)
        return rc;
    if (strncmp(qr_text, "svqr1.", 6) != 0 ||
        (dot = strchr(qr_text + 6, '.')) == NULL ||
        (size_t)(dot - qr_text - 6) != SV_UUID_LEN)
        return SV_E_FIELD_INVALID;
    memcpy(x.aid, qr_text + 6, SV_UUID_LEN);
    x.aid[SV_UUID_LEN] = '\0';
    if (!sv_check_uuid(x.aid))
        return SV_E_FIELD_INVALID;
    x.secret = dot + 1;
    return sv_db_run_tenant_tx(app->db, "approval_scan", s->tenant_id, scan_tx,
                               &x);
}

struct decide_ctx {
    struct sv_app *app;
    const struct sv_session *s;
    const char *aid;
    bool approve;
    int number;
    const struct sv_actor *actor;
    bool mismatch;
    char challenge_id[37];
};

static enum sv_err
decide_tx(struct sv_dbc *c, void *cls)
{
    struct decide_ctx *x = cls;
    struct login_approval a;
    int64_t now = sv_now_ms();
    bool approve;
    enum sv_qs qs;
    enum sv_err rc;

    x->mismatch = false;
    qs = login_store_approval_find(c, x->s->tenant_id, x->aid, &a);
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    snprintf(x->challenge_id, sizeof x->challenge_id, "%s", a.challenge_id);
    if (strcmp(a.account_id, x->s->account_id) != 0)
        return SV_E_NOT_FOUND;
    /* A QR approval is decided by the device that scanned it. */
    if (a.qr && strcmp(a.device_id, x->s->device_id) != 0)
        return SV_E_NOT_FOUND;
    if (strcmp(a.state, "pending") != 0 || a.expires_at <= now)
        return SV_E_CHALLENGE_EXPIRED;
    approve = x->approve && x->number == a.number;
    x->mismatch = x->approve && !approve;
    qs = login_store_approval_decide(c, x->s->tenant_id, x->aid,
                                     approve ? "approved" : "denied",
                                     x->s->device_id, now);
    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_E_CHALLENGE_EXPIRED;
    qs = login_store_decide(c, x->challenge_id, approve ? "approved" : "denied",
                            a.qr ? "qr_approval" : "device_approval", now,
                            x->aid);
    if (qs != SV_QS_ONE) /* NONE: the login moved on meanwhile */
        return qs < 0 ? sv_qs_err(qs) : SV_E_CHALLENGE_EXPIRED;
    if (!approve) {
        /* A denied or mismatched approval counts against the login, like
         * a wrong code: enough of them lock the name. */
        struct login_challenge ch;
        qs = login_store_find(c, x->challenge_id, &ch);
        if (qs < 0)
            return sv_qs_err(qs);
        if (qs == SV_QS_ONE) {
            rc = step_failed(c, x->app, &ch,
                             x->mismatch ? "number_mismatch" : "denied");
            if (rc == SV_OK)
                rc = sv_db_scope_tenant(c, x->s->tenant_id);
            if (rc != SV_OK)
                return rc;
        }
    }
    return flow_audit(
        c, x->s->tenant_id, x->actor->account_id, x->actor->username,
        x->actor->ip, x->actor->user_agent, SV_AUDIT_AUTH_APPROVAL, "approval",
        x->aid, approve ? "success" : "denied",
        approve ? NULL : (x->mismatch ? "number_mismatch" : "denied_by_user"),
        NULL);
}

enum sv_err
sv_login_approval_decide(struct sv_app *app, const struct sv_session *s,
                         const char *approval_id, bool approve, int number,
                         const struct sv_actor *actor)
{
    struct decide_ctx x = {app,    s,     approval_id, approve,
                           number, actor, false,       {0}};
    enum sv_err rc = device_session_only(s);

    if (rc != SV_OK)
        return rc;
    rc = sv_db_run_tenant_tx(app->db, "approval_decide", s->tenant_id,
                             decide_tx, &x);
    if (rc != SV_OK)
        return rc;
    wake(x.challenge_id); /* the waiting client answers at once */
    return x.mismatch ? SV_E_APPROVAL_NUMBER_MISMATCH : SV_OK;
}

struct retry_ctx {
    struct sv_app *app;
    const char *id;
    int64_t locked_until;
};

static enum sv_err
retry_tx(struct sv_dbc *c, void *cls)
{
    struct retry_ctx *x = cls;
    struct login_challenge ch;
    struct sv_guard g;
    enum sv_qs qs = login_store_find(c, x->id, &ch);
    enum sv_err rc;

    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_OK;
    ch_guard(x->app, &ch, &g, "", "");
    rc = sv_guard_read(c, x->app, &g, sv_now_ms());
    x->locked_until = g.locked_until;
    return rc;
}

int64_t
sv_login_retry_after(struct sv_app *app, const char *id)
{
    struct retry_ctx x = {app, id, 0};
    int64_t now = sv_now_ms();
    if (sv_db_run_ro(app->db, retry_tx, &x) != SV_OK || x.locked_until <= now)
        return 0;
    return (x.locked_until - now + 999) / 1000;
}

struct settled_ctx {
    const char *id;
    bool settled;
};

static enum sv_err
settled_tx(struct sv_dbc *c, void *cls)
{
    struct settled_ctx *x = cls;
    struct login_challenge ch;
    enum sv_qs qs = login_store_find(c, x->id, &ch);
    if (qs < 0)
        return sv_qs_err(qs);
    x->settled = qs == SV_QS_NONE || strcmp(ch.stage, "device") != 0 ||
                 ch.expires_at <= sv_now_ms();
    return SV_OK;
}

bool
sv_login_settled(struct sv_app *app, const char *id)
{
    struct settled_ctx x = {id, false};
    return sv_db_run_one(app->db, settled_tx, &x) != SV_OK || x.settled;
}

/* ---- cross-node wake-ups and housekeeping ---- */

static enum sv_err
tick_tx(struct sv_dbc *c, void *cls)
{
    int64_t *since = cls;
    /* A wake for an id nobody waits on here costs a list walk. */
    return sv_qs_ok(login_store_decided_since(c, *since, wake));
}

/* Expired challenges, counters decayed to nothing, old failures. */
static enum sv_err
housekeeping_tx(struct sv_dbc *c, void *cls)
{
    struct sv_app *app = cls;
    int64_t now = sv_now_ms();
    enum sv_qs qs;

    /* Kept an hour past expiry, for whoever still asks about one. */
    if ((qs = login_store_prune(c, now - 3600 * 1000)) < 0)
        return sv_qs_err(qs);
    return sv_guard_prune_tx(c, app, now);
}

/* Approvals are counted per account over the last hour (count_approvals
 * prunes the account's older than two when it asks): the same age for
 * every account of the tenant, those that never sign in again too. */
enum sv_err
sv_login_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms)
{
    return sv_qs_ok(
        login_store_approval_sweep(c, tenant_id, now_ms - 2 * 3600 * 1000));
}

void
sv_login_tick(struct sv_app *app)
{
    static unsigned ticks;

    /* Decisions of the last few seconds, made on any node: the waiting
     * client learns of one from another node within about a second. */
    if (parked_count() > 0) {
        int64_t since = sv_now_ms() - 2500;
        if (sv_db_run_one(app->db, tick_tx, &since) != SV_OK)
            sv_log(SV_LOG_DEBUG, "wake-up poll failed", "%s", "next tick");
    }
    if (++ticks % 60 == 0 && sv_db_run_tx(app->db, "auth_housekeeping",
                                          housekeeping_tx, app) != SV_OK)
        sv_log(SV_LOG_WARN, "auth housekeeping failed", "%s", "retrying");
}

/* ---- login ---- */

enum sv_err
sv_login_init(struct sv_login *l, const char *password, size_t len)
{
    l->password = sv_secret_dup(password, len);
    l->password_len = len;
    return l->password != NULL ? SV_OK : SV_E_OVERLOADED;
}

void
sv_login_free(struct sv_login *l)
{
    sodium_free(l->password); /* wipes */
    l->password = NULL;
    sodium_memzero(l->hash, sizeof l->hash);
    sodium_memzero(l->new_hash, sizeof l->new_hash);
    sv_outcome_wipe(&l->out);
}

static enum sv_err
login_lookup_tx(struct sv_dbc *c, void *cls)
{
    struct sv_login *l = cls;
    int64_t now = sv_now_ms();
    enum sv_err rc;

    /* AUTH-4, AUTH-5: blacklist and counters before any hashing. */
    if (l->has_name_key)
        sv_guard_init_key(l->app, &l->guard, l->name_key, l->ip,
                          l->client.device);
    else
        sv_guard_init(l->app, &l->guard, l->tenant_slug, l->username, l->ip,
                      l->client.device);
    l->must_wait = false;
    rc = sv_tenant_find_by_slug(c, l->tenant_slug, &l->tenant);
    if (rc != SV_OK && rc != SV_E_NOT_FOUND)
        return rc;
    l->tenant_found = rc == SV_OK;
    rc = l->tenant_found ? sv_db_scope_tenant(c, l->tenant.id) : SV_OK;
    if (rc == SV_OK)
        rc = sv_db_scope_platform(c);
    if (rc == SV_OK)
        rc =
            sv_guard_blacklisted(c, l->tenant_found ? l->tenant.id : NULL,
                                 l->ip, l->client.device, now, &l->blacklisted);
    if (rc != SV_OK || l->blacklisted)
        return rc;
    rc = sv_guard_read(c, l->app, &l->guard, now);
    if (rc != SV_OK)
        return rc;
    l->locked_until = l->guard.locked_until;
    l->captcha_due = sv_guard_captcha_due(l->app, &l->guard);
    l->flooding = sv_guard_source_flooding(l->app, &l->guard);
    if (l->locked_until > now || l->flooding)
        return SV_OK;
    /*
     * Only failures count, so a check in flight is a failure not counted
     * yet: the name admits captcha_after of them at once, across nodes. A
     * check behind a solved CAPTCHA needs no slot (the CAPTCHA paid for it).
     */
    if (!l->captcha_passed && !l->captcha_due) {
        bool claimed = false;
        rc = sv_guard_claim_tx(c, l->app, &l->guard, now, &claimed);
        if (rc != SV_OK)
            return rc;
        if (!claimed) {
            l->must_wait = true;
            return SV_OK;
        }
    }
    if (!l->tenant_found)
        return SV_OK;
    rc = sv_account_credentials_tx(c, l->tenant.id, l->username, &l->account,
                                   l->hash);
    if (rc == SV_E_NOT_FOUND)
        return SV_OK;
    if (rc != SV_OK)
        return rc;
    l->account_found = true;
    return SV_OK;
}

enum sv_err
sv_login_lookup(struct sv_app *app, struct sv_login *l)
{
    enum sv_err rc = sv_db_run_tx(app->db, "login_lookup", login_lookup_tx, l);
    if (rc != SV_OK)
        l->guard.claimed = false; /* rolled back with the rest */
    return rc;
}

enum sv_err
sv_login_gate(struct sv_login *l, int64_t *retry_after_s)
{
    int64_t now = sv_now_ms();

    *retry_after_s = 0;
    if (l->blacklisted)
        return SV_E_BLACKLISTED;
    if (l->locked_until > now) {
        *retry_after_s = (l->locked_until - now + 999) / 1000;
        return SV_E_LOGIN_LOCKED;
    }
    if (l->captcha_passed) {
        l->captcha_due = false;
        return SV_OK;
    }
    /* So many failures from here that even a CAPTCHA is too much. */
    return l->flooding ? SV_E_RATE_LIMITED : SV_OK;
}

void
sv_login_work(struct sv_app *app, struct sv_login *l)
{
    /* AUTH-4: unknown tenant or account, or an account with no password
     * yet (imported: docs/import.md), costs one full verify too. DIR-6:
     * so does a disabled account, against its own hash: right or wrong,
     * its password is answered like a wrong one, in the same time. */
    bool has = l->account_found && sv_password_is_set(l->hash);
    const char *hash = has ? l->hash : app->dummy_hash;
    bool ok = sv_password_verify(hash, l->password, l->password_len) == SV_OK;

    l->ok = ok && has && !l->account.disabled;
    /* AUTH-6: the risk library: today's policy and the weak list. */
    if (l->ok) {
        struct sv_pw_context ctx = {
            .username = l->account.username,
            .tenant_slug = l->tenant.slug,
            .tenant_name = l->tenant.name,
            .email = l->account.has_email ? l->account.email : NULL,
        };
        l->weak = sv_policy_check(&l->tenant.policy, &ctx, l->password,
                                  l->password_len) != SV_OK;
    }
    /* AUTH-2: upgrade a hash made with older parameters. */
    if (l->ok && sv_password_needs_rehash(&app->pw, l->hash) &&
        sv_password_hash(&app->pw, l->password, l->password_len, l->new_hash) ==
            SV_OK)
        l->rehashed = true;
}

struct finish_ctx {
    struct sv_app *app;
    struct sv_login *l;
};

static enum sv_err
login_finish_tx(struct sv_dbc *c, void *cls)
{
    struct finish_ctx *f = cls;
    struct sv_login *l = f->l;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {
        .account_id = l->account_found ? l->account.id : NULL,
        /* a name that is no account's may be a password typed there */
        .username = l->account_found ? l->account.username : fp,
        .ip = l->ip,
        .user_agent = l->user_agent,
    };
    enum sv_err rc;

    sv_guard_fingerprint(&l->guard, fp);
    l->stale = false;
    if (l->tenant_found) {
        rc = sv_db_scope_tenant(c, l->tenant.id);
        if (rc != SV_OK)
            return rc;
    }
    if (l->ok) {
        /*
         * The password was checked outside this transaction; it only counts
         * if it is still the account's (a reset may have landed meanwhile).
         * The same statement stores an upgraded hash.
         */
        bool still = false;
        rc = sv_account_confirm_hash_tx(c, l->tenant.id, l->account.id, l->hash,
                                        l->rehashed ? l->new_hash : l->hash,
                                        &still);
        if (rc != SV_OK)
            return rc;
        l->stale = !still;
    }
    /* AUTH-7: every attempt is logged, in the tenant's stream if it exists. */
    if (!l->ok || l->stale) {
        /* DIR-6: the reason is for the log only; the answer is the same. */
        const char *reason = !l->tenant_found      ? "unknown_tenant"
                             : !l->account_found   ? "unknown_account"
                             : l->account.disabled ? "account_disabled"
                             : l->stale ? "password_changed_meanwhile"
                                        : "wrong_password";
        json_t *d = json_pack(
            "{s:s, s:s, s:s?}", "tenant", l->tenant_slug, "device_kind",
            sv_client_kind_name(l->client.kind), "device_model",
            l->client.model[0] ? l->client.model : NULL);
        char *details = d ? json_dumps(d, JSON_COMPACT) : NULL;
        json_decref(d);
        if (!l->tenant_found && (rc = sv_db_scope_platform(c)) != SV_OK) {
            free(details);
            return rc;
        }
        rc = sv_account_audit(c, l->tenant_found ? l->tenant.id : NULL, &actor,
                              SV_AUDIT_AUTH_LOGIN, actor.account_id, "failure",
                              reason, details);
        free(details);
        if (rc != SV_OK)
            return rc;
        /* AUTH-4, AUTH-5: known and unknown names count alike. */
        rc = sv_guard_release_tx(c, &l->guard);
        if (rc != SV_OK)
            return rc;
        return sv_guard_fail_tx(c, f->app, &l->guard, SV_FAIL_CHECK,
                                l->tenant_found ? l->tenant.id : NULL, &actor,
                                sv_now_ms());
    }
    /* A right password leaves nothing behind; the name's failures are
     * forgotten when a session opens. */
    rc = sv_guard_release_tx(c, &l->guard);
    if (rc != SV_OK)
        return rc;
    return sv_login_after_password_tx(c, f->app, &l->tenant, &l->account,
                                      &l->client, l->weak, l->rehashed,
                                      &l->out);
}

static enum sv_err
release_tx(struct sv_dbc *c, void *cls)
{
    struct sv_login *l = cls;
    return sv_guard_release_tx(c, &l->guard);
}

void
sv_login_release(struct sv_app *app, struct sv_login *l)
{
    if (!l->guard.claimed)
        return;
    if (sv_db_run_tx(app->db, "login_release", release_tx, l) != SV_OK)
        sv_log(SV_LOG_WARN, "login slot not released", "its lease frees it");
    l->guard.claimed = false;
}

enum sv_err
sv_login_finish(struct sv_app *app, struct sv_login *l)
{
    struct finish_ctx f = {app, l};
    enum sv_err rc = sv_db_run_tx(app->db, "login", login_finish_tx, &f);

    if (rc == SV_OK)
        l->guard.claimed = false; /* given back with the rest */
    if (rc != SV_OK)
        return rc;
    if (!l->ok || l->stale)
        return SV_E_INVALID_CREDENTIALS;
    return l->out.refused; /* SV_OK, or an audited refusal */
}

/* The self-service password reset: see recovery.h. */
#include "recovery/recovery.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "mfa/mfa.h"
#include "notify/inbox.h"
#include "recovery/recovery_store.h"
#include "notify/notify.h"
#include "risk/risk.h"

#define RESET_TAG "sv-reset-code-v1"
#define HOUR_MS (3600 * INT64_C(1000))

/* ---- request ---- */

enum {
    RESET_REQUESTS_PER_SOURCE = 20,
};

/* Wrong reset codes one source may try: [auth] lock_after, one forgotten
 * per failure_decay_s, like the wrong passwords that lock a name. */

/* A node's bound on the public reset routes, whatever their sources. */
static struct sv_bucket reset_bucket = SV_BUCKET_INIT(20.0, 200.0);
static struct sv_bucket confirm_bucket = SV_BUCKET_INIT(20.0, 200.0);

/* The keyed fingerprint that stands for a name no account has. */
static void
name_fingerprint(const struct sv_app *app, const char *slug,
                 const char *username, char out[SV_GUARD_FP_LEN])
{
    struct sv_guard g;
    sv_guard_init(app, &g, slug, username, "", "");
    sv_guard_fingerprint(&g, out);
}

struct request_ctx {
    struct sv_app *app;
    const char *slug, *username, *channel, *ip, *user_agent;
    /* out: what to send, after the commit */
    bool send;
    char to[SV_EMAIL_MAX + 1];
    char code[SV_RESET_CODE_DIGITS + 1];
};

static enum sv_err
request_tx(struct sv_dbc *c, void *cls)
{
    struct request_ctx *q = cls;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {NULL, fp, q->ip, q->user_agent};
    struct sv_tenant t;
    struct sv_account a;
    uint8_t h[RECOVERY_HASH_LEN];
    char id[SV_UUID_LEN + 1], details[64];
    bool sms = strcmp(q->channel, "sms") == 0, has = false;
    int64_t now = sv_now_ms(), n = 0;
    enum sv_err rc;
    enum sv_qs qs;

    q->send = false;
    /* One source may not make many phones ring: 20 requests (one
     * forgotten per failure_decay_s), whatever the accounts. */
    char source[64];
    bool over = false;
    sv_guard_source(q->ip, source);
    rc = sv_guard_key_over(c, q->app, "reset-request", source,
                           RESET_REQUESTS_PER_SOURCE, now, &over);
    if (rc != SV_OK)
        return rc;
    if (over)
        return SV_E_RATE_LIMITED; /* nothing written: no row per request */
    rc = sv_guard_key_fail_tx(c, q->app, "reset-request", source, now);
    if (rc != SV_OK)
        return rc;
    name_fingerprint(q->app, q->slug, q->username, fp);
    rc = sv_tenant_find_by_slug(c, q->slug, &t);
    if (rc == SV_E_NOT_FOUND)
        return SV_OK; /* no tenant stream to write to */
    if (rc == SV_OK)
        rc = sv_db_scope_tenant(c, t.id);
    if (rc != SV_OK)
        return rc;
    snprintf(details, sizeof details, "{\"channel\":\"%s\"}",
             sms ? "sms" : "email");
    rc = sv_account_find_by_username(c, t.id, q->username, &a);
    if (rc == SV_E_NOT_FOUND)
        return sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST,
                                NULL, "failure", "unknown_account", details);
    if (rc != SV_OK)
        return rc;
    actor.account_id = a.id;
    actor.username = a.username;
    /* DIR-6: a disabled account gets no code (the answer is the same). */
    if (a.disabled) {
        rc = sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST,
                              a.id, "denied", "account_disabled", details);
        goto cleanup;
    }
    if (sms) {
        rc = sv_phone_get_tx(c, t.id, a.id, q->to, &has);
        if (rc != SV_OK)
            goto cleanup;
    } else if (a.has_email) {
        snprintf(q->to, sizeof q->to, "%s", a.email);
        has = true;
    }
    if (!has) {
        rc =
            sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST, a.id,
                             "failure", sms ? "no_phone" : "no_email", details);
        goto cleanup;
    }
    qs = recovery_store_count_since(c, t.id, a.id, now - HOUR_MS, &n);
    if (qs != SV_QS_ONE) {
        rc = sv_qs_err(qs);
        goto cleanup;
    }
    if (n >= SV_RESET_MAX_PER_HOUR) {
        rc = sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST,
                              a.id, "denied", "rate_limited", details);
        goto cleanup;
    }
    /* A new code makes the older ones void; a day later they go. */
    rc = sv_qs_ok(recovery_store_void(c, t.id, a.id, now));
    if (rc == SV_OK)
        rc = sv_qs_ok(recovery_store_prune(c, t.id, a.id, now - 24 * HOUR_MS));
    if (rc != SV_OK)
        goto cleanup;
    snprintf(q->code, sizeof q->code, "%06u",
             (unsigned)randombytes_uniform(1000000));
    sv_uuid7(id);
    sv_code_hash(q->app->code_key, RESET_TAG, id, q->code, h);
    qs = recovery_store_insert(c, t.id, id, a.id, h, now,
                               now + q->app->cfg.reset_ttl_ms);
    if (qs != SV_QS_ONE) {
        rc = sv_qs_err(qs);
        goto cleanup;
    }
    rc = sv_account_audit(c, t.id, &actor, SV_AUDIT_AUTH_RESET_REQUEST, a.id,
                          "success", NULL, details);
    q->send = rc == SV_OK;
cleanup:
    sodium_memzero(&a, sizeof a);
    return rc;
}

enum sv_err
sv_reset_request(struct sv_app *app, const char *tenant_slug,
                 const char *username, const char *channel, const char *ip,
                 const char *user_agent)
{
    struct request_ctx q = {app,        tenant_slug, username, channel, ip,
                            user_agent, false,       "",       ""};
    char text[256];
    int64_t minutes = app->cfg.reset_ttl_ms / 60000;
    bool sms;
    enum sv_err rc;

    if (strcmp(channel, "sms") != 0 && strcmp(channel, "email") != 0)
        return SV_E_FIELD_INVALID;
    if (!sv_bucket_take(&reset_bucket))
        return SV_E_OVERLOADED;
    sms = channel[0] == 's';
    rc = sv_db_run_tx(app->db, "reset_request", request_tx, &q);
    if (rc == SV_OK && q.send) {
        snprintf(text, sizeof text,
                 "Your Salesvault password reset code is %s. It expires in "
                 "%lld minute%s. If you did not ask for it, ignore this "
                 "message.",
                 q.code, (long long)(minutes > 0 ? minutes : 1),
                 minutes == 1 ? "" : "s");
        struct sv_message m = {
            .channel = sms ? "sms" : "email",
            .to = q.to,
            .subject = sms ? "" : "Your Salesvault password reset code",
            .text = text,
        };
        rc = sv_notify_send(app->notify, &m);
        if (rc != SV_OK)
            sv_log(SV_LOG_WARN, "reset code not sent", "%s: %s", m.channel,
                   sv_err_code(rc));
        sodium_memzero(text, sizeof text);
    }
    sodium_memzero(&q, sizeof q);
    return rc;
}

/* ---- reset: confirm ---- */

enum sv_err
sv_reset_init(struct sv_reset *r, const char *password, size_t len)
{
    r->password = sv_secret_dup(password, len);
    if (r->password == NULL)
        return SV_E_OVERLOADED;
    r->password_len = len;
    r->verdict = SV_E_INTERNAL;
    return SV_OK;
}

void
sv_reset_free(struct sv_reset *r)
{
    sodium_free(r->password); /* wipes */
    r->password = NULL;
    sodium_memzero(&r->account, sizeof r->account);
    sodium_memzero(r->new_hash, sizeof r->new_hash);
}

struct verify_ctx {
    struct sv_app *app;
    struct sv_reset *r;
    enum sv_err verdict;
};

static enum sv_err
verify_code_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    struct sv_reset *r = v->r;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {NULL, fp, r->ip, r->user_agent};
    struct reset_row row;
    uint8_t h[RECOVERY_HASH_LEN];
    bool match;
    int64_t now = sv_now_ms();
    char details[48];
    enum sv_err rc;
    enum sv_qs qs;

    v->verdict = SV_E_RESET_CODE_INVALID;
    if (r->tenant.id[0] == '\0')
        return SV_OK; /* no such tenant (verify_tx looked, and scoped) */
    name_fingerprint(v->app, r->tenant_slug, r->username, fp);
    rc = sv_account_find_by_username(c, r->tenant.id, r->username, &r->account);
    if (rc == SV_E_NOT_FOUND)
        return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                                NULL, "failure", "unknown_account", NULL);
    if (rc != SV_OK)
        return rc;
    actor.account_id = r->account.id;
    actor.username = r->account.username;
    /* DIR-6: a code sent before the account was disabled is worth nothing
     * now; the answer is that of a wrong code. */
    if (r->account.disabled)
        return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                                r->account.id, "failure", "account_disabled",
                                NULL);
    qs = recovery_store_find(c, r->tenant.id, r->account.id, now, &row);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                                r->account.id, "failure", "no_code", NULL);
    match = false;
    if (sv_check_digits(r->code, SV_RESET_CODE_DIGITS)) {
        sv_code_hash(v->app->code_key, RESET_TAG, row.id, r->code, h);
        match = sodium_memcmp(h, row.hash, RECOVERY_HASH_LEN) == 0;
    }
    if (match) {
        snprintf(r->code_id, sizeof r->code_id, "%s", row.id);
        v->verdict = SV_OK;
        return SV_OK;
    }
    /* AUTH-3: a code takes SV_RESET_MAX_ATTEMPTS guesses, then it is gone. */
    rc = sv_qs_ok(recovery_store_fail(c, r->tenant.id, row.id, now,
                                      SV_RESET_MAX_ATTEMPTS));
    if (rc != SV_OK)
        return rc;
    snprintf(details, sizeof details, "{\"attempts\":%lld}",
             (long long)row.attempts + 1);
    return sv_account_audit(
        c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET, r->account.id, "failure",
        row.attempts + 1 >= SV_RESET_MAX_ATTEMPTS ? "code_burnt"
                                                  : "code_invalid",
        details);
}

/*
 * AUTH-4/5 for reset codes too. Cheap checks first, and a refused source
 * writes nothing: over its limit of wrong codes, 429; blacklisted, 403; a
 * locked name gets "invalid code" without its code being looked at. A
 * wrong code counts on the source (its limit, its counters, stuffing),
 * never on the name: a stranger's wrong codes cannot lock an owner out
 * (the code itself burns after SV_RESET_MAX_ATTEMPTS).
 */
static enum sv_err
verify_tx(struct sv_dbc *c, void *cls)
{
    struct verify_ctx *v = cls;
    struct sv_reset *r = v->r;
    char fp[SV_GUARD_FP_LEN], source[64];
    struct sv_actor actor = {NULL, fp, r->ip, r->user_agent};
    struct sv_guard g;
    bool black = false, over = false, found;
    int64_t now = sv_now_ms();
    enum sv_err rc;

    sv_guard_init(v->app, &g, r->tenant_slug, r->username, r->ip, "");
    sv_guard_fingerprint(&g, fp);
    sv_guard_source(r->ip, source);
    rc = sv_db_scope_platform(c);
    if (rc == SV_OK)
        rc = sv_guard_key_over(c, v->app, "reset-confirm", source,
                               v->app->cfg.lock_after, now, &over);
    if (rc != SV_OK)
        return rc;
    if (over)
        return SV_E_RATE_LIMITED;
    rc = sv_tenant_find_by_slug(c, r->tenant_slug, &r->tenant);
    if (rc != SV_OK && rc != SV_E_NOT_FOUND)
        return rc;
    found = rc == SV_OK;
    if (found && (rc = sv_db_scope_tenant(c, r->tenant.id)) != SV_OK)
        return rc;
    if (!found)
        r->tenant.id[0] = '\0';
    rc = sv_guard_blacklisted(c, found ? r->tenant.id : NULL, r->ip, "", now,
                              &black);
    if (rc != SV_OK)
        return rc;
    if (black)
        return SV_E_BLACKLISTED;
    rc = sv_guard_read(c, v->app, &g, now);
    if (rc != SV_OK)
        return rc;
    v->verdict = SV_E_RESET_CODE_INVALID;
    if (g.locked_until <= now) {
        rc = verify_code_tx(c, cls);
        if (rc != SV_OK)
            return rc;
    }
    if (v->verdict == SV_OK)
        return SV_OK;
    if (r->account.id[0] != '\0') {
        actor.account_id = r->account.id;
        actor.username = r->account.username;
    }
    rc = sv_guard_key_fail_tx(c, v->app, "reset-confirm", source, now);
    if (rc != SV_OK)
        return rc;
    return sv_guard_fail_tx(c, v->app, &g, SV_FAIL_SOURCE,
                            found ? r->tenant.id : NULL, &actor, now);
}

enum sv_err
sv_reset_verify(struct sv_app *app, struct sv_reset *r)
{
    struct verify_ctx v = {app, r, SV_E_INTERNAL};
    enum sv_err rc;

    if (!sv_bucket_take(&confirm_bucket))
        return SV_E_OVERLOADED;
    rc = sv_db_run_tx(app->db, "reset_verify", verify_tx, &v);
    return rc == SV_OK ? v.verdict : rc;
}

void
sv_reset_work(struct sv_app *app, struct sv_reset *r)
{
    r->verdict =
        sv_account_new_password(app, &r->tenant, &r->account, r->password,
                                r->password_len, r->new_hash);
}

static enum sv_err
finish_tx(struct sv_dbc *c, void *cls)
{
    struct sv_reset *r = cls;
    struct sv_actor actor = {r->account.id, r->account.username, r->ip,
                             r->user_agent};
    const char *t = r->tenant.id, *a = r->account.id;
    int64_t now = sv_now_ms();
    enum sv_err rc;
    enum sv_qs qs;

    /* Single use: of two requests with the same code only one gets here. */
    qs = recovery_store_use(c, t, r->code_id, now);
    if (qs == SV_QS_NONE)
        return SV_E_RESET_CODE_INVALID;
    if (qs < 0)
        return sv_qs_err(qs);
    rc = sv_account_set_password_tx(c, t, a, r->new_hash, false);
    if (rc == SV_E_NOT_FOUND)
        return SV_E_RESET_CODE_INVALID; /* the account is gone */
    if (rc == SV_OK)
        rc = sv_qs_ok(recovery_store_void(c, t, a, now));
    /* The owner proved it with the code: a lock from guessing is lifted. */
    if (rc == SV_OK)
        rc = sv_guard_unlock_tx(c, r->app, r->tenant.slug, r->account.username);
    if (rc == SV_OK)
        rc = sv_account_audit(c, t, &actor, SV_AUDIT_AUTH_RESET, a, "success",
                              NULL, NULL);
    if (rc == SV_OK)
        rc = sv_inbox_post_tx(
            c, t, a, "security", "Password reset",
            "Your password was reset with a code sent to you, and every "
            "session of your account was signed out. If this was not you, "
            "contact your administrator.");
    return rc;
}

static enum sv_err
refused_tx(struct sv_dbc *c, void *cls)
{
    struct sv_reset *r = cls;
    struct sv_actor actor = {r->account.id, r->account.username, r->ip,
                             r->user_agent};
    return sv_account_audit(c, r->tenant.id, &actor, SV_AUDIT_AUTH_RESET,
                            r->account.id, "failure", sv_err_code(r->verdict),
                            NULL);
}

enum sv_err
sv_reset_finish(struct sv_app *app, struct sv_reset *r)
{
    if (r->verdict != SV_OK) {
        /* A refused new password: the code stays usable, the try is kept. */
        if (sv_err_status(r->verdict) < 500 &&
            sv_db_run_tenant_tx(app->db, "reset_refused", r->tenant.id,
                                refused_tx, r) != SV_OK)
            sv_log(SV_LOG_WARN, "audit write failed", "%s",
                   sv_audit_action_name(SV_AUDIT_AUTH_RESET));
        return r->verdict;
    }
    return sv_db_run_tenant_tx(app->db, "reset", r->tenant.id, finish_tx, r);
}

enum sv_err
sv_reset_sweep_tx(struct sv_dbc *c, const char *tenant_id, int64_t now_ms)
{
    return sv_qs_ok(recovery_store_sweep(c, tenant_id, now_ms - 24 * HOUR_MS));
}

enum sv_err
sv_reset_void_tx(struct sv_dbc *c, const char *tenant_id,
                 const char *account_id)
{
    return sv_qs_ok(recovery_store_void(c, tenant_id, account_id, sv_now_ms()));
}

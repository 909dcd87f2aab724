/*
 * The login flow: see flow.h and docs/auth-flow.md.
 *
 * A challenge row carries everything a step needs (who, which device,
 * which steps are open); each step is one transaction that checks the
 * challenge's stage and moves it on with a compare-and-set, so a step
 * can complete once only even when requests race or nodes differ.
 */
#include "identity/flow.h"

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
#include "identity/identity_store.h"
#include "identity/mfa.h"
#include "identity/protect_store.h"
#include "notify/notify.h"
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
static const struct sv_flow_waker *waker;

void
sv_flow_set_waker(const struct sv_flow_waker *w)
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

const char *
sv_client_kind_name(enum sv_client_kind k)
{
    switch (k) {
    case SV_CLIENT_WEB:
        return "web";
    case SV_CLIENT_MOBILE:
        return "mobile";
    case SV_CLIENT_CLI:
        return "cli";
    case SV_CLIENT_API:
        break;
    }
    return "web"; /* API clients are recorded as web devices */
}

bool
sv_client_kind_parse(const char *s, enum sv_client_kind *out)
{
    if (strcmp(s, "web") == 0)
        *out = SV_CLIENT_WEB;
    else if (strcmp(s, "mobile") == 0)
        *out = SV_CLIENT_MOBILE;
    else if (strcmp(s, "cli") == 0)
        *out = SV_CLIENT_CLI;
    else
        return false;
    return true;
}

static bool
is_device_kind(enum sv_client_kind k)
{
    return k == SV_CLIENT_MOBILE || k == SV_CLIENT_CLI;
}

void
sv_outcome_wipe(struct sv_outcome *o)
{
    sodium_memzero(o->token, sizeof o->token);
    sodium_memzero(o->ch_token, sizeof o->ch_token);
}

/* Keyed hash of a short secret, bound to what it belongs to. */
static void
code_hash(const struct sv_app *app, const char *domain, const char *owner,
          const char *code, uint8_t out[32])
{
    crypto_generichash_state st;
    crypto_generichash_init(&st, app->code_key, sizeof app->code_key, 32);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, (const uint8_t *)owner, strlen(owner) + 1);
    crypto_generichash_update(&st, (const uint8_t *)code, strlen(code));
    crypto_generichash_final(&st, out, 32);
}

static enum sv_err
qs_done(enum sv_qs qs)
{
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
flow_audit(struct sv_dbc *c, const char *tenant_id, const char *account_id,
           const char *username, const char *ip, const char *ua,
           enum sv_audit_action action, const char *target_type,
           const char *target_id, const char *result, const char *reason,
           const char *details)
{
    struct sv_audit_event ev = {
        .tenant_id = tenant_id,
        .actor_id = account_id,
        .actor = username,
        .action = sv_audit_action_name(action),
        .target_type = target_type,
        .target_id = target_id,
        .ip = ip,
        .user_agent = ua,
        .result = result,
        .reason = reason,
        .details = details,
    };
    return sv_audit_append(c, &ev);
}

static const char *
or_null(const char *s)
{
    return s != NULL && s[0] != '\0' ? s : NULL;
}

/* ---- challenges ---- */

struct challenge {
    char id[37];
    uint8_t token_hash[32];
    char tenant_slug[SV_SLUG_MAX * 2 + 1];
    char username[SV_USERNAME_MAX * 4 + 1];
    char tenant_id[37], account_id[37];
    struct sv_client cl;
    char ip[64];
    char user_agent[257];
    char stage[16];
    char next[64];
    char device_done[24];
    uint8_t captcha_hash[32];
    bool has_captcha;
    int64_t captcha_draws;
    uint8_t code_hash[32];
    bool has_code;
    int64_t code_expires_at, code_sends;
    char approval_id[37];
    int64_t failures, created_at, expires_at;
    uint8_t name_key[32]; /* the keyed name: counters, never the text */
    bool has_name_key;
};

static void
copy_text(char *dst, size_t cap, struct sv_stmt *st, int col)
{
    snprintf(dst, cap, "%s", sv_stmt_col_text(st, col));
}

static bool
copy_blob32(uint8_t dst[32], struct sv_stmt *st, int col)
{
    size_t n = 0;
    const void *p = sv_stmt_col_blob(st, col, &n);
    if (p == NULL || n != 32)
        return false;
    memcpy(dst, p, 32);
    return true;
}

static enum sv_qs
ch_read(struct sv_dbc *c, const char *id, struct challenge *ch)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_FIND);
    enum sv_qs qs;
    enum sv_client_kind k = SV_CLIENT_API;

    sv_stmt_text(st, 1, id);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(ch, 0, sizeof *ch);
    copy_text(ch->id, sizeof ch->id, st, 0);
    copy_blob32(ch->token_hash, st, 1);
    copy_text(ch->tenant_slug, sizeof ch->tenant_slug, st, 2);
    copy_text(ch->username, sizeof ch->username, st, 3);
    copy_text(ch->tenant_id, sizeof ch->tenant_id, st, 4);
    copy_text(ch->account_id, sizeof ch->account_id, st, 5);
    if (!sv_client_kind_parse(sv_stmt_col_text(st, 6), &k))
        k = SV_CLIENT_API;
    ch->cl.kind = k;
    copy_text(ch->cl.device, sizeof ch->cl.device, st, 7);
    copy_text(ch->cl.name, sizeof ch->cl.name, st, 8);
    copy_text(ch->cl.model, sizeof ch->cl.model, st, 9);
    copy_text(ch->cl.platform, sizeof ch->cl.platform, st, 10);
    ch->cl.has_pk = copy_blob32(ch->cl.pk, st, 11);
    copy_text(ch->ip, sizeof ch->ip, st, 12);
    copy_text(ch->user_agent, sizeof ch->user_agent, st, 13);
    ch->cl.ip = ch->ip;
    ch->cl.user_agent = ch->user_agent;
    copy_text(ch->stage, sizeof ch->stage, st, 14);
    copy_text(ch->next, sizeof ch->next, st, 15);
    copy_text(ch->device_done, sizeof ch->device_done, st, 16);
    ch->has_captcha = copy_blob32(ch->captcha_hash, st, 17);
    ch->captcha_draws = sv_stmt_col_int(st, 18);
    ch->has_code = copy_blob32(ch->code_hash, st, 19);
    ch->code_expires_at = sv_stmt_col_int(st, 20);
    ch->code_sends = sv_stmt_col_int(st, 21);
    copy_text(ch->approval_id, sizeof ch->approval_id, st, 22);
    ch->failures = sv_stmt_col_int(st, 23);
    ch->created_at = sv_stmt_col_int(st, 24);
    ch->expires_at = sv_stmt_col_int(st, 25);
    copy_text(ch->cl.nonce, sizeof ch->cl.nonce, st, 26);
    ch->has_name_key = copy_blob32(ch->name_key, st, 27);
    return SV_QS_ONE;
}

/* The counters of the name, IP and device a challenge belongs to. */
static void
ch_guard(const struct sv_app *app, const struct challenge *ch,
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
                           const struct challenge *ch);

static enum sv_err
ch_load(struct sv_dbc *c, const struct sv_app *app, const char *id,
        const char *token, struct challenge *ch)
{
    uint8_t h[SV_TOKEN_HASH_LEN];
    enum sv_qs qs;

    if (id == NULL || token == NULL || !sv_token_hash(token, h))
        return SV_E_CHALLENGE_NOT_FOUND;
    qs = ch_read(c, id, ch);
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
ch_gate(struct sv_dbc *c, const struct sv_app *app, const struct challenge *ch)
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
next_has(const struct challenge *ch, const char *step)
{
    char buf[sizeof ch->next], *save = NULL;
    snprintf(buf, sizeof buf, "%s", ch->next);
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save))
        if (strcmp(t, step) == 0)
            return true;
    return false;
}

static enum sv_err
ch_insert(struct sv_dbc *c, struct sv_app *app, struct challenge *ch,
          struct sv_outcome *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_INSERT);
    int64_t now = sv_now_ms();
    enum sv_qs qs;

    sv_uuid7(ch->id);
    sv_token_new(out->ch_token, ch->token_hash);
    ch->created_at = now;
    ch->expires_at = now + app->cfg.challenge_ttl_ms;
    sv_stmt_text(st, 1, ch->id);
    sv_stmt_blob(st, 2, ch->token_hash, 32);
    sv_stmt_text(st, 3, ch->tenant_slug);
    sv_stmt_text(st, 4, ch->username);
    sv_stmt_text(st, 5, ch->tenant_id[0] ? ch->tenant_id : NULL);
    sv_stmt_text(st, 6, ch->account_id[0] ? ch->account_id : NULL);
    sv_stmt_text(st, 7,
                 ch->cl.kind == SV_CLIENT_API
                     ? "api"
                     : sv_client_kind_name(ch->cl.kind));
    sv_stmt_text(st, 8, ch->cl.device);
    sv_stmt_text(st, 9, ch->cl.name[0] ? ch->cl.name : NULL);
    sv_stmt_text(st, 10, ch->cl.model[0] ? ch->cl.model : NULL);
    sv_stmt_text(st, 11, ch->cl.platform[0] ? ch->cl.platform : NULL);
    sv_stmt_blob(st, 12, ch->cl.has_pk ? ch->cl.pk : NULL,
                 ch->cl.has_pk ? 32 : 0);
    sv_stmt_text(st, 13, ch->cl.ip);
    sv_stmt_text(st, 14, ch->cl.user_agent);
    sv_stmt_text(st, 15, ch->stage);
    sv_stmt_text(st, 16, ch->next);
    sv_stmt_null(st, 17);
    sv_stmt_null(st, 18);
    sv_stmt_int(st, 19, 0);
    sv_stmt_null(st, 20);
    sv_stmt_null(st, 21);
    sv_stmt_int(st, 22, 0);
    sv_stmt_null(st, 23);
    sv_stmt_int(st, 24, 0);
    sv_stmt_int(st, 25, ch->created_at);
    sv_stmt_int(st, 26, ch->expires_at);
    /* A signed login's nonce, checked when the login goes on (after a
     * CAPTCHA): a replayed request is good for one login only. */
    sv_stmt_text(st, 27, or_null(ch->cl.nonce));
    if (!ch->has_name_key) {
        struct sv_guard g;
        sv_guard_init(app, &g, ch->tenant_slug, ch->username, "", "");
        memcpy(ch->name_key, g.name_key, 32);
        ch->has_name_key = true;
    }
    sv_stmt_blob(st, 28, ch->name_key, 32);
    qs = sv_stmt_exec(st);
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
ch_move(struct sv_dbc *c, struct challenge *ch, const char *stage,
        const char *next, const char *device_done)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_SET_STAGE);
    enum sv_qs qs;

    sv_stmt_text(st, 1, ch->id);
    sv_stmt_text(st, 2, stage);
    sv_stmt_text(st, 3, next);
    sv_stmt_text(st, 4, ch->account_id[0] ? ch->account_id : NULL);
    sv_stmt_text(st, 5, ch->tenant_id[0] ? ch->tenant_id : NULL);
    sv_stmt_text(st, 6, device_done && device_done[0] ? device_done : NULL);
    sv_stmt_text(st, 7, ch->stage);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_CHALLENGE_EXPIRED;
    snprintf(ch->stage, sizeof ch->stage, "%s", stage);
    snprintf(ch->next, sizeof ch->next, "%s", next);
    return SV_OK;
}

/* ---- devices ---- */

struct device_row {
    char id[37];
    char kind[8];
    char state[8];
    uint8_t pk[32];
    bool has_pk;
};

static enum sv_qs
device_find(struct sv_dbc *c, const char *tenant_id, const char *account_id,
            const char *client, struct device_row *d)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_DEV_FIND_CLIENT);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, account_id);
    sv_stmt_text(st, 3, client);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(d, 0, sizeof *d);
    copy_text(d->id, sizeof d->id, st, 0);
    copy_text(d->kind, sizeof d->kind, st, 1);
    copy_text(d->state, sizeof d->state, st, 7);
    d->has_pk = copy_blob32(d->pk, st, 6);
    return SV_QS_ONE;
}

/* Find or register the client's device; refresh what it says of itself. */
static enum sv_err
device_upsert(struct sv_dbc *c, const char *tenant_id, const char *account_id,
              const struct sv_client *cl, struct device_row *d)
{
    int64_t now = sv_now_ms();
    struct sv_stmt *st;
    enum sv_qs qs = device_find(c, tenant_id, account_id, cl->device, d);

    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        if (strcmp(d->state, "revoked") == 0)
            return SV_E_DEVICE_REVOKED;
        /* A browser cookie naming a phone's id is not that phone. */
        if (strcmp(d->kind, sv_client_kind_name(cl->kind)) != 0)
            return SV_E_SIGNATURE_INVALID;
        /* The device id is the client's word; its key is the proof. */
        if (is_device_kind(cl->kind) &&
            (!d->has_pk || !cl->has_pk || sodium_memcmp(d->pk, cl->pk, 32)))
            return SV_E_SIGNATURE_INVALID;
        st = sv_db_stmt(c, &Q_DEV_SEEN);
        sv_stmt_text(st, 1, tenant_id);
        sv_stmt_text(st, 2, d->id);
        sv_stmt_int(st, 3, now);
        sv_stmt_text(st, 4, cl->ip);
        sv_stmt_text(st, 5, or_null(cl->name));
        sv_stmt_text(st, 6, or_null(cl->model));
        sv_stmt_text(st, 7, or_null(cl->platform));
        return qs_done(sv_stmt_exec(st));
    }
    memset(d, 0, sizeof *d);
    sv_uuid7(d->id);
    snprintf(d->kind, sizeof d->kind, "%s", sv_client_kind_name(cl->kind));
    snprintf(d->state, sizeof d->state, "unknown");
    d->has_pk = cl->has_pk;
    memcpy(d->pk, cl->pk, 32);
    st = sv_db_stmt(c, &Q_DEV_INSERT);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, d->id);
    sv_stmt_text(st, 3, account_id);
    sv_stmt_text(st, 4, cl->device);
    sv_stmt_text(st, 5, d->kind);
    sv_stmt_text(st, 6, or_null(cl->name));
    sv_stmt_text(st, 7, or_null(cl->model));
    sv_stmt_text(st, 8, or_null(cl->platform));
    sv_stmt_blob(st, 9, cl->has_pk ? cl->pk : NULL, cl->has_pk ? 32 : 0);
    sv_stmt_int(st, 10, now);
    sv_stmt_text(st, 11, cl->ip);
    return qs_done(sv_stmt_exec(st));
}

/* One number from @p q with text parameters @p a and (unless NULL) @p b. */
static enum sv_err
scalar(struct sv_dbc *c, const struct sv_sql *q, const char *a, const char *b,
       int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt(c, q);
    enum sv_qs qs;

    sv_stmt_text(st, 1, a);
    if (b != NULL)
        sv_stmt_text(st, 2, b);
    qs = sv_stmt_step(st);
    if (qs < 0)
        return sv_qs_err(qs);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return SV_OK;
}

static enum sv_err
count_trusted(struct sv_dbc *c, const char *tenant_id, const char *account_id,
              int64_t *n)
{
    return scalar(c, &Q_DEV_COUNT_TRUSTED, tenant_id, account_id, n);
}

static enum sv_err
require_mfa(struct sv_dbc *c, const char *tenant_id, bool *out)
{
    int64_t v = 0;
    enum sv_err rc = scalar(c, &Q_TENANT_REQUIRE_MFA, tenant_id, NULL, &v);
    *out = v != 0;
    return rc;
}

static enum sv_err
has_phone(struct sv_dbc *c, const char *tenant_id, const char *account_id,
          bool *out)
{
    int64_t v = 0;
    enum sv_err rc = scalar(c, &Q_ACCOUNT_HAS_PHONE, tenant_id, account_id, &v);
    *out = v != 0;
    return rc;
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
    enum sv_qs qs;
    enum sv_err rc;

    sv_token_new(out->token, hash);
    sv_uuid7(id);
    out->expires_at = now + app->cfg.absolute_lifetime_ms;
    qs = identity_store_insert_session(c, tenant_id, id, account_id, hash, now,
                                       out->expires_at, cl->ip, cl->user_agent,
                                       device_id, mfa_pending);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs);
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
                  or_null(cl->model), "device_name", or_null(cl->name),
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
    struct sv_stmt *st;
    enum sv_qs qs;

    if (cl->nonce[0] == '\0')
        return SV_OK;
    snprintf(key, sizeof key, "login:%s", cl->device);
    if (randombytes_uniform(16) == 0) {
        st = sv_db_stmt(c, &Q_NONCE_PRUNE);
        sv_stmt_text(st, 1, tenant_id);
        sv_stmt_text(st, 2, key);
        sv_stmt_int(st, 3, sv_now_ms());
        if ((qs = sv_stmt_exec(st)) < 0)
            return sv_qs_err(qs);
    }
    st = sv_db_stmt(c, &Q_NONCE_ADD);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, key);
    sv_stmt_text(st, 3, cl->nonce);
    sv_stmt_int(st, 4, sv_now_ms() + 2 * app->cfg.signature_window_ms);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    return qs == SV_QS_NONE ? SV_E_SIGNATURE_INVALID : SV_OK;
}

enum sv_err
sv_flow_after_password_tx(struct sv_dbc *c, struct sv_app *app,
                          const struct sv_tenant *t, const struct sv_account *a,
                          const struct sv_client *cl, bool weak, bool rehashed,
                          struct sv_outcome *out)
{
    struct device_row d;
    struct challenge ch;
    bool mfa = false, phone = false, totp = false, trusted_here;
    int64_t trusted = 0;
    bool must_change = a->must_change_password;
    enum sv_err rc;

    rc = login_nonce(c, app, t->id, cl);
    if (rc == SV_OK)
        rc = device_upsert(c, t->id, a->id, cl, &d);
    if (rc == SV_E_DEVICE_REVOKED || rc == SV_E_SIGNATURE_INVALID)
        return refuse(c, t->id, a, cl, rc, out);
    if (rc == SV_OK)
        rc = require_mfa(c, t->id, &mfa);
    if (rc == SV_OK)
        rc = count_trusted(c, t->id, a->id, &trusted);
    if (rc == SV_OK)
        rc = has_phone(c, t->id, a->id, &phone);
    if (rc == SV_OK)
        rc = sv_totp_enrolled_tx(c, t->id, a->id, &totp);
    if (rc != SV_OK)
        return rc;

    /* AUTH-6: a password that fails today's rules must be changed. */
    if (weak) {
        struct sv_stmt *st = sv_db_stmt(c, &Q_ACCOUNT_FLAG_CHANGE);
        sv_stmt_text(st, 1, t->id);
        sv_stmt_text(st, 2, a->id);
        if ((rc = qs_done(sv_stmt_exec(st))) != SV_OK)
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

    trusted_here = is_device_kind(cl->kind) && strcmp(d.state, "trusted") == 0;
    memset(&ch, 0, sizeof ch);
    if (!trusted_here) {
        if (is_device_kind(cl->kind)) {
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
advance(struct sv_dbc *c, struct sv_app *app, struct challenge *ch,
        const char *how, struct sv_outcome *out)
{
    struct device_row d;
    struct sv_account acc;
    bool mfa = false, totp = false;
    enum sv_err rc;
    enum sv_qs qs;

    rc = sv_db_scope_tenant(c, ch->tenant_id);
    if (rc == SV_OK)
        rc = require_mfa(c, ch->tenant_id, &mfa);
    if (rc == SV_OK)
        rc = sv_totp_enrolled_tx(c, ch->tenant_id, ch->account_id, &totp);
    if (rc != SV_OK)
        return rc;
    if (strcmp(ch->stage, "mfa") != 0 && mfa && totp &&
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
    qs = device_find(c, ch->tenant_id, ch->account_id, ch->cl.device, &d);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE || strcmp(d.state, "revoked") == 0) {
        /* revoked while the login waited */
        struct sv_account who = {0};
        snprintf(who.id, sizeof who.id, "%s", ch->account_id);
        snprintf(who.username, sizeof who.username, "%s", ch->username);
        return refuse(c, ch->tenant_id, &who, &ch->cl, SV_E_DEVICE_REVOKED,
                      out);
    }
    if (is_device_kind(ch->cl.kind) && strcmp(d.state, "unknown") == 0) {
        struct sv_stmt *st = sv_db_stmt(c, &Q_DEV_TRUST);
        sv_stmt_text(st, 1, ch->tenant_id);
        sv_stmt_text(st, 2, d.id);
        if ((rc = qs_done(sv_stmt_exec(st))) != SV_OK)
            return rc;
        rc = flow_audit(c, ch->tenant_id, ch->account_id, ch->username,
                        ch->cl.ip, ch->cl.user_agent, SV_AUDIT_DEVICE_TRUST,
                        "device", d.id, "success", how, NULL);
        if (rc != SV_OK)
            return rc;
    }
    rc = sv_account_find(c, ch->tenant_id, ch->account_id, &acc);
    if (rc != SV_OK)
        return rc == SV_E_NOT_FOUND ? SV_E_CHALLENGE_EXPIRED : rc;
    rc = open_session(c, app, ch->tenant_id, ch->tenant_slug, ch->account_id,
                      acc.username, &ch->cl, d.id, mfa && !totp, how,
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
step_failed(struct sv_dbc *c, struct sv_app *app, struct challenge *ch,
            const char *step)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_FAIL);
    struct sv_guard g;
    char fp[SV_GUARD_FP_LEN];
    struct sv_actor actor = {ch->account_id[0] ? ch->account_id : NULL,
                             ch->username, ch->cl.ip, ch->cl.user_agent};
    bool soft = strcmp(step, "captcha_invalid") == 0;
    enum sv_qs qs;
    enum sv_err rc;

    sv_stmt_text(st, 1, ch->id);
    qs = sv_stmt_step(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE && sv_stmt_step(st) < 0)
        return SV_E_INTERNAL;
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
    struct challenge ch;
    struct sv_stmt *st;
    enum sv_qs qs;

    /* AUTH-4: one address holds a bounded number of them. */
    st = sv_db_stmt(c, &Q_CH_OPEN_BY_IP);
    sv_stmt_text(st, 1, x->cl->ip);
    sv_stmt_int(st, 2, sv_now_ms());
    qs = sv_stmt_step(st);
    if (qs < 0)
        return sv_qs_err(qs);
    int64_t open = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    if (qs == SV_QS_ONE && (qs = sv_stmt_step(st)) < 0)
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
sv_flow_captcha_challenge(struct sv_app *app, const char *tenant_id,
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
    struct challenge ch;
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);
    struct sv_stmt *st;
    enum sv_qs qs;

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "captcha") != 0)
        return SV_E_STEP_NOT_ALLOWED;
    st = sv_db_stmt(c, &Q_CH_DRAW);
    sv_stmt_text(st, 1, ch.id);
    sv_stmt_int(st, 2, CAPTCHA_MAX_DRAWS);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    return qs == SV_QS_ONE ? SV_OK : SV_E_RATE_LIMITED;
}

static enum sv_err
img_tx(struct sv_dbc *c, void *cls)
{
    struct img_ctx *x = cls;
    struct challenge ch;
    uint8_t h[32];
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "captcha") != 0)
        return SV_E_STEP_NOT_ALLOWED;
    sv_captcha_hash(x->app->code_key, ch.id, x->answer, h);
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_SET_CAPTCHA);
    sv_stmt_text(st, 1, ch.id);
    sv_stmt_blob(st, 2, h, 32);
    return qs_done(sv_stmt_exec(st));
}

enum sv_err
sv_flow_captcha_image(struct sv_app *app, const char *id, const char *token,
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
    struct challenge ch;
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
sv_flow_captcha_answer(struct sv_app *app, const char *id, const char *token,
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
    struct challenge ch;
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
            code_hash(x->app, "sms", ch.id, x->code, h);
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
sv_flow_totp(struct sv_app *app, const char *id, const char *token,
             const char *code, const char *ip, struct sv_outcome *out)
{
    struct code_ctx x = {app, id, token, code, ip, false, out, false};
    return run_code(app, &x);
}

enum sv_err
sv_flow_sms_verify(struct sv_app *app, const char *id, const char *token,
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
    struct challenge ch;
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
    code_hash(x->app, "sms", ch.id, x->code, h);
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_SET_CODE);
    sv_stmt_text(st, 1, ch.id);
    sv_stmt_blob(st, 2, h, 32);
    sv_stmt_int(st, 3, sv_now_ms() + x->app->cfg.code_ttl_ms);
    rc = qs_done(sv_stmt_exec(st));
    if (rc != SV_OK)
        return rc;
    return flow_audit(c, ch.tenant_id, ch.account_id, ch.username, ch.cl.ip,
                      ch.cl.user_agent, SV_AUDIT_AUTH_SMS_CODE, "challenge",
                      ch.id, "success", NULL, NULL);
}

enum sv_err
sv_flow_sms_send(struct sv_app *app, const char *id, const char *token,
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
count_approvals(struct sv_dbc *c, const struct challenge *ch, bool qr,
                int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_AP_PRUNE);
    int64_t n = 0;
    enum sv_qs qs;
    enum sv_err rc;

    sv_stmt_text(st, 1, ch->tenant_id);
    sv_stmt_text(st, 2, ch->account_id);
    sv_stmt_int(st, 3, now - 2 * 3600 * 1000);
    if ((qs = sv_stmt_exec(st)) < 0)
        return sv_qs_err(qs);
    rc = scalar(c, &Q_AP_COUNT_CHALLENGE, ch->tenant_id, ch->id, &n);

    if (rc != SV_OK)
        return rc;
    if (n >= APPROVALS_PER_CHALLENGE)
        return SV_E_RATE_LIMITED;
    if (qr)
        return SV_OK;
    st = sv_db_stmt(c, &Q_AP_COUNT_RECENT);
    sv_stmt_text(st, 1, ch->tenant_id);
    sv_stmt_text(st, 2, ch->account_id);
    sv_stmt_int(st, 3, now - 3600 * 1000);
    if ((qs = sv_stmt_step(st)) < 0)
        return sv_qs_err(qs);
    n = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return n >= APPROVALS_PER_HOUR ? SV_E_RATE_LIMITED : SV_OK;
}

static enum sv_err
ap_start_tx(struct sv_dbc *c, void *cls)
{
    struct ap_ctx *x = cls;
    struct challenge ch;
    char aid[SV_UUID_LEN + 1], secret_b64[48], choice_text[16];
    uint8_t secret[32], h[32];
    int choices[3];
    int64_t now = sv_now_ms();
    enum sv_err rc = ch_load(c, x->app, x->id, x->token, &ch);
    struct sv_stmt *st;

    if (rc != SV_OK)
        return rc;
    if (strcmp(ch.stage, "device") != 0 ||
        !next_has(&ch, x->qr ? "qr_approval" : "device_approval"))
        return SV_E_STEP_NOT_ALLOWED;
    if ((rc = sv_db_scope_tenant(c, ch.tenant_id)) != SV_OK)
        return rc;
    if ((rc = count_approvals(c, &ch, x->qr, now)) != SV_OK)
        return rc;
    sv_uuid7(aid);
    numbers(&x->number, choices);
    snprintf(choice_text, sizeof choice_text, "%d,%d,%d", choices[0],
             choices[1], choices[2]);
    x->expires_at =
        now + (x->qr ? x->app->cfg.qr_ttl_ms : x->app->cfg.code_ttl_ms);
    if (x->expires_at > ch.expires_at)
        x->expires_at = ch.expires_at;
    if (x->qr) {
        randombytes_buf(secret, sizeof secret);
        sodium_bin2base64(secret_b64, sizeof secret_b64, secret, sizeof secret,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING);
        snprintf(x->qr_text, 128, "svqr1.%s.%s", aid, secret_b64);
        code_hash(x->app, "qr", aid, secret_b64, h);
        sodium_memzero(secret, sizeof secret);
        sodium_memzero(secret_b64, sizeof secret_b64);
    }
    st = sv_db_stmt(c, &Q_AP_INSERT);
    sv_stmt_text(st, 1, ch.tenant_id);
    sv_stmt_text(st, 2, aid);
    sv_stmt_text(st, 3, ch.account_id);
    sv_stmt_text(st, 4, ch.id);
    sv_stmt_text(st, 5, x->qr ? "qr" : "push");
    sv_stmt_blob(st, 6, x->qr ? h : NULL, x->qr ? 32 : 0);
    sv_stmt_int(st, 7, x->number);
    sv_stmt_text(st, 8, choice_text);
    sv_stmt_text(st, 9, ch.cl.ip);
    sv_stmt_text(st, 10, ch.cl.user_agent);
    sv_stmt_int(st, 11, now);
    sv_stmt_int(st, 12, x->expires_at);
    if ((rc = qs_done(sv_stmt_exec(st))) != SV_OK)
        return rc;
    st = sv_db_stmt(c, &Q_CH_SET_APPROVAL);
    sv_stmt_text(st, 1, ch.id);
    sv_stmt_text(st, 2, aid);
    if ((rc = qs_done(sv_stmt_exec(st))) != SV_OK)
        return rc;
    return flow_audit(c, ch.tenant_id, ch.account_id, ch.username, ch.cl.ip,
                      ch.cl.user_agent, SV_AUDIT_AUTH_APPROVAL_REQUEST,
                      "approval", aid, "success", x->qr ? "qr" : "push", NULL);
}

enum sv_err
sv_flow_approval_start(struct sv_app *app, const char *id, const char *token,
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
    struct challenge ch;
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
sv_flow_wait(struct sv_app *app, const char *id, const char *token,
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
view_read(struct sv_stmt *st, struct sv_approval_view *v, int *number,
          char *challenge_id, uint8_t qr_hash[32], bool *has_qr,
          char *account_id, char *state, char *device_id)
{
    memset(v, 0, sizeof *v);
    copy_text(v->id, sizeof v->id, st, 0);
    if (account_id)
        snprintf(account_id, 37, "%s", sv_stmt_col_text(st, 1));
    if (challenge_id)
        snprintf(challenge_id, 37, "%s", sv_stmt_col_text(st, 2));
    v->qr = strcmp(sv_stmt_col_text(st, 3), "qr") == 0;
    if (qr_hash)
        *has_qr = copy_blob32(qr_hash, st, 4);
    if (number)
        *number = (int)sv_stmt_col_int(st, 5);
    sscanf(sv_stmt_col_text(st, 6), "%d,%d,%d", &v->choices[0], &v->choices[1],
           &v->choices[2]);
    copy_text(v->ip, sizeof v->ip, st, 7);
    copy_text(v->user_agent, sizeof v->user_agent, st, 8);
    if (state)
        snprintf(state, 12, "%s", sv_stmt_col_text(st, 9));
    if (device_id)
        snprintf(device_id, 37, "%s", sv_stmt_col_text(st, 10));
    v->created_at = sv_stmt_col_int(st, 11);
    v->expires_at = sv_stmt_col_int(st, 12);
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

static enum sv_err
pend_tx(struct sv_dbc *c, void *cls)
{
    struct pend_ctx *x = cls;
    struct sv_stmt *st;
    struct sv_approval_view v;
    enum sv_qs qs;

    if (x->start)
        x->start(x->cls);
    st = sv_db_stmt(c, &Q_AP_PENDING);
    sv_stmt_text(st, 1, x->s->tenant_id);
    sv_stmt_text(st, 2, x->s->account_id);
    sv_stmt_int(st, 3, sv_now_ms());
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        view_read(st, &v, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
        x->row(x->cls, &v);
    }
    return qs_done(qs);
}

enum sv_err
sv_flow_approvals_pending(struct sv_app *app, const struct sv_session *s,
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
    struct sv_stmt *st;
    uint8_t stored[32], h[32];
    bool has = false;
    char account[37], state[12], device[37];
    enum sv_qs qs;

    st = sv_db_stmt(c, &Q_AP_FIND);
    sv_stmt_text(st, 1, x->s->tenant_id);
    sv_stmt_text(st, 2, x->aid);
    qs = sv_stmt_step(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    view_read(st, x->v, NULL, NULL, stored, &has, account, state, device);
    code_hash(x->app, "qr", x->aid, x->secret, h);
    /* Another account's QR, or a forged one, names nothing. */
    if (!x->v->qr || !has || sodium_memcmp(h, stored, 32) != 0 ||
        strcmp(account, x->s->account_id) != 0)
        return SV_E_NOT_FOUND;
    if (strcmp(state, "pending") != 0 || x->v->expires_at <= sv_now_ms())
        return SV_E_CHALLENGE_EXPIRED;
    if (device[0] != '\0' && strcmp(device, x->s->device_id) != 0)
        return SV_E_CHALLENGE_EXPIRED; /* scanned by another device */
    st = sv_db_stmt(c, &Q_AP_SCANNED);
    sv_stmt_text(st, 1, x->s->tenant_id);
    sv_stmt_text(st, 2, x->aid);
    sv_stmt_text(st, 3, x->s->device_id);
    return qs_done(sv_stmt_exec(st));
}

enum sv_err
sv_flow_approval_scan(struct sv_app *app, const struct sv_session *s,
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
    struct sv_approval_view v;
    struct sv_stmt *st;
    char account[37], state[12], device[37];
    int number = 0;
    int64_t now = sv_now_ms();
    bool approve;
    enum sv_qs qs;
    enum sv_err rc;

    x->mismatch = false;
    st = sv_db_stmt(c, &Q_AP_FIND);
    sv_stmt_text(st, 1, x->s->tenant_id);
    sv_stmt_text(st, 2, x->aid);
    qs = sv_stmt_step(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    view_read(st, &v, &number, x->challenge_id, NULL, NULL, account, state,
              device);
    if (strcmp(account, x->s->account_id) != 0)
        return SV_E_NOT_FOUND;
    /* A QR approval is decided by the device that scanned it. */
    if (v.qr && strcmp(device, x->s->device_id) != 0)
        return SV_E_NOT_FOUND;
    if (strcmp(state, "pending") != 0 || v.expires_at <= now)
        return SV_E_CHALLENGE_EXPIRED;
    approve = x->approve && x->number == number;
    x->mismatch = x->approve && !approve;
    st = sv_db_stmt(c, &Q_AP_DECIDE);
    sv_stmt_text(st, 1, x->s->tenant_id);
    sv_stmt_text(st, 2, x->aid);
    sv_stmt_text(st, 3, approve ? "approved" : "denied");
    sv_stmt_text(st, 4, x->s->device_id);
    sv_stmt_int(st, 5, now);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_CHALLENGE_EXPIRED;
    st = sv_db_stmt(c, &Q_CH_DECIDE);
    sv_stmt_text(st, 1, x->challenge_id);
    sv_stmt_text(st, 2, approve ? "approved" : "denied");
    sv_stmt_text(st, 3, v.qr ? "qr_approval" : "device_approval");
    sv_stmt_int(st, 4, now);
    sv_stmt_text(st, 5, x->aid);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_CHALLENGE_EXPIRED; /* the login moved on meanwhile */
    if (!approve) {
        /* A denied or mismatched approval counts against the login, like
         * a wrong code: enough of them lock the name. */
        struct challenge ch;
        qs = ch_read(c, x->challenge_id, &ch);
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
sv_flow_approval_decide(struct sv_app *app, const struct sv_session *s,
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

/* ---- devices ---- */

struct devlist_ctx {
    const char *tenant_id, *account_id;
    void (*start)(void *);
    sv_device_row_fn row;
    void *cls;
};

static enum sv_err
devlist_tx(struct sv_dbc *c, void *cls)
{
    struct devlist_ctx *x = cls;
    struct sv_stmt *st;
    enum sv_qs qs;

    if (x->start)
        x->start(x->cls);
    st = sv_db_stmt(c, &Q_DEV_LIST);
    sv_stmt_text(st, 1, x->tenant_id);
    sv_stmt_text(st, 2, x->account_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        struct sv_device_view d = {
            .id = sv_stmt_col_text(st, 0),
            .kind = sv_stmt_col_text(st, 1),
            .name = or_null(sv_stmt_col_text(st, 3)),
            .model = or_null(sv_stmt_col_text(st, 4)),
            .platform = or_null(sv_stmt_col_text(st, 5)),
            .state = sv_stmt_col_text(st, 7),
            .first_seen_at = sv_stmt_col_int(st, 8),
            .last_seen_at = sv_stmt_col_int(st, 9),
            .last_ip = or_null(sv_stmt_col_text(st, 10)),
        };
        x->row(x->cls, &d);
    }
    return qs_done(qs);
}

enum sv_err
sv_devices_list(struct sv_app *app, const char *tenant_id,
                const char *account_id, void (*start)(void *),
                sv_device_row_fn row, void *cls)
{
    struct devlist_ctx x = {tenant_id, account_id, start, row, cls};
    return sv_db_run_tenant_ro(app->db, tenant_id, devlist_tx, &x);
}

struct revoke_ctx {
    const char *tenant_id, *account_id, *device_id;
    const struct sv_actor *actor;
};

static enum sv_err
revoke_dev_tx(struct sv_dbc *c, void *cls)
{
    struct revoke_ctx *x = cls;
    struct sv_stmt *st;
    int64_t now = sv_now_ms();
    enum sv_qs qs;
    enum sv_err rc;

    st = sv_db_stmt(c, &Q_DEV_REVOKE);
    sv_stmt_text(st, 1, x->tenant_id);
    sv_stmt_text(st, 2, x->account_id);
    sv_stmt_text(st, 3, x->device_id);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE)
        return SV_E_NOT_FOUND;
    st = sv_db_stmt(c, &Q_DEV_REVOKE_SESSIONS);
    sv_stmt_text(st, 1, x->tenant_id);
    sv_stmt_text(st, 2, x->device_id);
    sv_stmt_int(st, 3, now);
    if ((rc = qs_done(sv_stmt_exec(st))) != SV_OK)
        return rc;
    return flow_audit(c, x->tenant_id, x->actor->account_id, x->actor->username,
                      x->actor->ip, x->actor->user_agent,
                      SV_AUDIT_DEVICE_REVOKE, "device", x->device_id, "success",
                      NULL, NULL);
}

enum sv_err
sv_device_revoke(struct sv_app *app, const char *tenant_id,
                 const char *account_id, const char *device_id,
                 const struct sv_actor *actor)
{
    struct revoke_ctx x = {tenant_id, account_id, device_id, actor};
    return sv_db_run_tenant_tx(app->db, "device_revoke", tenant_id,
                               revoke_dev_tx, &x);
}

struct nonce_ctx {
    struct sv_app *app;
    const struct sv_session *s;
    const char *nonce;
};

static enum sv_err
nonce_tx(struct sv_dbc *c, void *cls)
{
    struct nonce_ctx *x = cls;
    int64_t now = sv_now_ms();
    struct sv_stmt *st;
    enum sv_qs qs;
    enum sv_err rc;

    if (randombytes_uniform(32) == 0) {
        st = sv_db_stmt(c, &Q_NONCE_PRUNE);
        sv_stmt_text(st, 1, x->s->tenant_id);
        sv_stmt_text(st, 2, x->s->device_id);
        sv_stmt_int(st, 3, now);
        if ((rc = qs_done(sv_stmt_exec(st))) != SV_OK)
            return rc;
    }
    st = sv_db_stmt(c, &Q_NONCE_ADD);
    sv_stmt_text(st, 1, x->s->tenant_id);
    sv_stmt_text(st, 2, x->s->device_id);
    sv_stmt_text(st, 3, x->nonce);
    /* Kept past both edges of the window a timestamp may come from. */
    sv_stmt_int(st, 4, now + 2 * x->app->cfg.signature_window_ms);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return sv_qs_err(qs);
    return qs == SV_QS_NONE ? SV_E_SIGNATURE_INVALID : SV_OK;
}

enum sv_err
sv_device_nonce_use(struct sv_app *app, const struct sv_session *s,
                    const char *nonce)
{
    struct nonce_ctx x = {app, s, nonce};
    return sv_db_run_tenant_tx(app->db, "device_nonce", s->tenant_id, nonce_tx,
                               &x);
}

/* ---- admin unlock ---- */

struct unlock_ctx {
    struct sv_app *app;
    const char *tenant_id, *account_id;
    const struct sv_actor *actor;
};

static enum sv_err
unlock_tx(struct sv_dbc *c, void *cls)
{
    struct unlock_ctx *x = cls;
    struct sv_account a;
    struct sv_tenant t;
    enum sv_err rc = sv_account_find(c, x->tenant_id, x->account_id, &a);

    if (rc == SV_OK)
        rc = sv_tenant_find(c, x->tenant_id, &t);
    if (rc == SV_OK)
        rc = sv_guard_unlock_tx(c, x->app, t.slug, a.username);
    if (rc == SV_OK)
        rc = flow_audit(c, x->tenant_id, x->actor->account_id,
                        x->actor->username, x->actor->ip, x->actor->user_agent,
                        SV_AUDIT_SECURITY_UNLOCK, "account", x->account_id,
                        "success", NULL, NULL);
    sodium_memzero(&a, sizeof a);
    return rc;
}

enum sv_err
sv_account_unlock(struct sv_app *app, const char *tenant_id,
                  const char *account_id, const struct sv_actor *actor)
{
    struct unlock_ctx x = {app, tenant_id, account_id, actor};
    return sv_db_run_tenant_tx(app->db, "account_unlock", tenant_id, unlock_tx,
                               &x);
}

enum sv_err
sv_flow_close_account_tx(struct sv_dbc *c, const char *account_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_CLOSE_ACCOUNT);
    sv_stmt_text(st, 1, account_id);
    return qs_done(sv_stmt_exec(st));
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
    struct challenge ch;
    struct sv_guard g;
    enum sv_qs qs = ch_read(c, x->id, &ch);
    enum sv_err rc;

    if (qs != SV_QS_ONE)
        return qs < 0 ? sv_qs_err(qs) : SV_OK;
    ch_guard(x->app, &ch, &g, "", "");
    rc = sv_guard_read(c, x->app, &g, sv_now_ms());
    x->locked_until = g.locked_until;
    return rc;
}

int64_t
sv_flow_retry_after(struct sv_app *app, const char *id)
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
    struct challenge ch;
    enum sv_qs qs = ch_read(c, x->id, &ch);
    if (qs < 0)
        return sv_qs_err(qs);
    x->settled = qs == SV_QS_NONE || strcmp(ch.stage, "device") != 0 ||
                 ch.expires_at <= sv_now_ms();
    return SV_OK;
}

bool
sv_flow_settled(struct sv_app *app, const char *id)
{
    struct settled_ctx x = {id, false};
    return sv_db_run_one(app->db, settled_tx, &x) != SV_OK || x.settled;
}

struct get_ctx {
    const char *tenant_id, *id;
    struct sv_account *out;
};

static enum sv_err
get_tx(struct sv_dbc *c, void *cls)
{
    struct get_ctx *x = cls;
    return sv_account_find(c, x->tenant_id, x->id, x->out);
}

enum sv_err
sv_account_get(struct sv_app *app, const char *tenant_id, const char *id,
               struct sv_account *out)
{
    struct get_ctx x = {tenant_id, id, out};
    return sv_db_run_tenant_ro(app->db, tenant_id, get_tx, &x);
}

/* ---- cross-node wake-ups and housekeeping ---- */

static enum sv_err
tick_tx(struct sv_dbc *c, void *cls)
{
    int64_t *since = cls;
    struct sv_stmt *st = sv_db_stmt(c, &Q_CH_DECIDED_SINCE);
    enum sv_qs qs;

    sv_stmt_int(st, 1, *since);
    /* A wake for an id nobody waits on here costs a list walk. */
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        wake(sv_stmt_col_text(st, 0));
    return qs_done(qs);
}

/* Expired challenges, counters decayed to nothing, old failures. */
static enum sv_err
housekeeping_tx(struct sv_dbc *c, void *cls)
{
    struct sv_app *app = cls;
    int64_t now = sv_now_ms();
    struct sv_stmt *st;
    enum sv_qs qs;

    /* Kept an hour past expiry, for whoever still asks about one. */
    st = sv_db_stmt(c, &Q_CH_PRUNE);
    sv_stmt_int(st, 1, now - 3600 * 1000);
    if ((qs = sv_stmt_exec(st)) < 0)
        return sv_qs_err(qs);
    return sv_guard_prune_tx(c, app, now);
}

void
sv_flow_tick(struct sv_app *app)
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

void
sv_csrf_token(const struct sv_app *app, const char *token, char out[48])
{
    uint8_t mac[32];
    crypto_auth_hmacsha256(mac, (const uint8_t *)token, strlen(token),
                           app->csrf_key);
    sodium_bin2base64(out, 48, mac, sizeof mac,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    sodium_memzero(mac, sizeof mac);
}

/*
 * The sign-in over HTTP (docs/auth-flow.md): POST /auth/login, the
 * challenge steps, the long poll and the trusted device's approvals.
 */
#include "login/login_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth/devsig.h"
#include "auth/qr.h"
#include "core/json.h"
#include "core/util.h"
#include "device/device.h"
#include "http/request.h"
#include "login/login.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

enum { WAIT_MS = 25000 };

static const char *
ch_token(struct sv_request *rq)
{
    return sv_rq_header(rq, "X-Challenge-Token");
}

/* ---- answers ---- */

/* A step's refusal; a lock says when it ends, as the login does. */
static void
step_error(struct sv_request *rq, enum sv_err rc, const char *field)
{
    if (rc == SV_E_LOGIN_LOCKED) {
        int64_t s = sv_login_retry_after(sv_rq_app(rq), sv_rq_param(rq, 0));
        if (s > 0) {
            char ra[24];
            snprintf(ra, sizeof ra, "%lld", (long long)s);
            sv_rq_add_header(rq, "Retry-After", ra);
        }
    }
    sv_reply_error(rq, rc, field);
}

void
login_http_reply_outcome(struct sv_request *rq, struct sv_outcome *o)
{
    char expires[SV_RFC3339_LEN + 1];

    if (o->tenant_id[0] != '\0')
        sv_rq_log_principal(rq, o->tenant_id, o->account_id);
    if (o->challenge) {
        json_t *next = json_array(), *ch;
        char buf[sizeof o->next], *save = NULL;
        snprintf(buf, sizeof buf, "%s", o->next);
        for (char *t = strtok_r(buf, ",", &save); t;
             t = strtok_r(NULL, ",", &save))
            json_array_append_new(next, json_string(t));
        sv_rfc3339(o->ch_expires_at, expires);
        ch = json_pack("{s:s, s:s, s:o}", "id", o->ch_id, "expires_at", expires,
                       "next", next);
        if (o->ch_token[0] != '\0')
            json_object_set_new(ch, "token", json_string(o->ch_token));
        sv_reply_json(rq, 200, json_pack("{s:o}", "challenge", ch));
        return;
    }
    sv_rfc3339(o->expires_at, expires);
    if (o->kind == SV_CLIENT_WEB) {
        /* DEV-3 / §6: the browser's token lives in an HttpOnly cookie. */
        char csrf[48];
        sv_csrf_token(sv_rq_app(rq), o->token, csrf);
        sv_rq_set_cookie(
            rq, SV_COOKIE_SESSION, o->token,
            (long)(sv_rq_app(rq)->cfg.absolute_lifetime_ms / 1000));
        sv_reply_json(rq, 200,
                      json_pack("{s:s, s:s, s:b, s:s, s:b}", "csrf", csrf,
                                "expires_at", expires, "must_change_password",
                                o->must_change_password, "device_id",
                                o->device_id, "mfa_pending", o->mfa_pending));
        sodium_memzero(csrf, sizeof csrf);
        return;
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:s, s:s, s:b, s:s, s:b}", "token", o->token,
                            "expires_at", expires, "must_change_password",
                            o->must_change_password, "device_id", o->device_id,
                            "mfa_pending", o->mfa_pending));
}

/* ---- the client's device (DEV-1) ---- */

static bool
check_device_text(const char *s, size_t len)
{
    (void)s;
    return len <= SV_DEVICE_TEXT_MAX * 4;
}

/* A mobile/CLI login proves it holds the key it registers. */
static enum sv_err
check_signature(struct sv_request *rq, struct sv_client *cl, const char **bad)
{
    const char *nonce = NULL;
    enum sv_err rc =
        sv_rq_check_signature(rq, cl->pk, cl->device, NULL, &nonce, bad);

    if (rc == SV_OK)
        snprintf(cl->nonce, sizeof cl->nonce, "%s", nonce);
    return rc;
}

bool
login_http_client(struct sv_request *rq, const json_t *device,
                  struct sv_client *cl)
{
    const char *kind = NULL, *id = NULL, *name = NULL, *model = NULL,
               *platform = NULL, *pk = NULL, *bad = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("kind", &kind, 1, 8, NULL),
        SV_F_STR_OPT("id", &id, 36, 36, NULL),
        SV_F_STR_OPT("name", &name, 1, SV_DEVICE_TEXT_MAX, check_device_text),
        SV_F_STR_OPT("model", &model, 1, SV_DEVICE_TEXT_MAX, check_device_text),
        SV_F_STR_OPT("platform", &platform, 1, SV_DEVICE_TEXT_MAX,
                     check_device_text),
        SV_F_STR_OPT("public_key", &pk, 43, 43, NULL),
        SV_F_END,
    };
    enum sv_err rc;

    memset(cl, 0, sizeof *cl);
    cl->ip = sv_rq_ip(rq);
    cl->user_agent = sv_rq_user_agent(rq);
    cl->kind = SV_CLIENT_API;
    if (device != NULL) {
        rc = sv_json_spec_parse(device, spec, &bad);
        if (rc != SV_OK) {
            char field[48];
            snprintf(field, sizeof field, "device.%s", bad ? bad : "");
            sv_reply_error(rq, rc, field);
            return false;
        }
        if (!sv_client_kind_parse(kind, &cl->kind)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "device.kind");
            return false;
        }
        snprintf(cl->name, sizeof cl->name, "%s", name ? name : "");
        snprintf(cl->model, sizeof cl->model, "%s", model ? model : "");
        snprintf(cl->platform, sizeof cl->platform, "%s",
                 platform ? platform : "");
    }
    if (cl->kind == SV_CLIENT_MOBILE || cl->kind == SV_CLIENT_CLI) {
        if (id == NULL || !sv_check_uuid(id)) {
            sv_reply_error(rq, id ? SV_E_FIELD_INVALID : SV_E_FIELD_MISSING,
                           "device.id");
            return false;
        }
        if (pk == NULL || !sv_devsig_parse_pk(pk, cl->pk)) {
            sv_reply_error(rq, pk ? SV_E_FIELD_INVALID : SV_E_FIELD_MISSING,
                           "device.public_key");
            return false;
        }
        cl->has_pk = true;
        snprintf(cl->device, sizeof cl->device, "%s", id);
        rc = check_signature(rq, cl, &bad);
        if (rc != SV_OK) {
            sv_reply_error(rq, rc, bad);
            return false;
        }
        return true;
    }
    if (id != NULL || pk != NULL) {
        sv_reply_error(rq, SV_E_FIELD_UNKNOWN,
                       id ? "device.id" : "device.public_key");
        return false;
    }
    /* Browsers: the device is the __Host-sv_device cookie, set when
     * missing. A browser from before the prefix keeps its device: the old
     * cookie is read while the new one is missing, then moved to it. */
    const char *cookie = sv_rq_cookie(rq, SV_COOKIE_DEVICE);
    bool legacy = false;
    if (cookie == NULL &&
        (cookie = sv_rq_cookie(rq, SV_COOKIE_DEVICE_LEGACY)) != NULL)
        legacy = true;
    if (cookie != NULL && sv_check_uuid(cookie)) {
        snprintf(cl->device, sizeof cl->device, "%s", cookie);
        if (legacy && cl->kind == SV_CLIENT_WEB) {
            sv_rq_set_cookie(rq, SV_COOKIE_DEVICE, cl->device, 365L * 86400);
            sv_rq_set_cookie(rq, SV_COOKIE_DEVICE_LEGACY, "", 0);
        }
    } else {
        char nid[SV_UUID_LEN + 1];
        sv_uuid7(nid);
        snprintf(cl->device, sizeof cl->device, "%s", nid);
        if (cl->kind == SV_CLIENT_WEB)
            sv_rq_set_cookie(rq, SV_COOKIE_DEVICE, nid, 365L * 86400);
    }
    return true;
}

/* ---- CAPTCHA ---- */

void
login_http_captcha_image(struct sv_request *rq)
{
    unsigned char *png = NULL;
    size_t len = 0;
    char answer[SV_CAPTCHA_LEN + 1] = "";
    enum sv_err rc = sv_login_captcha_image(sv_rq_app(rq), sv_rq_param(rq, 0),
                                            ch_token(rq), &png, &len, answer);
    if (rc != SV_OK) {
        step_error(rq, rc, NULL);
        return;
    }
#ifdef SV_TEST_HOOKS
    /* Test builds only (-Dtest_hooks=true): the suites solve CAPTCHAs. */
    sv_rq_add_header(rq, "X-SV-Test-Captcha-Answer", answer);
#endif
    sodium_memzero(answer, sizeof answer);
    sv_reply_bytes(rq, 200, "image/png", png, len, false);
    free(png);
}

void
login_http_captcha(struct sv_request *rq)
{
    const char *answer = NULL, *password = NULL, *bad = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("answer", &answer, 1, 32, NULL),
        SV_F_STR("password", &password, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_END,
    };
    struct sv_arena *a = sv_rq_arena(rq);
    struct sv_login *l;
    char *slug, *user;
    enum sv_err rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);

    if (rc == SV_OK && strlen(password) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "password";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    l = sv_arena_zalloc(a, sizeof *l);
    slug = sv_arena_zalloc(a, SV_SLUG_MAX * 2 + 1);
    user = sv_arena_zalloc(a, SV_USERNAME_MAX * 4 + 1);
    l->client.ip = sv_rq_ip(rq);
    l->client.user_agent = sv_rq_user_agent(rq);
    rc = sv_login_captcha_answer(
        sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq), answer, slug,
        SV_SLUG_MAX * 2 + 1, user, SV_USERNAME_MAX * 4 + 1, l->name_key,
        &l->client);
    if (rc != SV_OK) {
        step_error(rq, rc, rc == SV_E_CAPTCHA_INVALID ? "answer" : NULL);
        return;
    }
    l->captcha_passed = true;
    l->has_name_key = true;
    login_http_run(rq, l, slug, user, password);
}

/* ---- codes ---- */

static const char *
code_field(struct sv_request *rq, size_t max)
{
    const char *code = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("code", &code, 1, (int64_t)max, NULL),
        SV_F_END,
    };

    if (!sv_rq_fields_or_reply(rq, spec))
        return NULL;
    return code;
}

static void
reply_step(struct sv_request *rq, enum sv_err rc, struct sv_outcome *o,
           const char *field)
{
    if (rc != SV_OK)
        step_error(rq, rc, rc == SV_E_CODE_INVALID ? field : NULL);
    else
        login_http_reply_outcome(rq, o);
    sv_outcome_wipe(o);
}

/* POST …/totp and …/sms/verify: a code, and the step it answers. */
static void
code_step(struct sv_request *rq, bool sms)
{
    struct sv_outcome *o = sv_arena_zalloc(sv_rq_arena(rq), sizeof *o);
    const char *code = code_field(rq, 16);
    enum sv_err rc;

    if (code == NULL)
        return;
    rc = (sms ? sv_login_sms_verify : sv_login_totp)(
        sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq), code, sv_rq_ip(rq), o);
    reply_step(rq, rc, o, "code");
}

void
login_http_totp(struct sv_request *rq)
{
    code_step(rq, false);
}

void
login_http_sms_send(struct sv_request *rq)
{
    char sent_to[24];
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_login_sms_send(sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq),
                           sent_to);
    if (rc != SV_OK)
        step_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 202, json_pack("{s:s}", "sent_to", sent_to));
}

void
login_http_sms_verify(struct sv_request *rq)
{
    code_step(rq, true);
}

/* ---- approvals: the waiting client ---- */

static void
approval_start(struct sv_request *rq, bool qr)
{
    char qr_text[128], expires[SV_RFC3339_LEN + 1];
    int number = 0;
    int64_t exp = 0;
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_login_approval_start(sv_rq_app(rq), sv_rq_param(rq, 0),
                                 ch_token(rq), qr, &number, &exp, qr_text);
    if (rc != SV_OK) {
        step_error(rq, rc, NULL);
        return;
    }
    sv_rfc3339(exp, expires);
    json_t *body =
        json_pack("{s:i, s:s}", "number", number, "expires_at", expires);
    if (qr) {
        unsigned char *png = NULL;
        size_t len = 0;
        json_object_set_new(body, "qr", json_string(qr_text));
        char *svg = sv_qr_svg(qr_text);
        if (svg != NULL) {
            json_object_set_new(body, "svg", json_string(svg));
            free(svg);
        }
        if (sv_qr_png(qr_text, 6, &png, &len) == SV_OK) {
            size_t cap =
                sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
            char *b64 = sv_arena_zalloc(sv_rq_arena(rq), cap + 32);
            memcpy(b64, "data:image/png;base64,", 22);
            sodium_bin2base64(b64 + 22, cap, png, len,
                              sodium_base64_VARIANT_ORIGINAL);
            json_object_set_new(body, "png", json_string(b64));
            free(png);
        }
        sodium_memzero(qr_text, sizeof qr_text);
    }
    sv_reply_json(rq, 200, body);
}

void
login_http_approval(struct sv_request *rq)
{
    approval_start(rq, false);
}

void
login_http_qr(struct sv_request *rq)
{
    approval_start(rq, true);
}

struct wait_job {
    const char *id, *token;
    struct sv_outcome out;
    bool parked;
};

static void wait_answer(struct sv_request *rq, struct wait_job *w,
                        bool may_park);

static void
wait_resumed(struct sv_request *rq, void *arg)
{
    wait_answer(rq, arg, false);
}

static void
wait_answer(struct sv_request *rq, struct wait_job *w, bool may_park)
{
    bool pending = false;
    enum sv_err rc = sv_login_wait(sv_rq_app(rq), w->id, w->token, sv_rq_ip(rq),
                                   &pending, &w->out);
    if (rc != SV_OK) {
        step_error(rq, rc, NULL);
        return;
    }
    if (!pending) {
        login_http_reply_outcome(rq, &w->out);
        sv_outcome_wipe(&w->out);
        return;
    }
    if (!may_park) {
        sv_reply_json(rq, 200, json_pack("{s:s}", "status", "pending"));
        return;
    }
    /* No thread waits: the connection is suspended until a decision. */
    sv_park(rq, w->id, WAIT_MS, wait_resumed, w);
    /* A decision that landed between the read and the park. */
    if (sv_login_settled(sv_rq_app(rq), w->id))
        sv_wake(w->id);
}

void
login_http_wait(struct sv_request *rq)
{
    struct wait_job *w = sv_arena_zalloc(sv_rq_arena(rq), sizeof *w);

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    w->id = sv_rq_param(rq, 0);
    w->token =
        ch_token(rq) ? sv_arena_strdup(sv_rq_arena(rq), ch_token(rq)) : NULL;
    wait_answer(rq, w, true);
}

/* ---- approvals: the trusted device ---- */

static json_t *
approval_json(const struct sv_approval_view *v)
{
    char created[SV_RFC3339_LEN + 1], expires[SV_RFC3339_LEN + 1];
    sv_rfc3339(v->created_at, created);
    sv_rfc3339(v->expires_at, expires);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:[i,i,i]}", "id", v->id,
                     "kind", v->qr ? "qr" : "push", "browser", v->user_agent,
                     "ip", v->ip, "created_at", created, "expires_at", expires,
                     "choices", v->choices[0], v->choices[1], v->choices[2]);
}

static void
approval_row(void *cls, const struct sv_approval_view *v)
{
    json_array_append_new(cls, approval_json(v));
}

void
login_http_approvals_list(struct sv_request *rq)
{
    json_t *items = json_array();
    enum sv_err rc = sv_login_approvals_pending(
        sv_rq_app(rq), sv_rq_session(rq), sv_items_clear, approval_row, items);
    sv_reply_items(rq, rc, items);
}

void
login_http_approvals_scan(struct sv_request *rq)
{
    const char *qr = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("qr", &qr, 1, 127, NULL),
        SV_F_END,
    };
    struct sv_approval_view v;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    rc = sv_login_approval_scan(sv_rq_app(rq), sv_rq_session(rq), qr, &v);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, rc == SV_E_FIELD_INVALID ? "qr" : NULL);
        return;
    }
    sv_reply_json(rq, 200, approval_json(&v));
}

void
login_http_approvals_decide(struct sv_request *rq)
{
    const char *decision = NULL;
    int64_t number = 0;
    bool has_number = false;
    const struct sv_field spec[] = {
        SV_F_STR("decision", &decision, 4, 7, NULL),
        {.name = "number",
         .type = SV_FT_INT,
         .required = false,
         .out = &number,
         .min = 10,
         .max = 99,
         .present = &has_number},
        SV_F_END,
    };
    struct sv_actor actor = identity_http_actor(rq);
    bool approve;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    if (strcmp(decision, "approve") == 0) {
        approve = true;
    } else if (strcmp(decision, "deny") == 0) {
        approve = false;
    } else {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "decision");
        return;
    }
    if (approve && !has_number) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "number");
        return;
    }
    rc = sv_login_approval_decide(sv_rq_app(rq), sv_rq_session(rq),
                                  sv_rq_param(rq, 0), approve, (int)number,
                                  &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc,
                       rc == SV_E_APPROVAL_NUMBER_MISMATCH ? "number" : NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- POST /auth/login ---- */

/*
 * AUTH-4: a login that has to wait (its source has source_inflight checks
 * running on this node, or its name captcha_after anywhere) is parked, and
 * looks again when one ends here or after a short while (another node's).
 * It waits at most this long, then answers 429 with Retry-After.
 */
enum { LOGIN_WAIT_MS = 15000, LOGIN_RECHECK_MS = 250 };

static void
wait_key(const struct sv_login *l, bool name, char out[96])
{
    if (name) {
        char hex[33];
        sv_hex(l->guard.name_key, 16, hex);
        snprintf(out, 96, "login-name:%s", hex);
    } else {
        snprintf(out, 96, "login-src:%s", l->source);
    }
}

static void
leave_source(struct sv_login *l)
{
    char key[96];
    if (!l->source_held)
        return;
    sv_guard_source_leave(l->source);
    l->source_held = false;
    wait_key(l, false, key);
    sv_wake(key);
}

static void
release_name(struct sv_login *l)
{
    char key[96];
    if (!l->guard.claimed)
        return;
    sv_login_release(l->app, l);
    wait_key(l, true, key);
    sv_wake(key);
}

static void
login_free(void *arg)
{
    struct sv_login *l = arg;
    /* A request that ends without its finish (a dropped connection). */
    release_name(l);
    leave_source(l);
    sv_login_free(l);
}

static void
login_work(void *arg)
{
    struct sv_login *l = arg;
    sv_login_work(l->app, l);
}

static void
login_done(struct sv_request *rq, void *arg)
{
    struct sv_login *l = arg;
    bool claimed = l->guard.claimed;
    enum sv_err rc = sv_login_finish(sv_rq_app(rq), l);
    char key[96];

    if (claimed && !l->guard.claimed) {
        wait_key(l, true, key);
        sv_wake(key);
    }
    release_name(l);
    leave_source(l);
    if (rc != SV_OK) {
        /* a replayed login, or another key for a known device id */
        sv_reply_error(rq, rc,
                       rc == SV_E_SIGNATURE_INVALID ? "X-SV-Signature" : NULL);
        return;
    }
    login_http_reply_outcome(rq, &l->out);
}

static void login_step(struct sv_request *rq, void *arg);

enum login_wait { WAIT_NONE, WAIT_SOURCE, WAIT_NAME };

void
login_http_login(struct sv_request *rq)
{
    const char *tenant = NULL, *username = NULL, *password = NULL, *bad;
    const json_t *device = NULL; /* DEV-1: an object of its own */
    const struct sv_field spec[] = {
        /* Shape only: a name that breaks the rules simply is not found. */
        SV_F_STR("tenant", &tenant, 1, 64, NULL),
        SV_F_STR("username", &username, 1, SV_USERNAME_MAX, NULL),
        SV_F_STR("password", &password, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_OBJ_OPT("device", &device),
        SV_F_END,
    };
    struct sv_login *l;
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc == SV_OK && strlen(password) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "password";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    l = sv_arena_zalloc(sv_rq_arena(rq), sizeof *l);
    if (!login_http_client(rq, device, &l->client))
        return;
    login_http_run(rq, l, tenant, username, password);
}

void
login_http_run(struct sv_request *rq, struct sv_login *l, const char *tenant,
               const char *username, const char *password)
{
    enum sv_err rc;

    l->app = sv_rq_app(rq);
    l->tenant_slug = tenant;
    l->username = username;
    l->ip = sv_rq_ip(rq);
    l->user_agent = sv_rq_user_agent(rq);
    l->wait_until = sv_now_ms() + LOGIN_WAIT_MS;
    sv_guard_source(l->ip, l->source);
    rc = sv_login_init(l, password, strlen(password));
    sv_rq_on_cleanup(rq, login_free, l);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    login_step(rq, l);
}

/* The login's checks; WAIT_NONE once it has answered or gone on. */
static enum login_wait
login_try(struct sv_request *rq, struct sv_login *l)
{
    int64_t retry = 0;
    enum sv_err rc;

    /*
     * A place for the source first: waiting for it costs no database. A
     * server that is draining takes no new connections, and the places
     * come back on the connection threads: no waiting for one then.
     */
    if (!l->source_held && !sv_http_stopping()) {
        if (!sv_guard_source_enter(l->source, l->app->cfg.source_inflight))
            return WAIT_SOURCE;
        l->source_held = true;
    }
    rc = sv_login_lookup(l->app, l);
    if (rc == SV_OK)
        rc = sv_login_gate(l, &retry);
    if (rc != SV_OK || l->must_wait || l->captcha_due)
        leave_source(l);
    if (rc != SV_OK) {
        if (retry > 0) {
            char ra[24];
            snprintf(ra, sizeof ra, "%lld", (long long)retry);
            sv_rq_add_header(rq, "Retry-After", ra);
        }
        sv_reply_error(rq, rc, NULL);
        return WAIT_NONE;
    }
    if (l->must_wait)
        return WAIT_NAME;
    if (l->captcha_due) {
        /* AUTH-4: no password is looked at until a CAPTCHA is solved. The
         * challenge keeps the typed name only when it is an account's. */
        rc = sv_login_captcha_challenge(
            l->app, l->tenant_found ? l->tenant.id : NULL, l->tenant_slug,
            l->account_found ? l->username : "", l->guard.name_key, &l->client,
            &l->out);
        if (rc != SV_OK)
            sv_reply_error(rq, rc, NULL);
        else
            login_http_reply_outcome(rq, &l->out);
        return WAIT_NONE;
    }
    sv_offload_or_reply(rq, login_work, login_done, l);
    return WAIT_NONE;
}

/* Try, and wait for a turn as often as needed (parked, no thread held). */
static void
login_step(struct sv_request *rq, void *arg)
{
    struct sv_login *l = arg;
    enum login_wait w;
    char key[96];

    while ((w = login_try(rq, l)) != WAIT_NONE) {
        if (sv_now_ms() >= l->wait_until) {
            sv_rq_add_header(rq, "Retry-After", "1");
            sv_reply_error(rq, SV_E_RATE_LIMITED, NULL);
            return;
        }
        if (!sv_http_stopping()) {
            wait_key(l, w == WAIT_NAME, key);
            sv_park(rq, key, LOGIN_RECHECK_MS, login_step, l);
            return;
        }
        /*
         * Draining: nothing would resume a parked request, and the slots
         * come back on the connection threads this one would block.
         */
        sv_reply_error(rq, SV_E_UNAVAILABLE, NULL);
        return;
    }
}

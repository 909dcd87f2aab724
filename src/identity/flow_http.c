/*
 * The login flow over HTTP (docs/auth-flow.md): challenge steps, the long
 * poll, the trusted device's approvals and devices (the blacklist and
 * unlock: risk/risk_http.c).
 */
#include "identity/flow_http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth/devsig.h"
#include "auth/qr.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/flow.h"
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
        int64_t s = sv_flow_retry_after(sv_rq_app(rq), sv_rq_param(rq, 0));
        if (s > 0) {
            char ra[24];
            snprintf(ra, sizeof ra, "%lld", (long long)s);
            sv_rq_add_header(rq, "Retry-After", ra);
        }
    }
    sv_reply_error(rq, rc, field);
}

void
flow_http_reply_outcome(struct sv_request *rq, struct sv_outcome *o)
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
            rq, "sv_session", o->token,
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
    const char *dev = sv_rq_header(rq, "X-SV-Device");
    const char *ts_s = sv_rq_header(rq, "X-SV-Timestamp");
    const char *nonce = sv_rq_header(rq, "X-SV-Nonce");
    const char *sig = sv_rq_header(rq, "X-SV-Signature");
    size_t blen = 0;
    const char *body = sv_rq_body(rq, &blen);
    int64_t ts = 0;

    *bad = "X-SV-Signature";
    if (dev == NULL || strcmp(dev, cl->device) != 0) {
        *bad = "X-SV-Device";
        return SV_E_SIGNATURE_INVALID;
    }
    if (ts_s == NULL || !sv_devsig_parse_ts(ts_s, &ts) ||
        !sv_devsig_fresh(ts, sv_now_ms(),
                         sv_rq_app(rq)->cfg.signature_window_ms)) {
        *bad = "X-SV-Timestamp";
        return SV_E_SIGNATURE_INVALID;
    }
    if (nonce == NULL || !sv_devsig_nonce_ok(nonce)) {
        *bad = "X-SV-Nonce";
        return SV_E_SIGNATURE_INVALID;
    }
    if (sig == NULL)
        return SV_E_SIGNATURE_INVALID;
    snprintf(cl->nonce, sizeof cl->nonce, "%s", nonce);
    return sv_devsig_verify(cl->pk, sig, sv_rq_method(rq),
                            sv_rq_path_and_query(rq), ts, nonce, body, blen);
}

bool
flow_http_client(struct sv_request *rq, const json_t *device,
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
    /* Browsers: the device is the sv_device cookie, set when missing. */
    const char *cookie = sv_rq_cookie(rq, "sv_device");
    if (cookie != NULL && sv_check_uuid(cookie)) {
        snprintf(cl->device, sizeof cl->device, "%s", cookie);
    } else {
        char nid[SV_UUID_LEN + 1];
        sv_uuid7(nid);
        snprintf(cl->device, sizeof cl->device, "%s", nid);
        if (cl->kind == SV_CLIENT_WEB)
            sv_rq_set_cookie(rq, "sv_device", nid, 365L * 86400);
    }
    return true;
}

/* ---- CAPTCHA ---- */

void
flow_http_captcha_image(struct sv_request *rq)
{
    unsigned char *png = NULL;
    size_t len = 0;
    char answer[SV_CAPTCHA_LEN + 1] = "";
    enum sv_err rc = sv_flow_captcha_image(sv_rq_app(rq), sv_rq_param(rq, 0),
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
flow_http_captcha(struct sv_request *rq)
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
    rc = sv_flow_captcha_answer(sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq),
                                answer, slug, SV_SLUG_MAX * 2 + 1, user,
                                SV_USERNAME_MAX * 4 + 1, l->name_key,
                                &l->client);
    if (rc != SV_OK) {
        step_error(rq, rc, rc == SV_E_CAPTCHA_INVALID ? "answer" : NULL);
        return;
    }
    l->captcha_passed = true;
    l->has_name_key = true;
    identity_http_login_run(rq, l, slug, user, password);
}

/* ---- codes ---- */

static const char *
code_field(struct sv_request *rq, size_t max)
{
    const char *code = NULL, *bad = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("code", &code, 1, (int64_t)max, NULL),
        SV_F_END,
    };
    enum sv_err rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return NULL;
    }
    return code;
}

static void
reply_step(struct sv_request *rq, enum sv_err rc, struct sv_outcome *o,
           const char *field)
{
    if (rc != SV_OK)
        step_error(rq, rc, rc == SV_E_CODE_INVALID ? field : NULL);
    else
        flow_http_reply_outcome(rq, o);
    sv_outcome_wipe(o);
}

void
flow_http_totp(struct sv_request *rq)
{
    struct sv_outcome *o = sv_arena_zalloc(sv_rq_arena(rq), sizeof *o);
    const char *code = code_field(rq, 16);
    if (code == NULL)
        return;
    reply_step(rq,
               sv_flow_totp(sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq),
                            code, sv_rq_ip(rq), o),
               o, "code");
}

void
flow_http_sms_send(struct sv_request *rq)
{
    char sent_to[24];
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_flow_sms_send(sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq),
                          sent_to);
    if (rc != SV_OK)
        step_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 202, json_pack("{s:s}", "sent_to", sent_to));
}

void
flow_http_sms_verify(struct sv_request *rq)
{
    struct sv_outcome *o = sv_arena_zalloc(sv_rq_arena(rq), sizeof *o);
    const char *code = code_field(rq, 16);
    if (code == NULL)
        return;
    reply_step(rq,
               sv_flow_sms_verify(sv_rq_app(rq), sv_rq_param(rq, 0),
                                  ch_token(rq), code, sv_rq_ip(rq), o),
               o, "code");
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
    rc = sv_flow_approval_start(sv_rq_app(rq), sv_rq_param(rq, 0), ch_token(rq),
                                qr, &number, &exp, qr_text);
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
flow_http_approval(struct sv_request *rq)
{
    approval_start(rq, false);
}

void
flow_http_qr(struct sv_request *rq)
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
    enum sv_err rc = sv_flow_wait(sv_rq_app(rq), w->id, w->token, sv_rq_ip(rq),
                                  &pending, &w->out);
    if (rc != SV_OK) {
        step_error(rq, rc, NULL);
        return;
    }
    if (!pending) {
        flow_http_reply_outcome(rq, &w->out);
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
    if (sv_flow_settled(sv_rq_app(rq), w->id))
        sv_wake(w->id);
}

void
flow_http_wait(struct sv_request *rq)
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
flow_http_approvals_list(struct sv_request *rq)
{
    json_t *items = json_array();
    enum sv_err rc = sv_flow_approvals_pending(
        sv_rq_app(rq), sv_rq_session(rq), sv_items_clear, approval_row, items);
    sv_reply_items(rq, rc, items);
}

void
flow_http_approvals_scan(struct sv_request *rq)
{
    const char *qr = NULL, *bad = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("qr", &qr, 1, 127, NULL),
        SV_F_END,
    };
    struct sv_approval_view v;
    enum sv_err rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);

    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    rc = sv_flow_approval_scan(sv_rq_app(rq), sv_rq_session(rq), qr, &v);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, rc == SV_E_FIELD_INVALID ? "qr" : NULL);
        return;
    }
    sv_reply_json(rq, 200, approval_json(&v));
}

void
flow_http_approvals_decide(struct sv_request *rq)
{
    const char *decision = NULL, *bad = NULL;
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
    enum sv_err rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);

    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
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
    rc = sv_flow_approval_decide(sv_rq_app(rq), sv_rq_session(rq),
                                 sv_rq_param(rq, 0), approve, (int)number,
                                 &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc,
                       rc == SV_E_APPROVAL_NUMBER_MISMATCH ? "number" : NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- devices ---- */

struct dev_list {
    json_t *items;
    const char *current;
};

static void
dev_start(void *cls)
{
    struct dev_list *d = cls;
    json_array_clear(d->items);
}

static void
dev_row(void *cls, const struct sv_device_view *v)
{
    struct dev_list *d = cls;
    char first[SV_RFC3339_LEN + 1], last[SV_RFC3339_LEN + 1];
    sv_rfc3339(v->first_seen_at, first);
    sv_rfc3339(v->last_seen_at, last);
    json_array_append_new(
        d->items,
        json_pack("{s:s, s:s, s:s?, s:s?, s:s?, s:s, s:s, s:s, s:s?, s:b}",
                  "id", v->id, "kind", v->kind, "name", v->name, "model",
                  v->model, "platform", v->platform, "state", v->state,
                  "first_seen_at", first, "last_seen_at", last, "last_ip",
                  v->last_ip, "current",
                  d->current && strcmp(d->current, v->id) == 0));
}

static void
devices_reply(struct sv_request *rq, const char *tenant_id,
              const char *account_id)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct dev_list d = {json_array(), s->device_id[0] ? s->device_id : NULL};
    enum sv_err rc = sv_devices_list(sv_rq_app(rq), tenant_id, account_id,
                                     dev_start, dev_row, &d);
    if (rc != SV_OK) {
        json_decref(d.items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, json_pack("{s:o}", "items", d.items));
}

void
flow_http_my_devices(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    devices_reply(rq, s->tenant_id, s->account_id);
}

void
flow_http_my_device_revoke(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_device_revoke(
        sv_rq_app(rq), s->tenant_id, s->account_id, sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* The account must be of the admin's tenant: otherwise "not found". */
static bool
account_in_tenant_or_reply(struct sv_request *rq, const char *account_id)
{
    struct sv_account a;
    enum sv_err rc = sv_account_get(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                                    account_id, &a);
    sodium_memzero(&a, sizeof a);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return false;
    }
    return true;
}

void
flow_http_user_devices(struct sv_request *rq)
{
    if (!account_in_tenant_or_reply(rq, sv_rq_param(rq, 0)))
        return;
    devices_reply(rq, sv_rq_session(rq)->tenant_id, sv_rq_param(rq, 0));
}

void
flow_http_user_device_revoke(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc =
        sv_device_revoke(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                         sv_rq_param(rq, 0), sv_rq_param(rq, 1), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

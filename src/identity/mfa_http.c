/*
 * POST/DELETE /me/totp, POST /me/totp/confirm, GET /me/inbox,
 * PATCH /users/{id}, POST /auth/reset, POST /auth/reset/confirm.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "auth/qr.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "identity/identity_http.h"
#include "identity/mfa.h"
#include "identity/mfa_http.h"

/*
 * AUTH-3, AUTH-4: POST /auth/reset, and a refused reset code, answer no
 * sooner than this after the request arrived, whatever happened inside
 * (unknown tenant or account, nothing to send, a message written). The
 * request waits parked, holding no thread.
 */
#define RESET_FLOOR_MS 300
#define RESET_PARK_KEY "mfa:reset-floor"
#define QR_SCALE 6

static bool
check_phone(const char *s, size_t len)
{
    return strlen(s) == len && sv_check_phone(s);
}

static bool
check_channel(const char *s, size_t len)
{
    (void)len;
    return strcmp(s, "sms") == 0 || strcmp(s, "email") == 0;
}

/* ---- POST /me/totp ---- */

/* "data:image/png;base64,…" of @p png; malloc'd. */
static char *
png_data_uri(const unsigned char *png, size_t len)
{
    static const char prefix[] = "data:image/png;base64,";
    size_t b64 = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL);
    char *out = malloc(sizeof prefix - 1 + b64);

    if (out == NULL)
        return NULL;
    memcpy(out, prefix, sizeof prefix - 1);
    sodium_bin2base64(out + sizeof prefix - 1, b64, png, len,
                      sodium_base64_VARIANT_ORIGINAL);
    return out;
}

/* Wipe (the QR codes hold the secret) and free. */
static void
wipe_free(void *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len);
    free(p);
}

void
mfa_http_totp_start(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_totp_enrolment e = {0};
    unsigned char *png = NULL;
    size_t png_len = 0;
    char *svg = NULL, *png_uri = NULL;
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_totp_enrol_start(sv_rq_app(rq), sv_rq_session(rq), &actor, &e);
    if (rc == SV_OK)
        rc = sv_qr_png(e.uri, QR_SCALE, &png, &png_len);
    if (rc == SV_OK) {
        svg = sv_qr_svg(e.uri);
        png_uri = png_data_uri(png, png_len);
        if (svg == NULL || png_uri == NULL)
            rc = SV_E_INTERNAL;
    }
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 200,
                      json_pack("{s:s, s:s, s:s, s:s}", "secret", e.secret_b32,
                                "otpauth_uri", e.uri, "qr_svg", svg, "qr_png",
                                png_uri));
    wipe_free(svg, svg ? strlen(svg) : 0);
    wipe_free(png_uri, png_uri ? strlen(png_uri) : 0);
    wipe_free(png, png_len);
    sv_totp_enrolment_fini(&e);
}

/* ---- POST /me/totp/confirm ---- */

void
mfa_http_totp_confirm(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    const char *code = NULL, *bad;
    const struct sv_field spec[] = {
        SV_F_STR("code", &code, 1, 32, NULL),
        SV_F_END,
    };
    char codes[SV_RECOVERY_CODES][SV_RECOVERY_CODE_LEN + 1];
    json_t *list;
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    rc = sv_totp_enrol_confirm(sv_rq_app(rq), sv_rq_session(rq), &actor, code,
                               codes);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    list = json_array();
    for (int i = 0; i < SV_RECOVERY_CODES; i++)
        json_array_append_new(list, json_string(codes[i]));
    sodium_memzero(codes, sizeof codes);
    sv_reply_json(rq, 200, json_pack("{s:o}", "recovery_codes", list));
}

/* ---- DELETE /me/totp ---- */

void
mfa_http_totp_delete(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    const char *code = NULL, *bad;
    const struct sv_field spec[] = {
        SV_F_STR("code", &code, 1, 32, NULL),
        SV_F_END,
    };
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    rc = sv_totp_remove(sv_rq_app(rq), sv_rq_session(rq), &actor, code);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- GET /me/inbox ---- */

struct inbox_ctx {
    struct sv_arena *arena;
    json_t *items;
    const char *last_id;
    bool more;
};

static void
inbox_start(void *cls)
{
    struct inbox_ctx *ic = cls;
    json_array_clear(ic->items); /* a retried transaction starts over */
    ic->last_id = NULL;
}

static void
inbox_row(void *cls, const struct sv_inbox_item *m)
{
    struct inbox_ctx *ic = cls;
    char created[SV_RFC3339_LEN + 1];

    sv_rfc3339(m->created_at, created);
    json_array_append_new(ic->items,
                          json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", m->id,
                                    "kind", m->kind, "title", m->title, "body",
                                    m->body, "created_at", created));
    ic->last_id = sv_arena_strdup(ic->arena, m->id);
}

void
mfa_http_inbox_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    const char *limit_s = sv_rq_query(rq, "limit");
    const char *before = NULL;
    struct inbox_ctx *ic;
    int64_t limit = 50;
    json_t *next;
    enum sv_err rc;

    if (limit_s != NULL && !sv_parse_i64(limit_s, 1, 200, &limit)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "limit");
        return;
    }
    if (cursor != NULL) {
        before = sv_cursor_decode(sv_rq_arena(rq), "i", cursor);
        if (before == NULL || !sv_check_uuid(before)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
            return;
        }
    }
    ic = sv_arena_zalloc(sv_rq_arena(rq), sizeof *ic);
    ic->arena = sv_rq_arena(rq);
    ic->items = json_array();
    rc = sv_inbox_page(sv_rq_app(rq), s->tenant_id, s->account_id, before,
                       (int)limit, inbox_start, inbox_row, ic, &ic->more);
    if (rc != SV_OK) {
        json_decref(ic->items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    next = ic->more && ic->last_id != NULL
               ? json_string(sv_cursor_encode(ic->arena, "i", ic->last_id))
               : json_null();
    sv_reply_json(
        rq, 200,
        json_pack("{s:o, s:o}", "items", ic->items, "next_cursor", next));
}

/* ---- PATCH /users/{id} ---- */

void
mfa_http_users_update(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    const json_t *body = sv_rq_json(rq);
    const char *phone = NULL, *bad;
    const struct sv_field spec[] = {
        /* null clears the phone */
        SV_F_STR_OPT("phone", &phone, 8, SV_PHONE_MAX, check_phone),
        SV_F_END,
    };
    enum sv_err rc;

    rc = sv_json_spec_parse(body, spec, &bad);
    if (rc == SV_OK && json_object_get(body, "phone") == NULL) {
        rc = SV_E_FIELD_MISSING; /* the one field there is to change */
        bad = "phone";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    rc = sv_phone_set(sv_rq_app(rq), sv_rq_session(rq)->tenant_id,
                      sv_rq_param(rq, 0), phone, &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, rc == SV_E_FIELD_INVALID ? "phone" : NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- POST /auth/reset ---- */

static int64_t
floor_left_ms(int64_t start_ms)
{
    int64_t left = start_ms + RESET_FLOOR_MS - sv_now_ms();
    return left > 0 ? left : 0;
}

static void
reset_accepted(struct sv_request *rq, void *arg)
{
    (void)arg;
    sv_reply_json(rq, 202, json_object());
}

void
mfa_http_reset_request(struct sv_request *rq)
{
    int64_t start = sv_now_ms();
    const char *tenant = NULL, *username = NULL, *channel = NULL, *bad;
    const struct sv_field spec[] = {
        /* Shape only: a name that breaks the rules simply is not found. */
        SV_F_STR("tenant", &tenant, 1, 64, NULL),
        SV_F_STR("username", &username, 1, SV_USERNAME_MAX, NULL),
        SV_F_STR("channel", &channel, 3, 5, check_channel),
        SV_F_END,
    };
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    /* Do the work, then answer: the same answer whatever happened. */
    rc = sv_reset_request(sv_rq_app(rq), tenant, username, channel,
                          sv_rq_ip(rq), sv_rq_user_agent(rq));
    if (rc == SV_E_RATE_LIMITED || rc == SV_E_OVERLOADED) {
        /* The source (or this node) is over its limit: nothing was
         * written, whatever the account; the answer does not tell. */
        if (rc == SV_E_RATE_LIMITED)
            sv_rq_add_header(rq, "Retry-After", "60");
        sv_reply_error(rq, rc, NULL);
        return;
    }
    if (rc != SV_OK)
        sv_log(SV_LOG_ERROR, "reset request failed", "%s", sv_err_code(rc));
    sv_park(rq, RESET_PARK_KEY, floor_left_ms(start), reset_accepted, NULL);
}

/* ---- POST /auth/reset/confirm ---- */

struct reset_job {
    struct sv_app *app;
    int64_t start_ms;
    struct sv_reset r;
};

static void
reset_free(void *arg)
{
    sv_reset_free(arg);
}

static void
reset_refused(struct sv_request *rq, void *arg)
{
    (void)arg;
    sv_reply_error(rq, SV_E_RESET_CODE_INVALID, NULL);
}

static void
reset_work(void *arg)
{
    struct reset_job *j = arg;
    sv_reset_work(j->app, &j->r);
}

static void
reset_done(struct sv_request *rq, void *arg)
{
    struct reset_job *j = arg;
    enum sv_err rc = sv_reset_finish(j->app, &j->r);

    if (rc == SV_OK)
        sv_reply_empty(rq, 204);
    else if (rc == SV_E_RESET_CODE_INVALID)
        sv_reply_error(rq, rc, NULL);
    else if (sv_err_status(rc) == 400)
        sv_reply_error(rq, rc, "new_password"); /* a password rule, named */
    else
        sv_reply_error(rq, rc, NULL);
}

void
mfa_http_reset_confirm(struct sv_request *rq)
{
    const char *tenant = NULL, *username = NULL, *code = NULL, *pw = NULL;
    const char *bad;
    const struct sv_field spec[] = {
        SV_F_STR("tenant", &tenant, 1, 64, NULL),
        SV_F_STR("username", &username, 1, SV_USERNAME_MAX, NULL),
        SV_F_STR("code", &code, 1, 32, NULL),
        SV_F_STR("new_password", &pw, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_END,
    };
    struct reset_job *j;
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc == SV_OK && strlen(pw) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "new_password";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    j = sv_arena_zalloc(sv_rq_arena(rq), sizeof *j);
    j->app = sv_rq_app(rq);
    j->start_ms = sv_now_ms();
    j->r.app = j->app;
    j->r.tenant_slug = tenant;
    j->r.username = username;
    j->r.code = code;
    j->r.ip = sv_rq_ip(rq);
    j->r.user_agent = sv_rq_user_agent(rq);
    rc = sv_reset_init(&j->r, pw, strlen(pw));
    sv_rq_on_cleanup(rq, reset_free, &j->r);
    if (rc == SV_OK)
        rc = sv_reset_verify(j->app, &j->r);
    if (rc == SV_E_RESET_CODE_INVALID) {
        /* Unknown account and wrong code: one answer, one timing. */
        sv_park(rq, RESET_PARK_KEY, floor_left_ms(j->start_ms), reset_refused,
                NULL);
        return;
    }
    if (rc != SV_OK) {
        if (rc == SV_E_RATE_LIMITED)
            sv_rq_add_header(rq, "Retry-After", "60");
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_offload_or_reply(rq, reset_work, reset_done, j);
}

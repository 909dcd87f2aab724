/*
 * Admin: POST /users, GET /users, POST /users/{id}/reset-password,
 * PATCH /users/{id} (the bound phone).
 */
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/identity_http.h"
#include "mfa/mfa.h"

static bool
check_username(const char *s, size_t len)
{
    return sv_check_username(s, len);
}

static bool
check_email(const char *s, size_t len)
{
    return sv_check_email(s, len);
}

static bool
check_phone(const char *s, size_t len)
{
    return strlen(s) == len && sv_check_phone(s);
}

static bool
check_role(const char *s, size_t len)
{
    enum sv_role r;
    (void)len;
    return sv_role_parse(s, &r);
}

/* ---- POST /users ---- */

struct create_ctx {
    struct sv_temp_pw *t; /* first: the job argument */
    const struct sv_session *s;
    struct sv_actor actor;
    const char *username, *email, *phone;
    enum sv_role role;
    struct sv_account out;
};

static void
create_work(void *arg)
{
    identity_http_temp_pw_work(((struct create_ctx *)arg)->t);
}

static json_t *
account_json(const struct sv_account *a)
{
    char created[SV_RFC3339_LEN + 1];
    sv_rfc3339(a->created_at, created);
    return json_pack("{s:s, s:s, s:s, s:s?, s:b, s:s}", "id", a->id, "username",
                     a->username, "role", sv_role_name(a->role), "email",
                     a->has_email ? a->email : NULL, "must_change_password",
                     a->must_change_password, "created_at", created);
}

static void
create_done(struct sv_request *rq, void *arg)
{
    struct create_ctx *cc = arg;
    enum sv_err rc = cc->t->rc;
    json_t *body;

    if (rc == SV_OK && cc->phone != NULL)
        rc = sv_account_create_with_phone(
            sv_rq_app(rq), cc->s->tenant_id, cc->username, cc->role, cc->email,
            cc->phone, cc->t->hash, &cc->actor, &cc->out);
    else if (rc == SV_OK)
        rc = sv_account_create(sv_rq_app(rq), cc->s->tenant_id, cc->username,
                               cc->role, cc->email, cc->t->hash, &cc->actor,
                               &cc->out);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, rc == SV_E_USERNAME_TAKEN ? "username" : NULL);
        return;
    }
    body = account_json(&cc->out);
    json_object_set_new(body, "temporary_password",
                        json_string(cc->t->password));
    sv_reply_json(rq, 201, body);
}

void
identity_http_users_create(struct sv_request *rq)
{
    const char *username = NULL, *role = NULL, *email = NULL, *phone = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("username", &username, 3, SV_USERNAME_MAX, check_username),
        SV_F_STR_OPT("role", &role, 1, 16, check_role),
        SV_F_STR_OPT("email", &email, 3, SV_EMAIL_MAX, check_email),
        SV_F_STR_OPT("phone", &phone, 8, SV_PHONE_MAX, check_phone),
        SV_F_END,
    };
    struct create_ctx *cc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    cc = sv_arena_zalloc(sv_rq_arena(rq), sizeof *cc);
    cc->s = sv_rq_session(rq);
    cc->actor = (struct sv_actor){cc->s->account_id, cc->s->username,
                                  sv_rq_ip(rq), sv_rq_user_agent(rq)};
    cc->username = username;
    cc->email = email;
    cc->phone = phone;
    cc->role = SV_ROLE_MEMBER;
    if (role != NULL && !sv_role_parse(role, &cc->role)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "role");
        return;
    }
    cc->t = identity_http_temp_pw(rq);
    if (cc->t == NULL) {
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_offload_or_reply(rq, create_work, create_done, cc);
}

/* ---- GET /users ---- */

struct list_ctx {
    const struct sv_session *s;
    const char *after;
    int limit;
    json_t *items;
    const char *last_id;
    struct sv_arena *arena;
    bool more;
};

/* An account with its factors and lock, as the admin screens show it. */
static json_t *
user_json(const struct sv_user_view *u)
{
    json_t *item = account_json(u->a);
    char until[SV_RFC3339_LEN + 1];

    if (u->locked_until > 0)
        sv_rfc3339(u->locked_until, until);
    json_object_set_new(item, "locked", json_boolean(u->locked_until > 0));
    json_object_set_new(item, "locked_until",
                        u->locked_until > 0 ? json_string(until) : json_null());
    json_object_set_new(item, "totp", json_boolean(u->totp));
    json_object_set_new(item, "phone",
                        u->has_phone ? json_string(u->phone_masked)
                                     : json_null());
    return item;
}

static void
list_row(void *cls, const struct sv_user_view *u)
{
    struct list_ctx *l = cls;
    json_array_append_new(l->items, user_json(u));
    l->last_id = sv_arena_strdup(l->arena, u->a->id);
}

static void
list_start(void *cls)
{
    struct list_ctx *l = cls;
    json_array_clear(l->items); /* a retried transaction starts over */
}

void
identity_http_users_list(struct sv_request *rq)
{
    struct list_ctx *l = sv_arena_zalloc(sv_rq_arena(rq), sizeof *l);
    const char *cursor = sv_rq_query(rq, "cursor");
    const char *q = sv_rq_query(rq, "q");
    json_t *body;
    enum sv_err rc;

    l->s = sv_rq_session(rq);
    l->arena = sv_rq_arena(rq);
    if (!sv_rq_limit_or_reply(rq, &l->limit))
        return;
    if (cursor != NULL) {
        l->after = sv_cursor_decode(sv_rq_arena(rq), "u", cursor);
        if (l->after == NULL || !sv_check_uuid(l->after)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
            return;
        }
    }
    if (q != NULL && (strlen(q) < 1 || strlen(q) > SV_ACCOUNT_QUERY_MAX ||
                      !sv_utf8_valid(q, strlen(q)))) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "q");
        return;
    }
    l->items = json_array();
    rc = sv_users_page(sv_rq_app(rq), l->s->tenant_id, l->s->tenant_slug, q,
                       l->after, l->limit, list_start, list_row, l, &l->more);
    if (rc != SV_OK) {
        json_decref(l->items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    body = json_pack(
        "{s:o, s:o}", "items", l->items, "next_cursor",
        l->more && l->last_id
            ? json_string(sv_cursor_encode(sv_rq_arena(rq), "u", l->last_id))
            : json_null());
    sv_reply_json(rq, 200, body);
}

/* ---- GET /users/{id} ---- */

static void
get_row(void *cls, const struct sv_user_view *u)
{
    *(json_t **)cls = user_json(u);
}

void
identity_http_users_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    json_t *body = NULL;
    enum sv_err rc = sv_user_get(sv_rq_app(rq), s->tenant_id, s->tenant_slug,
                                 sv_rq_param(rq, 0), get_row, &body);
    if (rc != SV_OK) {
        json_decref(body);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, body);
}

/* ---- POST /users/{id}/reset-password ---- */

struct reset_ctx {
    struct sv_temp_pw *t;
    const struct sv_session *s;
    struct sv_actor actor;
    const char *id;
};

static void
reset_work(void *arg)
{
    identity_http_temp_pw_work(((struct reset_ctx *)arg)->t);
}

static void
reset_done(struct sv_request *rq, void *arg)
{
    struct reset_ctx *r = arg;
    enum sv_err rc = r->t->rc;

    if (rc == SV_OK)
        rc = sv_account_reset(sv_rq_app(rq), r->s->tenant_id, r->id, r->t->hash,
                              &r->actor);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:s, s:s, s:b}", "id", r->id,
                            "temporary_password", r->t->password,
                            "must_change_password", 1));
}

void
identity_http_users_reset(struct sv_request *rq)
{
    struct reset_ctx *r;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    r = sv_arena_zalloc(sv_rq_arena(rq), sizeof *r);
    r->s = sv_rq_session(rq);
    r->actor = (struct sv_actor){r->s->account_id, r->s->username, sv_rq_ip(rq),
                                 sv_rq_user_agent(rq)};
    r->id = sv_rq_param(rq, 0);
    r->t = identity_http_temp_pw(rq);
    if (r->t == NULL) {
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_offload_or_reply(rq, reset_work, reset_done, r);
}

/* ---- PATCH /users/{id} ---- */

void
identity_http_users_update(struct sv_request *rq)
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

/* POST /auth/logout, GET /me, POST /me/password, POST /me/password/check,
 * my sessions. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/identity_http.h"
#include "http/request.h"

struct sv_actor
identity_http_actor(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    return (struct sv_actor){s ? s->account_id : NULL, s ? s->username : NULL,
                             sv_rq_ip(rq), sv_rq_user_agent(rq)};
}

/* ---- POST /auth/logout ---- */

void
identity_http_logout(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_session_revoke(sv_rq_app(rq), sv_rq_session(rq), &actor);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    if (sv_rq_cookie_auth(rq))
        sv_rq_set_cookie(rq, SV_COOKIE_SESSION, "", 0);
    sv_reply_empty(rq, 204);
}

/* ---- GET /me ---- */

struct me_ctx {
    struct sv_account a;
    struct sv_tenant t;
};

void
identity_http_me(struct sv_request *rq)
{
    struct me_ctx *m = sv_arena_zalloc(sv_rq_arena(rq), sizeof *m);
    char created[SV_RFC3339_LEN + 1];
    enum sv_err rc;

    rc = sv_me_get(sv_rq_app(rq), sv_rq_session(rq), &m->a, &m->t);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_rfc3339(m->a.created_at, created);
    const struct sv_session *s = sv_rq_session(rq);
    json_t *body = json_pack(
        "{s:s, s:s, s:s?, s:b, s:s, s:{s:s, s:s, s:s}}", "id", m->a.id,
        "username", m->a.username, "email", m->a.has_email ? m->a.email : NULL,
        "must_change_password", m->a.must_change_password, "created_at",
        created, "tenant", "id", m->t.id, "slug", m->t.slug, "name", m->t.name);
    /* DEV-1: the session shows the device it belongs to. */
    json_object_set_new(body, "device",
                        s->device_id[0]
                            ? json_pack("{s:s, s:s}", "id", s->device_id,
                                        "kind", s->device_kind)
                            : json_null());
    json_object_set_new(body, "mfa_pending", json_boolean(s->mfa_pending));
    if (sv_rq_csrf(rq) != NULL)
        json_object_set_new(body, "csrf", json_string(sv_rq_csrf(rq)));
    sv_reply_json(rq, 200, body);
    sodium_memzero(&m->a, sizeof m->a);
}

/* ---- POST /me/password ---- */

static void
pwchange_free(void *arg)
{
    sv_pwchange_free(arg);
}

struct pwchange_job {
    struct sv_app *app;
    struct sv_pwchange p;
};

static void
pwchange_work(void *arg)
{
    struct pwchange_job *j = arg;
    sv_pwchange_work(j->app, &j->p);
}

static void
pwchange_done(struct sv_request *rq, void *arg)
{
    struct pwchange_job *j = arg;
    enum sv_err rc = sv_pwchange_finish(j->app, &j->p);

    /* Before the answer: the client's next change must find it free. */
    sv_pwchange_leave(&j->p);
    if (rc == SV_OK)
        sv_reply_empty(rq, 204);
    else if (rc == SV_E_CURRENT_PASSWORD_INVALID)
        sv_reply_error(rq, rc, "current");
    else if (sv_err_status(rc) == 400)
        sv_reply_error(rq, rc, "new"); /* a password rule, named */
    else
        sv_reply_error(rq, rc, NULL);
}

void
identity_http_change_password(struct sv_request *rq)
{
    const char *current = NULL, *next = NULL, *bad;
    const struct sv_field spec[] = {
        SV_F_STR("current", &current, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_STR("new", &next, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_END,
    };
    struct pwchange_job *j;
    enum sv_err rc;

    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc == SV_OK && strlen(current) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "current";
    }
    if (rc == SV_OK && strlen(next) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "new";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    j = sv_arena_zalloc(sv_rq_arena(rq), sizeof *j);
    j->app = sv_rq_app(rq);
    j->p.session = sv_rq_session(rq);
    j->p.ip = sv_rq_ip(rq);
    j->p.user_agent = sv_rq_user_agent(rq);
    rc = sv_pwchange_init(&j->p, current, strlen(current), next, strlen(next));
    sv_rq_on_cleanup(rq, pwchange_free, &j->p);
    if (rc == SV_OK)
        rc = sv_pwchange_lookup(j->app, &j->p);
    if (rc != SV_OK) {
        sv_pwchange_leave(&j->p);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_offload_or_reply(rq, pwchange_work, pwchange_done, j);
}

/* ---- POST /me/password/check ---- */

void
identity_http_check_password(struct sv_request *rq)
{
    const char *pw = NULL, *bad;
    const struct sv_field spec[] = {
        /* The same field rule as POST /me/password's "new". */
        SV_F_STR("password", &pw, 1, SV_PASSWORD_MAX_BYTES, NULL),
        SV_F_END,
    };
    struct sv_pw_report rep;
    json_t *rules;
    enum sv_err rc;

    /* The password stays in the request's JSON, which the router wipes when
     * it frees it; nothing here copies, logs or stores it. */
    rc = sv_json_spec_parse(sv_rq_json(rq), spec, &bad);
    if (rc == SV_OK && strlen(pw) > SV_PASSWORD_MAX_BYTES) {
        rc = SV_E_FIELD_INVALID;
        bad = "password";
    }
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, bad);
        return;
    }
    rc = sv_password_check(sv_rq_app(rq), sv_rq_session(rq), pw, strlen(pw),
                           &rep);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    rules = json_array();
    for (size_t i = 0; i < rep.n_rules; i++)
        json_array_append_new(rules,
                              json_pack("{s:s, s:b}", "rule", rep.rules[i].rule,
                                        "ok", rep.ok[i]));
    sv_reply_json(rq, 200,
                  json_pack("{s:b, s:o, s:i, s:i, s:o}", "ok",
                            rep.verdict == SV_OK, "code",
                            rep.verdict == SV_OK
                                ? json_null()
                                : json_string(sv_err_code(rep.verdict)),
                            "score", rep.score, "min_score",
                            rep.rules[rep.n_rules - 1].min, "rules", rules));
}

/* ---- my sessions ---- */

struct sessions_ctx {
    json_t *items;
    const char *current;
};

static void
sessions_start(void *cls)
{
    struct sessions_ctx *x = cls;
    json_array_clear(x->items); /* a retried transaction starts over */
}

static void
session_row(void *cls, const struct sv_session_view *v)
{
    struct sessions_ctx *x = cls;
    char created[SV_RFC3339_LEN + 1], seen[SV_RFC3339_LEN + 1],
        expires[SV_RFC3339_LEN + 1];

    sv_rfc3339(v->created_at, created);
    sv_rfc3339(v->last_seen_at, seen);
    sv_rfc3339(v->expires_at, expires);
    json_array_append_new(
        x->items, json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:b}", "id",
                            v->id, "created_at", created, "last_seen_at", seen,
                            "expires_at", expires, "ip", v->ip, "user_agent",
                            v->user_agent, "device_id", v->device_id, "current",
                            strcmp(v->id, x->current) == 0));
}

void
identity_http_my_sessions(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sessions_ctx x = {json_array(), s->id};

    sv_reply_items(
        rq, sv_sessions_list(sv_rq_app(rq), s, sessions_start, session_row, &x),
        x.items);
}

void
identity_http_my_session_revoke(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    const char *id = sv_rq_param(rq, 0);
    enum sv_err rc;

    if (!sv_check_uuid(id)) {
        sv_reply_error(rq, SV_E_NOT_FOUND, NULL);
        return;
    }
    rc = sv_session_revoke_own(sv_rq_app(rq), sv_rq_session(rq), id, &actor);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    /* Signing out the session in use is a logout: the cookie goes too. */
    if (strcmp(id, sv_rq_session(rq)->id) == 0 && sv_rq_cookie_auth(rq))
        sv_rq_set_cookie(rq, SV_COOKIE_SESSION, "", 0);
    sv_reply_empty(rq, 204);
}

void
identity_http_my_sessions_revoke_others(struct sv_request *rq)
{
    struct sv_actor actor = identity_http_actor(rq);
    int64_t n = 0;
    enum sv_err rc;

    if (!sv_rq_no_fields_or_reply(rq))
        return;
    rc =
        sv_sessions_revoke_others(sv_rq_app(rq), sv_rq_session(rq), &actor, &n);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_json(rq, 200, json_pack("{s:I}", "revoked", (json_int_t)n));
}

/* ---- temporary passwords (POST /users, resets, new employees) ---- */

static void
temp_pw_free(void *arg)
{
    sodium_free(arg);
}

void
identity_http_temp_pw_work(void *arg)
{
    struct sv_temp_pw *t = arg;
    t->rc = sv_password_hash(&t->app->pw, t->password, strlen(t->password),
                             t->hash);
}

struct sv_temp_pw *
identity_http_temp_pw(struct sv_request *rq)
{
    struct sv_temp_pw *t = sodium_malloc(sizeof *t);
    if (t == NULL)
        return NULL;
    memset(t, 0, sizeof *t);
    t->app = sv_rq_app(rq);
    sv_password_temp(t->password);
    sv_rq_on_cleanup(rq, temp_pw_free, t);
    return t;
}

/* POST /auth/login, POST /auth/logout, GET /me, POST /me/password. */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/flow_http.h"
#include "identity/identity_http.h"
#include "http/request.h"

struct sv_actor
identity_http_actor(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    return (struct sv_actor){s ? s->account_id : NULL, s ? s->username : NULL,
                             sv_rq_ip(rq), sv_rq_user_agent(rq)};
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
    flow_http_reply_outcome(rq, &l->out);
}

static void login_step(struct sv_request *rq, void *arg);

enum login_wait { WAIT_NONE, WAIT_SOURCE, WAIT_NAME };

void
identity_http_login(struct sv_request *rq)
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
    if (!flow_http_client(rq, device, &l->client))
        return;
    identity_http_login_run(rq, l, tenant, username, password);
}

void
identity_http_login_run(struct sv_request *rq, struct sv_login *l,
                        const char *tenant, const char *username,
                        const char *password)
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
        rc = sv_flow_captcha_challenge(
            l->app, l->tenant_found ? l->tenant.id : NULL, l->tenant_slug,
            l->account_found ? l->username : "", l->guard.name_key, &l->client,
            &l->out);
        if (rc != SV_OK)
            sv_reply_error(rq, rc, NULL);
        else
            flow_http_reply_outcome(rq, &l->out);
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
        sv_rq_set_cookie(rq, "sv_session", "", 0);
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
        "{s:s, s:s, s:s, s:s?, s:b, s:s, s:{s:s, s:s, s:s}}", "id", m->a.id,
        "username", m->a.username, "role", sv_role_name(m->a.role), "email",
        m->a.has_email ? m->a.email : NULL, "must_change_password",
        m->a.must_change_password, "created_at", created, "tenant", "id",
        m->t.id, "slug", m->t.slug, "name", m->t.name);
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

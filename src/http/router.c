/*
 * Routing and the checks every route gets, driven by the route table:
 * URL length, method, body limit and type, session, forced password change,
 * role, query parameter names, strict JSON. Handlers assume all of them.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "app.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "auth/devsig.h"
#include "http/request.h"

enum { URL_MAX = 1024, SEGS_MAX = 12 };

/* Sessions, CSRF, device nonces: installed at start-up (http.h). */
static const struct sv_http_hooks *hooks;

void
sv_http_set_hooks(const struct sv_http_hooks *h)
{
    hooks = h;
}

/* Split @p path (copied into the arena) on '/'. */
static unsigned
split(struct sv_arena *a, const char *path, char **segs)
{
    char *p = sv_arena_strdup(a, path), *save = NULL, *tok;
    unsigned n = 0;

    for (tok = strtok_r(p, "/", &save); tok != NULL && n < SEGS_MAX;
         tok = strtok_r(NULL, "/", &save))
        segs[n++] = tok;
    return tok == NULL ? n : SEGS_MAX + 1;
}

/* The route table's paths, split once (they never change). */
struct route_segs {
    unsigned n;
    char *segs[SEGS_MAX + 1];
};
static struct route_segs *route_segs;
static pthread_once_t route_segs_once = PTHREAD_ONCE_INIT;

static void
route_segs_init(void)
{
    /* Lives as long as the process, like the table it mirrors. */
    static struct sv_arena *a;
    a = sv_arena_new();
    route_segs = sv_arena_zalloc(a, sv_routes_len * sizeof *route_segs);
    for (size_t i = 0; i < sv_routes_len; i++)
        route_segs[i].n = split(a, sv_routes[i].path, route_segs[i].segs);
}

static bool
path_matches(const struct sv_route *r, char **segs, unsigned n,
             const char **params, bool *bad_param)
{
    const struct route_segs *rs = &route_segs[r - sv_routes];
    char *const *pat = rs->segs;
    unsigned np = rs->n, k = 0;

    *bad_param = false;
    if (np != n)
        return false;
    for (unsigned i = 0; i < n; i++) {
        if (strcmp(pat[i], "{id}") == 0) {
            if (!sv_check_uuid(segs[i]))
                *bad_param = true; /* still this route: answer 404 */
            if (k < SV_MAX_PARAMS)
                params[k++] = segs[i];
        } else if (strcmp(pat[i], "{type}") == 0) {
            /* A name of lower-case letters, which the handler looks up. */
            size_t len = strspn(segs[i], "abcdefghijklmnopqrstuvwxyz");
            if (len == 0 || len > 32 || segs[i][len] != '\0')
                *bad_param = true;
            if (k < SV_MAX_PARAMS)
                params[k++] = segs[i];
        } else if (strcmp(pat[i], segs[i]) != 0) {
            return false;
        }
    }
    return true;
}

/* Whether Content-Type @p ct is @p type (parameters after it allowed). */
static bool
is_type(const char *ct, const char *type)
{
    size_t n = strlen(type);
    if (ct == NULL || strncasecmp(ct, type, n) != 0)
        return false;
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

/* The body type the route takes: JSON (and SCIM's own type on SCIM
 * routes), or CSV (SV_ROUTE_CSV). */
static bool
body_type_ok(const struct sv_route *r, const char *ct)
{
    if (r->flags & SV_ROUTE_CSV)
        return is_type(ct, "text/csv");
    return is_type(ct, "application/json") ||
           ((r->flags & SV_ROUTE_SCIM) && is_type(ct, "application/scim+json"));
}

static enum MHD_Result
add_arg_len(void *cls, enum MHD_ValueKind kind, const char *key,
            const char *value)
{
    size_t *n = cls;
    (void)kind;
    *n += strlen(key) + 2 + (value != NULL ? strlen(value) : 0);
    return MHD_YES;
}

/* MHD hands us the path alone; the limit is on path and query together. */
static size_t
url_len(struct sv_request *rq)
{
    size_t n = strlen(rq->url);
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, add_arg_len, &n);
    return n;
}

static bool authenticate_or_reply(struct sv_request *rq);

struct cl_seen {
    const char *first;
    bool differ;
};

static enum MHD_Result
each_content_length(void *cls, enum MHD_ValueKind kind, const char *key,
                    const char *value)
{
    struct cl_seen *s = cls;
    (void)kind;
    if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) != 0)
        return MHD_YES;
    if (s->first == NULL)
        s->first = value != NULL ? value : "";
    else if (value == NULL || strcmp(s->first, value) != 0)
        s->differ = true;
    return MHD_YES;
}

/*
 * How the request is framed, before anything else: what a proxy in front
 * might read differently is refused (smuggling), and so is a framing the
 * server would wait on for ever.
 */
static bool
framing_ok_or_reply(struct sv_request *rq)
{
    struct cl_seen seen = {NULL, false};
    const char *te;

    /* An encoded NUL would cut the routed path short of the signed one. */
    if (rq->raw_uri != NULL && strcasestr(rq->raw_uri, "%00") != NULL) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "path");
        return false;
    }
    MHD_get_connection_values(rq->conn, MHD_HEADER_KIND, each_content_length,
                              &seen);
    if (seen.differ) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "Content-Length");
        return false;
    }
    /* The one transfer coding we read is chunked, alone. */
    te = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_TRANSFER_ENCODING);
    if (te != NULL) {
        while (*te == ' ' || *te == '\t')
            te++;
        size_t n = strlen(te);
        while (n > 0 && (te[n - 1] == ' ' || te[n - 1] == '\t'))
            n--;
        if (n != 7 || strncasecmp(te, "chunked", 7) != 0) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "Transfer-Encoding");
            return false;
        }
    }
    return true;
}

bool
sv_router_match_or_reply(struct sv_request *rq)
{
    char *segs[SEGS_MAX + 1];
    const char *params[SV_MAX_PARAMS] = {0};
    char allow[64] = "";
    unsigned n;
    bool bad_param = false, path_known = false;
    const char *cl, *te;

    if (url_len(rq) > URL_MAX) {
        sv_reply_error(rq, SV_E_URI_TOO_LONG, NULL);
        return false;
    }
    if (!framing_ok_or_reply(rq))
        return false;
    /* HEAD is GET without a body (libmicrohttpd drops the body). */
    const char *method = strcmp(rq->method, "HEAD") == 0 ? "GET" : rq->method;
    pthread_once(&route_segs_once, route_segs_init);
    n = split(rq->arena, rq->url, segs);
    for (size_t i = 0; i < sv_routes_len && n <= SEGS_MAX; i++) {
        const struct sv_route *r = &sv_routes[i];
        bool bp;
        if (!path_matches(r, segs, n, params, &bp))
            continue;
        path_known = true;
        if (strcmp(r->method, method) != 0) {
            if (strstr(allow, r->method) == NULL &&
                strlen(allow) + strlen(r->method) + 9 < sizeof allow) {
                if (allow[0] != '\0')
                    strcat(allow, ", ");
                strcat(allow, r->method);
                if (strcmp(r->method, "GET") == 0)
                    strcat(allow, ", HEAD");
            }
            continue;
        }
        rq->route = r;
        bad_param = bp;
        memcpy(rq->params, params, sizeof params);
        break;
    }
    if (rq->route == NULL) {
        if (path_known) {
            rq->allow = sv_arena_strdup(rq->arena, allow);
            sv_reply_error(rq, SV_E_METHOD_NOT_ALLOWED, NULL);
        } else {
            sv_reply_error(rq, SV_E_NOT_FOUND, NULL);
        }
        return false;
    }
    if (bad_param) {
        /* A malformed id names nothing, in any tenant. */
        sv_reply_error(rq, SV_E_NOT_FOUND, NULL);
        return false;
    }
    /* Who is asking, before a byte of the body is read (STYLE 6). */
    if (rq->route->auth != SV_AUTH_NONE && !authenticate_or_reply(rq))
        return false;

    /* Body limits before a byte of the body is read. */
    rq->max_body = rq->route->flags & SV_ROUTE_BODY
                       ? (rq->route->max_body ? rq->route->max_body
                                              : rq->app->cfg.max_body)
                       : 0;
    cl = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_CONTENT_LENGTH);
    te = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                     MHD_HTTP_HEADER_TRANSFER_ENCODING);
    int64_t len = 0;
    if (cl != NULL && !sv_parse_i64(cl, 0, INT64_MAX, &len)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "Content-Length");
        return false;
    }
    if (len > 0 || te != NULL) {
        if ((uint64_t)len > rq->max_body) {
            sv_reply_error(rq, SV_E_BODY_TOO_LARGE, NULL);
            return false;
        }
        if (rq->max_body > 0 &&
            !body_type_ok(rq->route, MHD_lookup_connection_value(
                                         rq->conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_CONTENT_TYPE))) {
            sv_reply_error(rq, SV_E_UNSUPPORTED_MEDIA_TYPE, NULL);
            return false;
        }
        if (rq->max_body == 0) {
            sv_reply_error(rq, SV_E_BODY_TOO_LARGE, NULL);
            return false;
        }
    }
    return true;
}

/* ---- authentication ---- */

static const char *
bearer(struct sv_request *rq)
{
    const char *h = MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND,
                                                MHD_HTTP_HEADER_AUTHORIZATION);
    if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0)
        return NULL;
    h += 7;
    while (*h == ' ')
        h++;
    return h;
}

static bool
safe_method(const struct sv_request *rq)
{
    return strcmp(rq->method, "GET") == 0 || strcmp(rq->method, "HEAD") == 0;
}

/* An API token, in the Authorization header only (never a cookie: no
 * browser carries one to a machine's route). */
static bool
token_or_reply(struct sv_request *rq)
{
    const char *token = bearer(rq);
    enum sv_err rc;

    if (token == NULL || SV_NEVER(hooks == NULL) ||
        hooks->token_resolve == NULL) {
        sv_reply_error(rq, SV_E_UNAUTHENTICATED, NULL);
        return false;
    }
    rc = hooks->token_resolve(rq->app, rq->arena, token, "scim", &rq->who);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return false;
    }
    rq->has_session = true;
    sv_rq_log_principal(rq, rq->who.tenant_id, rq->who.account_id);
    return true;
}

static bool
authenticate_or_reply(struct sv_request *rq)
{
    const char *token = bearer(rq);
    enum sv_err rc;

    if (rq->route->auth == SV_AUTH_TOKEN)
        return token_or_reply(rq);
    if (token == NULL) {
        /* The web console: the HttpOnly cookie, with a CSRF header for
         * anything that changes state. */
        token = sv_rq_cookie(rq, SV_COOKIE_SESSION);
        rq->cookie_auth = token != NULL;
    }
    if (token == NULL) {
        sv_reply_error(rq, SV_E_UNAUTHENTICATED, NULL);
        return false;
    }
    if (SV_NEVER(hooks == NULL)) {
        sv_reply_error(rq, SV_E_INTERNAL, NULL);
        return false;
    }
    rc = hooks->session_resolve(rq->app, rq->arena, token, &rq->who);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return false;
    }
    if (rq->cookie_auth) {
        char want[48];
        const char *got = sv_rq_header(rq, "X-CSRF-Token");
        hooks->csrf_token(rq->app, token, want);
        rq->csrf = sv_arena_strdup(rq->arena, want);
        sodium_memzero(want, sizeof want);
        if (!safe_method(rq) &&
            (got == NULL || strlen(got) != strlen(rq->csrf) ||
             sodium_memcmp(got, rq->csrf, strlen(rq->csrf)) != 0)) {
            sv_reply_error(rq, SV_E_CSRF, "X-CSRF-Token");
            return false;
        }
    }
    rq->has_session = true;
    rq->need_sig = rq->who.signs_requests;
    sv_rq_log_principal(rq, rq->who.tenant_id, rq->who.account_id);
    if (rq->who.must_change_password &&
        !(rq->route->flags & SV_ROUTE_FORCED_OK)) {
        rc = hooks->audit_blocked(rq->app, rq->who.session, rq->ip,
                                  rq->user_agent, rq->route->path);
        sv_reply_error(rq, rc == SV_OK ? SV_E_PASSWORD_CHANGE_REQUIRED : rc,
                       NULL);
        return false;
    }
    if (rq->who.mfa_pending && !(rq->route->flags & SV_ROUTE_MFA_OK)) {
        sv_reply_error(rq, SV_E_MFA_ENROLMENT_REQUIRED, NULL);
        return false;
    }
    return true;
}

/* ---- query and body ---- */

struct query_check {
    const struct sv_route *route;
    const char *bad;
};

static enum MHD_Result
check_query_name(void *cls, enum MHD_ValueKind kind, const char *key,
                 const char *value)
{
    struct query_check *q = cls;
    (void)kind;
    (void)value;
    for (unsigned i = 0; i < SV_MAX_QUERY && q->route->query[i]; i++)
        if (strcmp(q->route->query[i], key) == 0)
            return MHD_YES;
    q->bad = key;
    return MHD_NO;
}

enum sv_err
sv_rq_check_signature(struct sv_request *rq, const uint8_t pk[32],
                      const char *id, const char *alt_id, const char **nonce,
                      const char **bad)
{
    const char *dev = sv_rq_header(rq, "X-SV-Device");
    const char *ts_s = sv_rq_header(rq, "X-SV-Timestamp");
    const char *sig = sv_rq_header(rq, "X-SV-Signature");
    size_t blen = 0;
    const char *body = sv_rq_body(rq, &blen);
    int64_t ts = 0;

    *nonce = sv_rq_header(rq, "X-SV-Nonce");
    *bad = "X-SV-Signature";
    if (dev == NULL ||
        (strcmp(dev, id) != 0 && (alt_id == NULL || strcmp(dev, alt_id) != 0)))
        *bad = "X-SV-Device";
    else if (ts_s == NULL || !sv_devsig_parse_ts(ts_s, &ts) ||
             !sv_devsig_fresh(ts, sv_now_ms(),
                              rq->app->cfg.signature_window_ms))
        *bad = "X-SV-Timestamp";
    else if (*nonce == NULL || !sv_devsig_nonce_ok(*nonce))
        *bad = "X-SV-Nonce";
    else if (sig != NULL)
        return sv_devsig_verify(pk, sig, rq->method, sv_rq_path_and_query(rq),
                                ts, *nonce, body, blen);
    return SV_E_SIGNATURE_INVALID;
}

/*
 * DEV-1: a session opened by a mobile or CLI device is only good with that
 * device's signature over this very request, fresh and never seen before.
 * The device's own id, or the server's id for it (login answer).
 */
static bool
device_signature_or_reply(struct sv_request *rq)
{
    const char *nonce = NULL, *bad = NULL;
    enum sv_err rc =
        sv_rq_check_signature(rq, rq->who.device_pk, rq->who.device_client,
                              rq->who.device_id, &nonce, &bad);

    if (rc == SV_OK)
        rc = hooks->device_nonce_use(rq->app, rq->who.session, nonce);
    if (rc == SV_OK)
        return true;
    sv_reply_error(rq, rc, rc == SV_E_SIGNATURE_INVALID ? bad : NULL);
    return false;
}

void
sv_router_dispatch(struct sv_request *rq)
{
    struct query_check qc = {rq->route, NULL};
    enum sv_err rc;

    if (rq->body_overflow) {
        sv_reply_error(rq, SV_E_BODY_TOO_LARGE, NULL);
        return;
    }
    if (rq->need_sig && !device_signature_or_reply(rq))
        return;
    /* After the signature: a device session's refusals are its own. */
    if (rq->has_session && rq->route->perm != SV_NO_PERM) {
        rc = hooks->authorize(
            rq->app, rq->arena, &rq->who, rq->route->perm, rq->ip,
            rq->user_agent,
            sv_arena_printf(rq->arena, "%s %s", rq->method, rq->route->path));
        if (rc != SV_OK) {
            sv_reply_error(rq, rc, NULL);
            return;
        }
    }
    MHD_get_connection_values(rq->conn, MHD_GET_ARGUMENT_KIND, check_query_name,
                              &qc);
    if (qc.bad != NULL) {
        sv_reply_error(rq, SV_E_FIELD_UNKNOWN,
                       sv_arena_strdup(rq->arena, qc.bad));
        return;
    }
    if ((rq->route->flags & SV_ROUTE_CSV) && rq->body_len == 0 &&
        !(rq->route->flags & SV_ROUTE_BODY_OPT)) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "body");
        return;
    }
    if ((rq->route->flags & SV_ROUTE_BODY) &&
        !(rq->route->flags & SV_ROUTE_CSV)) {
        if (rq->body_len == 0 && !(rq->route->flags & SV_ROUTE_BODY_OPT)) {
            sv_reply_error(rq, SV_E_JSON_MALFORMED, NULL);
            return;
        }
        if (rq->body_len > 0) {
            rc = sv_json_load_object(rq->body, rq->body_len, &rq->json);
            if (rc != SV_OK) {
                sv_reply_error(rq, rc, NULL);
                return;
            }
        }
    }
    rq->route->fn(rq);
}

/* ---- accessors ---- */

const char *
sv_rq_header(struct sv_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_HEADER_KIND, name);
}

const char *
sv_rq_cookie(struct sv_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_COOKIE_KIND, name);
}

const char *
sv_rq_body(struct sv_request *rq, size_t *len)
{
    *len = rq->body_len;
    return rq->body != NULL ? rq->body : "";
}

const char *
sv_rq_method(struct sv_request *rq)
{
    return rq->method;
}

const char *
sv_rq_path_and_query(struct sv_request *rq)
{
    return rq->raw_uri != NULL ? rq->raw_uri : rq->url;
}

const char *
sv_rq_csrf(struct sv_request *rq)
{
    return rq->csrf;
}

bool
sv_rq_cookie_auth(struct sv_request *rq)
{
    return rq->cookie_auth;
}

struct sv_app *
sv_rq_app(struct sv_request *rq)
{
    return rq->app;
}

struct sv_arena *
sv_rq_arena(struct sv_request *rq)
{
    return rq->arena;
}

const json_t *
sv_rq_json(struct sv_request *rq)
{
    return rq->json;
}

const char *
sv_rq_param(struct sv_request *rq, unsigned i)
{
    sv_assert(i < SV_MAX_PARAMS && rq->params[i] != NULL);
    return rq->params[i];
}

const char *
sv_rq_query(struct sv_request *rq, const char *name)
{
    return MHD_lookup_connection_value(rq->conn, MHD_GET_ARGUMENT_KIND, name);
}

const struct sv_grants *
sv_rq_grants(struct sv_request *rq)
{
    return rq->who.grants;
}

const struct sv_session *
sv_rq_session(struct sv_request *rq)
{
    return rq->has_session ? rq->who.session : NULL;
}

const char *
sv_rq_ip(struct sv_request *rq)
{
    return rq->ip;
}

const char *
sv_rq_user_agent(struct sv_request *rq)
{
    return rq->user_agent;
}

bool
sv_rq_fields_or_reply(struct sv_request *rq, const struct sv_field *spec)
{
    const char *bad = NULL;
    enum sv_err rc = sv_json_spec_parse(rq->json, spec, &bad);

    if (rc == SV_OK)
        return true;
    sv_reply_error(rq, rc, bad);
    return false;
}

bool
sv_rq_limit_or_reply(struct sv_request *rq, int *out)
{
    const char *v = sv_rq_query(rq, "limit");
    int64_t n = 50;

    if (v != NULL && !sv_parse_i64(v, 1, 200, &n)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "limit");
        return false;
    }
    *out = (int)n;
    return true;
}

bool
sv_rq_no_fields_or_reply(struct sv_request *rq)
{
    const struct sv_field none[] = {SV_F_END};
    const char *bad = NULL;
    enum sv_err rc;

    if (rq->json == NULL)
        return true;
    rc = sv_json_spec_parse(rq->json, none, &bad);
    if (rc == SV_OK)
        return true;
    sv_reply_error(rq, rc, bad);
    return false;
}

void
sv_rq_log_principal(struct sv_request *rq, const char *tenant_id,
                    const char *account_id)
{
    snprintf(rq->log_tenant, sizeof rq->log_tenant, "%s", tenant_id);
    snprintf(rq->log_account, sizeof rq->log_account, "%s", account_id);
}

void
sv_rq_on_cleanup(struct sv_request *rq, void (*fn)(void *), void *arg)
{
    sv_assert(rq->n_cleanups < SV_MAX_CLEANUPS);
    rq->cleanups[rq->n_cleanups++] = (struct cleanup){fn, arg};
}

/*
 * What a handler (*_http.c) sees of a request. Handlers parse, call a
 * capability, render; the router has already checked the body limit,
 * content type (application/json, or text/csv on SV_ROUTE_CSV routes),
 * session, forced password change, role and query names.
 */
#ifndef SV_HTTP_HTTP_H
#define SV_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/errors.h"

struct sv_app;
struct sv_arena;
struct sv_request;
struct sv_session;

typedef void (*sv_handler_fn)(struct sv_request *rq);

enum sv_auth_kind {
    SV_AUTH_NONE,    /* public */
    SV_AUTH_SESSION, /* a signed-in account (and the route's permission) */
    SV_AUTH_TOKEN,   /* an API token (Bearer svt_…) of the route's protocol:
                        its maker's account (and the route's permission) */
};

/* A route's permission: an enum sv_perm of access/permissions.def, or
 * SV_NO_PERM (any signed-in account; public routes). http/ knows the
 * number only: the authorize hook decides. */
#define SV_NO_PERM (-1)

/* Route flags. */
#define SV_ROUTE_FORCED_OK 1u /* allowed while a password change is forced */
#define SV_ROUTE_BODY 2u      /* takes a JSON object body */
#define SV_ROUTE_BODY_OPT 4u  /* body may be empty */
#define SV_ROUTE_MFA_OK 8u    /* allowed while MFA enrolment is pending */
/* SCIM 2.0 (RFC 7644): bodies of application/scim+json (or JSON), answers
 * and errors in SCIM's shape, an API token of scope "scim". */
#define SV_ROUTE_SCIM 16u
/* With SV_ROUTE_BODY: the body is text/csv, handed over as it came
 * (sv_rq_body; UTF-8 is the handler's to check), never parsed as JSON.
 * Its own max_body, checked as any other. */
#define SV_ROUTE_CSV 32u

#define SV_MAX_QUERY 8

struct sv_route {
    const char *method;
    const char *path; /* segments; "{id}" captures a UUID, "{type}" a
                       * lower-case name (1-32 letters) */
    sv_handler_fn fn;
    enum sv_auth_kind auth;
    int perm; /* SV_NO_PERM or the permission the caller needs */
    unsigned flags;
    size_t max_body;                 /* 0: the configured default */
    const char *query[SV_MAX_QUERY]; /* accepted query parameters */
};

extern const struct sv_route sv_routes[];
extern const size_t sv_routes_len;

struct sv_app *sv_rq_app(struct sv_request *rq);
struct sv_arena *sv_rq_arena(struct sv_request *rq);
/** Parsed JSON body (borrowed; NULL when the body was empty). */
const json_t *sv_rq_json(struct sv_request *rq);
/** Path parameter @p i (0-based), already validated. */
const char *sv_rq_param(struct sv_request *rq, unsigned i);
/** Query parameter, or NULL. */
const char *sv_rq_query(struct sv_request *rq, const char *name);
/** The session (NULL on public routes). */
const struct sv_session *sv_rq_session(struct sv_request *rq);
/** The caller's grants: loaded on routes that name a permission, NULL on
 *  the others. */
struct sv_grants;
const struct sv_grants *sv_rq_grants(struct sv_request *rq);
const char *sv_rq_ip(struct sv_request *rq);
const char *sv_rq_user_agent(struct sv_request *rq);

/**
 * For routes whose body is optional and takes no fields: an absent body or
 * {} passes; anything else is answered (field_unknown naming the field).
 */
bool sv_rq_no_fields_or_reply(struct sv_request *rq);
/**
 * Parse the JSON body against @p spec (sv_json_spec_parse): true when it
 * fits; otherwise the request is answered (400 naming the field) and false.
 */
struct sv_field;
bool sv_rq_fields_or_reply(struct sv_request *rq, const struct sv_field *spec);

/**
 * The list size a request asks for: ?limit=1..200, 50 when absent. True with
 * @p out set; otherwise the request is answered (400 naming "limit").
 */
bool sv_rq_limit_or_reply(struct sv_request *rq, int *out);

/** Name the tenant and account in this request's log line (e.g. a login). */
void sv_rq_log_principal(struct sv_request *rq, const char *tenant_id,
                         const char *account_id);

/** Run @p fn(arg) when the request ends, whatever happened. */
void sv_rq_on_cleanup(struct sv_request *rq, void (*fn)(void *), void *arg);

/** A request header, or NULL. */
const char *sv_rq_header(struct sv_request *rq, const char *name);
/** A cookie the client sent, or NULL. */
const char *sv_rq_cookie(struct sv_request *rq, const char *name);
/** The raw request body (after the router read it) and its length. */
const char *sv_rq_body(struct sv_request *rq, size_t *len);
const char *sv_rq_method(struct sv_request *rq);
/** The path exactly as requested, with its query string (signatures). */
const char *sv_rq_path_and_query(struct sv_request *rq);

/**
 * DEV-1: the signature headers of @p rq checked against device key @p pk:
 * X-SV-Device names @p id (or @p alt_id, unless NULL), X-SV-Timestamp is
 * within [auth] signature_window, X-SV-Nonce is well formed, and
 * X-SV-Signature covers this very request (method, path and query,
 * timestamp, nonce, body). SV_OK with *nonce set (the caller records it:
 * a nonce is good once); else SV_E_SIGNATURE_INVALID with *bad naming the
 * header at fault.
 */
SV_MUST_CHECK enum sv_err
sv_rq_check_signature(struct sv_request *rq, const uint8_t pk[32],
                      const char *id, const char *alt_id, const char **nonce,
                      const char **bad);
/** True when the session came from the browser cookie (web console). */
bool sv_rq_cookie_auth(struct sv_request *rq);
/** The CSRF token of a cookie session (NULL for bearer tokens). */
const char *sv_rq_csrf(struct sv_request *rq);
/** Add a response header (copied) to the reply this request will get. */
void sv_rq_add_header(struct sv_request *rq, const char *name,
                      const char *value);
/*
 * The browser's cookies. The __Host- prefix makes a browser refuse one
 * that is not Secure, has a Domain or another Path than "/": a sibling
 * subdomain cannot set or shadow them (cookie tossing).
 */
#define SV_COOKIE_SESSION "__Host-sv_session"
#define SV_COOKIE_DEVICE "__Host-sv_device"
/** The device cookie's name before the prefix: read once, then moved. */
#define SV_COOKIE_DEVICE_LEGACY "sv_device"

/**
 * Set a cookie: HttpOnly, Secure, SameSite=Strict, Path=/, no Domain (as
 * __Host- asks); @p max_age_s 0 deletes it.
 */
void sv_rq_set_cookie(struct sv_request *rq, const char *name,
                      const char *value, long max_age_s);

/** Reply with JSON @p body (stolen). */
void sv_reply_json(struct sv_request *rq, unsigned status, json_t *body);
/**
 * Reply with bytes of type @p type: copied unless @p persistent (static
 * data that outlives the response).
 */
void sv_reply_bytes(struct sv_request *rq, unsigned status, const char *type,
                    const void *data, size_t len, bool persistent);
/** Reply with no body. */
void sv_reply_empty(struct sv_request *rq, unsigned status);

/**
 * Write the next part of a streamed answer into @p buf (at most @p max
 * bytes): the bytes written, 0 at the end, -1 to abort (the client sees a
 * cut answer, never a complete-looking one).
 */
typedef long (*sv_stream_fn)(void *cls, char *buf, size_t max);
/**
 * Answer with a body of unknown length produced by @p next (chunked), as
 * @p type, with @p disposition as Content-Disposition (NULL: none). @p cls
 * is freed with @p done(cls) when the answer ends, however it ends. Runs
 * @p next on the connection's thread, after the handler has returned.
 */
void sv_reply_stream(struct sv_request *rq, unsigned status, const char *type,
                     const char *disposition, sv_stream_fn next,
                     void (*done)(void *cls), void *cls);
/**
 * A listing: 200 {"items": @p items} when @p rc is SV_OK, else the error
 * (the array is released either way). sv_items_clear is the start callback
 * that empties the array when a read transaction runs again.
 */
void sv_reply_items(struct sv_request *rq, enum sv_err rc, json_t *items);
void sv_items_clear(void *items);
/**
 * The one error writer: status from the catalogue,
 * {"error":{"code","message","field"}}; on a SCIM route (or a path under
 * /scim/) a SCIM error (sv_reply_scim_error) with the scimType the code
 * implies.
 */
void sv_reply_error(struct sv_request *rq, enum sv_err err, const char *field);
/** sv_reply_error() with the members of @p extra (stolen; its field is
 *  never a client's) added to the error object: a version conflict's
 *  current_version. */
void sv_reply_error_with(struct sv_request *rq, enum sv_err err,
                         const char *field, json_t *extra);
/** SCIM: @p body (stolen) as application/scim+json. */
void sv_reply_scim(struct sv_request *rq, unsigned status, json_t *body);
/** SCIM: an error, status from the catalogue, with @p scim_type (NULL:
 *  none) and @p detail (NULL: the catalogue's message). */
void sv_reply_scim_error(struct sv_request *rq, enum sv_err err,
                         const char *scim_type, const char *detail);

typedef void (*sv_work_fn)(void *arg);
typedef void (*sv_cont_fn)(struct sv_request *rq, void *arg);

/**
 * Run @p work(arg) on the hashing pool, off the connection thread; the
 * connection is suspended meanwhile and @p cont(rq, arg) runs when it
 * resumes (and must reply). When the queue is full, replies 503 overloaded.
 */
void sv_offload_or_reply(struct sv_request *rq, sv_work_fn work,
                         sv_cont_fn cont, void *arg);

/*
 * Long poll: suspend @p rq (no thread is held) until sv_wake(@p key) or
 * @p timeout_ms, then run @p cont(rq, arg) on a connection thread, which
 * must reply (it re-reads the state it waits on: woken or timed out, the
 * answer comes from there). After parking, the caller must
 * re-check the state it waits on and call sv_wake itself if it already
 * changed (a wake before the park would be lost otherwise).
 */
void sv_park(struct sv_request *rq, const char *key, int64_t timeout_ms,
             sv_cont_fn cont, void *arg);
/** Resume every request parked on @p key (any thread). */
void sv_wake(const char *key);
/** Requests parked now (benchmarks, tests). */
unsigned sv_parked_count(void);

/**
 * Called about once a second on its own thread while serving (e.g. to
 * wake requests whose state another node changed). At most one.
 */
void sv_http_set_ticker(void (*fn)(struct sv_app *app));

/*
 * Authentication reaches the router through hooks: http/ includes no
 * capability header. The process wires identity/ in at start-up
 * (sv_app_serve, src/app.c); the session stays opaque here.
 */

/** Who is asking, as far as the router's checks need to know. */
struct sv_http_principal {
    /* The capability's session, handed to handlers by sv_rq_session();
     * lives in the request's arena. */
    const struct sv_session *session;
    const char *tenant_id, *account_id; /* the request log line */
    bool must_change_password;          /* only SV_ROUTE_FORCED_OK routes */
    bool mfa_pending;                   /* only SV_ROUTE_MFA_OK routes */
    /* The account's grants, loaded by the authorize hook on a route that
     * names a permission (NULL before): handlers that ask about one
     * object read them with sv_rq_grants(). */
    const struct sv_grants *grants;
    /* DEV-1: a device session's requests carry the device's signature */
    bool signs_requests;
    const char *device_client, *device_id; /* the X-SV-Device values */
    const uint8_t *device_pk;              /* Ed25519, 32 bytes */
};

struct sv_http_hooks {
    /**
     * Resolve session token @p token (Bearer or cookie) into @p out, whose
     * memory comes from @p arena. SV_E_UNAUTHENTICATED when it names no
     * live session.
     */
    enum sv_err (*session_resolve)(struct sv_app *app, struct sv_arena *arena,
                                   const char *token,
                                   struct sv_http_principal *out);
    /**
     * Resolve API token @p token for protocol @p scope ("scim") into
     * @p out, as session_resolve. SV_E_UNAUTHENTICATED when it names no
     * live token of that scope whose maker is enabled.
     */
    enum sv_err (*token_resolve)(struct sv_app *app, struct sv_arena *arena,
                                 const char *token, const char *scope,
                                 struct sv_http_principal *out);
    /** The CSRF token a cookie session's state-changing requests carry. */
    void (*csrf_token)(const struct sv_app *app, const char *token,
                       char out[48]);
    /** Record a request refused because a password change is forced. */
    enum sv_err (*audit_blocked)(struct sv_app *app, const struct sv_session *s,
                                 const char *ip, const char *user_agent,
                                 const char *route);
    /**
     * Record a signed request's nonce: SV_E_SIGNATURE_INVALID when it was
     * seen before (a replay).
     */
    enum sv_err (*device_nonce_use)(struct sv_app *app,
                                    const struct sv_session *s,
                                    const char *nonce);
    /**
     * Whether @p who may call a route that needs permission @p perm (held
     * over the tenant, or for a permission of objects in departments over
     * any of them: the handler then asks about its object). Loads
     * who->grants from @p arena. SV_E_FORBIDDEN after recording the
     * refusal (as @p route); database errors.
     */
    enum sv_err (*authorize)(struct sv_app *app, struct sv_arena *arena,
                             struct sv_http_principal *who, int perm,
                             const char *ip, const char *user_agent,
                             const char *route);
};

/**
 * Install the authentication hooks (borrowed; they must outlive serving).
 * Before sv_http_serve(); a route that needs a session fails without them.
 */
void sv_http_set_hooks(const struct sv_http_hooks *hooks);

/* Static files and the page (static_http.c). */
void http_static(struct sv_request *rq);
/** Whether an Accept-Encoding value admits gzip (a non-zero q; NULL: no). */
bool sv_accepts_gzip(const char *accept_encoding);

/** Start serving; blocks until SIGTERM/SIGINT, then drains and returns. */
SV_MUST_CHECK enum sv_err sv_http_serve(struct sv_app *app);

#endif

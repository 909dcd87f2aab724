/* The request as the http/ layer knows it (private to http/). */
#ifndef SV_HTTP_REQUEST_H
#define SV_HTTP_REQUEST_H

#include <stdint.h>

#include <microhttpd.h>

#include "http/http.h"

#define SV_MAX_PARAMS 2
#define SV_MAX_CLEANUPS 4
#define SV_MAX_EXTRA_HEADERS 6

struct cleanup {
    void (*fn)(void *);
    void *arg;
};

struct sv_request {
    struct sv_app *app;
    struct MHD_Connection *conn;
    struct sv_arena *arena;
    char id[40];
    uint64_t start_ns;
    const char *method;
    const char *url;
    const char *raw_uri; /* the request target as sent, query included */
    bool started;
    const struct sv_route *route;
    const char *params[SV_MAX_PARAMS];
    char ip[64];
    const char *user_agent;

    /* body */
    char *body;
    size_t body_len, body_cap, max_body;
    bool body_overflow;
    json_t *json;

    /* auth */
    bool has_session;
    struct sv_http_principal who; /* from the session hook */
    /* for the request log: the session's, or who just signed in */
    char log_tenant[40], log_account[40];

    const char *allow; /* Allow header for 405 */
    const char *csp;   /* Content-Security-Policy other than the API's */
    const char *cache; /* Cache-Control other than "no-store" */
    struct {
        const char *name, *value;
    } extra[SV_MAX_EXTRA_HEADERS];
    unsigned n_extra;
    bool cookie_auth; /* the session came from the sv_session cookie */
    bool need_sig;    /* the session's device signs its requests */
    const char *csrf; /* the cookie session's CSRF token */

    /* result */
    bool replied;
    unsigned status;
    enum sv_err err;

    /* suspend / resume */
    bool suspended;
    sv_work_fn work;
    sv_cont_fn cont;
    void *work_arg;
    /* long poll (sv_park) */
    bool parked;
    int64_t park_deadline_ms;
    char park_key[40];
    struct sv_request *park_next;

    struct cleanup cleanups[SV_MAX_CLEANUPS];
    unsigned n_cleanups;
};

/** Match @p rq's method and URL; replies 404/405/414 itself when none. */
bool sv_router_match_or_reply(struct sv_request *rq);
/** Once the body is in: limits, JSON, auth, role, query, then the handler. */
void sv_router_dispatch(struct sv_request *rq);

/** True once SIGTERM/SIGINT arrived. */
bool sv_http_stopping(void);

/** Add the headers every response carries. */
void sv_reply_common_headers(struct sv_request *rq, struct MHD_Response *r);

#endif

/*
 * What a handler (*_http.c) sees of a request. Handlers parse, call a
 * capability, render; the router has already checked the body limit,
 * content type, session, forced password change, role and query names.
 */
#ifndef SV_HTTP_HTTP_H
#define SV_HTTP_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "core/errors.h"

struct sv_app;
struct sv_arena;
struct sv_request;
struct sv_session;

typedef void (*sv_handler_fn)(struct sv_request *rq);

enum sv_auth_kind {
    SV_AUTH_NONE,    /* public */
    SV_AUTH_SESSION, /* any signed-in account */
    SV_AUTH_ADMIN,   /* tenant admin */
};

/* Route flags. */
#define SV_ROUTE_FORCED_OK 1u /* allowed while a password change is forced */
#define SV_ROUTE_BODY 2u      /* takes a JSON object body */
#define SV_ROUTE_BODY_OPT 4u  /* body may be empty */

#define SV_MAX_QUERY 8

struct sv_route {
    const char *method;
    const char *path; /* segments; "{id}" captures a UUID */
    sv_handler_fn fn;
    enum sv_auth_kind auth;
    unsigned flags;
    size_t max_body; /* 0: the configured default */
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
const char *sv_rq_ip(struct sv_request *rq);
const char *sv_rq_user_agent(struct sv_request *rq);

/**
 * For routes whose body is optional and takes no fields: an absent body or
 * {} passes; anything else is answered (field_unknown naming the field).
 */
bool sv_rq_no_fields_or_reply(struct sv_request *rq);

/** Name the tenant and account in this request's log line (e.g. a login). */
void sv_rq_log_principal(struct sv_request *rq, const char *tenant_id,
                         const char *account_id);

/** Run @p fn(arg) when the request ends, whatever happened. */
void sv_rq_on_cleanup(struct sv_request *rq, void (*fn)(void *), void *arg);

/** Reply with JSON @p body (stolen). */
void sv_reply_json(struct sv_request *rq, unsigned status, json_t *body);
/** Reply with no body. */
void sv_reply_empty(struct sv_request *rq, unsigned status);
/**
 * The one error writer: status from the catalogue,
 * {"error":{"code","message","field"}}.
 */
void sv_reply_error(struct sv_request *rq, enum sv_err err, const char *field);

typedef void (*sv_work_fn)(void *arg);
typedef void (*sv_cont_fn)(struct sv_request *rq, void *arg);

/**
 * Run @p work(arg) on the hashing pool, off the connection thread; the
 * connection is suspended meanwhile and @p cont(rq, arg) runs when it
 * resumes (and must reply). When the queue is full, replies 503 overloaded.
 */
void sv_offload_or_reply(struct sv_request *rq, sv_work_fn work,
                         sv_cont_fn cont, void *arg);

/** Start serving; blocks until SIGTERM/SIGINT, then drains and returns. */
SV_MUST_CHECK enum sv_err sv_http_serve(struct sv_app *app);

#endif

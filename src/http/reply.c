#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sodium.h>

#include "core/log.h"
#include "core/util.h"
#include "http/request.h"

void
sv_reply_common_headers(struct sv_request *rq, struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Request-Id", rq->id);
    MHD_add_response_header(r, "Strict-Transport-Security",
                            "max-age=31536000; includeSubDomains");
    MHD_add_response_header(r, "Cache-Control",
                            rq->cache ? rq->cache : "no-store");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Content-Security-Policy",
                            rq->csp ? rq->csp
                                    : "default-src 'none'; frame-ancestors "
                                      "'none'");
    for (unsigned i = 0; i < rq->n_extra; i++)
        MHD_add_response_header(r, rq->extra[i].name, rq->extra[i].value);
}

void
sv_rq_add_header(struct sv_request *rq, const char *name, const char *value)
{
    sv_assert(rq->n_extra < SV_MAX_EXTRA_HEADERS);
    rq->extra[rq->n_extra].name = sv_arena_strdup(rq->arena, name);
    rq->extra[rq->n_extra].value = sv_arena_strdup(rq->arena, value);
    rq->n_extra++;
}

void
sv_rq_set_cookie(struct sv_request *rq, const char *name, const char *value,
                 long max_age_s)
{
    char buf[512];
    snprintf(buf, sizeof buf,
             "%s=%s; Max-Age=%ld; Path=/; Secure; HttpOnly; SameSite=Strict",
             name, max_age_s > 0 ? value : "", max_age_s);
    sv_rq_add_header(rq, "Set-Cookie", buf);
    sodium_memzero(buf, sizeof buf);
}

static void
wipe_free(void *p)
{
    if (p != NULL) {
        sodium_memzero(p, strlen(p));
        free(p);
    }
}

static void
queue(struct sv_request *rq, unsigned status, struct MHD_Response *r)
{
    sv_assert(!rq->replied);
    sv_reply_common_headers(rq, r);
    if (rq->allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, rq->allow);
    if (sv_http_stopping())
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    if (status == 401)
        MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
                                "Bearer realm=\"salesvault\"");
    rq->replied = true;
    rq->status = status;
    if (MHD_queue_response(rq->conn, status, r) != MHD_YES)
        sv_log(SV_LOG_WARN, "queue response failed", "status %u", status);
    MHD_destroy_response(r);
}

void
sv_reply_json(struct sv_request *rq, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    struct MHD_Response *r;

    json_decref(body);
    if (text == NULL) {
        SV_BREAK("json_dumps failed");
        rq->err = SV_E_INTERNAL;
        text = strdup("{\"error\":{\"code\":\"internal\",\"message\":"
                      "\"Internal server error\",\"field\":null}}");
        status = 500;
        if (text == NULL)
            abort();
    }
    /* Bodies may carry a token or a temporary password: wipe when sent. */
    r = MHD_create_response_from_buffer_with_free_callback(strlen(text), text,
                                                           wipe_free);
    MHD_add_response_header(r, "Content-Type",
                            "application/json; charset=utf-8");
    queue(rq, status, r);
}

void
sv_reply_bytes(struct sv_request *rq, unsigned status, const char *type,
               const void *data, size_t len, bool persistent)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        len, (void *)data,
        persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
    MHD_add_response_header(r, "Content-Type", type);
    queue(rq, status, r);
}

struct stream {
    sv_stream_fn next;
    void (*done)(void *cls);
    void *cls;
};

static ssize_t
stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct stream *st = cls;
    long n = st->next(st->cls, buf, max);

    (void)pos;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (n == 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
    return (ssize_t)n;
}

static void
stream_free(void *cls)
{
    struct stream *st = cls;
    st->done(st->cls);
    free(st);
}

void
sv_reply_stream(struct sv_request *rq, unsigned status, const char *type,
                const char *disposition, sv_stream_fn next,
                void (*done)(void *cls), void *cls)
{
    struct stream *st = sv_xmalloc(sizeof *st);
    struct MHD_Response *r;

    *st = (struct stream){next, done, cls};
    r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024,
                                          stream_read, st, stream_free);
    if (r == NULL) {
        stream_free(st);
        sv_reply_error(rq, SV_E_INTERNAL, NULL);
        return;
    }
    MHD_add_response_header(r, "Content-Type", type);
    if (disposition != NULL)
        MHD_add_response_header(r, "Content-Disposition", disposition);
    queue(rq, status, r);
}

void
sv_reply_empty(struct sv_request *rq, unsigned status)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    queue(rq, status, r);
}

void
sv_reply_items(struct sv_request *rq, enum sv_err rc, json_t *items)
{
    if (rc != SV_OK) {
        json_decref(items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

void
sv_items_clear(void *items)
{
    json_array_clear(items);
}

/*
 * A 503 always says when to try again: a full queue empties within a
 * second; a database that is unreachable or busy past our retries (or a
 * server on its way down) needs a few.
 */
static void
retry_after(struct sv_request *rq, enum sv_err err)
{
    for (unsigned i = 0; i < rq->n_extra; i++)
        if (strcasecmp(rq->extra[i].name, "Retry-After") == 0)
            return;
    if (rq->n_extra < SV_MAX_EXTRA_HEADERS)
        sv_rq_add_header(rq, "Retry-After", err == SV_E_OVERLOADED ? "1" : "5");
}

void
sv_reply_scim(struct sv_request *rq, unsigned status, json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);

    json_decref(body);
    if (text == NULL) {
        sv_reply_error(rq, SV_E_INTERNAL, NULL);
        return;
    }
    sv_reply_bytes(rq, status, "application/scim+json; charset=utf-8", text,
                   strlen(text), false);
    free(text);
}

/* The scimType (RFC 7644, table 9) a catalogue code implies, if any. */
static const char *
scim_type_of(enum sv_err err)
{
    switch (err) {
    case SV_E_JSON_MALFORMED:
        return "invalidSyntax";
    case SV_E_FIELD_MISSING:
    case SV_E_FIELD_UNKNOWN:
    case SV_E_FIELD_INVALID:
        return "invalidValue";
    case SV_E_EXISTS:
    case SV_E_USERNAME_TAKEN:
        return "uniqueness";
    case SV_E_BODY_TOO_LARGE:
        return "tooMany";
    default:
        return NULL;
    }
}

void
sv_reply_scim_error(struct sv_request *rq, enum sv_err err,
                    const char *scim_type, const char *detail)
{
    char status[8];
    json_t *body;

    snprintf(status, sizeof status, "%u", sv_err_status(err));
    body = json_pack("{s:[s], s:s, s:s}", "schemas",
                     "urn:ietf:params:scim:api:messages:2.0:Error", "status",
                     status, "detail",
                     detail != NULL ? detail : sv_err_message(err));
    if (scim_type != NULL)
        json_object_set_new(body, "scimType", json_string(scim_type));
    rq->err = err;
    if (sv_err_status(err) == 503)
        retry_after(rq, err);
    if (err == SV_E_UNAUTHENTICATED)
        sv_rq_add_header(rq, "WWW-Authenticate", "Bearer realm=\"scim\"");
    sv_reply_scim(rq, sv_err_status(err), body);
}

static bool
is_scim(const struct sv_request *rq)
{
    if (rq->route != NULL)
        return (rq->route->flags & SV_ROUTE_SCIM) != 0;
    return rq->url != NULL && strncmp(rq->url, "/scim/", 6) == 0;
}

void
sv_reply_error(struct sv_request *rq, enum sv_err err, const char *field)
{
    /* Field names can come from the client (an unknown query parameter):
     * keep them printable UTF-8, or the body would not encode. */
    if (field != NULL)
        field = sv_sanitize_text(rq->arena, field, 64);
    if (is_scim(rq)) {
        sv_reply_scim_error(rq, err, scim_type_of(err),
                            field != NULL
                                ? sv_arena_printf(rq->arena, "%s: %s",
                                                  sv_err_message(err), field)
                                : NULL);
        return;
    }
    json_t *body =
        json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", sv_err_code(err),
                  "message", sv_err_message(err), "field", field);
    unsigned status = sv_err_status(err);

    rq->err = err;
    if (status == 503)
        retry_after(rq, err);
    sv_reply_json(rq, status, body);
}

void
sv_reply_error_with(struct sv_request *rq, enum sv_err err, const char *field,
                    json_t *extra)
{
    json_t *body, *e;
    unsigned status = sv_err_status(err);

    if (is_scim(rq) || extra == NULL) {
        json_decref(extra);
        sv_reply_error(rq, err, field);
        return;
    }
    body = json_pack("{s:{s:s, s:s, s:s?}}", "error", "code", sv_err_code(err),
                     "message", sv_err_message(err), "field", field);
    e = json_object_get(body, "error");
    json_object_update_missing(e, extra);
    json_decref(extra);
    rq->err = err;
    if (status == 503)
        retry_after(rq, err);
    sv_reply_json(rq, status, body);
}

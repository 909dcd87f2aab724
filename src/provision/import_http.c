/* The import routes: see import_http.h. */
#include "provision/import_http.h"

#include <string.h>

#include <jansson.h>

#include "app.h"
#include "audit/audit.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/identity_http.h"
#include "provision/import.h"

static json_t *
time_json(int64_t ms)
{
    char t[SV_RFC3339_LEN + 1];

    if (ms == 0)
        return json_null();
    sv_rfc3339(ms, t);
    return json_string(t);
}

/* A job as its owner sees it; NULL when its stored errors do not parse
 * (our fault). */
static json_t *
job_json(const struct sv_import_job *j)
{
    json_t *errors =
        j->errors_json != NULL
            ? json_loads(j->errors_json, JSON_REJECT_DUPLICATES, NULL)
            : json_array();

    if (!json_is_array(errors)) {
        json_decref(errors);
        return NULL;
    }
    return json_pack(
        "{s:s, s:s, s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:b, s:o, "
        "s:o, s:o}",
        "id", j->id, "state", j->state, "phase", sv_import_phase_name(j->phase),
        "dry_run", j->dry_run, "done", (json_int_t)j->done, "total",
        (json_int_t)j->total, "lines", (json_int_t)j->lines, "employees",
        (json_int_t)j->employees, "departments", (json_int_t)j->departments,
        "error_count", (json_int_t)j->error_count, "errors", errors,
        "errors_truncated", j->error_count > json_array_size(errors), "reason",
        j->reason ? json_string(j->reason) : json_null(), "created_at",
        time_json(j->created_at), "finished_at", time_json(j->finished_at));
}

static void
reply_job(struct sv_request *rq, unsigned status, struct sv_import_job *j)
{
    json_t *body = job_json(j);

    sv_import_job_fini(j);
    if (body == NULL) {
        sv_reply_error(rq, SV_E_INTERNAL, NULL);
        return;
    }
    sv_reply_json(rq, status, body);
}

void
import_http_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    const char *dry = sv_rq_query(rq, "dry_run");
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_import_job j;
    bool dry_run = false;
    size_t len = 0;
    const char *csv = sv_rq_body(rq, &len);
    enum sv_err rc;

    if (dry != NULL) {
        if (strcmp(dry, "true") == 0 || strcmp(dry, "1") == 0) {
            dry_run = true;
        } else if (strcmp(dry, "false") != 0 && strcmp(dry, "0") != 0) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "dry_run");
            return;
        }
    }
    rc = sv_import_job_submit(sv_rq_app(rq), s->tenant_id, &actor, dry_run, csv,
                              len, &j);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_rq_add_header(
        rq, "Location",
        sv_arena_printf(sv_rq_arena(rq), "/api/v1/directory/imports/%s", j.id));
    reply_job(rq, 202, &j);
}

void
import_http_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_import_job j;
    enum sv_err rc = sv_import_job_get(sv_rq_app(rq), s->tenant_id,
                                       s->account_id, sv_rq_param(rq, 0), &j);

    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    reply_job(rq, 200, &j);
}

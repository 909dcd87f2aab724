/* The records routes: see records_http.h. */
#include "records/records_http.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
#include "core/csv.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity_http.h"
#include "records/records.h"

/* The type named by the path, or a 404 sent. */
static bool
type_or_reply(struct sv_request *rq, enum sv_record_type *t)
{
    if (sv_record_type_parse(sv_rq_param(rq, 0), t))
        return true;
    sv_reply_error(rq, SV_E_NOT_FOUND, NULL);
    return false;
}

static void
reply(struct sv_request *rq, enum sv_err rc, unsigned status, json_t *out,
      const struct sv_record_outcome *o)
{
    if (rc == SV_OK) {
        sv_reply_json(rq, status, out);
    } else if (rc == SV_E_RECORDS_QUOTA_EXCEEDED && o != NULL) {
        char secs[24];
        snprintf(secs, sizeof secs, "%lld", (long long)o->retry_after);
        sv_rq_add_header(rq, "Retry-After", secs);
        sv_reply_error_with(
            rq, rc, o->field,
            json_pack("{s:I}", "retry_after", (json_int_t)o->retry_after));
    } else if (rc == SV_E_VERSION_CONFLICT) {
        sv_reply_error_with(rq, rc, "version",
                            json_pack("{s:I}", "current_version",
                                      (json_int_t)o->current_version));
    } else {
        sv_reply_error(rq, rc, o != NULL ? o->field : NULL);
    }
}

void
records_http_pipeline(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    json_t *out = NULL;
    enum sv_err rc = sv_records_pipeline(sv_rq_app(rq)->db, s->tenant_id, &out);

    reply(rq, rc, 200, out, NULL);
}

/* One stage of the pipeline's body. */
static bool
stage_in(const json_t *item, struct sv_stage_input *out)
{
    const char *bad = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("key", &out->key, 1, 32, NULL),
        SV_F_STR("label", &out->label, 1, SV_RECORD_LABEL_MAX, NULL),
        SV_F_END,
    };
    return sv_json_spec_parse(item, spec, &bad) == SV_OK;
}

void
records_http_pipeline_set(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    struct sv_stage_input in[SV_PIPELINE_STAGES_MAX];
    const json_t *stages = NULL, *item;
    const struct sv_field spec[] = {
        {.name = "stages",
         .type = SV_FT_OBJS,
         .required = true,
         .out = &stages,
         .min = 1,
         .max = SV_PIPELINE_STAGES_MAX},
        SV_F_END,
    };
    json_t *out = NULL;
    size_t i;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    json_array_foreach(stages, i, item)
    {
        if (!stage_in(item, &in[i])) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "stages");
            return;
        }
    }
    rc = sv_records_pipeline_set(sv_rq_app(rq)->db, s->tenant_id, in,
                                 json_array_size(stages), &actor, &out, &o);
    reply(rq, rc, 200, out, &o);
}

void
records_http_schema(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t))
        return;
    rc = sv_records_schema(sv_rq_app(rq)->db, s->tenant_id, t, s->account_id,
                           &out);
    reply(rq, rc, 200, out, NULL);
}

void
records_http_field_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    struct sv_custom_field_input in = {0};
    const struct sv_field spec[] = {
        SV_F_STR("name", &in.name, 1, SV_FIELD_NAME_MAX, NULL),
        SV_F_STR("type", &in.type, 1, 16, NULL),
        SV_F_STR("level", &in.level, 1, 16, NULL),
        {.name = "required", .type = SV_FT_BOOL, .out = &in.required},
        {.name = "indexed", .type = SV_FT_BOOL, .out = &in.indexed},
        {.name = "max",
         .type = SV_FT_INT,
         .out = &in.max,
         .min = 1,
         .max = SV_VALUE_MAX},
        SV_F_STR_OPT("label", &in.label, 1, SV_RECORD_LABEL_MAX, NULL),
        SV_F_END,
    };
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !sv_rq_fields_or_reply(rq, spec))
        return;
    rc = sv_records_field_create(sv_rq_app(rq)->db, s->tenant_id, t, &in,
                                 &actor, &out, &o);
    reply(rq, rc, 201, out, &o);
}

/* The body of a create. */
static bool
create_in_or_reply(struct sv_request *rq, struct sv_record_input *in)
{
    const struct sv_field spec[] = {
        {.name = "fields",
         .type = SV_FT_OBJ,
         .required = true,
         .out = &in->fields},
        SV_F_STR_OPT("owner_id", &in->owner_id, 36, 36, sv_check_uuid_field),
        SV_F_STR_OPT("department_id", &in->department_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_END,
    };
    return sv_rq_fields_or_reply(rq, spec);
}

/* The body of a change: the version it read, and what changes. */
static bool
change_in_or_reply(struct sv_request *rq, struct sv_record_input *in)
{
    const struct sv_field spec[] = {
        {.name = "version",
         .type = SV_FT_INT,
         .required = true,
         .out = &in->version,
         .min = 1,
         .max = INT64_MAX},
        SV_F_OBJ_OPT("fields", &in->fields),
        SV_F_STR_OPT("owner_id", &in->owner_id, 36, 36, sv_check_uuid_field),
        SV_F_STR_OPT("department_id", &in->department_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_END,
    };
    return sv_rq_fields_or_reply(rq, spec);
}

void
records_http_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    struct sv_record_input in = {0};
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !create_in_or_reply(rq, &in))
        return;
    rc = sv_records_create(sv_rq_app(rq)->db, s->tenant_id, t, &in, &actor,
                           &out, &o);
    reply(rq, rc, 201, out, &o);
}

/* A query parameter that must be a UUID when given, or a 400 sent. */
static bool
uuid_param_or_reply(struct sv_request *rq, const char *name, const char **out)
{
    *out = sv_rq_query(rq, name);
    if (*out == NULL || sv_check_uuid(*out))
        return true;
    sv_reply_error(rq, SV_E_FIELD_INVALID, name);
    return false;
}

static void
page(struct sv_request *rq, bool bin)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    struct sv_record_page_query q = {0};
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !sv_rq_limit_or_reply(rq, &q.limit))
        return;
    q.bin = bin;
    q.cursor = sv_rq_query(rq, "cursor");
    if (!bin) {
        q.q = sv_rq_query(rq, "q");
        q.where = sv_rq_query(rq, "where");
        q.sort = sv_rq_query(rq, "sort");
        if (!uuid_param_or_reply(rq, "owner_id", &q.owner_id) ||
            !uuid_param_or_reply(rq, "department_id", &q.department_id) ||
            !uuid_param_or_reply(rq, "parent_id", &q.parent_id))
            return;
        if (q.q != NULL && !sv_check_plain_text(q.q, strlen(q.q), 1, 64)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "q");
            return;
        }
        if (q.where != NULL && strlen(q.where) > 1024) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "where");
            return;
        }
    }
    rc = sv_records_list(sv_rq_app(rq)->db, s->tenant_id, t, &q, &actor, &out,
                         &o);
    reply(rq, rc, 200, out, &o);
}

void
records_http_list(struct sv_request *rq)
{
    page(rq, false);
}

void
records_http_bin(struct sv_request *rq)
{
    page(rq, true);
}

void
records_http_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t))
        return;
    rc = sv_records_get(sv_rq_app(rq)->db, s->tenant_id, t, sv_rq_param(rq, 1),
                        sv_rq_query(rq, "unmask"), &actor, &out, &o);
    reply(rq, rc, 200, out, &o);
}

void
records_http_update(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    struct sv_record_input in = {0};
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !change_in_or_reply(rq, &in))
        return;
    rc = sv_records_update(sv_rq_app(rq)->db, s->tenant_id, t,
                           sv_rq_param(rq, 1), &in, &actor, &out, &o);
    reply(rq, rc, 200, out, &o);
}

/* Into the bin, or out of it for good: 204. */
static void
bin_change(struct sv_request *rq, bool purge)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_record_type t;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !sv_rq_no_fields_or_reply(rq))
        return;
    rc = purge ? sv_records_purge(sv_rq_app(rq)->db, s->tenant_id, t,
                                  sv_rq_param(rq, 1), &actor)
               : sv_records_delete(sv_rq_app(rq)->db, s->tenant_id, t,
                                   sv_rq_param(rq, 1), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

void
records_http_delete(struct sv_request *rq)
{
    bin_change(rq, false);
}

void
records_http_restore(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_record_type t;
    json_t *out = NULL;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !sv_rq_no_fields_or_reply(rq))
        return;
    rc = sv_records_restore(sv_rq_app(rq)->db, s->tenant_id, t,
                            sv_rq_param(rq, 1), &actor, &out);
    reply(rq, rc, 200, out, NULL);
}

void
records_http_purge(struct sv_request *rq)
{
    bin_change(rq, true);
}

/* ---- DATA-4: quotas, exports ---- */

void
records_http_quotas(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    json_t *out = NULL;
    enum sv_err rc =
        sv_records_quotas(sv_rq_app(rq)->db, s->tenant_id, &actor, &out);

    reply(rq, rc, 200, out, NULL);
}

void
records_http_quotas_set(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_quota_change chg = {0};
    /* The names are sv_quota_name()'s (a unit test holds them equal). */
    const struct sv_field spec[] = {
        {.name = "reads_per_minute",
         .type = SV_FT_INT,
         .out = &chg.v[SV_QUOTA_READS_MINUTE],
         .min = sv_quota_min[SV_QUOTA_READS_MINUTE],
         .max = sv_quota_max[SV_QUOTA_READS_MINUTE],
         .present = &chg.set[SV_QUOTA_READS_MINUTE]},
        {.name = "reads_per_day",
         .type = SV_FT_INT,
         .out = &chg.v[SV_QUOTA_READS_DAY],
         .min = sv_quota_min[SV_QUOTA_READS_DAY],
         .max = sv_quota_max[SV_QUOTA_READS_DAY],
         .present = &chg.set[SV_QUOTA_READS_DAY]},
        {.name = "unmasks_per_day",
         .type = SV_FT_INT,
         .out = &chg.v[SV_QUOTA_UNMASKS_DAY],
         .min = sv_quota_min[SV_QUOTA_UNMASKS_DAY],
         .max = sv_quota_max[SV_QUOTA_UNMASKS_DAY],
         .present = &chg.set[SV_QUOTA_UNMASKS_DAY]},
        {.name = "export_rows_per_day",
         .type = SV_FT_INT,
         .out = &chg.v[SV_QUOTA_EXPORT_ROWS_DAY],
         .min = sv_quota_min[SV_QUOTA_EXPORT_ROWS_DAY],
         .max = sv_quota_max[SV_QUOTA_EXPORT_ROWS_DAY],
         .present = &chg.set[SV_QUOTA_EXPORT_ROWS_DAY]},
        SV_F_END,
    };
    json_t *out = NULL;
    bool any = false;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    for (int k = 0; k < SV_QUOTA__COUNT; k++)
        any |= chg.set[k];
    if (!any) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, sv_quota_name(0));
        return;
    }
    rc = sv_records_quotas_set(sv_rq_app(rq)->db, s->tenant_id, &chg, &actor,
                               &out);
    reply(rq, rc, 200, out, NULL);
}

/* An export being streamed: the request's filters and actor, owned. */
struct export
{
    struct sv_db *db;
    char *tenant_id, *account_id, *username, *ip, *user_agent;
    char *q, *where, *owner_id, *department_id, *parent_id, *cursor;
    enum sv_record_type type;
    json_t *columns;
    int64_t left; /* rows still to send (the export's count) */
    bool done;
    struct sv_csv csv;
};

static void
export_free(void *cls)
{
    struct export *x = cls;

    free(x->tenant_id);
    free(x->account_id);
    free(x->username);
    free(x->ip);
    free(x->user_agent);
    free(x->q);
    free(x->where);
    free(x->owner_id);
    free(x->department_id);
    free(x->parent_id);
    free(x->cursor);
    json_decref(x->columns);
    sv_csv_free(&x->csv);
    free(x);
}

static const char *const META[] = {"id",        "owner_id",   "department_id",
                                   "parent_id", "created_at", "updated_at"};
#define N_META (sizeof META / sizeof META[0])

static void
export_header(struct export *x)
{
    size_t n = json_array_size(x->columns);

    for (size_t i = 0; i < N_META; i++)
        sv_csv_field(&x->csv, META[i], i + 1 == N_META && n == 0);
    for (size_t i = 0; i < n; i++)
        sv_csv_field(&x->csv, json_string_value(json_array_get(x->columns, i)),
                     i + 1 == n);
}

static void
export_row(struct export *x, const json_t *item)
{
    const json_t *fields = json_object_get(item, "fields");
    size_t n = json_array_size(x->columns);

    for (size_t i = 0; i < N_META; i++)
        sv_csv_field(&x->csv, json_string_value(json_object_get(item, META[i])),
                     i + 1 == N_META && n == 0);
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(x->columns, i));
        sv_csv_field(&x->csv, json_string_value(json_object_get(fields, name)),
                     i + 1 == n);
    }
}

/* The next page, as CSV; false when the answer must be cut. */
static bool
export_fill(struct export *x)
{
    struct sv_actor actor = {x->account_id, x->username, x->ip, x->user_agent};
    struct sv_record_page_query q = {x->q,
                                     x->where,
                                     x->owner_id,
                                     x->department_id,
                                     x->parent_id,
                                     "name",
                                     x->cursor,
                                     (int)(x->left < SV_RECORD_EXPORT_PAGE
                                               ? x->left
                                               : SV_RECORD_EXPORT_PAGE),
                                     false};
    json_t *page = NULL, *item;
    const char *next;
    size_t i;

    if (sv_records_export_page(x->db, x->tenant_id, x->type, &q, &actor,
                               &page) != SV_OK)
        return false;
    json_array_foreach(json_object_get(page, "items"), i, item)
    {
        export_row(x, item);
        x->left--;
    }
    next = json_string_value(json_object_get(page, "next_cursor"));
    free(x->cursor);
    x->cursor = next != NULL ? strdup(next) : NULL;
    /* The rows counted are the rows sent, at most: fewer when some were
     * deleted or left the caller's reach meanwhile. */
    x->done = x->left <= 0 || next == NULL;
    json_decref(page);
    return !x->csv.failed && (next == NULL || x->cursor != NULL);
}

static long
export_next(void *cls, char *buf, size_t max)
{
    struct export *x = cls;

    if (x->csv.pos == x->csv.len && !x->done && !export_fill(x))
        return -1;
    if (x->csv.failed)
        return -1;
    return (long)sv_csv_take(&x->csv, buf, max);
}

static char *
dup_opt(const char *s, bool *ok)
{
    char *d = s != NULL ? strdup(s) : NULL;

    if (s != NULL && d == NULL)
        *ok = false;
    return d;
}

/* A name prefix, as the list's q. */
static bool
check_q(const char *s, size_t len)
{
    return sv_check_plain_text(s, len, 1, 64);
}

void
records_http_export(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_record_outcome o = {0};
    struct sv_record_page_query q = {0};
    const struct sv_field spec[] = {
        SV_F_STR_OPT("q", &q.q, 1, 64, check_q),
        SV_F_STR_OPT("where", &q.where, 1, 1024, NULL),
        SV_F_STR_OPT("owner_id", &q.owner_id, 36, 36, sv_check_uuid_field),
        SV_F_STR_OPT("department_id", &q.department_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_STR_OPT("parent_id", &q.parent_id, 36, 36, sv_check_uuid_field),
        SV_F_END,
    };
    enum sv_record_type t;
    struct export *x;
    json_t *columns = NULL;
    int64_t rows = 0;
    char disp[96], day[SV_RFC3339_LEN + 1], count[24];
    bool ok = true;
    enum sv_err rc;

    if (!type_or_reply(rq, &t) || !sv_rq_fields_or_reply(rq, spec))
        return;
    q.sort = "name";
    rc = sv_records_export_begin(sv_rq_app(rq)->db, s->tenant_id, t, &q, &actor,
                                 &rows, &columns, &o);
    if (rc != SV_OK) {
        reply(rq, rc, 200, NULL, &o);
        return;
    }
    if ((x = calloc(1, sizeof *x)) == NULL) {
        json_decref(columns);
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    x->db = sv_rq_app(rq)->db;
    x->type = t;
    x->columns = columns;
    x->left = rows;
    x->done = rows == 0;
    x->tenant_id = dup_opt(s->tenant_id, &ok);
    x->account_id = dup_opt(actor.account_id, &ok);
    x->username = dup_opt(actor.username, &ok);
    x->ip = dup_opt(actor.ip, &ok);
    x->user_agent = dup_opt(actor.user_agent, &ok);
    x->q = dup_opt(q.q, &ok);
    x->where = dup_opt(q.where, &ok);
    x->owner_id = dup_opt(q.owner_id, &ok);
    x->department_id = dup_opt(q.department_id, &ok);
    x->parent_id = dup_opt(q.parent_id, &ok);
    export_header(x);
    if (!ok || x->csv.failed) {
        export_free(x);
        sv_reply_error(rq, SV_E_OVERLOADED, NULL);
        return;
    }
    sv_rfc3339(sv_now_ms(), day);
    day[10] = '\0';
    snprintf(disp, sizeof disp, "attachment; filename=\"%s-%s.csv\"",
             sv_record_type_name(t), day);
    /* The console's progress bar: the rows to come. */
    snprintf(count, sizeof count, "%lld", (long long)rows);
    sv_rq_add_header(rq, "Salesvault-Export-Rows", count);
    sv_reply_stream(rq, 200, "text/csv; charset=utf-8", disp, export_next,
                    export_free, x);
}

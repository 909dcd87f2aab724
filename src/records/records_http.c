/* The records routes: see records_http.h. */
#include "records/records_http.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "app.h"
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

    if (!type_or_reply(rq, &t))
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

    if (!type_or_reply(rq, &t))
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

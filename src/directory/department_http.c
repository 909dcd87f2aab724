/* The department routes: see department_http.h. */
#include "directory/department_http.h"

#include <string.h>

#include <jansson.h>

#include "app.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/util.h"
#include "directory/department.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

#define CURSOR_KIND "d"

static json_t *
department_json(const char *id, const char *parent_id, const char *name,
                int64_t created_at, int64_t updated_at)
{
    char created[SV_RFC3339_LEN + 1], updated[SV_RFC3339_LEN + 1];

    sv_rfc3339(created_at, created);
    sv_rfc3339(updated_at, updated);
    return json_pack("{s:s, s:s, s:o, s:s, s:s}", "id", id, "name", name,
                     "parent_id",
                     parent_id != NULL ? json_string(parent_id) : json_null(),
                     "created_at", created, "updated_at", updated);
}

/* One department with its path of ancestors, root first. */
static json_t *
full_json(const struct sv_department *d, const struct sv_department_path *p)
{
    json_t *out = department_json(d->id, sv_or_null(d->parent_id), d->name,
                                  d->created_at, d->updated_at);
    json_t *path = json_array();

    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(path, json_pack("{s:s, s:s}", "id", p->at[i].id,
                                              "name", p->at[i].name));
    json_object_set_new(out, "path", path);
    return out;
}

/* ---- GET /directory/departments ---- */

struct list_ctx {
    json_t *items;
    struct sv_arena *arena;
    const char *last_cursor; /* the last row's */
};

static void
list_start(void *cls)
{
    struct list_ctx *l = cls;
    json_array_clear(l->items); /* a retried transaction starts over */
    l->last_cursor = NULL;
}

static void
list_row(void *cls, const struct sv_department_view *v)
{
    struct list_ctx *l = cls;
    json_array_append_new(l->items,
                          department_json(v->id, v->parent_id, v->name,
                                          v->created_at, v->updated_at));
    l->last_cursor = sv_cursor_key_encode(l->arena, CURSOR_KIND, v->id, v->key);
}

void
department_http_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    struct sv_department_query q = {0};
    struct list_ctx l = {NULL, a, NULL};
    bool more = false;
    enum sv_err rc;

    q.parent_id = sv_rq_query(rq, "parent");
    q.q = sv_rq_query(rq, "q");
    if (!sv_rq_limit_or_reply(rq, &q.limit))
        return;
    if (q.parent_id != NULL && !sv_check_uuid(q.parent_id)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "parent");
        return;
    }
    if (q.q != NULL &&
        (strlen(q.q) > SV_DEPARTMENT_QUERY_MAX * 4 ||
         !sv_utf8_valid(q.q, strlen(q.q)) ||
         sv_utf8_len(q.q, strlen(q.q)) < 1 ||
         sv_utf8_len(q.q, strlen(q.q)) > SV_DEPARTMENT_QUERY_MAX)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "q");
        return;
    }
    if (cursor != NULL &&
        !sv_cursor_key_decode(a, CURSOR_KIND, cursor, SV_DEPARTMENT_NAME_BYTES,
                              &q.after_id, &q.after_key)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
        return;
    }
    q.viewer = s->account_id;
    l.items = json_array();
    rc = sv_department_list(sv_rq_app(rq)->db, s->tenant_id, &q, list_start,
                            list_row, &l, &more);
    if (rc != SV_OK) {
        json_decref(l.items);
        sv_reply_error(rq, rc, rc == SV_E_NOT_FOUND ? "parent" : NULL);
        return;
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                            more && l.last_cursor ? json_string(l.last_cursor)
                                                  : json_null()));
}

/* ---- POST /directory/departments ---- */

void
department_http_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    const char *name = NULL, *parent_id = NULL, *field = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("name", &name, 1, SV_DEPARTMENT_NAME_MAX,
                 sv_check_department_name),
        SV_F_STR_OPT("parent_id", &parent_id, 36, 36, sv_check_uuid_field),
        SV_F_END,
    };
    struct sv_department_path *path;
    struct sv_department d;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    path = sv_arena_zalloc(sv_rq_arena(rq), sizeof *path);
    rc = sv_department_create(sv_rq_app(rq)->db, s->tenant_id, name, parent_id,
                              &actor, &d, path, &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    sv_reply_json(rq, 201, full_json(&d, path));
}

/* ---- GET /directory/departments/{id} ---- */

void
department_http_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_department_path *path =
        sv_arena_zalloc(sv_rq_arena(rq), sizeof *path);
    struct sv_department d;
    enum sv_err rc =
        sv_department_get(sv_rq_app(rq)->db, s->tenant_id, sv_rq_param(rq, 0),
                          s->account_id, &d, path);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, full_json(&d, path));
}

/* ---- PATCH /directory/departments/{id} ---- */

void
department_http_update(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    const json_t *body = sv_rq_json(rq);
    struct sv_department_change chg = {0};
    const char *field = NULL;
    const struct sv_field spec[] = {
        SV_F_STR_OPT("name", &chg.name, 1, SV_DEPARTMENT_NAME_MAX,
                     sv_check_department_name),
        /* null: to the roots */
        SV_F_STR_OPT("parent_id", &chg.parent_id, 36, 36, sv_check_uuid_field),
        SV_F_END,
    };
    struct sv_department_path *path;
    struct sv_department d;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    if (json_is_null(json_object_get(body, "name"))) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "name"); /* never cleared */
        return;
    }
    chg.move = json_object_get(body, "parent_id") != NULL;
    if (chg.name == NULL && !chg.move) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "name"); /* nothing to do */
        return;
    }
    path = sv_arena_zalloc(sv_rq_arena(rq), sizeof *path);
    rc = sv_department_update(sv_rq_app(rq)->db, s->tenant_id,
                              sv_rq_param(rq, 0), &chg, &actor, &d, path,
                              &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    sv_reply_json(rq, 200, full_json(&d, path));
}

/* ---- DELETE /directory/departments/{id} ---- */

void
department_http_delete(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_department_delete(sv_rq_app(rq)->db, s->tenant_id,
                                          sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- GET, PUT /directory/departments/{id}/visibility (DIR-3) ---- */

static json_t *
visibility_json(const struct sv_department_visibility *v)
{
    json_t *viewers = json_array();
    for (size_t i = 0; i < v->n; i++)
        json_array_append_new(
            viewers, json_pack("{s:s, s:s, s:s}", "kind", v->at[i].kind, "id",
                               v->at[i].id, "name", v->at[i].name));
    return json_pack("{s:b, s:o}", "hidden", v->hidden, "viewers", viewers);
}

void
department_http_visibility_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_department_visibility *v =
        sv_arena_zalloc(sv_rq_arena(rq), sizeof *v);
    enum sv_err rc = sv_department_visibility_get(
        sv_rq_app(rq)->db, s->tenant_id, sv_rq_param(rq, 0), &actor, v);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, visibility_json(v));
}

/* A viewer as the body names it: "group:<id>" or "role:<key or id>". */
static bool
check_viewer_ref(const char *s, size_t len)
{
    const char *colon = memchr(s, ':', len);
    size_t kind = colon != NULL ? (size_t)(colon - s) : 0;

    if (colon == NULL || len - kind - 1 < 1 || len - kind - 1 > 36)
        return false;
    return (kind == 5 && memcmp(s, "group", 5) == 0) ||
           (kind == 4 && memcmp(s, "role", 4) == 0);
}

void
department_http_visibility_set(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    const json_t *viewers = NULL;
    struct sv_visibility_input *in = sv_arena_zalloc(a, sizeof *in);
    const char *field = NULL;
    const struct sv_field spec[] = {
        {.name = "hidden",
         .type = SV_FT_BOOL,
         .required = true,
         .out = &in->hidden},
        SV_F_STRS_OPT("viewers", &viewers, 0, SV_DEPARTMENT_VIEWERS_MAX,
                      check_viewer_ref),
        SV_F_END,
    };
    struct sv_department_visibility *v = sv_arena_zalloc(a, sizeof *v);
    size_t i;
    json_t *item;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    json_array_foreach(viewers, i, item)
    {
        const char *ref = json_string_value(item);
        const char *colon = strchr(ref, ':');
        char *kind = sv_arena_zalloc(a, (size_t)(colon - ref) + 1);
        memcpy(kind, ref, (size_t)(colon - ref));
        in->kind[in->n] = kind;
        in->id[in->n++] = colon + 1;
    }
    rc =
        sv_department_visibility_set(sv_rq_app(rq)->db, s->tenant_id,
                                     sv_rq_param(rq, 0), in, &actor, v, &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    sv_reply_json(rq, 200, visibility_json(v));
}

/* The group routes: see group_http.h. */
#include "directory/group_http.h"

#include <string.h>

#include <jansson.h>

#include "app.h"
#include "core/json.h"
#include "core/util.h"
#include "directory/department.h"
#include "directory/group.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

#define CURSOR_GROUPS "g"
#define CURSOR_MEMBERS "gm"
#define CURSOR_EXPAND "ge"

static json_t *
group_json(const struct sv_group *g)
{
    return json_pack("{s:s, s:s, s:s, s:o, s:o, s:o}", "id", g->id, "name",
                     g->name, "description", g->description, "owner_id",
                     sv_json_str_or_null(g->owner_id), "created_at",
                     sv_json_time(g->created_at), "updated_at",
                     sv_json_time(g->updated_at));
}

static json_t *
view_json(const struct sv_group_view *v)
{
    json_t *o = group_json(&v->g);
    json_object_set_new(o, "owner_name", sv_json_str_or_null(v->owner_name));
    json_object_set_new(o, "members", json_integer(v->members));
    json_object_set_new(o, "may_manage", json_boolean(v->may_manage));
    return o;
}

/* A group's name follows the department rule. */
#define check_name sv_check_department_name

/* A page's answer: the items and the next cursor (null on the last). */
static void
reply_page(struct sv_request *rq, json_t *items, bool more, const char *cursor)
{
    sv_reply_json(
        rq, 200,
        json_pack("{s:o, s:o}", "items", items, "next_cursor",
                  more && cursor ? json_string(cursor) : json_null()));
}

/* ---- GET /directory/groups ---- */

struct list_ctx {
    json_t *items;
    struct sv_arena *arena;
    const char *kind, *last;
};

static void
list_start(void *cls)
{
    struct list_ctx *l = cls;
    json_array_clear(l->items);
    l->last = NULL;
}

static void
group_row(void *cls, const struct sv_group *g, const char *key)
{
    struct list_ctx *l = cls;
    json_array_append_new(l->items, group_json(g));
    l->last = sv_cursor_key_encode(l->arena, l->kind, g->id, key);
}

void
group_http_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    struct sv_group_query q = {0};
    struct list_ctx l = {NULL, a, CURSOR_GROUPS, NULL};
    bool more = false;
    enum sv_err rc;

    q.q = sv_rq_query(rq, "q");
    if (!sv_rq_limit_or_reply(rq, &q.limit))
        return;
    if (q.q != NULL &&
        (strlen(q.q) > 64 * 4 || !sv_utf8_valid(q.q, strlen(q.q)) ||
         sv_utf8_len(q.q, strlen(q.q)) < 1 ||
         sv_utf8_len(q.q, strlen(q.q)) > 64)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "q");
        return;
    }
    if (cursor != NULL &&
        !sv_cursor_key_decode(a, CURSOR_GROUPS, cursor, SV_GROUP_NAME_BYTES,
                              &q.after_id, &q.after_key)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
        return;
    }
    q.viewer = s->account_id;
    l.items = json_array();
    rc = sv_group_list(sv_rq_app(rq)->db, s->tenant_id, &q, list_start,
                       group_row, &l, &more);
    if (rc != SV_OK) {
        json_decref(l.items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    reply_page(rq, l.items, more, l.last);
}

/* ---- POST /directory/groups, PATCH /directory/groups/{id} ---- */

static void
change(struct sv_request *rq, bool create)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    const json_t *body = sv_rq_json(rq);
    struct sv_group_input in = {0};
    const char *field = NULL;
    const struct sv_field spec[] = {
        create ? (struct sv_field)SV_F_STR("name", &in.name, 1,
                                           SV_GROUP_NAME_MAX, check_name)
               : (struct sv_field)SV_F_STR_OPT("name", &in.name, 1,
                                               SV_GROUP_NAME_MAX, check_name),
        SV_F_STR_OPT("description", &in.description, 0,
                     SV_GROUP_DESCRIPTION_MAX, sv_check_group_description),
        /* null: no owner */
        SV_F_STR_OPT("owner_id", &in.owner_id, 36, 36, sv_check_uuid_field),
        SV_F_END,
    };
    struct sv_group_view *v = sv_arena_zalloc(sv_rq_arena(rq), sizeof *v);
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    if (json_is_null(json_object_get(body, "name")) ||
        json_is_null(json_object_get(body, "description"))) {
        sv_reply_error(rq, SV_E_FIELD_INVALID,
                       json_is_null(json_object_get(body, "name"))
                           ? "name"
                           : "description");
        return;
    }
    in.set_owner = json_object_get(body, "owner_id") != NULL;
    if (!create && in.name == NULL && in.description == NULL && !in.set_owner) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "name"); /* nothing to do */
        return;
    }
    rc = create ? sv_group_create(sv_rq_app(rq)->db, s->tenant_id, &in, &actor,
                                  v, &field)
                : sv_group_update(sv_rq_app(rq)->db, s->tenant_id,
                                  sv_rq_param(rq, 0), &in, &actor, v, &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    sv_reply_json(rq, create ? 201 : 200, view_json(v));
}

void
group_http_create(struct sv_request *rq)
{
    change(rq, true);
}

void
group_http_update(struct sv_request *rq)
{
    change(rq, false);
}

/* ---- GET, DELETE /directory/groups/{id} ---- */

void
group_http_get(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_group_view *v = sv_arena_zalloc(sv_rq_arena(rq), sizeof *v);
    enum sv_err rc = sv_group_get(sv_rq_app(rq)->db, s->tenant_id,
                                  sv_rq_param(rq, 0), s->account_id, v);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(rq, 200, view_json(v));
}

void
group_http_delete(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_group_delete(sv_rq_app(rq)->db, s->tenant_id,
                                     sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- members ---- */

static void
member_row(void *cls, const struct sv_group_member_view *m)
{
    struct list_ctx *l = cls;
    char added[SV_RFC3339_LEN + 1];

    sv_rfc3339(m->added_at, added);
    json_array_append_new(
        l->items, json_pack("{s:s, s:s, s:s, s:b, s:s}", "kind",
                            sv_member_kind_name(m->kind), "id", m->id, "name",
                            m->name, "subtree", m->subtree, "added_at", added));
    l->last = sv_cursor_key_encode(l->arena, l->kind, m->id, "m");
}

static void
person_row(void *cls, const struct sv_group_person *p)
{
    struct list_ctx *l = cls;
    json_array_append_new(l->items,
                          json_pack("{s:s, s:s, s:s, s:s, s:s}", "id", p->id,
                                    "display_name", p->display_name, "title",
                                    p->title, "department_id", p->department_id,
                                    "state", p->state));
    l->last = sv_cursor_key_encode(l->arena, l->kind, p->id, p->key);
}

void
group_http_members(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    const char *expand = sv_rq_query(rq, "expand");
    const char *after_id = NULL, *after_key = NULL;
    bool expanded = expand != NULL && strcmp(expand, "true") == 0;
    struct list_ctx l = {NULL, a, expanded ? CURSOR_EXPAND : CURSOR_MEMBERS,
                         NULL};
    bool more = false;
    int limit;
    enum sv_err rc;

    if (!sv_rq_limit_or_reply(rq, &limit))
        return;
    if (expand != NULL && !expanded && strcmp(expand, "false") != 0) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "expand");
        return;
    }
    if (cursor != NULL &&
        !sv_cursor_key_decode(a, l.kind, cursor, SV_GROUP_NAME_BYTES, &after_id,
                              &after_key)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
        return;
    }
    l.items = json_array();
    rc = expanded
             ? sv_group_expand(sv_rq_app(rq)->db, s->tenant_id,
                               sv_rq_param(rq, 0), s->account_id, after_key,
                               after_id, limit, list_start, person_row, &l,
                               &more)
             : sv_group_members(sv_rq_app(rq)->db, s->tenant_id,
                                sv_rq_param(rq, 0), s->account_id, after_id,
                                limit, list_start, member_row, &l, &more);
    if (rc != SV_OK) {
        json_decref(l.items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    reply_page(rq, l.items, more, l.last);
}

static bool
check_kind(const char *s, size_t len)
{
    enum sv_member_kind k;
    return strlen(s) == len && sv_member_kind_parse(s, &k);
}

void
group_http_member_add(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    const char *kind = NULL, *id = NULL, *field = NULL;
    bool subtree = false;
    const struct sv_field spec[] = {
        SV_F_STR("kind", &kind, 1, 16, check_kind),
        SV_F_STR("id", &id, 36, 36, sv_check_uuid_field),
        {.name = "subtree", .type = SV_FT_BOOL, .out = &subtree},
        SV_F_END,
    };
    enum sv_member_kind k;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    if (!sv_member_kind_parse(kind, &k)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "kind");
        return;
    }
    rc =
        sv_group_member_add(sv_rq_app(rq)->db, s->tenant_id, sv_rq_param(rq, 0),
                            k, id, subtree, &actor, &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    sv_reply_json(rq, 201,
                  json_pack("{s:s, s:s, s:b}", "kind", kind, "id", id,
                            "subtree", subtree));
}

void
group_http_member_remove(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc =
        sv_group_member_remove(sv_rq_app(rq)->db, s->tenant_id,
                               sv_rq_param(rq, 0), sv_rq_param(rq, 1), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

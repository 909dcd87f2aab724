/* The permission model's routes: see access_http.h. */
#include "access/access_http.h"

#include <string.h>

#include <jansson.h>

#include "access/access.h"
#include "app.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/util.h"
#include "identity/identity.h"
#include "identity/identity_http.h"

#define CURSOR_KIND "g"

enum sv_err
access_http_authorize(struct sv_app *app, struct sv_arena *arena,
                      struct sv_http_principal *who, int perm, const char *ip,
                      const char *user_agent, const char *route)
{
    const struct sv_session *s = who->session;
    struct sv_grants *g;
    enum sv_err rc;

    if (perm < 0 || perm >= SV_PERM__COUNT)
        return SV_E_FORBIDDEN; /* a route naming no permission we know */
    if (who->grants == NULL) {
        g = sv_arena_zalloc(arena, sizeof *g);
        rc = sv_access_load(app->db, s->tenant_id, s->account_id, g);
        if (rc != SV_OK)
            return rc;
        who->grants = g;
    }
    if (sv_access_holds(who->grants, (enum sv_perm)perm))
        return SV_OK;
    struct sv_actor actor = {s->account_id, s->username, ip, user_agent};
    struct sv_access_denial d = {(enum sv_perm)perm, "route", ""};
    rc = sv_access_denied(app->db, s->tenant_id, &actor, &d, route);
    return rc == SV_OK ? SV_E_FORBIDDEN : rc;
}

/* A time, or null for 0 (a built-in role was never created). */
static json_t *
time_or_null(int64_t ms)
{
    return ms == 0 ? json_null() : sv_json_time(ms);
}

/* ---- assignments as JSON ---- */

static json_t *
assignment_json(const struct sv_assignment *a, const char *username,
                const char *role_name, const char *department_name)
{
    bool dept = a->scope == SV_SCOPE_DEPARTMENT;
    bool scope_group = a->scope == SV_SCOPE_GROUP;
    bool group = a->group_id[0] != '\0';
    json_t *o = json_pack("{s:s, s:s, s:s}", "id", a->id, "role", a->role,
                          "role_name", role_name != NULL ? role_name : a->role);

    /* The subject: an account (account_id, username) or a group (group_id,
     * group_name); the other pair null. */
    json_object_set_new(o, "account_id",
                        sv_json_str_or_null(group ? NULL : a->account_id));
    json_object_set_new(o, "username",
                        sv_json_str_or_null(group ? NULL : username));
    json_object_set_new(o, "group_id",
                        sv_json_str_or_null(group ? a->group_id : NULL));
    json_object_set_new(o, "group_name",
                        sv_json_str_or_null(group ? username : NULL));
    /* The scope, and its department or group. */
    json_object_set_new(o, "scope", json_string(sv_scope_kind_name(a->scope)));
    json_object_set_new(o, "department_id",
                        sv_json_str_or_null(dept ? a->department_id : NULL));
    json_object_set_new(o, "department_name",
                        sv_json_str_or_null(dept ? department_name : NULL));
    json_object_set_new(
        o, "scope_group_id",
        sv_json_str_or_null(scope_group ? a->scope_group_id : NULL));
    json_object_set_new(
        o, "scope_group_name",
        sv_json_str_or_null(scope_group ? department_name : NULL));
    json_object_set_new(o, "created_at", time_or_null(a->created_at));
    return o;
}

struct list_ctx {
    json_t *items;
    struct sv_arena *arena;
    const char *last;
};

static void
list_start(void *cls)
{
    struct list_ctx *l = cls;
    json_array_clear(l->items); /* a retried transaction starts over */
    l->last = NULL;
}

static void
assignment_row(void *cls, const struct sv_assignment *a, const char *username,
               const char *role_name, const char *department_name)
{
    struct list_ctx *l = cls;
    json_array_append_new(
        l->items, assignment_json(a, username, role_name, department_name));
    l->last = sv_cursor_encode(l->arena, CURSOR_KIND, a->id);
}

/* ---- GET /me/access ---- */

void
access_http_me(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    struct sv_grants *g = sv_arena_zalloc(a, sizeof *g);
    struct sv_assignment_query q = {s->account_id, NULL, SV_ACCESS_GRANTS_MAX};
    struct list_ctx l = {json_array(), a, NULL};
    json_t *depts = json_array(), *groups = json_array();
    bool more = false;
    enum sv_err rc =
        sv_access_load(sv_rq_app(rq)->db, s->tenant_id, s->account_id, g);

    if (rc == SV_OK)
        rc = sv_access_assignments_list(sv_rq_app(rq)->db, s->tenant_id, &q,
                                        list_start, assignment_row, &l, &more);
    if (rc != SV_OK) {
        json_decref(l.items);
        json_decref(depts);
        json_decref(groups);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    for (size_t i = 0; i < g->n; i++) {
        sv_perm_set dp = 0;
        bool dept = g->at[i].scope == SV_SCOPE_DEPARTMENT;
        if (g->at[i].scope == SV_SCOPE_TENANT)
            continue;
        for (int p = 0; p < SV_PERM__COUNT; p++)
            if (sv_perm_kind((enum sv_perm)p) == SV_OBJECT_DEPARTMENT)
                dp |= g->at[i].perms & SV_PERM_BIT(p);
        json_array_append_new(
            dept ? depts : groups,
            json_pack("{s:s, s:o}", dept ? "department_id" : "group_id",
                      g->at[i].scope_id, "permissions", sv_perm_set_json(dp)));
    }
    sv_reply_json(rq, 200,
                  json_pack("{s:o, s:o, s:o, s:o}", "permissions",
                            sv_perm_set_json(sv_access_tenant_perms(g)),
                            "department_permissions", depts,
                            "group_permissions", groups, "assignments",
                            l.items));
}

/* ---- GET /access/permissions ---- */

void
access_http_permissions(struct sv_request *rq)
{
    json_t *items = json_array();

    for (int p = 0; p < SV_PERM__COUNT; p++) {
        json_t *roles = json_array();
        for (int r = 0; r < SV_BUILTIN__COUNT; r++)
            if (sv_builtin_role_perms((enum sv_builtin_role)r) & SV_PERM_BIT(p))
                json_array_append_new(roles, json_string(sv_builtin_role_key(
                                                 (enum sv_builtin_role)r)));
        json_array_append_new(
            items,
            json_pack("{s:s, s:s, s:o}", "name", sv_perm_name((enum sv_perm)p),
                      "object",
                      sv_perm_kind((enum sv_perm)p) == SV_OBJECT_DEPARTMENT
                          ? "department"
                          : "tenant",
                      "roles", roles));
    }
    sv_reply_json(rq, 200, json_pack("{s:o}", "items", items));
}

/* ---- roles ---- */

static json_t *
role_json(const struct sv_role_view *r)
{
    return json_pack("{s:s, s:s, s:s, s:b, s:o, s:o, s:o}", "id", r->id, "name",
                     r->name, "description", r->description, "builtin",
                     r->builtin, "permissions", sv_perm_set_json(r->perms),
                     "created_at", time_or_null(r->created_at), "updated_at",
                     time_or_null(r->updated_at));
}

static json_t *
custom_role_json(const struct sv_custom_role *r)
{
    struct sv_role_view v = {r->id,    r->name,       r->description, false,
                             r->perms, r->created_at, r->updated_at};
    return role_json(&v);
}

static void
role_row(void *cls, const struct sv_role_view *r)
{
    json_array_append_new(cls, role_json(r));
}

void
access_http_roles_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    json_t *items = json_array();
    sv_reply_items(rq,
                   sv_access_roles_list(sv_rq_app(rq)->db, s->tenant_id,
                                        sv_items_clear, role_row, items),
                   items);
}

static bool
check_perm_name(const char *s, size_t len)
{
    enum sv_perm p;
    return strlen(s) == len && sv_perm_parse(s, &p);
}

/* The role fields of a create or update body into @p in. */
static bool
role_input_or_reply(struct sv_request *rq, bool create,
                    struct sv_role_input *in)
{
    const json_t *list = NULL;
    const struct sv_field spec[] = {
        create ? (struct sv_field)SV_F_STR("name", &in->name, 1,
                                           SV_ROLE_NAME_MAX, sv_check_role_name)
               : (struct sv_field)SV_F_STR_OPT("name", &in->name, 1,
                                               SV_ROLE_NAME_MAX,
                                               sv_check_role_name),
        SV_F_STR_OPT("description", &in->description, 0,
                     SV_ROLE_DESCRIPTION_MAX, sv_check_role_description),
        SV_F_STRS_OPT("permissions", &list, 1, SV_PERM__COUNT, check_perm_name),
        SV_F_END,
    };
    size_t i;
    json_t *e;

    memset(in, 0, sizeof *in);
    if (!sv_rq_fields_or_reply(rq, spec))
        return false;
    if (create && list == NULL) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "permissions");
        return false;
    }
    if (list != NULL) {
        in->set_perms = true;
        json_array_foreach(list, i, e)
        {
            enum sv_perm p;
            if (sv_perm_parse(json_string_value(e), &p))
                in->perms |= SV_PERM_BIT(p);
        }
    }
    if (!create && in->name == NULL && in->description == NULL &&
        !in->set_perms) {
        sv_reply_error(rq, SV_E_FIELD_MISSING, "name"); /* nothing to do */
        return false;
    }
    return true;
}

void
access_http_roles_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_role_input in;
    struct sv_custom_role r;
    const char *field = NULL;
    enum sv_err rc;

    if (!role_input_or_reply(rq, true, &in))
        return;
    rc = sv_access_role_create(sv_rq_app(rq)->db, s->tenant_id, &in, &actor, &r,
                               &field);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, field);
    else
        sv_reply_json(rq, 201, custom_role_json(&r));
}

void
access_http_roles_update(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_role_input in;
    struct sv_custom_role r;
    const char *field = NULL;
    enum sv_err rc;

    if (!role_input_or_reply(rq, false, &in))
        return;
    rc = sv_access_role_update(sv_rq_app(rq)->db, s->tenant_id,
                               sv_rq_param(rq, 0), &in, &actor, &r, &field);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, field);
    else
        sv_reply_json(rq, 200, custom_role_json(&r));
}

void
access_http_roles_delete(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_access_role_delete(sv_rq_app(rq)->db, s->tenant_id,
                                           sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

/* ---- assignments ---- */

void
access_http_assignments_list(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_arena *a = sv_rq_arena(rq);
    const char *cursor = sv_rq_query(rq, "cursor");
    struct sv_assignment_query q = {0};
    struct list_ctx l = {NULL, a, NULL};
    bool more = false;
    enum sv_err rc;

    q.account_id = sv_rq_query(rq, "account");
    q.viewer = s->account_id; /* DIR-3 */
    if (!sv_rq_limit_or_reply(rq, &q.limit))
        return;
    if (q.account_id != NULL && !sv_check_uuid(q.account_id)) {
        sv_reply_error(rq, SV_E_FIELD_INVALID, "account");
        return;
    }
    if (cursor != NULL) {
        q.after_id = sv_cursor_decode(a, CURSOR_KIND, cursor);
        if (q.after_id == NULL || !sv_check_uuid(q.after_id)) {
            sv_reply_error(rq, SV_E_FIELD_INVALID, "cursor");
            return;
        }
    }
    l.items = json_array();
    rc = sv_access_assignments_list(sv_rq_app(rq)->db, s->tenant_id, &q,
                                    list_start, assignment_row, &l, &more);
    if (rc != SV_OK) {
        json_decref(l.items);
        sv_reply_error(rq, rc, NULL);
        return;
    }
    sv_reply_json(
        rq, 200,
        json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                  more && l.last ? json_string(l.last) : json_null()));
}

static bool
check_scope(const char *s, size_t len)
{
    return strlen(s) == len &&
           (strcmp(s, "tenant") == 0 || strcmp(s, "department") == 0 ||
            strcmp(s, "group") == 0);
}

static bool
check_role_ref(const char *s, size_t len)
{
    enum sv_builtin_role b;
    return strlen(s) == len &&
           (sv_check_uuid(s) || sv_builtin_role_parse(s, &b));
}

/* One assignment picked out of a listing by its id. */
struct one_ctx {
    const char *id;
    json_t *found;
};

static void
one_start(void *cls)
{
    struct one_ctx *o = cls;
    json_decref(o->found);
    o->found = NULL;
}

static void
one_row(void *cls, const struct sv_assignment *a, const char *username,
        const char *role_name, const char *department_name)
{
    struct one_ctx *o = cls;
    if (o->found == NULL && strcmp(a->id, o->id) == 0)
        o->found = assignment_json(a, username, role_name, department_name);
}

void
access_http_assignments_create(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    struct sv_assignment_input in = {0};
    const char *scope = NULL, *field = NULL;
    const struct sv_field spec[] = {
        SV_F_STR("role", &in.role, 1, 36, check_role_ref),
        /* The subject: one of the two. */
        SV_F_STR_OPT("account_id", &in.account_id, 36, 36, sv_check_uuid_field),
        SV_F_STR_OPT("group_id", &in.group_id, 36, 36, sv_check_uuid_field),
        SV_F_STR("scope", &scope, 1, 16, check_scope),
        SV_F_STR_OPT("department_id", &in.department_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_STR_OPT("scope_group_id", &in.scope_group_id, 36, 36,
                     sv_check_uuid_field),
        SV_F_END,
    };
    struct sv_assignment out;
    enum sv_err rc;

    if (!sv_rq_fields_or_reply(rq, spec))
        return;
    in.scope = strcmp(scope, "department") == 0 ? SV_SCOPE_DEPARTMENT
               : strcmp(scope, "group") == 0    ? SV_SCOPE_GROUP
                                                : SV_SCOPE_TENANT;
    rc = sv_access_grant(sv_rq_app(rq)->db, s->tenant_id, &in, &actor, &out,
                         &field);
    if (rc != SV_OK) {
        sv_reply_error(rq, rc, field);
        return;
    }
    /* The answer names the role, account and department as the list does:
     * read back (the account holds at most SV_ACCESS_GRANTS_MAX). */
    struct sv_assignment_query q = {out.group_id[0] != '\0' ? out.group_id
                                                            : out.account_id,
                                    NULL, SV_ACCESS_GRANTS_MAX};
    struct one_ctx one = {out.id, NULL};
    bool more = false;
    rc = sv_access_assignments_list(sv_rq_app(rq)->db, s->tenant_id, &q,
                                    one_start, one_row, &one, &more);
    if (rc != SV_OK || one.found == NULL) {
        json_decref(one.found);
        sv_reply_json(rq, 201, assignment_json(&out, NULL, NULL, NULL));
        return;
    }
    sv_reply_json(rq, 201, one.found);
}

void
access_http_assignments_delete(struct sv_request *rq)
{
    const struct sv_session *s = sv_rq_session(rq);
    struct sv_actor actor = identity_http_actor(rq);
    enum sv_err rc = sv_access_revoke(sv_rq_app(rq)->db, s->tenant_id,
                                      sv_rq_param(rq, 0), &actor);
    if (rc != SV_OK)
        sv_reply_error(rq, rc, NULL);
    else
        sv_reply_empty(rq, 204);
}

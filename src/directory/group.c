/* Groups: see group.h. */
#include "directory/group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "access/access.h"
#include "audit/audit.h"
#include "core/json.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department.h"
#include "directory/group_store.h"

static const char *const member_kinds[] = {
    [SV_MEMBER_EMPLOYEE] = "employee",
    [SV_MEMBER_DEPARTMENT] = "department",
    [SV_MEMBER_GROUP] = "group",
};

const char *
sv_member_kind_name(enum sv_member_kind k)
{
    return (unsigned)k <= SV_MEMBER_GROUP ? member_kinds[k] : "?";
}

bool
sv_member_kind_parse(const char *s, enum sv_member_kind *out)
{
    for (int k = SV_MEMBER_EMPLOYEE; k <= SV_MEMBER_GROUP; k++) {
        if (strcmp(s, member_kinds[k]) == 0) {
            *out = (enum sv_member_kind)k;
            return true;
        }
    }
    return false;
}

bool
sv_check_group_description(const char *s, size_t len)
{
    return sv_check_plain_text(s, len, 0, SV_GROUP_DESCRIPTION_MAX);
}

/* ---- who may ---- */

/* The place of group @p id for the permission model: the groups it is in. */
static enum sv_err
group_place(struct sv_dbc *c, const char *tenant_id, const char *id,
            struct sv_group_set *gs, struct sv_access_place *pl)
{
    enum sv_err rc = sv_access_groups_of_tx(c, tenant_id, "group", id, gs);

    pl->n = 0;
    pl->ng = 0;
    if (rc == SV_OK)
        sv_access_place_add_groups(pl, gs);
    return rc;
}

/*
 * May @p actor change group @p g (and its members)? Its owner may; anyone
 * else needs directory.manage over it. A privileged group's membership
 * (@p members) also needs access.manage over the tenant, its owner's too.
 */
static enum sv_err
require_change(struct sv_dbc *c, const char *tenant_id,
               const struct sv_actor *actor, const struct sv_group *g,
               bool members, bool *privileged, struct sv_access_denial *denied)
{
    struct sv_group_set *gs = malloc(sizeof *gs);
    struct sv_access_place *pl = malloc(sizeof *pl);
    bool owner = actor != NULL && actor->account_id != NULL &&
                 g->owner_id[0] != '\0' &&
                 strcmp(actor->account_id, g->owner_id) == 0;
    enum sv_err rc = gs && pl ? SV_OK : SV_E_INTERNAL;
    enum sv_qs qs;

    *privileged = false;
    if (rc == SV_OK && !owner) {
        rc = group_place(c, tenant_id, g->id, gs, pl);
        if (rc == SV_OK)
            rc = sv_access_require_tx(c, tenant_id, actor,
                                      SV_PERM_DIRECTORY_MANAGE, pl, "group",
                                      g->id, denied);
    }
    if (rc == SV_OK && members) {
        qs = group_store_privileged(c, tenant_id, g->id);
        if (qs < 0)
            rc = sv_qs_err(qs);
        *privileged = qs == SV_QS_ONE;
        if (rc == SV_OK && *privileged)
            rc =
                sv_access_require_tx(c, tenant_id, actor, SV_PERM_ACCESS_MANAGE,
                                     NULL, "group", g->id, denied);
    }
    free(gs);
    free(pl);
    return rc;
}

/* The tenant's directory lock, group @p id into @p g, and whether
 * @p actor may change it (require_change). */
static enum sv_err
find_for_change(struct sv_dbc *c, const char *tenant_id, const char *id,
                const struct sv_actor *actor, bool members, struct sv_group *g,
                bool *privileged, struct sv_access_denial *denied)
{
    enum sv_err rc = sv_department_lock_tx(c, tenant_id);

    if (rc == SV_OK)
        rc = sv_qs_found(group_store_find(c, tenant_id, id, g));
    if (rc == SV_OK)
        rc =
            require_change(c, tenant_id, actor, g, members, privileged, denied);
    return rc;
}

/* ---- events ---- */

/* Audit @p action on group @p id with @p details (stolen). */
static enum sv_err
audit_json(struct sv_dbc *c, const char *tenant_id,
           const struct sv_actor *actor, enum sv_audit_action action,
           const char *id, json_t *details)
{
    return sv_audit_json(c, tenant_id, actor, action, "group", id, NULL,
                         details);
}

/* A membership change of a privileged group is a change of privilege too:
 * who holds its roles (or sees its hidden departments) changed. */
static enum sv_err
audit_member(struct sv_dbc *c, const char *tenant_id,
             const struct sv_actor *actor, bool add, bool privileged,
             const char *id, enum sv_member_kind kind, const char *member_id)
{
    enum sv_err rc = audit_json(
        c, tenant_id, actor,
        add ? SV_AUDIT_GROUP_MEMBER_ADD : SV_AUDIT_GROUP_MEMBER_REMOVE, id,
        json_pack("{s:s, s:s}", "kind", sv_member_kind_name(kind), "member_id",
                  member_id));
    if (rc != SV_OK || !privileged)
        return rc;
    return audit_json(c, tenant_id, actor,
                      add ? SV_AUDIT_ACCESS_GRANT : SV_AUDIT_ACCESS_REVOKE, id,
                      json_pack("{s:s, s:s, s:s}", "via", "group_membership",
                                "kind", sv_member_kind_name(kind), "member_id",
                                member_id));
}

/* ---- create, update ---- */

struct change_ctx {
    const char *tenant_id, *id; /* id NULL: create */
    const struct sv_group_input *in;
    const struct sv_actor *actor;
    struct sv_group_view *out;
    const char **field;
    struct sv_access_denial denied;
};

static void
name_key(const char *name, char *out)
{
    sv_department_name_key(name, out); /* the same folding */
}

/* The view of @p out->g for @p viewer. */
static enum sv_err
fill_view(struct sv_dbc *c, const char *tenant_id, const char *viewer,
          struct sv_group_view *out)
{
    struct sv_group_set *gs = malloc(sizeof *gs);
    struct sv_access_place *pl = malloc(sizeof *pl);
    struct sv_grants *g = malloc(sizeof *g);
    enum sv_err rc = gs && pl && g ? SV_OK : SV_E_INTERNAL;

    if (rc == SV_OK)
        rc = sv_qs_ok(group_store_view(c, tenant_id, out));
    out->may_manage = viewer != NULL && out->g.owner_id[0] != '\0' &&
                      strcmp(viewer, out->g.owner_id) == 0;
    if (rc == SV_OK && viewer != NULL && !out->may_manage) {
        rc = sv_access_load_tx(c, tenant_id, viewer, g);
        if (rc == SV_OK)
            rc = group_place(c, tenant_id, out->g.id, gs, pl);
        if (rc == SV_OK)
            out->may_manage = sv_access_allows(g, SV_PERM_DIRECTORY_MANAGE, pl);
    }
    /* DIR-3: an owner hidden from the viewer is not named to it. */
    if (rc == SV_OK && viewer != NULL && out->g.owner_id[0] != '\0' &&
        strcmp(viewer, out->g.owner_id) != 0) {
        struct sv_veil *v = malloc(sizeof *v);
        rc = v != NULL ? sv_access_veil_of_tx(c, tenant_id, viewer, v)
                       : SV_E_INTERNAL;
        if (rc == SV_OK && v->n > 0) {
            enum sv_qs qs = group_store_seen(c, tenant_id, false,
                                             out->g.owner_id, sv_veil_param(v));
            if (qs < 0)
                rc = sv_qs_err(qs);
            else if (qs == SV_QS_NONE)
                out->g.owner_id[0] = out->owner_name[0] = '\0';
        }
        free(v);
    }
    free(gs);
    free(pl);
    free(g);
    return rc;
}

static enum sv_err
check_owner(struct sv_dbc *c, const char *tenant_id, const char *owner_id,
            const char **field)
{
    enum sv_qs qs;

    if (owner_id == NULL)
        return SV_OK;
    qs = group_store_employee(c, tenant_id, owner_id, NULL, 0, true);
    if (qs == SV_QS_NONE)
        *field = "owner_id";
    return sv_qs_found(qs);
}

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct change_ctx *x = cls;
    const struct sv_group_input *in = x->in;
    char key[SV_GROUP_NAME_BYTES + 1];
    struct sv_group *g = &x->out->g;
    int64_t count = 0;
    enum sv_err rc;
    enum sv_qs qs;

    *x->field = NULL;
    if ((rc = sv_department_lock_tx(c, x->tenant_id)) != SV_OK)
        return rc;
    if ((qs = group_store_count(c, x->tenant_id, &count)) < 0)
        return sv_qs_err(qs);
    if (count >= SV_GROUPS_MAX)
        return SV_E_CONFLICT;
    name_key(in->name, key);
    if ((qs = group_store_name_taken(c, x->tenant_id, key, "")) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *x->field = "name";
        return SV_E_EXISTS;
    }
    memset(x->out, 0, sizeof *x->out);
    sv_uuid7(g->id);
    snprintf(g->name, sizeof g->name, "%s", in->name);
    snprintf(g->description, sizeof g->description, "%s",
             in->description != NULL ? in->description : "");
    if (in->set_owner) {
        rc = check_owner(c, x->tenant_id, in->owner_id, x->field);
        if (rc != SV_OK)
            return rc;
        snprintf(g->owner_id, sizeof g->owner_id, "%s",
                 in->owner_id != NULL ? in->owner_id : "");
    } else if (x->actor->account_id != NULL &&
               group_store_employee(c, x->tenant_id, x->actor->account_id, NULL,
                                    0, true) == SV_QS_ONE) {
        snprintf(g->owner_id, sizeof g->owner_id, "%s", x->actor->account_id);
    }
    g->created_at = g->updated_at = sv_now_ms();
    qs = group_store_insert(c, x->tenant_id, g, key);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    rc = audit_json(c, x->tenant_id, x->actor, SV_AUDIT_GROUP_CREATE, g->id,
                    json_pack("{s:s, s:o}", "name", g->name, "owner_id",
                              sv_json_str_or_null(g->owner_id)));
    return rc != SV_OK
               ? rc
               : fill_view(c, x->tenant_id, x->actor->account_id, x->out);
}

static enum sv_err
check_input(const struct sv_group_input *in, const char **field)
{
    if (in->name != NULL &&
        !sv_check_department_name(in->name, strlen(in->name))) {
        *field = "name";
        return SV_E_FIELD_INVALID;
    }
    if (in->description != NULL &&
        !sv_check_group_description(in->description, strlen(in->description))) {
        *field = "description";
        return SV_E_FIELD_INVALID;
    }
    if (in->set_owner && in->owner_id != NULL && !sv_check_uuid(in->owner_id)) {
        *field = "owner_id";
        return SV_E_FIELD_INVALID;
    }
    return SV_OK;
}

enum sv_err
sv_group_create(struct sv_db *db, const char *tenant_id,
                const struct sv_group_input *in, const struct sv_actor *actor,
                struct sv_group_view *out, const char **field)
{
    struct change_ctx x = {tenant_id, NULL, in, actor, out, field, {0}};
    enum sv_err rc;

    *field = NULL;
    if (in->name == NULL) {
        *field = "name";
        return SV_E_FIELD_MISSING;
    }
    if ((rc = check_input(in, field)) != SV_OK)
        return rc;
    return sv_db_run_tenant_tx(db, "group_create", tenant_id, create_tx, &x);
}

static enum sv_err
update_tx(struct sv_dbc *c, void *cls)
{
    struct change_ctx *x = cls;
    const struct sv_group_input *in = x->in;
    char key[SV_GROUP_NAME_BYTES + 1];
    struct sv_group *g = &x->out->g, before;
    bool privileged;
    json_t *fields;
    enum sv_err rc;
    enum sv_qs qs;

    *x->field = NULL;
    memset(x->out, 0, sizeof *x->out);
    rc = find_for_change(c, x->tenant_id, x->id, x->actor, false, g,
                         &privileged, &x->denied);
    if (rc != SV_OK)
        return rc;
    before = *g;
    if (in->name != NULL)
        snprintf(g->name, sizeof g->name, "%s", in->name);
    name_key(g->name, key);
    if ((qs = group_store_name_taken(c, x->tenant_id, key, g->id)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *x->field = "name";
        return SV_E_EXISTS;
    }
    if (in->description != NULL)
        snprintf(g->description, sizeof g->description, "%s", in->description);
    if (in->set_owner) {
        if ((rc = check_owner(c, x->tenant_id, in->owner_id, x->field)) !=
            SV_OK)
            return rc;
        snprintf(g->owner_id, sizeof g->owner_id, "%s",
                 in->owner_id != NULL ? in->owner_id : "");
    }
    fields = json_array();
#define DIFF(f)                                                                \
    if (strcmp(before.f, g->f) != 0)                                           \
        json_array_append_new(fields, json_string(#f));
    DIFF(name)
    DIFF(description)
    DIFF(owner_id)
#undef DIFF
    if (json_array_size(fields) == 0) {
        json_decref(fields); /* nothing changed: no event */
        return fill_view(c, x->tenant_id, x->actor->account_id, x->out);
    }
    g->updated_at = sv_now_ms();
    qs = group_store_update(c, x->tenant_id, g, key);
    if (qs != SV_QS_ONE) {
        json_decref(fields);
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    }
    rc = audit_json(c, x->tenant_id, x->actor, SV_AUDIT_GROUP_UPDATE, g->id,
                    json_pack("{s:o, s:o}", "fields", fields, "owner_id",
                              sv_json_str_or_null(g->owner_id)));
    return rc != SV_OK
               ? rc
               : fill_view(c, x->tenant_id, x->actor->account_id, x->out);
}

enum sv_err
sv_group_update(struct sv_db *db, const char *tenant_id, const char *id,
                const struct sv_group_input *in, const struct sv_actor *actor,
                struct sv_group_view *out, const char **field)
{
    struct change_ctx x = {tenant_id, id, in, actor, out, field, {0}};
    enum sv_err rc;

    *field = NULL;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    if ((rc = check_input(in, field)) != SV_OK)
        return rc;
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "group_update", tenant_id, update_tx, &x),
        &x.denied);
}

/* ---- delete ---- */

struct delete_ctx {
    const char *tenant_id, *id;
    const struct sv_actor *actor;
    struct sv_access_denial denied;
};

static enum sv_err
delete_tx(struct sv_dbc *c, void *cls)
{
    struct delete_ctx *x = cls;
    struct sv_group g;
    bool privileged;
    enum sv_err rc;
    enum sv_qs qs;

    rc = find_for_change(c, x->tenant_id, x->id, x->actor, true, &g,
                         &privileged, &x->denied);
    if (rc != SV_OK)
        return rc;
    if ((qs = group_store_used(c, x->tenant_id, x->id)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE)
        return SV_E_CONFLICT; /* revoke its roles, or un-name it, first */
    if ((qs = group_store_delete(c, x->tenant_id, x->id)) != SV_QS_ONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    rc = audit_json(c, x->tenant_id, x->actor, SV_AUDIT_GROUP_DELETE, x->id,
                    json_pack("{s:s}", "name", g.name));
    if (rc == SV_OK && privileged)
        rc = audit_json(
            c, x->tenant_id, x->actor, SV_AUDIT_ACCESS_REVOKE, x->id,
            json_pack("{s:s, s:s}", "via", "group_delete", "name", g.name));
    return rc;
}

enum sv_err
sv_group_delete(struct sv_db *db, const char *tenant_id, const char *id,
                const struct sv_actor *actor)
{
    struct delete_ctx x = {tenant_id, id, actor, {0}};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "group_delete", tenant_id, delete_tx, &x),
        &x.denied);
}

/* ---- get, list ---- */

struct get_ctx {
    const char *tenant_id, *id, *viewer;
    struct sv_group_view *out;
};

static enum sv_err
get_ro(struct sv_dbc *c, void *cls)
{
    struct get_ctx *x = cls;
    enum sv_err rc;

    memset(x->out, 0, sizeof *x->out);
    rc = sv_qs_found(group_store_find(c, x->tenant_id, x->id, &x->out->g));
    return rc != SV_OK ? rc : fill_view(c, x->tenant_id, x->viewer, x->out);
}

enum sv_err
sv_group_get(struct sv_db *db, const char *tenant_id, const char *id,
             const char *viewer, struct sv_group_view *out)
{
    struct get_ctx x = {tenant_id, id, viewer, out};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_ro(db, tenant_id, get_ro, &x);
}

struct list_args {
    const char *tenant_id;
    const struct sv_group_query *q;
    void (*start)(void *);
    sv_group_row_fn row;
    void *cls;
    bool *more;
};

static enum sv_err
list_ro(struct sv_dbc *c, void *cls)
{
    struct list_args *a = cls;
    struct sv_veil v;
    enum sv_err rc;

    if (a->start != NULL)
        a->start(a->cls);
    rc = sv_access_veil_of_tx(c, a->tenant_id, a->q->viewer, &v);
    return rc != SV_OK ? rc
                       : sv_qs_ok(group_store_page(c, a->tenant_id, a->q,
                                                   sv_veil_param(&v), a->row,
                                                   a->cls, a->more));
}

enum sv_err
sv_group_list(struct sv_db *db, const char *tenant_id,
              const struct sv_group_query *q, void (*start)(void *),
              sv_group_row_fn row, void *cls, bool *more)
{
    struct list_args a = {tenant_id, q, start, row, cls, more};

    *more = false;
    if (q->limit < 1 || q->limit > 200)
        return SV_E_FIELD_INVALID;
    return sv_db_run_tenant_ro(db, tenant_id, list_ro, &a);
}

/* ---- members ---- */

struct member_ctx {
    const char *tenant_id, *id;
    enum sv_member_kind kind;
    const char *member_id;
    bool subtree;
    const struct sv_actor *actor;
    const char **field;
    struct sv_access_denial denied;
};

/* The member exists; a group member makes no cycle and no nesting too
 * deep. */
static enum sv_err
check_member(struct sv_dbc *c, struct member_ctx *x)
{
    char name[SV_GROUP_NAME_BYTES + 1];
    struct sv_group inner;
    int64_t up = 0, down = 0;
    enum sv_qs qs;

    switch (x->kind) {
    case SV_MEMBER_EMPLOYEE:
        qs = group_store_employee(c, x->tenant_id, x->member_id, name,
                                  sizeof name, true);
        break;
    case SV_MEMBER_DEPARTMENT:
        qs = group_store_department(c, x->tenant_id, x->member_id);
        break;
    case SV_MEMBER_GROUP:
        qs = group_store_find(c, x->tenant_id, x->member_id, &inner);
        break;
    default:
        return SV_E_INTERNAL;
    }
    /* DIR-3: one the actor may not see is not found either. */
    if (qs == SV_QS_ONE && x->kind != SV_MEMBER_GROUP) {
        struct sv_veil *v = malloc(sizeof *v);
        enum sv_err rc =
            v != NULL
                ? sv_access_veil_of_tx(c, x->tenant_id, x->actor->account_id, v)
                : SV_E_INTERNAL;
        qs = rc != SV_OK ? SV_QS_HARD
                         : group_store_seen(c, x->tenant_id,
                                            x->kind == SV_MEMBER_DEPARTMENT,
                                            x->member_id, sv_veil_param(v));
        free(v);
        if (rc != SV_OK)
            return rc;
    }
    if (qs == SV_QS_NONE)
        *x->field = "id";
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    if (x->kind != SV_MEMBER_GROUP)
        return SV_OK;
    /* The group itself, or one it is inside: a cycle. */
    if ((qs = group_store_contains(c, x->tenant_id, x->member_id, x->id)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *x->field = "id";
        return SV_E_CONFLICT;
    }
    /* Levels above the group, the member's levels below, and the step. */
    if ((qs = group_store_depth(c, x->tenant_id, x->id, &up, &down)) < 0)
        return sv_qs_err(qs);
    {
        int64_t up2 = 0, below = 0;
        if ((qs = group_store_depth(c, x->tenant_id, x->member_id, &up2,
                                    &below)) < 0)
            return sv_qs_err(qs);
        if (up + 1 + below + 1 > SV_GROUP_NESTING_MAX) {
            *x->field = "id";
            return SV_E_CONFLICT;
        }
    }
    return SV_OK;
}

static enum sv_err
add_tx(struct sv_dbc *c, void *cls)
{
    struct member_ctx *x = cls;
    struct sv_group g;
    bool privileged;
    int64_t count = 0;
    enum sv_err rc;
    enum sv_qs qs;

    *x->field = NULL;
    rc = find_for_change(c, x->tenant_id, x->id, x->actor, true, &g,
                         &privileged, &x->denied);
    if (rc == SV_OK)
        rc = check_member(c, x);
    if (rc != SV_OK)
        return rc;
    if ((qs = group_store_member_count(c, x->tenant_id, x->id, &count)) < 0)
        return sv_qs_err(qs);
    if (count >= SV_GROUP_MEMBERS_MAX) {
        *x->field = "id";
        return SV_E_CONFLICT;
    }
    qs = group_store_member_add(c, x->tenant_id, x->id,
                                sv_member_kind_name(x->kind), x->member_id,
                                x->subtree, sv_now_ms());
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_NONE) {
        *x->field = "id";
        return SV_E_EXISTS;
    }
    return audit_member(c, x->tenant_id, x->actor, true, privileged, x->id,
                        x->kind, x->member_id);
}

enum sv_err
sv_group_member_add(struct sv_db *db, const char *tenant_id, const char *id,
                    enum sv_member_kind kind, const char *member_id,
                    bool subtree, const struct sv_actor *actor,
                    const char **field)
{
    struct member_ctx x = {tenant_id, id,    kind,  member_id,
                           subtree,   actor, field, {0}};

    *field = NULL;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    if (!sv_check_uuid(member_id)) {
        *field = "id";
        return SV_E_FIELD_INVALID;
    }
    if (subtree && kind != SV_MEMBER_DEPARTMENT) {
        *field = "subtree";
        return SV_E_FIELD_INVALID;
    }
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "group_member_add", tenant_id, add_tx, &x),
        &x.denied);
}

static enum sv_err
remove_tx(struct sv_dbc *c, void *cls)
{
    struct member_ctx *x = cls;
    struct sv_group g;
    bool privileged;
    enum sv_err rc;
    enum sv_qs qs;

    rc = find_for_change(c, x->tenant_id, x->id, x->actor, true, &g,
                         &privileged, &x->denied);
    if (rc != SV_OK)
        return rc;
    qs =
        group_store_member_find(c, x->tenant_id, x->id, x->member_id, &x->kind);
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    qs = group_store_member_remove(c, x->tenant_id, x->id, x->member_id);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    return audit_member(c, x->tenant_id, x->actor, false, privileged, x->id,
                        x->kind, x->member_id);
}

enum sv_err
sv_group_member_remove(struct sv_db *db, const char *tenant_id, const char *id,
                       const char *member_id, const struct sv_actor *actor)
{
    const char *field = NULL;
    struct member_ctx x = {tenant_id, id,    SV_MEMBER_EMPLOYEE,
                           member_id, false, actor,
                           &field,    {0}};

    if (!sv_check_uuid(id) || !sv_check_uuid(member_id))
        return SV_E_NOT_FOUND;
    return sv_access_denied_after(db, tenant_id, actor,
                                  sv_db_run_tenant_tx(db, "group_member_remove",
                                                      tenant_id, remove_tx, &x),
                                  &x.denied);
}

/* ---- listings of members, as a viewer sees them ---- */

struct members_args {
    const char *tenant_id, *id, *viewer, *after_key, *after_id;
    int limit;
    void (*start)(void *);
    sv_group_member_row_fn mrow;
    sv_group_person_row_fn prow;
    void *cls;
    bool *more;
};

static enum sv_err
members_ro(struct sv_dbc *c, void *cls)
{
    struct members_args *a = cls;
    struct sv_veil *v = malloc(sizeof *v);
    struct sv_group g;
    enum sv_err rc = v != NULL ? SV_OK : SV_E_INTERNAL;

    if (a->start != NULL)
        a->start(a->cls);
    if (rc == SV_OK)
        rc = sv_qs_found(group_store_find(c, a->tenant_id, a->id, &g));
    if (rc == SV_OK)
        rc = sv_access_veil_of_tx(c, a->tenant_id, a->viewer, v);
    if (rc == SV_OK)
        rc = sv_qs_ok(
            a->mrow != NULL
                ? group_store_members(c, a->tenant_id, a->id, sv_veil_param(v),
                                      a->after_id, a->limit, a->mrow, a->cls,
                                      a->more)
                : group_store_expand(c, a->tenant_id, a->id, sv_veil_param(v),
                                     a->after_key, a->after_id, a->limit,
                                     a->prow, a->cls, a->more));
    free(v);
    return rc;
}

enum sv_err
sv_group_members(struct sv_db *db, const char *tenant_id, const char *id,
                 const char *viewer, const char *after_id, int limit,
                 void (*start)(void *), sv_group_member_row_fn row, void *cls,
                 bool *more)
{
    struct members_args a = {tenant_id, id,  viewer, NULL, after_id, limit,
                             start,     row, NULL,   cls,  more};

    *more = false;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_ro(db, tenant_id, members_ro, &a);
}

enum sv_err
sv_group_expand(struct sv_db *db, const char *tenant_id, const char *id,
                const char *viewer, const char *after_key, const char *after_id,
                int limit, void (*start)(void *), sv_group_person_row_fn row,
                void *cls, bool *more)
{
    struct members_args a = {tenant_id, id,    viewer, after_key,
                             after_id,  limit, start,  NULL,
                             row,       cls,   more};

    *more = false;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_db_run_tenant_ro(db, tenant_id, members_ro, &a);
}

/* ---- several changes in one transaction ---- */

struct apply_ctx {
    const char *tenant_id, *id;
    const struct sv_group_change *chg;
    const struct sv_actor *actor;
    struct sv_group_view *out;
    const char **field;
    struct sv_access_denial denied;
};

/* The employee and group members of group @p id, collected. */
struct member_ids {
    size_t n;
    char (*ids)[37];
    bool oom;
};

static void
member_id_row(void *cls, const struct sv_group_member_view *m)
{
    struct member_ids *l = cls;
    void *p;

    if (m->kind == SV_MEMBER_DEPARTMENT)
        return;
    p = realloc(l->ids, (l->n + 1) * sizeof *l->ids);
    if (p == NULL) {
        l->oom = true;
        return;
    }
    l->ids = p;
    snprintf(l->ids[l->n++], 37, "%s", m->id);
}

static bool
op_adds(const struct sv_group_change *chg, const char *id)
{
    for (size_t i = 0; i < chg->n_ops; i++)
        if (chg->ops[i].add && strcmp(chg->ops[i].id, id) == 0)
            return true;
    return false;
}

/* One member change, as its own call would make it. */
static enum sv_err
apply_member(struct sv_dbc *c, struct apply_ctx *x, const char *group_id,
             bool add, enum sv_member_kind kind, const char *member_id)
{
    struct member_ctx m = {x->tenant_id, group_id, kind,     member_id,
                           false,        x->actor, x->field, {0}};
    enum sv_err rc;

    if (!sv_check_uuid(member_id)) {
        *x->field = "id";
        return add ? SV_E_FIELD_INVALID : SV_E_NOT_FOUND;
    }
    rc = add ? add_tx(c, &m) : remove_tx(c, &m);
    if (rc == SV_E_NOT_FOUND && !add)
        *x->field = "id";
    if (rc == SV_E_FORBIDDEN)
        x->denied = m.denied;
    return rc;
}

static enum sv_err
apply_tx(struct sv_dbc *c, void *cls)
{
    struct apply_ctx *x = cls;
    const struct sv_group_change *chg = x->chg;
    struct sv_group_input none = {0};
    struct change_ctx cx = {x->tenant_id, x->id,  chg->in ? chg->in : &none,
                            x->actor,     x->out, x->field,
                            {0}};
    char id[37];
    enum sv_err rc;

    rc =
        x->id == NULL ? create_tx(c, &cx)
        : chg->in != NULL
            ? update_tx(c, &cx)
            : sv_qs_found(group_store_find(c, x->tenant_id, x->id, &x->out->g));
    if (rc == SV_E_FORBIDDEN)
        x->denied = cx.denied;
    if (rc != SV_OK)
        return rc;
    snprintf(id, sizeof id, "%s", x->out->g.id);
    if (chg->replace_members) {
        struct member_ids cur = {0};
        bool more = false;
        enum sv_qs qs = group_store_members(c, x->tenant_id, id, NULL, "",
                                            SV_GROUP_MEMBERS_MAX, member_id_row,
                                            &cur, &more);
        rc = qs < 0 ? sv_qs_err(qs) : cur.oom ? SV_E_INTERNAL : SV_OK;
        for (size_t i = 0; rc == SV_OK && i < cur.n; i++)
            if (!op_adds(chg, cur.ids[i]))
                rc = apply_member(c, x, id, false, SV_MEMBER_EMPLOYEE,
                                  cur.ids[i]);
        for (size_t i = 0; rc == SV_OK && i < chg->n_ops; i++) {
            bool present = false;
            for (size_t k = 0; k < cur.n; k++)
                present = present || strcmp(cur.ids[k], chg->ops[i].id) == 0;
            if (chg->ops[i].add && !present)
                rc = apply_member(c, x, id, true, chg->ops[i].kind,
                                  chg->ops[i].id);
        }
        free(cur.ids);
    } else {
        for (size_t i = 0; rc == SV_OK && i < chg->n_ops; i++)
            rc = apply_member(c, x, id, chg->ops[i].add, chg->ops[i].kind,
                              chg->ops[i].id);
    }
    if (rc == SV_OK && chg->also != NULL)
        rc = chg->also(c, x->tenant_id, id, chg->also_cls, x->field);
    if (rc == SV_OK &&
        (chg->n_ops > 0 || chg->replace_members || chg->also != NULL)) {
        rc = sv_qs_found(group_store_find(c, x->tenant_id, id, &x->out->g));
        if (rc == SV_OK)
            rc = fill_view(c, x->tenant_id, x->actor->account_id, x->out);
    }
    return rc;
}

enum sv_err
sv_group_apply(struct sv_db *db, const char *tenant_id, const char *id,
               const struct sv_group_change *chg, const struct sv_actor *actor,
               struct sv_group_view *out, const char **field)
{
    struct apply_ctx x = {tenant_id, id, chg, actor, out, field, {0}};
    enum sv_err rc;

    *field = NULL;
    if (id != NULL && !sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    if (id == NULL && (chg->in == NULL || chg->in->name == NULL)) {
        *field = "name";
        return SV_E_FIELD_MISSING;
    }
    if (chg->in != NULL && (rc = check_input(chg->in, field)) != SV_OK)
        return rc;
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "group_apply", tenant_id, apply_tx, &x),
        &x.denied);
}

/* ---- offboarding ---- */

/* Groups of one account, collected before they change. */
struct id_list {
    size_t n, cap;
    char (*ids)[37];
    bool oom;
};

static void
collect(void *cls, const char *id, const char *name)
{
    struct id_list *l = cls;
    (void)name;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        void *p = realloc(l->ids, cap * sizeof *l->ids);
        if (p == NULL) {
            l->oom = true;
            return;
        }
        l->ids = p;
        l->cap = cap;
    }
    snprintf(l->ids[l->n++], 37, "%s", id);
}

enum sv_err
sv_group_forget_tx(struct sv_dbc *c, const char *tenant_id,
                   enum sv_member_kind kind, const char *id,
                   const struct sv_actor *actor, size_t *n)
{
    struct id_list in = {0};
    enum sv_qs qs = group_store_memberships(
        c, tenant_id, sv_member_kind_name(kind), id, collect, &in);
    enum sv_err rc = qs < 0 ? sv_qs_err(qs) : in.oom ? SV_E_INTERNAL : SV_OK;

    for (size_t i = 0; rc == SV_OK && i < in.n; i++) {
        bool privileged =
            group_store_privileged(c, tenant_id, in.ids[i]) == SV_QS_ONE;
        qs = group_store_member_remove(c, tenant_id, in.ids[i], id);
        rc = qs < 0 ? sv_qs_err(qs)
                    : audit_member(c, tenant_id, actor, false, privileged,
                                   in.ids[i], kind, id);
    }
    if (n != NULL)
        *n = in.n;
    free(in.ids);
    return rc;
}

enum sv_err
sv_group_offboard_tx(struct sv_dbc *c, const char *tenant_id,
                     const char *account_id, const char *successor_id,
                     const struct sv_actor *actor, json_t *report)
{
    struct id_list owned = {0};
    size_t left = 0;
    enum sv_err rc = sv_group_forget_tx(c, tenant_id, SV_MEMBER_EMPLOYEE,
                                        account_id, actor, &left);
    enum sv_qs qs;

    if (rc == SV_OK) {
        qs = group_store_owned(c, tenant_id, account_id, collect, &owned);
        rc = qs < 0 ? sv_qs_err(qs) : owned.oom ? SV_E_INTERNAL : SV_OK;
    }
    if (rc == SV_OK && owned.n > 0) {
        qs = group_store_pass_owned(c, tenant_id, account_id, successor_id,
                                    sv_now_ms());
        if (qs < 0)
            rc = sv_qs_err(qs);
    }
    for (size_t i = 0; rc == SV_OK && i < owned.n; i++)
        rc = audit_json(
            c, tenant_id, actor, SV_AUDIT_GROUP_UPDATE, owned.ids[i],
            json_pack("{s:[s], s:s, s:s}", "fields", "owner_id", "owner_id",
                      successor_id, "via", "offboarding"));
    if (rc == SV_OK && report != NULL) {
        json_object_set_new(report, "left", json_integer((json_int_t)left));
        json_object_set_new(report, "passed_on",
                            json_integer((json_int_t)owned.n));
    }
    free(owned.ids);
    return rc;
}

/* Departments as a tree: see department.h. */
#include "directory/department.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "audit/audit.h"
#include "core/util.h"
#include "db/db.h"
#include "directory/department_store.h"
#include "directory/employee.h"
#include "directory/group.h"

_Static_assert(SV_ACCESS_DEPTH_MAX == SV_DEPARTMENT_DEPTH_MAX,
               "an access place holds every level of the tree");

bool
sv_check_department_name(const char *s, size_t len)
{
    size_t chars;

    if (len > SV_DEPARTMENT_NAME_BYTES || !sv_utf8_valid(s, len))
        return false;
    chars = sv_utf8_len(s, len);
    if (chars < 1 || chars > SV_DEPARTMENT_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f)
            return false;
        /* C1 controls U+0080..U+009F: C2 80..C2 9F in UTF-8 */
        if (ch == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] <= 0x9f)
            return false;
    }
    return true;
}

void
sv_department_name_key(const char *name, char *out)
{
    sv_ascii_lower(name, out);
}

/* ---- inside a transaction ---- */

enum sv_err
sv_department_find_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                      struct sv_department *out)
{
    return sv_qs_found(department_store_find(c, tenant_id, id, out));
}

enum sv_err
sv_department_insert_imported_tx(struct sv_dbc *c, const char *tenant_id,
                                 const struct sv_department *d)
{
    char key[SV_DEPARTMENT_NAME_BYTES + 1];
    enum sv_qs qs;

    if (SV_NEVER(strlen(d->name) > SV_DEPARTMENT_NAME_BYTES))
        return SV_E_INTERNAL;
    sv_department_name_key(d->name, key);
    qs = department_store_insert(c, tenant_id, d, key);
    return qs == SV_QS_ONE ? SV_OK
                           : sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
}

enum sv_err
sv_department_each_tx(struct sv_dbc *c, const char *tenant_id,
                      sv_department_each_fn fn, void *cls)
{
    return sv_qs_ok(department_store_each(c, tenant_id, fn, cls));
}

enum sv_err
sv_department_within_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                        const char *ancestor_id, bool *out)
{
    enum sv_qs qs = department_store_within(c, tenant_id, id, ancestor_id);

    *out = qs == SV_QS_ONE;
    return sv_qs_ok(qs);
}

enum sv_err
sv_department_by_path_tx(struct sv_dbc *c, const char *tenant_id,
                         const char *path, char out[37])
{
    char name[SV_DEPARTMENT_NAME_BYTES + 1], key[SV_DEPARTMENT_NAME_BYTES + 1];
    char parent[37] = "", child[37];
    const char *p = path;
    int depth = 0;

    out[0] = '\0';
    for (;;) {
        /* One name: up to a plain '/'; a backslash makes the next
         * character plain (the import's paths, docs/import.md). */
        size_t n = 0;
        const char *slash = NULL;
        enum sv_qs qs;

        for (; *p != '\0'; p++) {
            if (*p == '/') {
                slash = p;
                break;
            }
            if (*p == '\\' && p[1] != '\0')
                p++;
            if (n == SV_DEPARTMENT_NAME_BYTES)
                return SV_E_FIELD_INVALID;
            name[n++] = *p;
        }
        name[n] = '\0';
        if (++depth > SV_DEPARTMENT_DEPTH_MAX ||
            !sv_check_department_name(name, n))
            return SV_E_FIELD_INVALID;
        sv_department_name_key(name, key);
        qs = department_store_child(c, tenant_id, parent, key, child);
        if (qs != SV_QS_ONE)
            return sv_qs_found(qs);
        memcpy(parent, child, sizeof parent);
        if (slash == NULL)
            break;
        p = slash + 1;
    }
    snprintf(out, 37, "%s", parent);
    return SV_OK;
}

size_t
sv_department_path_text(const struct sv_department_path *path, const char *name,
                        char *out, size_t cap)
{
    size_t at = 0;

    for (size_t i = 0; i <= path->n; i++) {
        const char *s = i < path->n ? path->at[i].name : name;
        if (i > 0 && at + 1 < cap)
            out[at++] = '/';
        for (; *s != '\0'; s++) {
            if ((*s == '/' || *s == '\\' || *s == ';') && at + 1 < cap)
                out[at++] = '\\';
            if (at + 1 < cap)
                out[at++] = *s;
        }
    }
    if (cap > 0)
        out[at] = '\0';
    return at;
}

enum sv_err
sv_department_lock_tx(struct sv_dbc *c, const char *tenant_id)
{
    return sv_qs_ok(department_store_lock(c, tenant_id));
}

enum sv_err
sv_department_place_tx(struct sv_dbc *c, const char *tenant_id, const char *id,
                       struct sv_department_place *out)
{
    out->place.n = 0;
    out->place.ng = 0;
    if (id == NULL)
        return SV_OK;
    return sv_qs_ok(department_store_place(c, tenant_id, id, out));
}

enum sv_err
sv_department_require_tx(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_actor *actor, enum sv_perm p,
                         const char *id, struct sv_access_denial *denied)
{
    struct sv_department_place pl;
    enum sv_err rc = sv_department_place_tx(c, tenant_id, id, &pl);

    if (rc != SV_OK)
        return rc;
    return sv_access_require_tx(c, tenant_id, actor, p, &pl.place,
                                id != NULL ? "department" : "tenant", id,
                                denied);
}

static enum sv_err check_seen(struct sv_dbc *c, const char *tenant_id,
                              const char *viewer, const char *id,
                              struct sv_veil *veil);

/* directory.manage over department @p id (NULL: the tenant). A department
 * hidden from the actor is not found (DIR-3), never forbidden. */
static enum sv_err
require_manage(struct sv_dbc *c, const char *tenant_id,
               const struct sv_actor *actor, const char *id,
               struct sv_access_denial *denied)
{
    struct sv_veil *v = malloc(sizeof *v);
    enum sv_err rc = v != NULL ? SV_OK : SV_E_INTERNAL;

    if (rc == SV_OK && id != NULL && actor != NULL && actor->account_id != NULL)
        rc = check_seen(c, tenant_id, actor->account_id, id, v);
    free(v);
    if (rc != SV_OK)
        return rc;
    return sv_department_require_tx(c, tenant_id, actor,
                                    SV_PERM_DIRECTORY_MANAGE, id, denied);
}

/* The details of an event: a JSON object of the string pairs given (NULL
 * values as null), ending with a NULL key. Caller frees. */
static char *
details_new(const char *key, ...)
{
    json_t *d = json_object();
    va_list ap;
    char *text;

    va_start(ap, key);
    for (const char *k = key; k != NULL; k = va_arg(ap, const char *)) {
        const char *v = va_arg(ap, const char *);
        json_object_set_new(d, k, v != NULL ? json_string(v) : json_null());
    }
    va_end(ap);
    text = json_dumps(d, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(d);
    return text;
}

static enum sv_err
audit_with(struct sv_dbc *c, const char *tenant_id,
           const struct sv_actor *actor, enum sv_audit_action action,
           const char *id, char *details)
{
    enum sv_err rc;

    if (details == NULL)
        return SV_E_INTERNAL;
    rc = sv_audit_by(c, tenant_id, actor, action, "department", id, "success",
                     NULL, details);
    free(details);
    return rc;
}

/* The name @p key may be @p id's under @p parent_id ("" the roots). */
static enum sv_err
check_sibling_free(struct sv_dbc *c, const char *tenant_id,
                   const char *parent_id, const char *key, const char *id,
                   const char **field)
{
    enum sv_qs qs =
        department_store_sibling_taken(c, tenant_id, parent_id, key, id);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        *field = "name";
        return SV_E_EXISTS;
    }
    return SV_OK;
}

/* A subtree @p height levels below its top fits under @p parent_id. */
static enum sv_err
check_depth(struct sv_dbc *c, const char *tenant_id, const char *parent_id,
            int64_t height, const char **field)
{
    int64_t level = 0;
    enum sv_qs qs = department_store_level(c, tenant_id, parent_id, &level);

    if (qs < 0)
        return sv_qs_err(qs);
    if (level + 1 + height > SV_DEPARTMENT_DEPTH_MAX) {
        *field = "parent_id";
        return SV_E_CONFLICT;
    }
    return SV_OK;
}

/* The ancestors of @p id into @p path, unless NULL. */
static enum sv_err
read_path(struct sv_dbc *c, const char *tenant_id, const char *id,
          struct sv_department_path *path)
{
    if (path == NULL)
        return SV_OK;
    return sv_qs_ok(department_store_ancestors(c, tenant_id, id, path));
}

/* ---- create ---- */

struct create_ctx {
    const char *tenant_id, *name, *parent_id;
    const struct sv_actor *actor;
    struct sv_department *out;
    struct sv_department_path *path;
    const char **field;
    struct sv_access_denial denied;
};

static enum sv_err
create_tx(struct sv_dbc *c, void *cls)
{
    struct create_ctx *x = cls;
    char key[SV_DEPARTMENT_NAME_BYTES + 1];
    struct sv_department parent;
    enum sv_err rc;
    enum sv_qs qs;

    *x->field = NULL;
    qs = department_store_lock(c, x->tenant_id);
    if (qs < 0)
        return sv_qs_err(qs);
    if (x->parent_id != NULL) {
        rc = sv_department_find_tx(c, x->tenant_id, x->parent_id, &parent);
        if (rc == SV_E_NOT_FOUND)
            *x->field = "parent_id";
        if (rc == SV_OK)
            rc = check_depth(c, x->tenant_id, x->parent_id, 0, x->field);
        if (rc != SV_OK)
            return rc;
    }
    rc = require_manage(c, x->tenant_id, x->actor, x->parent_id, &x->denied);
    if (rc != SV_OK)
        return rc;
    sv_department_name_key(x->name, key);
    rc = check_sibling_free(c, x->tenant_id,
                            x->parent_id != NULL ? x->parent_id : "", key, "",
                            x->field);
    if (rc != SV_OK)
        return rc;
    memset(x->out, 0, sizeof *x->out);
    sv_uuid7(x->out->id);
    snprintf(x->out->parent_id, sizeof x->out->parent_id, "%s",
             x->parent_id != NULL ? x->parent_id : "");
    snprintf(x->out->name, sizeof x->out->name, "%s", x->name);
    x->out->created_at = x->out->updated_at = sv_now_ms();
    qs = department_store_insert(c, x->tenant_id, x->out, key);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
    rc = audit_with(
        c, x->tenant_id, x->actor, SV_AUDIT_DEPARTMENT_CREATE, x->out->id,
        details_new("name", x->name, "parent_id", x->parent_id, NULL));
    return rc != SV_OK ? rc : read_path(c, x->tenant_id, x->out->id, x->path);
}

enum sv_err
sv_department_create(struct sv_db *db, const char *tenant_id, const char *name,
                     const char *parent_id, const struct sv_actor *actor,
                     struct sv_department *out, struct sv_department_path *path,
                     const char **field)
{
    struct create_ctx x = {tenant_id, name, parent_id, actor,
                           out,       path, field,     {0}};

    *field = NULL;
    if (!sv_check_department_name(name, strlen(name))) {
        *field = "name";
        return SV_E_FIELD_INVALID;
    }
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "department_create", tenant_id, create_tx, &x),
        &x.denied);
}

/* ---- rename, move ---- */

struct update_ctx {
    const char *tenant_id, *id;
    const struct sv_department_change *chg;
    const struct sv_actor *actor;
    struct sv_department *out;
    struct sv_department_path *path;
    const char **field;
    struct sv_access_denial denied;
};

/* The move's rules: the new parent exists, is not in the subtree, and the
 * subtree fits under it. */
static enum sv_err
check_move(struct sv_dbc *c, const struct update_ctx *x)
{
    const char *to = x->chg->parent_id;
    struct sv_department parent;
    int64_t height = 0;
    bool inside = false;
    enum sv_err rc;
    enum sv_qs qs;

    if (to == NULL)
        return SV_OK; /* to the roots: no cycle, no depth */
    rc = sv_department_find_tx(c, x->tenant_id, to, &parent);
    if (rc == SV_E_NOT_FOUND)
        *x->field = "parent_id";
    if (rc != SV_OK)
        return rc;
    /* Itself or inside its subtree: the closure answers in one look-up. */
    rc = sv_department_within_tx(c, x->tenant_id, to, x->id, &inside);
    if (rc != SV_OK)
        return rc;
    if (inside) {
        *x->field = "parent_id";
        return SV_E_CONFLICT;
    }
    qs = department_store_height(c, x->tenant_id, x->id, &height);
    if (qs < 0)
        return sv_qs_err(qs);
    return check_depth(c, x->tenant_id, to, height, x->field);
}

static enum sv_err
update_tx(struct sv_dbc *c, void *cls)
{
    struct update_ctx *x = cls;
    const struct sv_department_change *chg = x->chg;
    char key[SV_DEPARTMENT_NAME_BYTES + 1];
    char old_name[SV_DEPARTMENT_NAME_BYTES + 1], old_parent[37];
    const char *name, *to;
    bool renamed, moved;
    int64_t now = sv_now_ms();
    enum sv_err rc;
    enum sv_qs qs;

    *x->field = NULL;
    qs = department_store_lock(c, x->tenant_id);
    if (qs < 0)
        return sv_qs_err(qs);
    rc = sv_department_find_tx(c, x->tenant_id, x->id, x->out);
    if (rc == SV_OK)
        rc = require_manage(c, x->tenant_id, x->actor, x->id, &x->denied);
    if (rc != SV_OK)
        return rc;
    snprintf(old_name, sizeof old_name, "%s", x->out->name);
    snprintf(old_parent, sizeof old_parent, "%s", x->out->parent_id);
    name = chg->name != NULL ? chg->name : old_name;
    to = chg->move ? sv_or_null(chg->parent_id) : sv_or_null(old_parent);
    renamed = strcmp(name, old_name) != 0;
    moved = strcmp(to != NULL ? to : "", old_parent) != 0;
    if (!renamed && !moved) /* nothing changes: no event */
        return read_path(c, x->tenant_id, x->id, x->path);
    if (moved && (rc = check_move(c, x)) != SV_OK)
        return rc;
    /* Out of a subtree and into another: both ends must be the actor's. */
    if (moved && (rc = require_manage(c, x->tenant_id, x->actor, to,
                                      &x->denied)) != SV_OK)
        return rc;
    sv_department_name_key(name, key);
    rc = check_sibling_free(c, x->tenant_id, to != NULL ? to : "", key, x->id,
                            x->field);
    if (rc != SV_OK)
        return rc;
    if (renamed) {
        qs = department_store_rename(c, x->tenant_id, x->id, name, key, now);
        if (qs != SV_QS_ONE)
            return sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
        rc = audit_with(c, x->tenant_id, x->actor, SV_AUDIT_DEPARTMENT_RENAME,
                        x->id,
                        details_new("name", name, "old_name", old_name, NULL));
        if (rc != SV_OK)
            return rc;
    }
    if (moved) {
        qs = department_store_move(c, x->tenant_id, x->id, to, now);
        if (qs != SV_QS_ONE)
            return sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
        rc = audit_with(
            c, x->tenant_id, x->actor, SV_AUDIT_DEPARTMENT_MOVE, x->id,
            details_new("name", name, "parent_id", to, "old_parent_id",
                        sv_or_null(old_parent), NULL));
        if (rc != SV_OK)
            return rc;
    }
    snprintf(x->out->name, sizeof x->out->name, "%s", name);
    snprintf(x->out->parent_id, sizeof x->out->parent_id, "%s",
             to != NULL ? to : "");
    x->out->updated_at = now;
    return read_path(c, x->tenant_id, x->id, x->path);
}

enum sv_err
sv_department_update(struct sv_db *db, const char *tenant_id, const char *id,
                     const struct sv_department_change *chg,
                     const struct sv_actor *actor, struct sv_department *out,
                     struct sv_department_path *path, const char **field)
{
    struct update_ctx x = {tenant_id, id, chg, actor, out, path, field, {0}};

    *field = NULL;
    if (chg->name != NULL &&
        !sv_check_department_name(chg->name, strlen(chg->name))) {
        *field = "name";
        return SV_E_FIELD_INVALID;
    }
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "department_update", tenant_id, update_tx, &x),
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
    struct sv_department d;
    enum sv_err rc;
    enum sv_qs qs = department_store_lock(c, x->tenant_id);
    bool assigned = false;

    if (qs < 0)
        return sv_qs_err(qs);
    rc = sv_department_find_tx(c, x->tenant_id, x->id, &d);
    if (rc == SV_OK)
        rc = require_manage(c, x->tenant_id, x->actor, x->id, &x->denied);
    if (rc != SV_OK)
        return rc;
    qs = department_store_has_child(c, x->tenant_id, x->id);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE)
        return SV_E_CONFLICT; /* children first */
    /* Its CRM records first (moved to another department, or purged). */
    if ((qs = department_store_has_records(c, x->tenant_id, x->id)) < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE)
        return SV_E_CONFLICT;
    /* A role given over it: revoke it first (an assignment must never
     * point at nothing, nor at a department made later with its id). */
    rc = sv_access_scope_used_tx(c, x->tenant_id, x->id, &assigned);
    if (rc != SV_OK)
        return rc;
    if (assigned)
        return SV_E_CONFLICT;
    /* Its people first (moved elsewhere or offboarded). */
    rc = sv_employee_in_department_tx(c, x->tenant_id, x->id, &assigned);
    if (rc != SV_OK)
        return rc;
    if (assigned)
        return SV_E_CONFLICT;
    /* It leaves every group it is a member of (audited there), and the
     * names of who may see it go with it. */
    rc = sv_group_forget_tx(c, x->tenant_id, SV_MEMBER_DEPARTMENT, x->id,
                            x->actor, NULL);
    if (rc != SV_OK)
        return rc;
    if ((qs = department_store_viewers_clear(c, x->tenant_id, x->id)) < 0)
        return sv_qs_err(qs);
    qs = department_store_delete(c, x->tenant_id, x->id);
    if (qs != SV_QS_ONE)
        return sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
    return audit_with(c, x->tenant_id, x->actor, SV_AUDIT_DEPARTMENT_DELETE,
                      x->id,
                      details_new("name", d.name, "parent_id",
                                  sv_or_null(d.parent_id), NULL));
}

enum sv_err
sv_department_delete(struct sv_db *db, const char *tenant_id, const char *id,
                     const struct sv_actor *actor)
{
    struct delete_ctx x = {tenant_id, id, actor, {0}};
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "department_delete", tenant_id, delete_tx, &x),
        &x.denied);
}

/* ---- reads ---- */

/* DIR-3: SV_E_NOT_FOUND when department @p id is hidden from @p viewer
 * (NULL: from nobody). */
static enum sv_err
check_seen(struct sv_dbc *c, const char *tenant_id, const char *viewer,
           const char *id, struct sv_veil *veil)
{
    struct sv_department_place pl;
    enum sv_err rc;

    veil->n = 0;
    veil->list[0] = '\0';
    if (viewer == NULL)
        return SV_OK;
    rc = sv_access_veil_of_tx(c, tenant_id, viewer, veil);
    if (rc != SV_OK || veil->n == 0 || id == NULL)
        return rc;
    rc = sv_department_place_tx(c, tenant_id, id, &pl);
    if (rc == SV_OK && sv_veil_hides(veil, &pl.place))
        rc = SV_E_NOT_FOUND;
    return rc;
}

struct get_ctx {
    const char *tenant_id, *id, *viewer;
    struct sv_department *out;
    struct sv_department_path *path;
};

static enum sv_err
get_tx(struct sv_dbc *c, void *cls)
{
    struct get_ctx *x = cls;
    struct sv_veil *v = malloc(sizeof *v);
    enum sv_err rc = v != NULL ? SV_OK : SV_E_INTERNAL;

    if (rc == SV_OK)
        rc = sv_department_find_tx(c, x->tenant_id, x->id, x->out);
    if (rc == SV_OK)
        rc = check_seen(c, x->tenant_id, x->viewer, x->id, v);
    free(v);
    if (rc != SV_OK)
        return rc;
    return sv_qs_ok(
        department_store_ancestors(c, x->tenant_id, x->id, x->path));
}

enum sv_err
sv_department_get(struct sv_db *db, const char *tenant_id, const char *id,
                  const char *viewer, struct sv_department *out,
                  struct sv_department_path *path)
{
    struct get_ctx x = {tenant_id, id, viewer, out, path};
    return sv_db_run_tenant_ro(db, tenant_id, get_tx, &x);
}

/* ---- DIR-3: visibility ---- */

static void
viewer_row(void *cls, const char *kind, const char *id, const char *name)
{
    struct sv_department_visibility *v = cls;
    if (v->n == SV_DEPARTMENT_VIEWERS_MAX)
        return;
    snprintf(v->at[v->n].kind, sizeof v->at[0].kind, "%s", kind);
    snprintf(v->at[v->n].id, sizeof v->at[0].id, "%s", id);
    snprintf(v->at[v->n].name, sizeof v->at[0].name, "%s", name);
    v->n++;
}

static enum sv_err
read_visibility(struct sv_dbc *c, const char *tenant_id, const char *id,
                struct sv_department_visibility *out)
{
    enum sv_qs qs;

    memset(out, 0, sizeof *out);
    qs = department_store_hidden(c, tenant_id, id, &out->hidden);
    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    return sv_qs_ok(
        department_store_viewers(c, tenant_id, id, viewer_row, out));
}

struct vis_ctx {
    const char *tenant_id, *id;
    const struct sv_visibility_input *in; /* NULL: read */
    const struct sv_actor *actor;
    struct sv_department_visibility *out;
    const char **field;
    struct sv_access_denial denied;
};

/* A viewer a hidden department may name: a group, or a role other than
 * member (every account holds it). */
static enum sv_err
check_viewer(struct sv_dbc *c, const char *tenant_id, const char *kind,
             const char *id, const char **field)
{
    enum sv_builtin_role b;
    enum sv_qs qs;

    *field = "viewers";
    if (strcmp(kind, "role") == 0 && sv_builtin_role_parse(id, &b))
        return b == SV_BUILTIN_MEMBER ? SV_E_FIELD_INVALID : SV_OK;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    qs = strcmp(kind, "group") == 0
             ? department_store_group_exists(c, tenant_id, id)
             : department_store_role_exists(c, tenant_id, id);
    return sv_qs_found(qs);
}

static enum sv_err
visibility_tx(struct sv_dbc *c, void *cls)
{
    struct vis_ctx *x = cls;
    const struct sv_visibility_input *in = x->in;
    struct sv_department d;
    int64_t hidden = 0;
    json_t *viewers;
    enum sv_err rc;
    enum sv_qs qs;

    if (in != NULL && (rc = sv_department_lock_tx(c, x->tenant_id)) != SV_OK)
        return rc;
    if ((rc = sv_department_find_tx(c, x->tenant_id, x->id, &d)) != SV_OK)
        return rc;
    rc = require_manage(c, x->tenant_id, x->actor, x->id, &x->denied);
    if (rc != SV_OK)
        return rc;
    if (in == NULL)
        return read_visibility(c, x->tenant_id, x->id, x->out);
    for (size_t i = 0; i < in->n; i++)
        if ((rc = check_viewer(c, x->tenant_id, in->kind[i], in->id[i],
                               x->field)) != SV_OK)
            return rc;
    *x->field = NULL;
    if ((rc = read_visibility(c, x->tenant_id, x->id, x->out)) != SV_OK)
        return rc;
    if (in->hidden && !x->out->hidden) {
        if ((qs = department_store_hidden_count(c, x->tenant_id, &hidden)) < 0)
            return sv_qs_err(qs);
        if (hidden >= SV_HIDDEN_MAX) {
            *x->field = "hidden";
            return SV_E_CONFLICT;
        }
    }
    if ((qs = department_store_set_hidden(c, x->tenant_id, x->id, in->hidden,
                                          sv_now_ms())) != SV_QS_ONE ||
        (qs = department_store_viewers_clear(c, x->tenant_id, x->id)) < 0)
        return sv_qs_err(qs < 0 ? qs : SV_QS_HARD);
    viewers = json_array();
    for (size_t i = 0; i < in->n; i++) {
        qs = department_store_viewer_add(c, x->tenant_id, x->id, in->kind[i],
                                         in->id[i]);
        if (qs < 0) {
            json_decref(viewers);
            return sv_qs_err(qs);
        }
        json_array_append_new(viewers, json_pack("{s:s, s:s}", "kind",
                                                 in->kind[i], "id", in->id[i]));
    }
    json_t *det =
        json_pack("{s:b, s:o}", "hidden", in->hidden, "viewers", viewers);
    char *text = json_dumps(det, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(det);
    rc = audit_with(c, x->tenant_id, x->actor, SV_AUDIT_DEPARTMENT_VISIBILITY,
                    x->id, text);
    return rc != SV_OK ? rc : read_visibility(c, x->tenant_id, x->id, x->out);
}

enum sv_err
sv_department_visibility_get(struct sv_db *db, const char *tenant_id,
                             const char *id, const struct sv_actor *actor,
                             struct sv_department_visibility *out)
{
    const char *field = NULL;
    struct vis_ctx x = {tenant_id, id, NULL, actor, out, &field, {0}};

    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_ro(db, tenant_id, visibility_tx, &x), &x.denied);
}

enum sv_err
sv_department_visibility_set(struct sv_db *db, const char *tenant_id,
                             const char *id,
                             const struct sv_visibility_input *in,
                             const struct sv_actor *actor,
                             struct sv_department_visibility *out,
                             const char **field)
{
    struct vis_ctx x = {tenant_id, id, in, actor, out, field, {0}};

    *field = NULL;
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    if (in->n > SV_DEPARTMENT_VIEWERS_MAX) {
        *field = "viewers";
        return SV_E_FIELD_INVALID;
    }
    for (size_t i = 0; i < in->n; i++) {
        if (strcmp(in->kind[i], "group") != 0 &&
            strcmp(in->kind[i], "role") != 0) {
            *field = "viewers";
            return SV_E_FIELD_INVALID;
        }
    }
    return sv_access_denied_after(
        db, tenant_id, actor,
        sv_db_run_tenant_tx(db, "department_visibility", tenant_id,
                            visibility_tx, &x),
        &x.denied);
}

struct list_ctx {
    const char *tenant_id;
    const struct sv_department_query *q;
    const char *like;
    void (*start)(void *);
    sv_department_row_fn row;
    void *cls;
    int n;
    bool *more;
};

static void
list_row(void *cls, const struct sv_department_view *v)
{
    struct list_ctx *x = cls;
    if (x->n++ < x->q->limit) /* one more than asked: is there a next page */
        x->row(x->cls, v);
}

static enum sv_err
list_tx(struct sv_dbc *c, void *cls)
{
    struct list_ctx *x = cls;
    struct sv_department parent;
    enum sv_err rc;
    enum sv_qs qs;

    struct sv_veil *v = malloc(sizeof *v);

    x->n = 0;
    if (x->start != NULL)
        x->start(x->cls);
    rc = v != NULL ? SV_OK : SV_E_INTERNAL;
    if (rc == SV_OK && x->q->parent_id != NULL)
        rc = sv_department_find_tx(c, x->tenant_id, x->q->parent_id, &parent);
    /* DIR-3: a hidden parent is not found; hidden rows are left out. */
    if (rc == SV_OK)
        rc = check_seen(c, x->tenant_id, x->q->viewer, x->q->parent_id, v);
    if (rc != SV_OK) {
        free(v);
        return rc;
    }
    qs = department_store_page(c, x->tenant_id, x->q->parent_id, x->like,
                               x->q->after_key, x->q->after_id, x->q->limit + 1,
                               sv_veil_param(v), list_row, x);
    free(v);
    if (qs < 0)
        return sv_qs_err(qs);
    *x->more = x->n > x->q->limit;
    return SV_OK;
}

enum sv_err
sv_department_list(struct sv_db *db, const char *tenant_id,
                   const struct sv_department_query *q, void (*start)(void *),
                   sv_department_row_fn row, void *cls, bool *more)
{
    char like[2 * SV_DEPARTMENT_QUERY_MAX * 4 + 3];
    struct list_ctx x = {tenant_id, q, NULL, start, row, cls, 0, more};

    *more = false;
    if (q->limit < 1 || q->limit > 200)
        return SV_E_FIELD_INVALID;
    if (q->q != NULL) {
        size_t len = strlen(q->q);
        size_t chars = sv_utf8_valid(q->q, len) ? sv_utf8_len(q->q, len) : 0;
        /* A substring of the key, folded as keys are. */
        if (chars < 1 || chars > SV_DEPARTMENT_QUERY_MAX ||
            len > SV_DEPARTMENT_QUERY_MAX * 4 ||
            !sv_like_pattern(q->q, true, like, sizeof like))
            return SV_E_FIELD_INVALID;
        x.like = like;
    }
    return sv_db_run_tenant_ro(db, tenant_id, list_tx, &x);
}

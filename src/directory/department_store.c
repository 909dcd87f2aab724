/* The SQL of departments and their closure: see department_store.h. */
#include "directory/department_store.h"

#include <stdio.h>
#include <string.h>

#include "access/veil_sql.h"
#include "core/util.h"

/* The tenants table has no tenant_id column: its row is the tree's lock. */
SV_SQL(Q_DEPT_LOCK, "department_lock",
       "UPDATE tenants SET created_at = created_at WHERE id = $1", 0);

#define DEPT_COLS                                                              \
    "d.id, d.parent_id, d.name, d.name_key, d.created_at, "                    \
    "d.updated_at"

SV_SQL(Q_DEPT_FIND, "department_find",
       "SELECT " DEPT_COLS " FROM departments d "
       "WHERE d.tenant_id = $1 AND d.id = $2",
       0);
SV_SQL(Q_DEPT_INSERT, "department_insert",
       "INSERT INTO departments (tenant_id, id, parent_id, name, name_key, "
       "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
       0);
SV_SQL(Q_PATH_SELF, "department_path_self",
       "INSERT INTO department_paths (tenant_id, ancestor_id, descendant_id, "
       "depth) VALUES ($1, $2, $2, 0)",
       0);
/* The new department under every ancestor of its parent ($3), itself
 * included, one level further. */
SV_SQL(Q_PATH_UNDER, "department_path_under",
       "INSERT INTO department_paths (tenant_id, ancestor_id, descendant_id, "
       "depth) SELECT p.tenant_id, p.ancestor_id, CAST($2 AS TEXT), "
       "p.depth + 1 "
       "FROM department_paths p WHERE p.tenant_id = $1 "
       "AND p.descendant_id = $3",
       0);
/* The roots are under '' (the unique index's expression, so it answers). */
SV_SQL(Q_DEPT_SIBLING, "department_sibling_taken",
       "SELECT d.id FROM departments d WHERE d.tenant_id = $1 "
       "AND COALESCE(d.parent_id, '') = $2 AND d.name_key = $3 "
       "AND d.id <> $4",
       0);
/* The closure's primary key: one look-up whatever the depth. */
SV_SQL(Q_PATH_WITHIN, "department_within",
       "SELECT p.depth FROM department_paths p WHERE p.tenant_id = $1 "
       "AND p.ancestor_id = $2 AND p.descendant_id = $3",
       0);
SV_SQL(Q_PATH_LEVEL, "department_level",
       "SELECT COUNT(*) FROM department_paths p WHERE p.tenant_id = $1 "
       "AND p.descendant_id = $2",
       0);
SV_SQL(Q_PATH_HEIGHT, "department_height",
       "SELECT COALESCE(MAX(p.depth), 0) FROM department_paths p "
       "WHERE p.tenant_id = $1 AND p.ancestor_id = $2",
       0);
/* A CRM record placed in it (records/, migration 014), in the bin too. */
SV_SQL(Q_DEPT_HAS_RECORDS, "department_has_records",
       "SELECT 1 FROM records r WHERE r.tenant_id = $1 "
       "AND r.department_id = $2 LIMIT 1",
       0);
SV_SQL(Q_DEPT_HAS_CHILD, "department_has_child",
       "SELECT d.id FROM departments d WHERE d.tenant_id = $1 "
       "AND d.parent_id = $2 LIMIT 1",
       0);
SV_SQL(Q_DEPT_RENAME, "department_rename",
       "UPDATE departments SET name = $3, name_key = $4, updated_at = $5 "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_DEPT_SET_PARENT, "department_set_parent",
       "UPDATE departments SET parent_id = $3, updated_at = $4 "
       "WHERE tenant_id = $1 AND id = $2",
       0);
/* A move, step 1: the rows linking the subtree of $2 (itself included) to
 * the ancestors of $2 (every ancestor outside the subtree is one of them)
 * go: both sides through the primary key, never a scan of the tenant. */
SV_SQL(Q_PATH_DETACH, "department_paths_detach",
       "DELETE FROM department_paths WHERE tenant_id = $1 "
       "AND ancestor_id IN (SELECT a.ancestor_id FROM department_paths a "
       "WHERE a.tenant_id = $1 AND a.descendant_id = $2 AND a.depth > 0) "
       "AND descendant_id IN (SELECT s.descendant_id FROM department_paths s "
       "WHERE s.tenant_id = $1 AND s.ancestor_id = $2)",
       0);
/* Step 2: every ancestor of the new parent $3 (itself included) above
 * every member of the subtree of $2. */
SV_SQL(Q_PATH_ATTACH, "department_paths_attach",
       "INSERT INTO department_paths (tenant_id, ancestor_id, descendant_id, "
       "depth) SELECT a.tenant_id, a.ancestor_id, s.descendant_id, "
       "a.depth + s.depth + 1 FROM department_paths a, department_paths s "
       "WHERE a.tenant_id = $1 AND a.descendant_id = $3 "
       "AND s.tenant_id = $1 AND s.ancestor_id = $2",
       0);
SV_SQL(Q_PATH_DELETE, "department_paths_delete",
       "DELETE FROM department_paths WHERE tenant_id = $1 "
       "AND descendant_id = $2",
       0);
SV_SQL(Q_DEPT_DELETE, "department_delete",
       "DELETE FROM departments WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_DEPT_ANCESTORS, "department_ancestors",
       "SELECT d.id, d.name FROM department_paths p JOIN departments d "
       "ON d.tenant_id = p.tenant_id AND d.id = p.ancestor_id "
       "WHERE p.tenant_id = $1 AND d.tenant_id = $1 AND p.descendant_id = $2 "
       "AND p.depth > 0 ORDER BY p.depth DESC",
       0);

/* Pages in (name_key, id) order, after the previous page's last row
 * ($2, $3; '' and '' for the first page: a key is never empty). */
#define DEPT_AFTER                                                             \
    "AND (d.name_key > $2 OR (d.name_key = $2 AND d.id > $3)) "                \
    "ORDER BY d.name_key, d.id LIMIT $4"
/* The last parameter of each is the viewer's veil (DIR-3). */
SV_SQL(Q_DEPT_ROOTS, "department_page_roots",
       "SELECT " DEPT_COLS " FROM departments d WHERE d.tenant_id = $1 "
       "AND d.parent_id IS NULL AND " SV_VEIL_DEPARTMENT("d.id", "$5")
           DEPT_AFTER,
       0);
SV_SQL(Q_DEPT_CHILDREN, "department_page_children",
       "SELECT " DEPT_COLS " FROM departments d WHERE d.tenant_id = $1 "
       "AND d.parent_id = $5 AND " SV_VEIL_DEPARTMENT("d.id", "$6") DEPT_AFTER,
       0);
/* Search: $5 a LIKE pattern over the key, its wildcards escaped. */
SV_SQL(Q_DEPT_SEARCH, "department_page_search",
       "SELECT " DEPT_COLS " FROM departments d WHERE d.tenant_id = $1 "
       "AND d.name_key LIKE $5 ESCAPE '\\' "
       "AND " SV_VEIL_DEPARTMENT("d.id", "$6") DEPT_AFTER,
       0);
/* Search below $6: its subtree through the closure, itself left out. */
SV_SQL(Q_DEPT_SEARCH_UNDER, "department_page_search_under",
       "SELECT " DEPT_COLS " FROM department_paths p JOIN departments d "
       "ON d.tenant_id = p.tenant_id AND d.id = p.descendant_id "
       "WHERE p.tenant_id = $1 AND d.tenant_id = $1 AND p.ancestor_id = $6 "
       "AND p.depth > 0 AND d.name_key LIKE $5 ESCAPE '\\' "
       "AND " SV_VEIL_DEPARTMENT("d.id", "$7") DEPT_AFTER,
       0);

/* DIR-3 */
SV_SQL(Q_DEPT_SET_HIDDEN, "department_set_hidden",
       "UPDATE departments SET hidden = $3, updated_at = $4 "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_DEPT_HIDDEN, "department_hidden",
       "SELECT d.hidden FROM departments d WHERE d.tenant_id = $1 "
       "AND d.id = $2",
       0);
SV_SQL(Q_DEPT_HIDDEN_COUNT, "department_hidden_count",
       "SELECT COUNT(*) FROM departments d WHERE d.tenant_id = $1 "
       "AND d.hidden = 1",
       0);
SV_SQL(Q_DEPT_VIEWERS_CLEAR, "department_viewers_clear",
       "DELETE FROM department_viewers WHERE tenant_id = $1 "
       "AND department_id = $2",
       0);
SV_SQL(Q_DEPT_VIEWER_ADD, "department_viewer_add",
       "INSERT INTO department_viewers (tenant_id, department_id, "
       "subject_kind, subject_id) VALUES ($1, $2, $3, $4) "
       "ON CONFLICT DO NOTHING",
       0);
SV_SQL(Q_DEPT_VIEWERS, "department_viewers",
       "SELECT v.subject_kind, v.subject_id, COALESCE(g.name, r.name, "
       "v.subject_id) FROM department_viewers v "
       "LEFT JOIN directory_groups g ON g.tenant_id = v.tenant_id "
       "AND g.id = v.subject_id AND v.subject_kind = 'group' "
       "LEFT JOIN roles r ON r.tenant_id = v.tenant_id "
       "AND r.id = v.subject_id AND v.subject_kind = 'role' "
       "WHERE v.tenant_id = $1 AND v.department_id = $2 "
       "ORDER BY v.subject_kind, v.subject_id",
       0);
SV_SQL(Q_DEPT_ROLE_EXISTS, "department_role_exists",
       "SELECT r.id FROM roles r WHERE r.tenant_id = $1 AND r.id = $2", 0);
SV_SQL(Q_DEPT_GROUP_EXISTS, "department_group_exists",
       "SELECT g.id FROM directory_groups g WHERE g.tenant_id = $1 "
       "AND g.id = $2",
       0);

enum sv_qs
department_store_set_hidden(struct sv_dbc *c, const char *tenant_id,
                            const char *id, bool hidden, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_SET_HIDDEN, tenant_id, id);
    sv_stmt_int(st, 3, hidden ? 1 : 0);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
department_store_hidden(struct sv_dbc *c, const char *tenant_id, const char *id,
                        bool *hidden)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_HIDDEN, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);
    *hidden = qs == SV_QS_ONE && sv_stmt_col_int(st, 0) != 0;
    return qs;
}

enum sv_qs
department_store_hidden_count(struct sv_dbc *c, const char *tenant_id,
                              int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_DEPT_HIDDEN_COUNT);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
department_store_viewers_clear(struct sv_dbc *c, const char *tenant_id,
                               const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_DEPT_VIEWERS_CLEAR, tenant_id, id));
}

enum sv_qs
department_store_viewer_add(struct sv_dbc *c, const char *tenant_id,
                            const char *id, const char *kind,
                            const char *subject_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_VIEWER_ADD, tenant_id, id);
    sv_stmt_text(st, 3, kind);
    sv_stmt_text(st, 4, subject_id);
    return sv_stmt_exec(st);
}

enum sv_qs
department_store_viewers(struct sv_dbc *c, const char *tenant_id,
                         const char *id, department_viewer_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_VIEWERS, tenant_id, id);
    enum sv_qs qs;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1),
            sv_stmt_col_text(st, 2));
    return qs;
}

enum sv_qs
department_store_role_exists(struct sv_dbc *c, const char *tenant_id,
                             const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_DEPT_ROLE_EXISTS, tenant_id, id));
}

enum sv_qs
department_store_group_exists(struct sv_dbc *c, const char *tenant_id,
                              const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_DEPT_GROUP_EXISTS, tenant_id, id));
}

static void
read_department(struct sv_stmt *st, struct sv_department *d)
{
    memset(d, 0, sizeof *d);
    snprintf(d->id, sizeof d->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(d->parent_id, sizeof d->parent_id, "%s", sv_stmt_col_text(st, 1));
    snprintf(d->name, sizeof d->name, "%s", sv_stmt_col_text(st, 2));
    d->created_at = sv_stmt_col_int(st, 4);
    d->updated_at = sv_stmt_col_int(st, 5);
}

enum sv_qs
department_store_lock(struct sv_dbc *c, const char *tenant_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_DEPT_LOCK);
    sv_stmt_text(st, 1, tenant_id);
    return sv_stmt_exec(st);
}

enum sv_qs
department_store_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                      struct sv_department *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs == SV_QS_ONE)
        read_department(st, out);
    return qs;
}

enum sv_qs
department_store_insert(struct sv_dbc *c, const char *tenant_id,
                        const struct sv_department *d, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_INSERT, tenant_id, d->id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, d->parent_id[0] ? d->parent_id : NULL);
    sv_stmt_text(st, 4, d->name);
    sv_stmt_text(st, 5, key);
    sv_stmt_int(st, 6, d->created_at);
    qs = sv_stmt_exec(st);
    if (qs != SV_QS_ONE)
        return qs;
    qs = sv_stmt_exec(sv_db_stmt2(c, &Q_PATH_SELF, tenant_id, d->id));
    if (qs != SV_QS_ONE || d->parent_id[0] == '\0')
        return qs;
    qs = sv_db_exec_ttt(c, &Q_PATH_UNDER, tenant_id, d->id, d->parent_id);
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
department_store_sibling_taken(struct sv_dbc *c, const char *tenant_id,
                               const char *parent_id, const char *key,
                               const char *except_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_SIBLING, tenant_id, parent_id);
    sv_stmt_text(st, 3, key);
    sv_stmt_text(st, 4, except_id);
    return sv_stmt_step(st);
}

enum sv_qs
department_store_child(struct sv_dbc *c, const char *tenant_id,
                       const char *parent_id, const char *key, char out[37])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_SIBLING, tenant_id, parent_id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, key);
    sv_stmt_text(st, 4, "");
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        snprintf(out, 37, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
department_store_within(struct sv_dbc *c, const char *tenant_id, const char *id,
                        const char *ancestor_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_PATH_WITHIN, tenant_id, ancestor_id);
    sv_stmt_text(st, 3, id);
    return sv_stmt_step(st);
}

static enum sv_qs
read_count(struct sv_dbc *c, const struct sv_sql *q, const char *tenant_id,
           const char *id, int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, q, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
department_store_level(struct sv_dbc *c, const char *tenant_id, const char *id,
                       int64_t *out)
{
    return read_count(c, &Q_PATH_LEVEL, tenant_id, id, out);
}

enum sv_qs
department_store_height(struct sv_dbc *c, const char *tenant_id, const char *id,
                        int64_t *out)
{
    return read_count(c, &Q_PATH_HEIGHT, tenant_id, id, out);
}

enum sv_qs
department_store_has_child(struct sv_dbc *c, const char *tenant_id,
                           const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_DEPT_HAS_CHILD, tenant_id, id));
}

enum sv_qs
department_store_has_records(struct sv_dbc *c, const char *tenant_id,
                             const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_DEPT_HAS_RECORDS, tenant_id, id));
}

enum sv_qs
department_store_rename(struct sv_dbc *c, const char *tenant_id, const char *id,
                        const char *name, const char *key, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_RENAME, tenant_id, id);
    sv_stmt_text(st, 3, name);
    sv_stmt_text(st, 4, key);
    sv_stmt_int(st, 5, now);
    return sv_stmt_exec(st);
}

enum sv_qs
department_store_move(struct sv_dbc *c, const char *tenant_id, const char *id,
                      const char *parent_id, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_SET_PARENT, tenant_id, id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, parent_id);
    sv_stmt_int(st, 4, now);
    qs = sv_stmt_exec(st);
    if (qs != SV_QS_ONE)
        return qs;
    qs = sv_stmt_exec(sv_db_stmt2(c, &Q_PATH_DETACH, tenant_id, id));
    if (qs < 0 || parent_id == NULL)
        return qs < 0 ? qs : SV_QS_ONE;
    qs = sv_db_exec_ttt(c, &Q_PATH_ATTACH, tenant_id, id, parent_id);
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
department_store_delete(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    enum sv_qs qs = sv_stmt_exec(sv_db_stmt2(c, &Q_PATH_DELETE, tenant_id, id));
    if (qs < 0)
        return qs;
    return sv_stmt_exec(sv_db_stmt2(c, &Q_DEPT_DELETE, tenant_id, id));
}

/* The whole tree, in no particular order. */
SV_SQL(Q_DEPT_EACH, "department_each",
       "SELECT d.id, COALESCE(d.parent_id, ''), d.name_key "
       "FROM departments d WHERE d.tenant_id = $1",
       0);

enum sv_qs
department_store_each(struct sv_dbc *c, const char *tenant_id,
                      sv_department_each_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_DEPT_EACH);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1),
           sv_stmt_col_text(st, 2));
    return qs;
}

/* The closure's second index: a department and every ancestor of it. */
SV_SQL(Q_PATH_PLACE, "department_place",
       "SELECT p.ancestor_id FROM department_paths p WHERE p.tenant_id = $1 "
       "AND p.descendant_id = $2",
       0);

enum sv_qs
department_store_place(struct sv_dbc *c, const char *tenant_id, const char *id,
                       struct sv_department_place *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_PATH_PLACE, tenant_id, id);
    enum sv_qs qs;

    out->place.n = 0;
    out->place.ng = 0;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        size_t i = out->place.n;
        if (i == SV_DEPARTMENT_DEPTH_MAX)
            return SV_QS_HARD; /* the depth rule keeps it from happening */
        snprintf(out->ids[i], sizeof out->ids[i], "%s",
                 sv_stmt_col_text(st, 0));
        out->place.dept[i] = out->ids[i];
        out->place.n++;
    }
    return qs;
}

enum sv_qs
department_store_ancestors(struct sv_dbc *c, const char *tenant_id,
                           const char *id, struct sv_department_path *path)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_DEPT_ANCESTORS, tenant_id, id);
    enum sv_qs qs;

    path->n = 0;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (path->n == SV_DEPARTMENT_DEPTH_MAX)
            continue; /* the depth rule keeps it from happening */
        snprintf(path->at[path->n].id, sizeof path->at[0].id, "%s",
                 sv_stmt_col_text(st, 0));
        snprintf(path->at[path->n].name, sizeof path->at[0].name, "%s",
                 sv_stmt_col_text(st, 1));
        path->n++;
    }
    return qs;
}

enum sv_qs
department_store_page(struct sv_dbc *c, const char *tenant_id,
                      const char *parent_id, const char *like,
                      const char *after_key, const char *after_id, int limit,
                      const char *veil, sv_department_row_fn row, void *cls)
{
    const struct sv_sql *q;
    struct sv_stmt *st;
    enum sv_qs qs;

    if (like != NULL)
        q = parent_id != NULL ? &Q_DEPT_SEARCH_UNDER : &Q_DEPT_SEARCH;
    else
        q = parent_id != NULL ? &Q_DEPT_CHILDREN : &Q_DEPT_ROOTS;
    st = sv_db_stmt(c, q);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, after_key != NULL ? after_key : "");
    sv_stmt_text(st, 3, after_id != NULL ? after_id : "");
    sv_stmt_int(st, 4, limit);
    if (like != NULL)
        sv_stmt_text(st, 5, like);
    if (like != NULL && parent_id != NULL)
        sv_stmt_text(st, 6, parent_id);
    else if (parent_id != NULL)
        sv_stmt_text(st, 5, parent_id);
    sv_stmt_text(st, 5 + (like != NULL) + (parent_id != NULL), veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        const char *parent = sv_stmt_col_text(st, 1);
        struct sv_department_view v = {
            .id = sv_stmt_col_text(st, 0),
            .parent_id = parent[0] ? parent : NULL,
            .name = sv_stmt_col_text(st, 2),
            .key = sv_stmt_col_text(st, 3),
            .created_at = sv_stmt_col_int(st, 4),
            .updated_at = sv_stmt_col_int(st, 5),
        };
        row(cls, &v);
    }
    return qs;
}

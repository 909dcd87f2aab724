/* The SQL of groups and their members: see group_store.h. */
#include "directory/group_store.h"

#include <stdio.h>
#include <string.h>

#include "access/veil_sql.h"
#include "core/util.h"

#define GCOLS                                                                  \
    "g.id, g.name, g.description, g.owner_id, g.created_at, g.updated_at"

SV_SQL(Q_GROUP_FIND, "group_find",
       "SELECT " GCOLS " FROM directory_groups g WHERE g.tenant_id = $1 "
       "AND g.id = $2",
       0);
SV_SQL(Q_GROUP_VIEW, "group_view",
       "SELECT (SELECT e.display_name FROM employees e WHERE e.tenant_id = $1 "
       "AND e.account_id = CAST($3 AS TEXT)), "
       "(SELECT COUNT(*) FROM directory_group_members m "
       "WHERE m.tenant_id = $1 AND m.group_id = $2)",
       0);
SV_SQL(Q_GROUP_NAME_TAKEN, "group_name_taken",
       "SELECT g.id FROM directory_groups g WHERE g.tenant_id = $1 "
       "AND g.name_key = $2 AND g.id <> $3",
       0);
SV_SQL(Q_GROUP_COUNT, "group_count",
       "SELECT COUNT(*) FROM directory_groups g WHERE g.tenant_id = $1", 0);
SV_SQL(Q_GROUP_INSERT, "group_insert",
       "INSERT INTO directory_groups (tenant_id, id, name, name_key, "
       "description, owner_id, created_at, updated_at) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
       0);
SV_SQL(Q_GROUP_UPDATE, "group_update",
       "UPDATE directory_groups SET name = $3, name_key = $4, "
       "description = $5, owner_id = $6, updated_at = $7 "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_GROUP_DELETE_MEMBERS, "group_delete_members",
       "DELETE FROM directory_group_members WHERE tenant_id = $1 "
       "AND group_id = $2",
       0);
SV_SQL(Q_GROUP_DELETE_MEMBERSHIPS, "group_delete_memberships",
       "DELETE FROM directory_group_members WHERE tenant_id = $1 "
       "AND member_kind = 'group' AND member_id = $2",
       0);
SV_SQL(Q_GROUP_DELETE, "group_delete",
       "DELETE FROM directory_groups WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_GROUP_USED, "group_used",
       "SELECT ra.id FROM role_assignments ra WHERE ra.tenant_id = $1 "
       "AND ((ra.subject_kind = 'group' AND ra.subject_id = $2) "
       "OR (ra.scope_kind = 'group' AND ra.scope_id = $2)) "
       "UNION ALL SELECT v.department_id FROM department_viewers v "
       "WHERE v.tenant_id = $1 AND v.subject_kind = 'group' "
       "AND v.subject_id = $2 LIMIT 1",
       0);
/* Group $2 and the groups containing it, up the nesting (acyclic; the
 * depth bound is a second guard). */
#define UP                                                                     \
    "WITH RECURSIVE up(group_id, depth) AS (SELECT CAST($2 AS TEXT), 0 "       \
    "UNION SELECT gm.group_id, up.depth + 1 FROM up "                          \
    "JOIN directory_group_members gm ON gm.tenant_id = $1 "                    \
    "AND gm.member_kind = 'group' AND gm.member_id = up.group_id "             \
    "WHERE up.depth < 64) "
/* Group $2 and the groups inside it, down the nesting. */
#define DOWN                                                                   \
    "WITH RECURSIVE down(group_id, depth) AS (SELECT CAST($2 AS TEXT), 0 "     \
    "UNION SELECT gm.member_id, down.depth + 1 FROM down "                     \
    "JOIN directory_group_members gm ON gm.tenant_id = $1 "                    \
    "AND gm.group_id = down.group_id AND gm.member_kind = 'group' "            \
    "WHERE down.depth < 64) "
SV_SQL(Q_GROUP_PRIVILEGED, "group_privileged",
       UP "SELECT up.group_id FROM up WHERE EXISTS (SELECT 1 "
          "FROM role_assignments ra WHERE ra.tenant_id = $1 "
          "AND ((ra.subject_kind = 'group' AND ra.subject_id = up.group_id) "
          "OR (ra.scope_kind = 'group' AND ra.scope_id = up.group_id))) "
          "OR EXISTS (SELECT 1 FROM department_viewers v "
          "WHERE v.tenant_id = $1 AND v.subject_kind = 'group' "
          "AND v.subject_id = up.group_id) LIMIT 1",
       0);
SV_SQL(Q_GROUP_CONTAINS, "group_contains",
       DOWN "SELECT down.group_id FROM down WHERE down.group_id = $3 LIMIT 1",
       0);
SV_SQL(Q_GROUP_HEIGHT_UP, "group_depth_up",
       UP "SELECT COALESCE(MAX(up.depth), 0) FROM up", 0);
SV_SQL(Q_GROUP_HEIGHT_DOWN, "group_depth_down",
       DOWN "SELECT COALESCE(MAX(down.depth), 0) FROM down", 0);
SV_SQL(Q_GROUP_EMPLOYEE, "group_employee",
       "SELECT e.display_name, e.state FROM employees e "
       "WHERE e.tenant_id = $1 AND e.account_id = $2",
       0);
SV_SQL(Q_GROUP_DEPARTMENT, "group_department",
       "SELECT d.id FROM departments d WHERE d.tenant_id = $1 AND d.id = $2",
       0);
/* DIR-3: whether employee or department $2 is outside veil $3. */
SV_SQL(Q_GROUP_EMPLOYEE_SEEN, "group_employee_seen",
       "SELECT 1 WHERE " SV_VEIL_EMPLOYEE("CAST($2 AS TEXT)", "$3"), 0);
SV_SQL(Q_GROUP_DEPARTMENT_SEEN, "group_department_seen",
       "SELECT 1 WHERE " SV_VEIL_DEPARTMENT("CAST($2 AS TEXT)", "$3"), 0);
SV_SQL(Q_GROUP_MEMBER_COUNT, "group_member_count",
       "SELECT COUNT(*) FROM directory_group_members m "
       "WHERE m.tenant_id = $1 AND m.group_id = $2",
       0);
SV_SQL(Q_GROUP_MEMBER_ADD, "group_member_add",
       "INSERT INTO directory_group_members (tenant_id, group_id, "
       "member_kind, member_id, subtree, created_at) "
       "VALUES ($1, $2, $3, $4, $5, $6) "
       "ON CONFLICT (tenant_id, group_id, member_id) DO NOTHING",
       0);
SV_SQL(Q_GROUP_MEMBER_FIND, "group_member_find",
       "SELECT m.member_kind FROM directory_group_members m "
       "WHERE m.tenant_id = $1 AND m.group_id = $2 AND m.member_id = $3",
       0);
SV_SQL(Q_GROUP_MEMBER_REMOVE, "group_member_remove",
       "DELETE FROM directory_group_members WHERE tenant_id = $1 "
       "AND group_id = $2 AND member_id = $3",
       0);
/* Pages in (name_key, id) order after ($3, $4), $2 a LIKE prefix or NULL. */
/* The owner shown only when $6, the viewer's veil, does not hide it. */
SV_SQL(Q_GROUP_PAGE, "group_page",
       "SELECT g.id, g.name, g.description, CASE WHEN " SV_VEIL_EMPLOYEE(
           "g.owner_id",
           "$6") "THEN g.owner_id END, g.created_at, "
                 "g.updated_at, g.name_key FROM directory_groups g "
                 "WHERE g.tenant_id = $1 "
                 "AND (CAST($2 AS TEXT) IS NULL OR g.name_key LIKE $2 ESCAPE "
                 "'\\') "
                 "AND (g.name_key > $3 OR (g.name_key = $3 AND g.id > $4)) "
                 "ORDER BY g.name_key, g.id LIMIT $5",
       0);
/* Direct members after $3 in id order; $5 the veil. */
SV_SQL(Q_GROUP_MEMBERS, "group_members",
       "SELECT m.member_kind, m.member_id, "
       "COALESCE(e.display_name, d.name, g.name), m.subtree, m.created_at "
       "FROM directory_group_members m "
       "LEFT JOIN employees e ON e.tenant_id = m.tenant_id "
       "AND e.account_id = m.member_id AND m.member_kind = 'employee' "
       "LEFT JOIN departments d ON d.tenant_id = m.tenant_id "
       "AND d.id = m.member_id AND m.member_kind = 'department' "
       "LEFT JOIN directory_groups g ON g.tenant_id = m.tenant_id "
       "AND g.id = m.member_id AND m.member_kind = 'group' "
       "WHERE m.tenant_id = $1 AND m.group_id = $2 AND m.member_id > $3 "
       "AND (m.member_kind <> 'employee' OR " SV_VEIL_EMPLOYEE(
           "m.member_id",
           "$5") ") "
                 "AND (m.member_kind <> 'department' OR " SV_VEIL_DEPARTMENT(
                     "m.member_id", "$5") ") "
                                          "ORDER BY m.member_id LIMIT $4",
       0);
/* Every employee in group $2 however deeply, in name order after ($3,
 * $4); $6 the veil. */
SV_SQL(Q_GROUP_EXPAND, "group_expand",
       DOWN ", who(account_id) AS ("
            "SELECT gm.member_id FROM down JOIN directory_group_members gm "
            "ON gm.tenant_id = $1 AND gm.group_id = down.group_id "
            "AND gm.member_kind = 'employee' "
            "UNION SELECT ed.account_id FROM down "
            "JOIN directory_group_members gm ON gm.tenant_id = $1 "
            "AND gm.group_id = down.group_id "
            "AND gm.member_kind = 'department' "
            "JOIN department_paths p ON p.tenant_id = $1 "
            "AND p.ancestor_id = gm.member_id "
            "AND (gm.subtree = 1 OR p.depth = 0) "
            "JOIN employee_departments ed ON ed.tenant_id = $1 "
            "AND ed.department_id = p.descendant_id) "
            "SELECT e.account_id, e.display_name, e.title, e.department_id, "
            "e.state, e.name_key FROM who JOIN employees e "
            "ON e.tenant_id = $1 AND e.account_id = who.account_id "
            "WHERE (e.name_key > $3 OR (e.name_key = $3 "
            "AND e.account_id > $4)) AND " SV_VEIL_EMPLOYEE(
                "e.account_id", "$6") "ORDER BY e.name_key, e.account_id "
                                      "LIMIT $5",
       0);
SV_SQL(Q_GROUP_MEMBERSHIPS, "group_memberships",
       "SELECT m.group_id, g.name FROM directory_group_members m "
       "JOIN directory_groups g ON g.tenant_id = m.tenant_id "
       "AND g.id = m.group_id WHERE m.tenant_id = $1 "
       "AND m.member_kind = $3 AND m.member_id = $2 "
       "ORDER BY m.group_id",
       0);
SV_SQL(Q_GROUP_OWNED, "group_owned",
       "SELECT g.id, g.name FROM directory_groups g WHERE g.tenant_id = $1 "
       "AND g.owner_id = $2 ORDER BY g.id",
       0);
SV_SQL(Q_GROUP_PASS_OWNED, "group_pass_owned",
       "UPDATE directory_groups SET owner_id = $3, updated_at = $4 "
       "WHERE tenant_id = $1 AND owner_id = $2",
       0);

static void
read_group(struct sv_stmt *st, struct sv_group *g)
{
    memset(g, 0, sizeof *g);
    snprintf(g->id, sizeof g->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(g->name, sizeof g->name, "%s", sv_stmt_col_text(st, 1));
    snprintf(g->description, sizeof g->description, "%s",
             sv_stmt_col_text(st, 2));
    snprintf(g->owner_id, sizeof g->owner_id, "%s", sv_stmt_col_text(st, 3));
    g->created_at = sv_stmt_col_int(st, 4);
    g->updated_at = sv_stmt_col_int(st, 5);
}

enum sv_qs
group_store_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                 struct sv_group *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs == SV_QS_ONE)
        read_group(st, out);
    return qs;
}

enum sv_qs
group_store_view(struct sv_dbc *c, const char *tenant_id,
                 struct sv_group_view *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_VIEW, tenant_id, out->g.id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, sv_or_null(out->g.owner_id));
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE) {
        snprintf(out->owner_name, sizeof out->owner_name, "%s",
                 sv_stmt_col_text(st, 0));
        out->members = sv_stmt_col_int(st, 1);
    }
    return qs;
}

enum sv_qs
group_store_name_taken(struct sv_dbc *c, const char *tenant_id, const char *key,
                       const char *except)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_NAME_TAKEN, tenant_id, key);
    sv_stmt_text(st, 3, except);
    return sv_stmt_step(st);
}

static enum sv_qs
count_of(struct sv_stmt *st, int64_t *out)
{
    enum sv_qs qs = sv_stmt_step(st);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
group_store_count(struct sv_dbc *c, const char *tenant_id, int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_GROUP_COUNT);
    sv_stmt_text(st, 1, tenant_id);
    return count_of(st, out);
}

static void
bind_group(struct sv_stmt *st, const struct sv_group *g, const char *key,
           int64_t at)
{
    sv_stmt_text(st, 3, g->name);
    sv_stmt_text(st, 4, key);
    sv_stmt_text(st, 5, g->description);
    sv_stmt_text(st, 6, sv_or_null(g->owner_id));
    sv_stmt_int(st, 7, at);
}

enum sv_qs
group_store_insert(struct sv_dbc *c, const char *tenant_id,
                   const struct sv_group *g, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_INSERT, tenant_id, g->id);
    bind_group(st, g, key, g->created_at);
    return sv_stmt_exec(st);
}

enum sv_qs
group_store_update(struct sv_dbc *c, const char *tenant_id,
                   const struct sv_group *g, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_UPDATE, tenant_id, g->id);
    bind_group(st, g, key, g->updated_at);
    return sv_stmt_exec(st);
}

enum sv_qs
group_store_delete(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    enum sv_qs qs;

    if ((qs = sv_stmt_exec(
             sv_db_stmt2(c, &Q_GROUP_DELETE_MEMBERS, tenant_id, id))) < 0 ||
        (qs = sv_stmt_exec(
             sv_db_stmt2(c, &Q_GROUP_DELETE_MEMBERSHIPS, tenant_id, id))) < 0)
        return qs;
    return sv_stmt_exec(sv_db_stmt2(c, &Q_GROUP_DELETE, tenant_id, id));
}

enum sv_qs
group_store_used(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_GROUP_USED, tenant_id, id));
}

enum sv_qs
group_store_privileged(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_GROUP_PRIVILEGED, tenant_id, id));
}

enum sv_qs
group_store_employee(struct sv_dbc *c, const char *tenant_id, const char *id,
                     char *name, size_t len, bool active_only)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_EMPLOYEE, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs != SV_QS_ONE)
        return qs;
    if (active_only && strcmp(sv_stmt_col_text(st, 1), "active") != 0)
        return SV_QS_NONE;
    if (name != NULL)
        snprintf(name, len, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
group_store_department(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_GROUP_DEPARTMENT, tenant_id, id));
}

enum sv_qs
group_store_seen(struct sv_dbc *c, const char *tenant_id, bool department,
                 const char *id, const char *veil)
{
    struct sv_stmt *st = sv_db_stmt2(
        c, department ? &Q_GROUP_DEPARTMENT_SEEN : &Q_GROUP_EMPLOYEE_SEEN,
        tenant_id, id);
    sv_stmt_text(st, 3, veil);
    return sv_stmt_step(st);
}

enum sv_qs
group_store_contains(struct sv_dbc *c, const char *tenant_id, const char *outer,
                     const char *inner)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_CONTAINS, tenant_id, outer);
    sv_stmt_text(st, 3, inner);
    return sv_stmt_step(st);
}

enum sv_qs
group_store_depth(struct sv_dbc *c, const char *tenant_id, const char *id,
                  int64_t *up, int64_t *down)
{
    enum sv_qs qs =
        count_of(sv_db_stmt2(c, &Q_GROUP_HEIGHT_UP, tenant_id, id), up);
    if (qs < 0)
        return qs;
    return count_of(sv_db_stmt2(c, &Q_GROUP_HEIGHT_DOWN, tenant_id, id), down);
}

enum sv_qs
group_store_member_count(struct sv_dbc *c, const char *tenant_id,
                         const char *id, int64_t *out)
{
    return count_of(sv_db_stmt2(c, &Q_GROUP_MEMBER_COUNT, tenant_id, id), out);
}

enum sv_qs
group_store_member_add(struct sv_dbc *c, const char *tenant_id, const char *id,
                       const char *kind, const char *member_id, bool subtree,
                       int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_MEMBER_ADD, tenant_id, id);
    sv_stmt_text(st, 3, kind);
    sv_stmt_text(st, 4, member_id);
    sv_stmt_int(st, 5, subtree ? 1 : 0);
    sv_stmt_int(st, 6, now);
    return sv_stmt_exec(st);
}

enum sv_qs
group_store_member_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                        const char *member_id, enum sv_member_kind *kind)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_MEMBER_FIND, tenant_id, id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, member_id);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE && !sv_member_kind_parse(sv_stmt_col_text(st, 0), kind))
        return SV_QS_HARD;
    return qs;
}

enum sv_qs
group_store_member_remove(struct sv_dbc *c, const char *tenant_id,
                          const char *id, const char *member_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_MEMBER_REMOVE, tenant_id, id);
    sv_stmt_text(st, 3, member_id);
    return sv_stmt_exec(st);
}

enum sv_qs
group_store_page(struct sv_dbc *c, const char *tenant_id,
                 const struct sv_group_query *q, const char *veil,
                 sv_group_row_fn row, void *cls, bool *more)
{
    char like[SV_GROUP_NAME_BYTES * 2 + 4];
    struct sv_stmt *st;
    struct sv_group g;
    int n = 0;
    enum sv_qs qs;

    *more = false;
    if (q->q != NULL && !sv_like_pattern(q->q, false, like, sizeof like))
        return SV_QS_HARD;
    st = sv_db_stmt2(c, &Q_GROUP_PAGE, tenant_id, q->q != NULL ? like : NULL);
    sv_stmt_text(st, 3, q->after_key != NULL ? q->after_key : "");
    sv_stmt_text(st, 4, q->after_id != NULL ? q->after_id : "");
    sv_stmt_int(st, 5, q->limit + 1);
    sv_stmt_text(st, 6, veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (n++ == q->limit) {
            *more = true;
            break;
        }
        read_group(st, &g);
        row(cls, &g, sv_stmt_col_text(st, 6));
    }
    return qs < 0 ? qs : SV_QS_NONE;
}

enum sv_qs
group_store_members(struct sv_dbc *c, const char *tenant_id, const char *id,
                    const char *veil, const char *after_id, int limit,
                    sv_group_member_row_fn row, void *cls, bool *more)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_MEMBERS, tenant_id, id);
    int n = 0;
    enum sv_qs qs;

    *more = false;
    sv_stmt_text(st, 3, after_id != NULL ? after_id : "");
    sv_stmt_int(st, 4, limit + 1);
    sv_stmt_text(st, 5, veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        struct sv_group_member_view m = {0};
        if (n++ == limit) {
            *more = true;
            break;
        }
        if (!sv_member_kind_parse(sv_stmt_col_text(st, 0), &m.kind))
            continue; /* a newer release's kind */
        m.id = sv_stmt_col_text(st, 1);
        m.name = sv_stmt_col_text(st, 2);
        m.subtree = sv_stmt_col_int(st, 3) != 0;
        m.added_at = sv_stmt_col_int(st, 4);
        row(cls, &m);
    }
    return qs < 0 ? qs : SV_QS_NONE;
}

enum sv_qs
group_store_expand(struct sv_dbc *c, const char *tenant_id, const char *id,
                   const char *veil, const char *after_key,
                   const char *after_id, int limit, sv_group_person_row_fn row,
                   void *cls, bool *more)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_EXPAND, tenant_id, id);
    int n = 0;
    enum sv_qs qs;

    *more = false;
    sv_stmt_text(st, 3, after_key != NULL ? after_key : "");
    sv_stmt_text(st, 4, after_id != NULL ? after_id : "");
    sv_stmt_int(st, 5, limit + 1);
    sv_stmt_text(st, 6, veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        struct sv_group_person p;
        if (n++ == limit) {
            *more = true;
            break;
        }
        p.id = sv_stmt_col_text(st, 0);
        p.display_name = sv_stmt_col_text(st, 1);
        p.title = sv_stmt_col_text(st, 2);
        p.department_id = sv_stmt_col_text(st, 3);
        p.state = sv_stmt_col_text(st, 4);
        p.key = sv_stmt_col_text(st, 5);
        row(cls, &p);
    }
    return qs < 0 ? qs : SV_QS_NONE;
}

static enum sv_qs
each_pair(struct sv_stmt *st, group_id_fn row, void *cls)
{
    enum sv_qs qs;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1));
    return qs;
}

enum sv_qs
group_store_memberships(struct sv_dbc *c, const char *tenant_id,
                        const char *kind, const char *id, group_id_fn row,
                        void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_MEMBERSHIPS, tenant_id, id);
    sv_stmt_text(st, 3, kind);
    return each_pair(st, row, cls);
}

enum sv_qs
group_store_owned(struct sv_dbc *c, const char *tenant_id,
                  const char *account_id, group_id_fn row, void *cls)
{
    return each_pair(sv_db_stmt2(c, &Q_GROUP_OWNED, tenant_id, account_id), row,
                     cls);
}

enum sv_qs
group_store_pass_owned(struct sv_dbc *c, const char *tenant_id,
                       const char *from, const char *to, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_PASS_OWNED, tenant_id, from);
    sv_stmt_text(st, 3, to);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

/* The SQL of roles and assignments: see access_store.h. */
#include "access/access_store.h"

#include <stdio.h>
#include <string.h>

#include "access/veil_sql.h"
#include "core/util.h"

/* The tenants table has no tenant_id column: its row is the lock. */
SV_SQL(Q_ACCESS_LOCK, "access_lock",
       "UPDATE tenants SET created_at = created_at WHERE id = $1", 0);
/* One row per assignment and permission of its custom role (none for a
 * built-in role's key), an assignment's rows together: in the order of
 * the unique index, which reads them without a sort. */
SV_SQL(Q_GRANTS, "access_grants",
       "SELECT ra.id, ra.role, ra.scope_kind, ra.scope_id, rp.permission "
       "FROM role_assignments ra "
       "LEFT JOIN role_permissions rp ON rp.tenant_id = ra.tenant_id "
       "AND rp.role_id = ra.role "
       "WHERE ra.tenant_id = $1 AND ra.subject_kind = 'account' "
       "AND ra.subject_id = $2 "
       "ORDER BY ra.role, ra.scope_kind, ra.scope_id",
       0);
/*
 * The groups account $2 is in, however deeply: as a member, through a
 * department that is a member (alone: the account's own department; with
 * its subtree: any ancestor of it, by the closure), and through groups
 * that are members of those, up the nesting. UNION drops repeats, which
 * also ends the recursion (nesting has no cycle: groups refuse one).
 */
#define MY_GROUPS                                                              \
    "WITH RECURSIVE mine(group_id) AS ("                                       \
    "SELECT gm.group_id FROM directory_group_members gm "                      \
    "WHERE gm.tenant_id = $1 AND gm.member_kind = 'employee' "                 \
    "AND gm.member_id = $2 "                                                   \
    "UNION SELECT gm.group_id FROM employee_departments ed "                   \
    "CROSS JOIN department_paths p CROSS JOIN directory_group_members gm "     \
    "WHERE ed.tenant_id = $1 AND ed.account_id = $2 "                          \
    "AND p.tenant_id = $1 AND p.descendant_id = ed.department_id "             \
    "AND gm.tenant_id = $1 AND gm.member_kind = 'department' "                 \
    "AND gm.member_id = p.ancestor_id AND (gm.subtree = 1 OR p.depth = 0) "    \
    "UNION SELECT gm.group_id FROM mine "                                      \
    "CROSS JOIN directory_group_members gm WHERE gm.tenant_id = $1 "           \
    "AND gm.member_kind = 'group' AND gm.member_id = mine.group_id) "
/*
 * CROSS JOIN is the order SQLite must join in (PostgreSQL plans it as any
 * inner join): from the account's few department rows, up each one's
 * ancestors, to the groups naming those. Left to its own choice, SQLite
 * without statistics started from the closure and read all of it, on
 * every request that asks about a permission.
 */
/* Whether account $2's grants may come through a group: the tenant has a
 * group assignment and the account is in some group, as a member or
 * through its departments (nesting only adds groups to one it is in).
 * Most tenants have no group assignment and most accounts are in no
 * group: three index probes then spare the walk, which costs several
 * times more (a recursive query, a UNION's temporary b-tree). */
SV_SQL(Q_MAY_HAVE_GROUP_GRANTS, "access_may_have_group_grants",
       "SELECT 1 WHERE EXISTS (SELECT 1 FROM role_assignments ra "
       "WHERE ra.tenant_id = $1 AND ra.subject_kind = 'group') "
       "AND (EXISTS (SELECT 1 FROM directory_group_members gm "
       "WHERE gm.tenant_id = $1 AND gm.member_kind = 'employee' "
       "AND gm.member_id = $2) OR EXISTS (SELECT 1 FROM "
       "employee_departments ed CROSS JOIN department_paths p "
       "CROSS JOIN directory_group_members gm "
       "WHERE ed.tenant_id = $1 AND ed.account_id = $2 "
       "AND p.tenant_id = $1 AND p.descendant_id = ed.department_id "
       "AND gm.tenant_id = $1 AND gm.member_kind = 'department' "
       "AND gm.member_id = p.ancestor_id AND (gm.subtree = 1 OR p.depth = 0)))",
       0);
/* The assignments of those groups, as Q_GRANTS. */
SV_SQL(Q_GROUP_GRANTS, "access_group_grants",
       MY_GROUPS "SELECT ra.id, ra.role, ra.scope_kind, ra.scope_id, "
                 "rp.permission FROM role_assignments ra "
                 "LEFT JOIN role_permissions rp ON rp.tenant_id = ra.tenant_id "
                 "AND rp.role_id = ra.role "
                 "WHERE ra.tenant_id = $1 AND ra.subject_kind = 'group' "
                 "AND ra.subject_id IN (SELECT group_id FROM mine) "
                 "ORDER BY ra.id",
       0);
SV_SQL(Q_GROUPS_OF_EMPLOYEE, "access_groups_of_employee",
       MY_GROUPS "SELECT group_id FROM mine ORDER BY group_id LIMIT $3", 0);
/* Group $2 and the groups it is in, up the nesting. */
SV_SQL(Q_GROUPS_OF_GROUP, "access_groups_of_group",
       "WITH RECURSIVE up(group_id, depth) AS ("
       "SELECT CAST($2 AS TEXT), 0 "
       "UNION SELECT gm.group_id, up.depth + 1 FROM up "
       "JOIN directory_group_members gm ON gm.tenant_id = $1 "
       "AND gm.member_kind = 'group' AND gm.member_id = up.group_id "
       "WHERE up.depth < 64) "
       "SELECT group_id FROM up GROUP BY group_id ORDER BY MIN(depth), "
       "group_id LIMIT $3",
       0);
/* DIR-3: the hidden departments (a partial index), those naming account
 * $2, a department's place. */
SV_SQL(Q_HIDDEN, "access_hidden",
       "SELECT d.id FROM departments d WHERE d.tenant_id = $1 "
       "AND d.hidden = 1 ORDER BY d.id LIMIT 17",
       0);
SV_SQL(Q_HIDDEN_NAMED, "access_hidden_named",
       MY_GROUPS "SELECT DISTINCT v.department_id FROM department_viewers v "
                 "WHERE v.tenant_id = $1 AND ((v.subject_kind = 'group' "
                 "AND v.subject_id IN (SELECT group_id FROM mine)) "
                 "OR (v.subject_kind = 'role' AND v.subject_id IN ("
                 "SELECT ra.role FROM role_assignments ra "
                 "WHERE ra.tenant_id = $1 AND ((ra.subject_kind = 'account' "
                 "AND ra.subject_id = $2) OR (ra.subject_kind = 'group' "
                 "AND ra.subject_id IN (SELECT group_id FROM mine))))))",
       0);
SV_SQL(Q_PLACE, "access_place",
       "SELECT p.ancestor_id FROM department_paths p WHERE p.tenant_id = $1 "
       "AND p.descendant_id = $2",
       0);
SV_SQL(Q_SCOPE_USED, "access_scope_used",
       "SELECT ra.id FROM role_assignments ra WHERE ra.tenant_id = $1 "
       "AND ra.scope_kind = 'department' AND ra.scope_id = $2 LIMIT 1",
       0);
#define ROLE_COLS "r.id, r.name, r.description, r.created_at, r.updated_at"
SV_SQL(Q_ROLE_FIND, "access_role_find",
       "SELECT " ROLE_COLS " FROM roles r WHERE r.tenant_id = $1 AND r.id = $2",
       0);
SV_SQL(Q_ROLE_PERMS, "access_role_perms",
       "SELECT rp.permission FROM role_permissions rp "
       "WHERE rp.tenant_id = $1 AND rp.role_id = $2",
       0);
SV_SQL(Q_ROLE_NAME_TAKEN, "access_role_name_taken",
       "SELECT r.id FROM roles r WHERE r.tenant_id = $1 AND r.name_key = $2 "
       "AND r.id <> $3",
       0);
SV_SQL(Q_ROLE_COUNT, "access_role_count",
       "SELECT COUNT(*) FROM roles r WHERE r.tenant_id = $1", 0);
SV_SQL(Q_ROLE_INSERT, "access_role_insert",
       "INSERT INTO roles (tenant_id, id, name, name_key, description, "
       "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6)",
       0);
SV_SQL(Q_ROLE_UPDATE, "access_role_update",
       "UPDATE roles SET name = $3, name_key = $4, description = $5, "
       "updated_at = $6 WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_ROLE_PERMS_CLEAR, "access_role_perms_clear",
       "DELETE FROM role_permissions WHERE tenant_id = $1 AND role_id = $2", 0);
SV_SQL(Q_ROLE_PERM_ADD, "access_role_perm_add",
       "INSERT INTO role_permissions (tenant_id, role_id, permission) "
       "VALUES ($1, $2, $3)",
       0);
SV_SQL(Q_ROLE_DELETE, "access_role_delete",
       "DELETE FROM roles WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_ROLE_ASSIGNED, "access_role_assigned",
       "SELECT ra.id FROM role_assignments ra WHERE ra.tenant_id = $1 "
       "AND ra.role = $2 AND (CAST($3 AS INTEGER) = 0 "
       "OR ra.scope_kind = 'department') LIMIT 1",
       0);
/* The custom roles with their permissions (a role without any cannot be:
 * create and update refuse an empty set). */
SV_SQL(Q_ROLES, "access_roles",
       "SELECT " ROLE_COLS ", rp.permission FROM roles r "
       "JOIN role_permissions rp ON rp.tenant_id = r.tenant_id "
       "AND rp.role_id = r.id WHERE r.tenant_id = $1 "
       "ORDER BY r.name_key, r.id",
       0);
SV_SQL(Q_ASSIGN, "access_assign",
       "INSERT INTO role_assignments (tenant_id, id, role, subject_kind, "
       "subject_id, scope_kind, scope_id, created_at, created_by) "
       "VALUES ($1, $2, $3, $9, $4, $5, $6, $7, $8) "
       "ON CONFLICT (tenant_id, subject_kind, subject_id, role, scope_kind, "
       "scope_id) DO NOTHING",
       0);
#define ASSIGN_COLS                                                            \
    "ra.id, ra.role, ra.subject_id, ra.scope_kind, ra.scope_id, "              \
    "ra.created_at, ra.subject_kind"
SV_SQL(Q_ASSIGNMENT_FIND, "access_assignment_find",
       "SELECT " ASSIGN_COLS " FROM role_assignments ra "
       "WHERE ra.tenant_id = $1 AND ra.id = $2",
       0);
SV_SQL(Q_ASSIGNMENT_COUNT, "access_assignment_count",
       "SELECT COUNT(*) FROM role_assignments ra WHERE ra.tenant_id = $1 "
       "AND ra.subject_id = $2",
       0);
/* DIR-6: only enabled accounts count (a disabled admin can do nothing). */
SV_SQL(Q_ADMIN_COUNT, "access_admin_count",
       "SELECT COUNT(*) FROM role_assignments ra "
       "JOIN accounts a ON a.tenant_id = ra.tenant_id AND a.id = ra.subject_id "
       "WHERE ra.tenant_id = $1 AND ra.role = 'tenant_admin' "
       "AND ra.scope_kind = 'tenant' AND ra.subject_kind = 'account' "
       "AND ra.subject_id <> $2 AND a.disabled_at IS NULL",
       0);
SV_SQL(Q_IS_ADMIN, "access_is_admin",
       "SELECT ra.id FROM role_assignments ra WHERE ra.tenant_id = $1 "
       "AND ra.subject_kind = 'account' AND ra.subject_id = $2 "
       "AND ra.role = 'tenant_admin' AND ra.scope_kind = 'tenant'",
       0);
SV_SQL(Q_UNASSIGN, "access_unassign",
       "DELETE FROM role_assignments WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_ASSIGNMENTS, "access_assignments",
       "SELECT " ASSIGN_COLS ", COALESCE(a.username, sg.name), r.name, "
       "COALESCE(d.name, g.name) "
       "FROM role_assignments ra "
       "LEFT JOIN accounts a ON a.tenant_id = ra.tenant_id "
       "AND a.id = ra.subject_id AND ra.subject_kind = 'account' "
       "LEFT JOIN directory_groups sg ON sg.tenant_id = ra.tenant_id "
       "AND sg.id = ra.subject_id AND ra.subject_kind = 'group' "
       "LEFT JOIN roles r ON r.tenant_id = ra.tenant_id AND r.id = ra.role "
       "LEFT JOIN departments d ON d.tenant_id = ra.tenant_id "
       "AND d.id = ra.scope_id AND ra.scope_kind = 'department' "
       "LEFT JOIN directory_groups g ON g.tenant_id = ra.tenant_id "
       "AND g.id = ra.scope_id AND ra.scope_kind = 'group' "
       "WHERE ra.tenant_id = $1 "
       "AND (CAST($2 AS TEXT) IS NULL OR ra.subject_id = $2) "
       "AND (ra.scope_kind <> 'department' OR " SV_VEIL_DEPARTMENT(
           "ra.scope_id", "$5") ") "
                                "AND ra.id > $3 ORDER BY ra.id LIMIT $4",
       0);
SV_SQL(Q_GROUP_EXISTS, "access_group_exists",
       "SELECT g.name FROM directory_groups g WHERE g.tenant_id = $1 "
       "AND g.id = $2",
       0);

/* The owners of these tables are identity and directory, which sit above
 * this layer: existence checks only, never a write. */
SV_SQL(Q_ACCOUNT, "access_account",
       "SELECT a.username FROM accounts a WHERE a.tenant_id = $1 AND a.id = $2",
       0);
SV_SQL(Q_DEPARTMENT, "access_department",
       "SELECT d.id FROM departments d WHERE d.tenant_id = $1 AND d.id = $2",
       0);

enum sv_qs
access_store_account(struct sv_dbc *c, const char *tenant_id, const char *id,
                     char *username, size_t len)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ACCOUNT, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs == SV_QS_ONE)
        snprintf(username, len, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
access_store_department(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_DEPARTMENT, tenant_id, id));
}

enum sv_qs
access_store_lock(struct sv_dbc *c, const char *tenant_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_ACCESS_LOCK);
    sv_stmt_text(st, 1, tenant_id);
    return sv_stmt_exec(st);
}

enum sv_qs
access_store_grants(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, access_grant_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GRANTS, tenant_id, account_id);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (!row(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1),
                 sv_stmt_col_text(st, 2), sv_stmt_col_text(st, 3),
                 sv_stmt_col_null(st, 4) ? NULL : sv_stmt_col_text(st, 4)))
            return SV_QS_HARD;
    }
    return qs;
}

enum sv_qs
access_store_group_grants(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id, access_grant_row_fn row,
                          void *cls)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_MAY_HAVE_GROUP_GRANTS, tenant_id, account_id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs != SV_QS_ONE)
        return qs;
    st = sv_db_stmt2(c, &Q_GROUP_GRANTS, tenant_id, account_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (!row(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1),
                 sv_stmt_col_text(st, 2), sv_stmt_col_text(st, 3),
                 sv_stmt_col_null(st, 4) ? NULL : sv_stmt_col_text(st, 4)))
            return SV_QS_HARD;
    }
    return qs;
}

static enum sv_qs
read_groups(struct sv_stmt *st, struct sv_group_set *out)
{
    enum sv_qs qs;

    out->n = 0;
    sv_stmt_int(st, 3, SV_ACCESS_GROUPS_MAX);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE &&
           out->n < SV_ACCESS_GROUPS_MAX)
        snprintf(out->ids[out->n++], sizeof out->ids[0], "%s",
                 sv_stmt_col_text(st, 0));
    return qs < 0 ? qs : SV_QS_NONE;
}

enum sv_qs
access_store_groups_of_employee(struct sv_dbc *c, const char *tenant_id,
                                const char *id, struct sv_group_set *out)
{
    return read_groups(sv_db_stmt2(c, &Q_GROUPS_OF_EMPLOYEE, tenant_id, id),
                       out);
}

enum sv_qs
access_store_groups_of_group(struct sv_dbc *c, const char *tenant_id,
                             const char *id, struct sv_group_set *out)
{
    return read_groups(sv_db_stmt2(c, &Q_GROUPS_OF_GROUP, tenant_id, id), out);
}

enum sv_qs
access_store_group(struct sv_dbc *c, const char *tenant_id, const char *id,
                   char *name, size_t len)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_GROUP_EXISTS, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs == SV_QS_ONE)
        snprintf(name, len, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

static enum sv_qs
each_id(struct sv_stmt *st, void (*row)(void *, const char *), void *cls)
{
    enum sv_qs qs;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
access_store_hidden(struct sv_dbc *c, const char *tenant_id,
                    void (*row)(void *, const char *), void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_HIDDEN);
    sv_stmt_text(st, 1, tenant_id);
    return each_id(st, row, cls);
}

enum sv_qs
access_store_hidden_named(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id,
                          void (*row)(struct sv_veil *, const char *),
                          struct sv_veil *v)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_HIDDEN_NAMED, tenant_id, account_id);
    enum sv_qs qs;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(v, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
access_store_place(struct sv_dbc *c, const char *tenant_id, const char *id,
                   char ids[][37], size_t *n)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_PLACE, tenant_id, id);
    enum sv_qs qs;

    *n = 0;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE && *n < SV_ACCESS_DEPTH_MAX)
        snprintf(ids[(*n)++], 37, "%s", sv_stmt_col_text(st, 0));
    return qs < 0 ? qs : SV_QS_NONE;
}

enum sv_qs
access_store_scope_used(struct sv_dbc *c, const char *tenant_id,
                        const char *dept_id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_SCOPE_USED, tenant_id, dept_id));
}

static void
read_role(struct sv_stmt *st, struct sv_custom_role *r)
{
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(r->name, sizeof r->name, "%s", sv_stmt_col_text(st, 1));
    snprintf(r->description, sizeof r->description, "%s",
             sv_stmt_col_text(st, 2));
    r->created_at = sv_stmt_col_int(st, 3);
    r->updated_at = sv_stmt_col_int(st, 4);
}

static void
add_perm(sv_perm_set *set, const char *name)
{
    enum sv_perm p;
    if (name != NULL && sv_perm_parse(name, &p))
        *set |= SV_PERM_BIT(p);
}

enum sv_qs
access_store_role_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                       struct sv_custom_role *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ROLE_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs != SV_QS_ONE)
        return qs;
    read_role(st, out);
    qs = access_store_role_perms(c, tenant_id, id, &out->perms);
    return qs < 0 ? qs : SV_QS_ONE;
}

enum sv_qs
access_store_role_perms(struct sv_dbc *c, const char *tenant_id, const char *id,
                        sv_perm_set *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ROLE_PERMS, tenant_id, id);
    enum sv_qs qs;

    *out = 0;
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        add_perm(out, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
access_store_role_name_taken(struct sv_dbc *c, const char *tenant_id,
                             const char *key, const char *except)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ROLE_NAME_TAKEN, tenant_id, key);
    sv_stmt_text(st, 3, except);
    return sv_stmt_step(st);
}

enum sv_qs
access_store_role_count(struct sv_dbc *c, const char *tenant_id, int64_t *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_ROLE_COUNT);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
access_store_role_insert(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_custom_role *r, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ROLE_INSERT, tenant_id, r->id);
    sv_stmt_text(st, 3, r->name);
    sv_stmt_text(st, 4, key);
    sv_stmt_text(st, 5, r->description);
    sv_stmt_int(st, 6, r->created_at);
    return sv_stmt_exec(st);
}

enum sv_qs
access_store_role_update(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_custom_role *r, const char *key)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ROLE_UPDATE, tenant_id, r->id);
    sv_stmt_text(st, 3, r->name);
    sv_stmt_text(st, 4, key);
    sv_stmt_text(st, 5, r->description);
    sv_stmt_int(st, 6, r->updated_at);
    return sv_stmt_exec(st);
}

enum sv_qs
access_store_role_set_perms(struct sv_dbc *c, const char *tenant_id,
                            const char *id, sv_perm_set perms)
{
    enum sv_qs qs =
        sv_stmt_exec(sv_db_stmt2(c, &Q_ROLE_PERMS_CLEAR, tenant_id, id));

    for (int p = 0; qs >= 0 && p < SV_PERM__COUNT; p++) {
        if (!(perms & SV_PERM_BIT(p)))
            continue;
        qs = sv_db_exec_ttt(c, &Q_ROLE_PERM_ADD, tenant_id, id,
                            sv_perm_name((enum sv_perm)p));
        if (qs == SV_QS_NONE)
            qs = SV_QS_HARD;
    }
    return qs;
}

enum sv_qs
access_store_role_delete(struct sv_dbc *c, const char *tenant_id,
                         const char *id)
{
    enum sv_qs qs =
        sv_stmt_exec(sv_db_stmt2(c, &Q_ROLE_PERMS_CLEAR, tenant_id, id));
    return qs < 0 ? qs
                  : sv_stmt_exec(sv_db_stmt2(c, &Q_ROLE_DELETE, tenant_id, id));
}

enum sv_qs
access_store_role_assigned(struct sv_dbc *c, const char *tenant_id,
                           const char *role, bool dept_only)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ROLE_ASSIGNED, tenant_id, role);
    sv_stmt_int(st, 3, dept_only ? 1 : 0);
    return sv_stmt_step(st);
}

enum sv_qs
access_store_roles(struct sv_dbc *c, const char *tenant_id,
                   access_role_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_ROLES);
    struct sv_custom_role r;
    bool have = false;
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (!have || strcmp(r.id, sv_stmt_col_text(st, 0)) != 0) {
            if (have)
                row(cls, &r);
            read_role(st, &r);
            have = true;
        }
        add_perm(&r.perms, sv_stmt_col_text(st, 5));
    }
    if (qs == SV_QS_NONE && have)
        row(cls, &r);
    return qs;
}

enum sv_qs
access_store_assign(struct sv_dbc *c, const char *tenant_id,
                    const struct sv_assignment *a, const char *created_by)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ASSIGN, tenant_id, a->id);
    bool group = a->group_id[0] != '\0';

    sv_stmt_text(st, 3, a->role);
    sv_stmt_text(st, 4, group ? a->group_id : a->account_id);
    sv_stmt_text(st, 5, sv_scope_kind_name(a->scope));
    sv_stmt_text(st, 6,
                 a->scope == SV_SCOPE_GROUP ? a->scope_group_id
                                            : a->department_id);
    sv_stmt_int(st, 7, a->created_at);
    sv_stmt_text(st, 8, created_by);
    sv_stmt_text(st, 9, group ? "group" : "account");
    return sv_stmt_exec(st);
}

static void
read_assignment(struct sv_stmt *st, struct sv_assignment *a)
{
    const char *scope = sv_stmt_col_text(st, 3);
    bool group = strcmp(sv_stmt_col_text(st, 6), "group") == 0;

    memset(a, 0, sizeof *a);
    snprintf(a->id, sizeof a->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(a->role, sizeof a->role, "%s", sv_stmt_col_text(st, 1));
    snprintf(group ? a->group_id : a->account_id, sizeof a->account_id, "%s",
             sv_stmt_col_text(st, 2));
    a->scope = strcmp(scope, "department") == 0 ? SV_SCOPE_DEPARTMENT
               : strcmp(scope, "group") == 0    ? SV_SCOPE_GROUP
                                                : SV_SCOPE_TENANT;
    snprintf(a->scope == SV_SCOPE_GROUP ? a->scope_group_id : a->department_id,
             sizeof a->department_id, "%s", sv_stmt_col_text(st, 4));
    a->created_at = sv_stmt_col_int(st, 5);
}

enum sv_qs
access_store_assignment_find(struct sv_dbc *c, const char *tenant_id,
                             const char *id, struct sv_assignment *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_ASSIGNMENT_FIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs == SV_QS_ONE)
        read_assignment(st, out);
    return qs;
}

static enum sv_qs
count_of(struct sv_stmt *st, int64_t *out)
{
    enum sv_qs qs = sv_stmt_step(st);
    *out = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
access_store_assignment_count(struct sv_dbc *c, const char *tenant_id,
                              const char *account_id, int64_t *out)
{
    return count_of(sv_db_stmt2(c, &Q_ASSIGNMENT_COUNT, tenant_id, account_id),
                    out);
}

enum sv_qs
access_store_admin_count(struct sv_dbc *c, const char *tenant_id,
                         const char *except, int64_t *out)
{
    return count_of(sv_db_stmt2(c, &Q_ADMIN_COUNT, tenant_id, except), out);
}

enum sv_qs
access_store_is_admin(struct sv_dbc *c, const char *tenant_id,
                      const char *account_id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_IS_ADMIN, tenant_id, account_id));
}

enum sv_qs
access_store_unassign(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_UNASSIGN, tenant_id, id));
}

enum sv_qs
access_store_assignments(struct sv_dbc *c, const char *tenant_id,
                         const struct sv_assignment_query *q, const char *veil,
                         sv_assignment_row_fn row, void *cls, bool *more)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_ASSIGNMENTS, tenant_id, q->account_id);
    struct sv_assignment a;
    int n = 0;
    enum sv_qs qs;

    *more = false;
    sv_stmt_text(st, 3, q->after_id != NULL ? q->after_id : "");
    sv_stmt_int(st, 4, q->limit + 1);
    sv_stmt_text(st, 5, veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        if (n++ == q->limit) {
            *more = true;
            break;
        }
        read_assignment(st, &a);
        row(cls, &a, sv_stmt_col_null(st, 7) ? NULL : sv_stmt_col_text(st, 7),
            sv_stmt_col_null(st, 8) ? NULL : sv_stmt_col_text(st, 8),
            sv_stmt_col_null(st, 9) ? NULL : sv_stmt_col_text(st, 9));
    }
    return qs < 0 ? qs : SV_QS_NONE;
}

/* The SQL of SCIM: see scim_store.h. */
#include "scim/scim_store.h"

#include <stdio.h>
#include <string.h>

#include "access/veil_sql.h"

SV_SQL(Q_SCIM_EXT_GET, "scim_external_id",
       "SELECT x.external_id FROM scim_external_ids x WHERE x.tenant_id = $1 "
       "AND x.resource = $2 AND x.id = $3",
       0);
SV_SQL(Q_SCIM_EXT_DROP, "scim_external_id_drop",
       "DELETE FROM scim_external_ids WHERE tenant_id = $1 AND resource = $2 "
       "AND id = $3",
       0);
SV_SQL(Q_SCIM_EXT_TAKEN, "scim_external_id_taken",
       "SELECT x.id FROM scim_external_ids x WHERE x.tenant_id = $1 "
       "AND x.resource = $2 AND x.external_id = $3 AND x.id <> $4",
       0);
SV_SQL(Q_SCIM_EXT_SET, "scim_external_id_set",
       "INSERT INTO scim_external_ids (tenant_id, resource, id, external_id) "
       "VALUES ($1, $2, $3, $4)",
       0);

SV_SQL(Q_SCIM_KIND, "scim_member_kind",
       "SELECT 'employee' FROM employees e WHERE e.tenant_id = $1 "
       "AND e.account_id = $2 UNION ALL SELECT 'group' "
       "FROM directory_groups g WHERE g.tenant_id = $1 AND g.id = $2",
       0);

enum sv_qs
scim_store_member_kind(struct sv_dbc *c, const char *tenant_id, const char *id,
                       char kind[12])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_SCIM_KIND, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        snprintf(kind, 12, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

/* $2 a username, $3 an external id (each NULL: any); $4 count, $5 offset. */
#define USERS_WHERE                                                            \
    "FROM employees e JOIN accounts a ON a.tenant_id = e.tenant_id "           \
    "AND a.id = e.account_id WHERE e.tenant_id = $1 "                          \
    "AND (CAST($2 AS TEXT) IS NULL OR a.username = $2) "                       \
    "AND (CAST($3 AS TEXT) IS NULL OR e.account_id IN (SELECT x.id "           \
    "FROM scim_external_ids x WHERE x.tenant_id = $1 "                         \
    "AND x.resource = 'User' AND x.external_id = $3)) "
/* The veil of the token's maker (DIR-3): $6 of the page, $4 of the count. */
SV_SQL(Q_SCIM_USERS, "scim_users",
       "SELECT e.account_id " USERS_WHERE
       "AND " SV_VEIL_EMPLOYEE("e.account_id",
                               "$6") "ORDER BY e.account_id LIMIT $4 OFFSET $5",
       0);
SV_SQL(Q_SCIM_USERS_COUNT, "scim_users_count",
       "SELECT COUNT(*) " USERS_WHERE
       "AND " SV_VEIL_EMPLOYEE("e.account_id", "$4"),
       0);
#define GROUPS_WHERE                                                           \
    "FROM directory_groups g WHERE g.tenant_id = $1 "                          \
    "AND (CAST($2 AS TEXT) IS NULL OR g.name_key = $2) "                       \
    "AND (CAST($3 AS TEXT) IS NULL OR g.id IN (SELECT x.id "                   \
    "FROM scim_external_ids x WHERE x.tenant_id = $1 "                         \
    "AND x.resource = 'Group' AND x.external_id = $3)) "
SV_SQL(Q_SCIM_GROUPS, "scim_groups",
       "SELECT g.id " GROUPS_WHERE "ORDER BY g.id LIMIT $4 OFFSET $5", 0);
SV_SQL(Q_SCIM_GROUPS_COUNT, "scim_groups_count",
       "SELECT COUNT(*) " GROUPS_WHERE, 0);

enum sv_qs
scim_store_external_id(struct sv_dbc *c, const char *tenant_id,
                       const char *resource, const char *id, char *out,
                       size_t len)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_SCIM_EXT_GET, tenant_id, resource);
    enum sv_qs qs;

    sv_stmt_text(st, 3, id);
    qs = sv_stmt_step(st);
    snprintf(out, len, "%s", qs == SV_QS_ONE ? sv_stmt_col_text(st, 0) : "");
    return qs;
}

enum sv_qs
scim_store_set_external_id(struct sv_dbc *c, const char *tenant_id,
                           const char *resource, const char *id,
                           const char *external_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_SCIM_EXT_DROP, tenant_id, resource);
    enum sv_qs qs;

    sv_stmt_text(st, 3, id);
    if ((qs = sv_stmt_exec(st)) < 0 || external_id == NULL)
        return qs < 0 ? qs : SV_QS_ONE;
    st = sv_db_stmt2(c, &Q_SCIM_EXT_TAKEN, tenant_id, resource);
    sv_stmt_text(st, 3, external_id);
    sv_stmt_text(st, 4, id);
    if ((qs = sv_stmt_step(st)) != SV_QS_NONE)
        return qs < 0 ? qs : SV_QS_NONE;
    st = sv_db_stmt2(c, &Q_SCIM_EXT_SET, tenant_id, resource);
    sv_stmt_text(st, 3, id);
    sv_stmt_text(st, 4, external_id);
    return sv_stmt_exec(st);
}

static enum sv_qs
page(struct sv_dbc *c, const struct sv_sql *rows, const struct sv_sql *count,
     const char *tenant_id, const char *match, const struct scim_query *q,
     bool veiled, scim_id_fn row, void *cls, int64_t *total)
{
    struct sv_stmt *st = sv_db_stmt2(c, count, tenant_id, match);
    enum sv_qs qs;

    sv_stmt_text(st, 3, q->external_id);
    if (veiled)
        sv_stmt_text(st, 4, q->veil);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs < 0 ? qs : SV_QS_HARD;
    *total = sv_stmt_col_int(st, 0);
    if (q->count == 0)
        return SV_QS_NONE;
    st = sv_db_stmt2(c, rows, tenant_id, match);
    sv_stmt_text(st, 3, q->external_id);
    sv_stmt_int(st, 4, q->count);
    sv_stmt_int(st, 5, q->offset);
    if (veiled)
        sv_stmt_text(st, 6, q->veil);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
scim_store_users(struct sv_dbc *c, const char *tenant_id,
                 const struct scim_query *q, scim_id_fn row, void *cls,
                 int64_t *total)
{
    return page(c, &Q_SCIM_USERS, &Q_SCIM_USERS_COUNT, tenant_id, q->username,
                q, true, row, cls, total);
}

enum sv_qs
scim_store_groups(struct sv_dbc *c, const char *tenant_id,
                  const struct scim_query *q, scim_id_fn row, void *cls,
                  int64_t *total)
{
    return page(c, &Q_SCIM_GROUPS, &Q_SCIM_GROUPS_COUNT, tenant_id, q->name_key,
                q, false, row, cls, total);
}

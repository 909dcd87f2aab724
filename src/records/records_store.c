/* The SQL of CRM records: see records_store.h. */
#include "records/records_store.h"

#include <stdio.h>
#include <string.h>

#include "access/veil_sql.h"

/* A record's confidential and secret values, one JSON object each. */
const struct sv_field_desc records_store_sealed_field = {
    "records", "sealed", NULL, NULL, 2, SV_RECORDS_SEALED_MAX};
const struct sv_field_desc records_store_secret_field = {
    "records", "secret", NULL, NULL, 2, SV_RECORDS_SEALED_MAX};

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_RECORDS_SEALED_PAGE, "record_sealed_sealed_page",
       "SELECT id, sealed FROM records WHERE tenant_id = $1 "
       "AND id > $2 AND sealed IS NOT NULL ORDER BY id LIMIT $3",
       0);
SV_SQL(Q_RECORDS_SEALED_RESEAL, "record_sealed_reseal",
       "UPDATE records SET sealed = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND sealed = $4",
       0);
SV_SQL(Q_RECORDS_SEALED_COUNT, "record_sealed_sealed_count",
       "SELECT count(*) FROM records WHERE tenant_id = $1 "
       "AND sealed IS NOT NULL",
       0);
SV_SEALED_COLUMN(records_sealed_column, &records_store_sealed_field,
                 &Q_RECORDS_SEALED_PAGE, &Q_RECORDS_SEALED_RESEAL,
                 &Q_RECORDS_SEALED_COUNT);

/* Re-sealed after a key rotation (directory/field.h). */
SV_SQL(Q_RECORDS_SECRET_PAGE, "record_secret_sealed_page",
       "SELECT id, secret FROM records WHERE tenant_id = $1 "
       "AND id > $2 AND secret IS NOT NULL ORDER BY id LIMIT $3",
       0);
SV_SQL(Q_RECORDS_SECRET_RESEAL, "record_secret_reseal",
       "UPDATE records SET secret = $3 WHERE tenant_id = $1 "
       "AND id = $2 AND secret = $4",
       0);
SV_SQL(Q_RECORDS_SECRET_COUNT, "record_secret_sealed_count",
       "SELECT count(*) FROM records WHERE tenant_id = $1 "
       "AND secret IS NOT NULL",
       0);
SV_SEALED_COLUMN(records_secret_column, &records_store_secret_field,
                 &Q_RECORDS_SECRET_PAGE, &Q_RECORDS_SECRET_RESEAL,
                 &Q_RECORDS_SECRET_COUNT);

#define RCOLS                                                                  \
    "r.id, r.type, r.parent_id, r.owner_id, r.department_id, r.version, "      \
    "r.created_at, r.updated_at, r.deleted_at, r.name_key, r.plain, "          \
    "r.sealed, r.secret"

SV_SQL(Q_FIND, "records_find",
       "SELECT " RCOLS " FROM records r WHERE r.tenant_id = $1 AND r.id = $2",
       0);
SV_SQL(Q_INSERT, "records_insert",
       "INSERT INTO records (tenant_id, id, type, parent_id, owner_id, "
       "department_id, version, name_key, plain, sealed, secret, created_at, "
       "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
       "$12, $13)",
       0);
SV_SQL(Q_UPDATE, "records_update",
       "UPDATE records SET parent_id = $3, owner_id = $4, department_id = $5, "
       "version = $6, name_key = $7, plain = $8, sealed = $9, secret = $10, "
       "updated_at = $11 WHERE tenant_id = $1 AND id = $2 AND version = $12 "
       "AND deleted_at IS NULL",
       0);
/* Into the bin or out of it, only from the version and the state the
 * caller checked: a change that came between (a move, another delete)
 * makes it touch nothing. */
SV_SQL(Q_BIN_PUT, "records_bin_put",
       "UPDATE records SET deleted_at = $3, version = version + 1 "
       "WHERE tenant_id = $1 AND id = $2 AND version = $4 "
       "AND deleted_at IS NULL",
       0);
SV_SQL(Q_BIN_TAKE, "records_bin_take",
       "UPDATE records SET deleted_at = NULL, version = version + 1 "
       "WHERE tenant_id = $1 AND id = $2 AND version = $3 "
       "AND deleted_at IS NOT NULL",
       0);
SV_SQL(Q_PURGE, "records_purge",
       "DELETE FROM records WHERE tenant_id = $1 AND id = $2 "
       "AND deleted_at IS NOT NULL",
       0);
/* A record a new one is put under: live, and locked against a delete
 * until this transaction ends (PostgreSQL takes the row's lock; SQLite
 * has one writer). */
SV_SQL(Q_HOLD_LIVE, "records_hold_live",
       "UPDATE records SET version = version WHERE tenant_id = $1 AND id = $2 "
       "AND deleted_at IS NULL",
       0);
SV_SQL(Q_TERMS_CLEAR, "records_terms_clear",
       "DELETE FROM record_terms WHERE tenant_id = $1 AND record_id = $2", 0);
SV_SQL(Q_TERM_ADD, "records_term_add",
       "INSERT INTO record_terms (tenant_id, type, field, term, record_id) "
       "VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
       0);
SV_SQL(Q_HAS_CHILDREN, "records_has_children",
       "SELECT 1 FROM records r WHERE r.tenant_id = $1 AND r.parent_id = $2 "
       "AND (CAST($3 AS INTEGER) = 0 OR r.deleted_at IS NULL) LIMIT 1",
       0);
SV_SQL(Q_PRIMARY_DEPT, "records_primary_department",
       "SELECT ed.department_id FROM employee_departments ed "
       "WHERE ed.tenant_id = $1 AND ed.account_id = $2 AND ed.is_primary = 1",
       0);
SV_SQL(Q_TEAMS, "records_teams",
       "SELECT ed.department_id FROM employee_departments ed "
       "WHERE ed.tenant_id = $1 AND ed.account_id = $2 "
       "ORDER BY ed.department_id LIMIT 17",
       0);
SV_SQL(Q_MEMBER_OF, "records_member_of",
       "SELECT 1 FROM employee_departments ed WHERE ed.tenant_id = $1 "
       "AND ed.account_id = $2 AND ed.department_id = $3",
       0);
SV_SQL(Q_ACCOUNT_ENABLED, "records_account_enabled",
       "SELECT 1 FROM accounts a WHERE a.tenant_id = $1 AND a.id = $2 "
       "AND a.disabled_at IS NULL",
       0);
SV_SQL(Q_DEPARTMENT, "records_department",
       "SELECT 1 FROM departments d WHERE d.tenant_id = $1 AND d.id = $2", 0);
SV_SQL(Q_FIELDS, "records_fields",
       "SELECT f.name, f.ftype, f.level, f.label, f.flags, f.max_len "
       "FROM record_fields f WHERE f.tenant_id = $1 AND f.type = $2 "
       "ORDER BY f.created_at, f.name",
       0);
SV_SQL(Q_FIELD_INSERT, "records_field_insert",
       "INSERT INTO record_fields (tenant_id, type, name, ftype, level, "
       "flags, max_len, label, created_at) VALUES ($1, $2, $3, $4, $5, $6, "
       "$7, $8, $9)",
       0);
SV_SQL(Q_STAGES, "records_stages",
       "SELECT s.key, s.label FROM pipeline_stages s WHERE s.tenant_id = $1 "
       "ORDER BY s.position",
       0);
SV_SQL(Q_STAGES_CLEAR, "records_stages_clear",
       "DELETE FROM pipeline_stages WHERE tenant_id = $1", 0);
SV_SQL(Q_STAGE_ADD, "records_stage_add",
       "INSERT INTO pipeline_stages (tenant_id, key, label, position) "
       "VALUES ($1, $2, $3, $4)",
       0);
/* Live or in the bin: a restored opportunity keeps its stage. */
SV_SQL(Q_STAGE_USED, "records_stage_used",
       "SELECT 1 FROM record_terms t "
       "WHERE t.tenant_id = $1 AND t.type = 'opportunity' "
       "AND t.field = 'stage' AND t.term = $2 LIMIT 1",
       0);
/* The tenant's row held until commit: one configuration change (a custom
 * field, the pipeline) at a time, so a cap or a check of one cannot be
 * passed by two at once on PostgreSQL (READ COMMITTED). */
SV_SQL(Q_CONFIG_LOCK, "records_config_lock",
       "UPDATE tenants SET created_at = created_at WHERE id = $1", 0);
/* DATA-4 (015). */
SV_SQL(Q_QUOTAS, "records_quotas",
       "SELECT q.reads_per_minute, q.reads_per_day, q.unmasks_per_day, "
       "q.export_rows_per_day FROM record_quotas q WHERE q.tenant_id = $1",
       0);
SV_SQL(Q_QUOTAS_SET, "records_quotas_set",
       "INSERT INTO record_quotas (tenant_id, reads_per_minute, "
       "reads_per_day, unmasks_per_day, export_rows_per_day, updated_at) "
       "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (tenant_id) DO UPDATE "
       "SET reads_per_minute = excluded.reads_per_minute, "
       "reads_per_day = excluded.reads_per_day, "
       "unmasks_per_day = excluded.unmasks_per_day, "
       "export_rows_per_day = excluded.export_rows_per_day, "
       "updated_at = excluded.updated_at",
       0);
SV_SQL(Q_USAGE, "records_usage",
       "SELECT u.reads, u.unmasks, u.export_rows, u.alerts FROM record_usage u "
       "WHERE u.tenant_id = $1 AND u.account_id = $2 AND u.day = $3",
       0);
SV_SQL(Q_USAGE_ADD, "records_usage_add",
       "INSERT INTO record_usage (tenant_id, account_id, day, reads, unmasks, "
       "export_rows) VALUES ($1, $2, $3, $4, $5, $6) "
       "ON CONFLICT (tenant_id, account_id, day) DO UPDATE "
       "SET reads = record_usage.reads + excluded.reads, "
       "unmasks = record_usage.unmasks + excluded.unmasks, "
       "export_rows = record_usage.export_rows + excluded.export_rows "
       "RETURNING reads, unmasks, export_rows",
       0);
SV_SQL(Q_USAGE_ALERT, "records_usage_alert",
       "UPDATE record_usage SET alerts = alerts | CAST($4 AS INTEGER) "
       "WHERE tenant_id = $1 AND account_id = $2 AND day = $3 "
       "AND (alerts & CAST($4 AS INTEGER)) = 0",
       0);
/* Days ended: what the quotas counted then is of no further use. */
SV_SQL(Q_USAGE_PRUNE, "records_usage_prune",
       "DELETE FROM record_usage WHERE tenant_id = $1 AND day < $2", 0);
SV_SQL(Q_ADMINS, "records_admins",
       "SELECT DISTINCT ra.subject_id FROM role_assignments ra "
       "JOIN accounts a ON a.tenant_id = ra.tenant_id AND a.id = ra.subject_id "
       "WHERE ra.tenant_id = $1 AND ra.role = 'tenant_admin' "
       "AND ra.scope_kind = 'tenant' AND ra.subject_kind = 'account' "
       "AND a.disabled_at IS NULL ORDER BY ra.subject_id LIMIT 100",
       0);
SV_SQL(Q_HAND_OVER, "records_hand_over",
       "UPDATE records SET owner_id = $3, version = version + 1, "
       "updated_at = $4 WHERE tenant_id = $1 AND owner_id = $2",
       0);

/*
 * A page. $1 tenant, $2 type, $3 the caller as owner ("" without own
 * scope), $4 all, $5 the subtrees reached, $6 the veil, $7 parent, $8
 * owner, $9 department, $10 and $14 the name prefix's range (an index
 * range, not a pattern), $11 the cursor's key (name order) or time
 * (recent order, the bin), $12 its id, $13 the limit; the term variants
 * $15 field and $16 term.
 */
/* $5 lists ",id," a department with its subtree, ",=id," one alone. */
#define REACH                                                                  \
    "(CAST($4 AS INTEGER) = 1 OR r.owner_id = $3 "                             \
    "OR (CAST($5 AS TEXT) IS NOT NULL "                                        \
    "AND ($5 LIKE '%,=' || r.department_id || ',%' OR EXISTS (SELECT 1 "       \
    "FROM department_paths rp WHERE rp.tenant_id = $1 "                        \
    "AND rp.descendant_id = r.department_id "                                  \
    "AND $5 LIKE '%,' || rp.ancestor_id || ',%')))) "
#define FILTERS                                                                \
    "AND " REACH "AND " SV_VEIL_DEPARTMENT(                                    \
        "r.department_id",                                                     \
        "$6") "AND (CAST($7 AS TEXT) IS NULL OR r.parent_id = $7) "            \
              "AND (CAST($8 AS TEXT) IS NULL OR r.owner_id = $8) "             \
              "AND (CAST($9 AS TEXT) IS NULL OR r.department_id = $9) "        \
              "AND (CAST($10 AS TEXT) IS NULL OR (r.name_key >= $10 "          \
              "AND r.name_key < $14)) "
#define AFTER_NAME                                                             \
    "AND (CAST($12 AS TEXT) IS NULL OR r.name_key > $11 "                      \
    "OR (r.name_key = $11 AND r.id > $12)) "
#define AFTER_RECENT                                                           \
    "AND (CAST($12 AS TEXT) IS NULL OR r.updated_at < CAST($11 AS BIGINT) "    \
    "OR (r.updated_at = CAST($11 AS BIGINT) AND r.id < $12)) "
#define BY_NAME "ORDER BY r.name_key, r.id LIMIT $13"
#define BY_RECENT "ORDER BY r.updated_at DESC, r.id DESC LIMIT $13"
#define LIVE "r.tenant_id = $1 AND r.type = $2 AND r.deleted_at IS NULL "
/* An exact match drives the page from the term's few rows (CROSS JOIN
 * keeps SQLite's order; PostgreSQL plans it as any join). */
#define BY_TERM                                                                \
    "FROM record_terms t CROSS JOIN records r WHERE t.tenant_id = $1 "         \
    "AND t.type = $2 AND t.field = $15 AND t.term = $16 "                      \
    "AND r.id = t.record_id AND "

SV_SQL(Q_LIST_NAME, "records_list_name",
       "SELECT " RCOLS " FROM records r WHERE " LIVE FILTERS AFTER_NAME BY_NAME,
       0);
SV_SQL(Q_LIST_RECENT, "records_list_recent",
       "SELECT " RCOLS
       " FROM records r WHERE " LIVE FILTERS AFTER_RECENT BY_RECENT,
       0);
/* A caller who reaches only its own records reads them from the owner's
 * index, not the whole type's. */
SV_SQL(Q_LIST_OWN, "records_list_own",
       "SELECT " RCOLS " FROM records r WHERE " LIVE
       "AND r.owner_id = $3 AND CAST($4 AS INTEGER) = 0 "
       "AND CAST($5 AS TEXT) IS NULL " FILTERS AFTER_NAME BY_NAME,
       0);
SV_SQL(Q_LIST_OWN_RECENT, "records_list_own_recent",
       "SELECT " RCOLS " FROM records r WHERE " LIVE
       "AND r.owner_id = $3 AND CAST($4 AS INTEGER) = 0 "
       "AND CAST($5 AS TEXT) IS NULL " FILTERS AFTER_RECENT BY_RECENT,
       0);
SV_SQL(Q_LIST_TERM_NAME, "records_list_term_name",
       "SELECT " RCOLS " " BY_TERM LIVE FILTERS AFTER_NAME BY_NAME, 0);
SV_SQL(Q_LIST_TERM_RECENT, "records_list_term_recent",
       "SELECT " RCOLS " " BY_TERM LIVE FILTERS AFTER_RECENT BY_RECENT, 0);
/* The same filters, counted (an export's size), at most $13 rows read:
 * $11 and $12 are unbound cursors. */
#define COUNTED(q) "SELECT COUNT(*) FROM (SELECT 1 " q " LIMIT $13) x"
SV_SQL(Q_COUNT, "records_count",
       COUNTED("FROM records r WHERE " LIVE FILTERS AFTER_NAME), 0);
SV_SQL(Q_COUNT_OWN, "records_count_own",
       COUNTED("FROM records r WHERE " LIVE
               "AND r.owner_id = $3 AND CAST($4 AS INTEGER) = 0 "
               "AND CAST($5 AS TEXT) IS NULL " FILTERS AFTER_NAME),
       0);
SV_SQL(Q_COUNT_TERM, "records_count_term",
       COUNTED(BY_TERM LIVE FILTERS AFTER_NAME), 0);
SV_SQL(Q_BIN, "records_bin",
       "SELECT " RCOLS " FROM records r WHERE r.tenant_id = $1 "
       "AND r.type = $2 AND r.deleted_at IS NOT NULL " FILTERS
       "AND (CAST($12 AS TEXT) IS NULL OR r.deleted_at < CAST($11 AS BIGINT) "
       "OR (r.deleted_at = CAST($11 AS BIGINT) AND r.id < $12)) "
       "ORDER BY r.deleted_at DESC, r.id DESC LIMIT $13",
       0);
SV_SQL(Q_EXPIRED, "records_expired",
       "SELECT " RCOLS " FROM records r WHERE r.tenant_id = $1 "
       "AND r.deleted_at IS NOT NULL AND r.deleted_at < $2 "
       "AND NOT EXISTS (SELECT 1 FROM records k WHERE k.tenant_id = $1 "
       "AND k.parent_id = r.id) ORDER BY r.deleted_at LIMIT $3",
       0);

static void
text_or_null(struct sv_stmt *st, int i, const char *s)
{
    if (s != NULL && s[0] != '\0')
        sv_stmt_text(st, i, s);
    else
        sv_stmt_null(st, i);
}

static void
blob_or_null(struct sv_stmt *st, int i, const uint8_t *p, size_t n)
{
    if (p != NULL)
        sv_stmt_blob(st, i, p, n);
    else
        sv_stmt_null(st, i);
}

static enum sv_qs
walk(struct sv_stmt *st, records_row_fn fn, void *cls)
{
    enum sv_qs qs;
    struct records_row r;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        memset(&r, 0, sizeof r);
        r.id = sv_stmt_col_text(st, 0);
        r.type = sv_stmt_col_text(st, 1);
        r.parent_id = sv_stmt_col_text(st, 2);
        r.owner_id = sv_stmt_col_text(st, 3);
        r.department_id = sv_stmt_col_text(st, 4);
        r.version = sv_stmt_col_int(st, 5);
        r.created_at = sv_stmt_col_int(st, 6);
        r.updated_at = sv_stmt_col_int(st, 7);
        r.deleted_at = sv_stmt_col_null(st, 8) ? 0 : sv_stmt_col_int(st, 8);
        r.name_key = sv_stmt_col_text(st, 9);
        r.plain = sv_stmt_col_text(st, 10);
        if (!sv_stmt_col_null(st, 11))
            r.sealed = sv_stmt_col_blob(st, 11, &r.sealed_len);
        if (!sv_stmt_col_null(st, 12))
            r.secret = sv_stmt_col_blob(st, 12, &r.secret_len);
        if (!fn(cls, &r))
            return SV_QS_HARD;
    }
    return qs;
}

struct find_ctx {
    records_row_fn fn;
    void *cls;
    bool found;
};

static bool
found_row(void *cls, const struct records_row *r)
{
    struct find_ctx *f = cls;
    f->found = true;
    return f->fn(f->cls, r);
}

enum sv_qs
records_store_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                   records_row_fn fn, void *cls)
{
    struct find_ctx f = {fn, cls, false};
    enum sv_qs qs = walk(sv_db_stmt2(c, &Q_FIND, tenant_id, id), found_row, &f);

    if (qs < 0)
        return qs;
    return f.found ? SV_QS_ONE : SV_QS_NONE;
}

static void
bind_put(struct sv_stmt *st, const char *tenant_id, const struct records_put *p)
{
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, p->id);
}

enum sv_qs
records_store_insert(struct sv_dbc *c, const char *tenant_id,
                     const struct records_put *p)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_INSERT);

    bind_put(st, tenant_id, p);
    sv_stmt_text(st, 3, p->type);
    text_or_null(st, 4, p->parent_id);
    sv_stmt_text(st, 5, p->owner_id);
    sv_stmt_text(st, 6, p->department_id);
    sv_stmt_int(st, 7, p->version);
    sv_stmt_text(st, 8, p->name_key);
    sv_stmt_text(st, 9, p->plain);
    blob_or_null(st, 10, p->sealed, p->sealed_len);
    blob_or_null(st, 11, p->secret, p->secret_len);
    sv_stmt_int(st, 12, p->created_at);
    sv_stmt_int(st, 13, p->updated_at);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_update(struct sv_dbc *c, const char *tenant_id,
                     const struct records_put *p, int64_t old_version)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_UPDATE);

    bind_put(st, tenant_id, p);
    text_or_null(st, 3, p->parent_id);
    sv_stmt_text(st, 4, p->owner_id);
    sv_stmt_text(st, 5, p->department_id);
    sv_stmt_int(st, 6, p->version);
    sv_stmt_text(st, 7, p->name_key);
    sv_stmt_text(st, 8, p->plain);
    blob_or_null(st, 9, p->sealed, p->sealed_len);
    blob_or_null(st, 10, p->secret, p->secret_len);
    sv_stmt_int(st, 11, p->updated_at);
    sv_stmt_int(st, 12, old_version);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_bin_put(struct sv_dbc *c, const char *tenant_id, const char *id,
                      int64_t version, int64_t at)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_BIN_PUT, tenant_id, id);

    sv_stmt_int(st, 3, at);
    sv_stmt_int(st, 4, version);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_bin_take(struct sv_dbc *c, const char *tenant_id, const char *id,
                       int64_t version)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_BIN_TAKE, tenant_id, id);

    sv_stmt_int(st, 3, version);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_hold_live(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_HOLD_LIVE, tenant_id, id));
}

enum sv_qs
records_store_purge(struct sv_dbc *c, const char *tenant_id, const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_PURGE, tenant_id, id));
}

enum sv_qs
records_store_terms_clear(struct sv_dbc *c, const char *tenant_id,
                          const char *id)
{
    return sv_stmt_exec(sv_db_stmt2(c, &Q_TERMS_CLEAR, tenant_id, id));
}

enum sv_qs
records_store_term_add(struct sv_dbc *c, const char *tenant_id,
                       const char *type, const char *field, const char *term,
                       const char *id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TERM_ADD, tenant_id, type);

    sv_stmt_text(st, 3, field);
    sv_stmt_text(st, 4, term);
    sv_stmt_text(st, 5, id);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_has_children(struct sv_dbc *c, const char *tenant_id,
                           const char *id, bool live_only)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_HAS_CHILDREN, tenant_id, id);

    sv_stmt_int(st, 3, live_only);
    return sv_stmt_step(st);
}

enum sv_qs
records_store_primary_department(struct sv_dbc *c, const char *tenant_id,
                                 const char *account_id, char out[37])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_PRIMARY_DEPT, tenant_id, account_id);
    enum sv_qs qs = sv_stmt_step(st);

    out[0] = '\0';
    if (qs == SV_QS_ONE)
        snprintf(out, 37, "%s", sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
records_store_teams(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, records_team_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TEAMS, tenant_id, account_id);
    enum sv_qs qs, any = SV_QS_NONE;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        fn(cls, sv_stmt_col_text(st, 0));
        any = SV_QS_ONE;
    }
    return qs < 0 ? qs : any;
}

enum sv_qs
records_store_member_of(struct sv_dbc *c, const char *tenant_id,
                        const char *account_id, const char *department_id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_MEMBER_OF, tenant_id, account_id);

    sv_stmt_text(st, 3, department_id);
    return sv_stmt_step(st);
}

enum sv_qs
records_store_account_enabled(struct sv_dbc *c, const char *tenant_id,
                              const char *account_id)
{
    return sv_stmt_step(
        sv_db_stmt2(c, &Q_ACCOUNT_ENABLED, tenant_id, account_id));
}

enum sv_qs
records_store_department(struct sv_dbc *c, const char *tenant_id,
                         const char *id)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_DEPARTMENT, tenant_id, id));
}

enum sv_qs
records_store_fields(struct sv_dbc *c, const char *tenant_id, const char *type,
                     records_field_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_FIELDS, tenant_id, type);
    struct records_field_row f;
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        f.name = sv_stmt_col_text(st, 0);
        f.ftype = sv_stmt_col_text(st, 1);
        f.level = sv_stmt_col_text(st, 2);
        f.label = sv_stmt_col_text(st, 3);
        f.flags = sv_stmt_col_int(st, 4);
        f.max_len = sv_stmt_col_int(st, 5);
        fn(cls, &f);
    }
    return qs;
}

enum sv_qs
records_store_field_insert(struct sv_dbc *c, const char *tenant_id,
                           const char *type, const struct records_field_row *f,
                           int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_FIELD_INSERT, tenant_id, type);

    sv_stmt_text(st, 3, f->name);
    sv_stmt_text(st, 4, f->ftype);
    sv_stmt_text(st, 5, f->level);
    sv_stmt_int(st, 6, f->flags);
    sv_stmt_int(st, 7, f->max_len);
    sv_stmt_text(st, 8, f->label);
    sv_stmt_int(st, 9, now);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_stages(struct sv_dbc *c, const char *tenant_id,
                     records_stage_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_STAGES);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(cls, sv_stmt_col_text(st, 0), sv_stmt_col_text(st, 1));
    return qs;
}

enum sv_qs
records_store_config_lock(struct sv_dbc *c, const char *tenant_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_CONFIG_LOCK);

    sv_stmt_text(st, 1, tenant_id);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_stages_clear(struct sv_dbc *c, const char *tenant_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_STAGES_CLEAR);

    sv_stmt_text(st, 1, tenant_id);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_stage_add(struct sv_dbc *c, const char *tenant_id,
                        const char *key, const char *label, int64_t position)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_STAGE_ADD, tenant_id, key);

    sv_stmt_text(st, 3, label);
    sv_stmt_int(st, 4, position);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_stage_used(struct sv_dbc *c, const char *tenant_id,
                         const char *key)
{
    return sv_stmt_step(sv_db_stmt2(c, &Q_STAGE_USED, tenant_id, key));
}

enum sv_qs
records_store_hand_over(struct sv_dbc *c, const char *tenant_id,
                        const char *from, const char *to, int64_t now,
                        int64_t *n)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_HAND_OVER, tenant_id, from);
    enum sv_qs qs;

    sv_stmt_text(st, 3, to);
    sv_stmt_int(st, 4, now);
    qs = sv_stmt_exec(st);
    *n = qs >= 0 ? sv_stmt_changes(st) : 0;
    return qs;
}

/* $1-$13 of a page (see above); the cursor's key as text or a time. */
static void
bind_query(struct sv_stmt *st, const char *tenant_id,
           const struct records_query *q, bool time_cursor)
{
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_text(st, 2, q->type);
    sv_stmt_text(st, 3, q->me != NULL ? q->me : "");
    sv_stmt_int(st, 4, q->all);
    text_or_null(st, 5, q->roots);
    text_or_null(st, 6, q->veil);
    text_or_null(st, 7, q->parent_id);
    text_or_null(st, 8, q->owner_id);
    text_or_null(st, 9, q->department_id);
    text_or_null(st, 10, q->prefix_low);
    if (time_cursor)
        sv_stmt_int(st, 11, q->after_time);
    else
        sv_stmt_text(st, 11, q->after_key != NULL ? q->after_key : "");
    text_or_null(st, 12, q->after_id);
    sv_stmt_int(st, 13, q->limit);
    text_or_null(st, 14, q->prefix_high);
}

enum sv_qs
records_store_list(struct sv_dbc *c, const char *tenant_id,
                   const struct records_query *q, records_row_fn fn, void *cls)
{
    const struct sv_sql *sql;
    struct sv_stmt *st;

    if (q->term_field != NULL)
        sql = q->recent ? &Q_LIST_TERM_RECENT : &Q_LIST_TERM_NAME;
    else if (q->recent)
        sql = q->own_only ? &Q_LIST_OWN_RECENT : &Q_LIST_RECENT;
    else
        sql = q->own_only ? &Q_LIST_OWN : &Q_LIST_NAME;
    st = sv_db_stmt(c, sql);
    bind_query(st, tenant_id, q, q->recent);
    if (q->term_field != NULL) {
        sv_stmt_text(st, 15, q->term_field);
        sv_stmt_text(st, 16, q->term);
    }
    return walk(st, fn, cls);
}

enum sv_qs
records_store_count(struct sv_dbc *c, const char *tenant_id,
                    const struct records_query *q, int64_t *n)
{
    const struct sv_sql *sql = q->term_field != NULL ? &Q_COUNT_TERM
                               : q->own_only         ? &Q_COUNT_OWN
                                                     : &Q_COUNT;
    struct sv_stmt *st = sv_db_stmt(c, sql);
    enum sv_qs qs;

    bind_query(st, tenant_id, q, false);
    if (q->term_field != NULL) {
        sv_stmt_text(st, 15, q->term_field);
        sv_stmt_text(st, 16, q->term);
    }
    qs = sv_stmt_step(st);
    *n = qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : 0;
    return qs;
}

enum sv_qs
records_store_quotas(struct sv_dbc *c, const char *tenant_id, int64_t v[4])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_QUOTAS);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    for (int i = 0; qs == SV_QS_ONE && i < 4; i++)
        v[i] = sv_stmt_col_int(st, i);
    return qs;
}

enum sv_qs
records_store_quotas_set(struct sv_dbc *c, const char *tenant_id,
                         const int64_t v[4], int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_QUOTAS_SET);

    sv_stmt_text(st, 1, tenant_id);
    for (int i = 0; i < 4; i++)
        sv_stmt_int(st, 2 + i, v[i]);
    sv_stmt_int(st, 6, now);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_usage(struct sv_dbc *c, const char *tenant_id,
                    const char *account_id, int64_t day, int64_t out[4])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_USAGE, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_int(st, 3, day);
    qs = sv_stmt_step(st);
    for (int i = 0; i < 4; i++)
        out[i] = qs == SV_QS_ONE ? sv_stmt_col_int(st, i) : 0;
    return qs;
}

enum sv_qs
records_store_usage_add(struct sv_dbc *c, const char *tenant_id,
                        const char *account_id, int64_t day,
                        const int64_t add[3], int64_t total[3])
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_USAGE_ADD, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_int(st, 3, day);
    for (int i = 0; i < 3; i++)
        sv_stmt_int(st, 4 + i, add[i]);
    qs = sv_stmt_step(st);
    for (int i = 0; i < 3; i++)
        total[i] = qs == SV_QS_ONE ? sv_stmt_col_int(st, i) : 0;
    if (qs == SV_QS_ONE && sv_stmt_step(st) < 0)
        return SV_QS_HARD;
    return qs == SV_QS_NONE ? SV_QS_HARD : qs;
}

enum sv_qs
records_store_usage_alert(struct sv_dbc *c, const char *tenant_id,
                          const char *account_id, int64_t day, int64_t bit)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_USAGE_ALERT, tenant_id, account_id);
    enum sv_qs qs;

    sv_stmt_int(st, 3, day);
    sv_stmt_int(st, 4, bit);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return qs;
    return sv_stmt_changes(st) == 1 ? SV_QS_ONE : SV_QS_NONE;
}

enum sv_qs
records_store_usage_prune(struct sv_dbc *c, const char *tenant_id,
                          int64_t before_day)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_USAGE_PRUNE);

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, before_day);
    return sv_stmt_exec(st);
}

enum sv_qs
records_store_admins(struct sv_dbc *c, const char *tenant_id, records_id_fn fn,
                     void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_ADMINS);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
records_store_bin(struct sv_dbc *c, const char *tenant_id,
                  const struct records_query *q, records_row_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_BIN);

    bind_query(st, tenant_id, q, true);
    return walk(st, fn, cls);
}

enum sv_qs
records_store_expired(struct sv_dbc *c, const char *tenant_id, int64_t before,
                      int limit, records_row_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_EXPIRED);

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, before);
    sv_stmt_int(st, 3, limit);
    return walk(st, fn, cls);
}

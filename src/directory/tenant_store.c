#include "directory/tenant_store.h"

#include <stdio.h>
#include <string.h>

#include "core/util.h"

#define TCOLS                                                                  \
    "id, slug, name, password_policy, password_min_score, created_at, "        \
    "require_mfa, phone_region, mask_phones, phone_reveals_per_day"

SV_SQL(Q_BY_SLUG, "tenant_find_by_slug",
       "SELECT " TCOLS " FROM tenants WHERE slug = $1", SV_SQL_PLATFORM);
SV_SQL(Q_BY_ID, "tenant_find", "SELECT " TCOLS " FROM tenants WHERE id = $1",
       SV_SQL_PLATFORM);
/* Not a tenant listed as deleted (one whose deletion stopped between its
 * key and its rows: `tenant delete` again finishes it). */
SV_SQL(Q_LIST, "tenant_list",
       "SELECT " TCOLS " FROM tenants WHERE id NOT IN "
       "(SELECT tenant_id FROM tenant_deletions) ORDER BY slug",
       SV_SQL_PLATFORM);
SV_SQL(Q_INSERT, "tenant_insert",
       "INSERT INTO tenants (id, slug, name, password_policy, "
       "password_min_score, created_at) VALUES ($1, $2, $3, $4, $5, $6) "
       "ON CONFLICT (slug) DO NOTHING",
       SV_SQL_PLATFORM);
SV_SQL(Q_SET_POLICY, "tenant_set_policy",
       "UPDATE tenants SET require_mfa = $2, password_policy = $3, "
       "password_min_score = $4, phone_region = $5, mask_phones = $6, "
       "phone_reveals_per_day = $7 WHERE id = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_INSERT_KEY, "tenant_key_insert",
       "INSERT INTO tenant_keys (tenant_id, version, wrapped, created_at) "
       "VALUES ($1, $2, $3, $4)",
       0);
SV_SQL(Q_FIND_KEY, "tenant_key_find",
       "SELECT k.version, k.wrapped, t.index_key FROM tenant_keys k "
       "JOIN tenants t ON t.id = k.tenant_id WHERE k.tenant_id = $1 "
       "AND ($2 = 0 OR k.version = $2) AND k.retired_at IS NULL "
       "ORDER BY k.version DESC LIMIT 1",
       0);
/* The version a write seals with. On PostgreSQL the row stays share-locked
 * until the writer's transaction ends, so the fence of a re-sealing job
 * (keys_store.c) waits for every writer that may still commit a value
 * under an older version (SQLite's writers are serial). */
#define NEWEST_KEY                                                             \
    "SELECT version FROM tenant_keys WHERE tenant_id = $1 "                    \
    "AND retired_at IS NULL ORDER BY version DESC LIMIT 1"
SV_SQL_PG(Q_NEWEST_KEY, "tenant_key_newest", NEWEST_KEY,
          NEWEST_KEY " FOR KEY SHARE", 0);
SV_SQL(Q_LEGACY, "tenant_key_scheme_1",
       "SELECT id FROM tenants WHERE key_scheme = 1 ORDER BY id",
       SV_SQL_PLATFORM);
SV_SQL(Q_SET_INDEX_KEY, "tenant_set_index_key",
       "UPDATE tenants SET index_key = $2, key_scheme = 2 WHERE id = $1 "
       "AND key_scheme = 1",
       SV_SQL_PLATFORM);
SV_SQL(Q_LIVE_KEYS, "tenant_keys_live",
       "SELECT version, wrapped FROM tenant_keys WHERE tenant_id = $1 "
       "AND retired_at IS NULL ORDER BY version",
       0);
SV_SQL(Q_REWRAP_KEY, "tenant_key_rewrap",
       "UPDATE tenant_keys SET wrapped = $3 WHERE tenant_id = $1 "
       "AND version = $2",
       0);

/*
 * DATA-7: every row of a tenant, children before parents (PostgreSQL's
 * foreign keys are checked per statement). test_tenant_erase reads the
 * schema and fails for a table with a tenant_id that is not here.
 */
SV_SQL(Q_ERASE_RECORD_TERMS, "tenant_erase_record_terms",
       "DELETE FROM record_terms WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_RECORDS, "tenant_erase_records",
       "DELETE FROM records WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_RECORD_FIELDS, "tenant_erase_record_fields",
       "DELETE FROM record_fields WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_PIPELINE_STAGES, "tenant_erase_pipeline_stages",
       "DELETE FROM pipeline_stages WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_RECORD_QUOTAS, "tenant_erase_record_quotas",
       "DELETE FROM record_quotas WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_RECORD_USAGE, "tenant_erase_record_usage",
       "DELETE FROM record_usage WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_KEY_JOBS, "tenant_erase_key_jobs",
       "DELETE FROM key_jobs WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_IMPORT_JOBS, "tenant_erase_import_jobs",
       "DELETE FROM import_jobs WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_SCIM_EXTERNAL_IDS, "tenant_erase_scim_external_ids",
       "DELETE FROM scim_external_ids WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_API_TOKENS, "tenant_erase_api_tokens",
       "DELETE FROM api_tokens WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DEPARTMENT_VIEWERS, "tenant_erase_department_viewers",
       "DELETE FROM department_viewers WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_ROLE_ASSIGNMENTS, "tenant_erase_role_assignments",
       "DELETE FROM role_assignments WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_ROLE_PERMISSIONS, "tenant_erase_role_permissions",
       "DELETE FROM role_permissions WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_ROLES, "tenant_erase_roles",
       "DELETE FROM roles WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DIRECTORY_GROUP_MEMBERS, "tenant_erase_directory_group_members",
       "DELETE FROM directory_group_members WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DIRECTORY_GROUPS, "tenant_erase_directory_groups",
       "DELETE FROM directory_groups WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_EMPLOYEE_DEPARTMENTS, "tenant_erase_employee_departments",
       "DELETE FROM employee_departments WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_EMPLOYEES, "tenant_erase_employees",
       "DELETE FROM employees WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DEPARTMENT_PATHS, "tenant_erase_department_paths",
       "DELETE FROM department_paths WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DEPARTMENTS, "tenant_erase_departments",
       "DELETE FROM departments WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_INBOX, "tenant_erase_inbox",
       "DELETE FROM inbox WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_RESET_CODES, "tenant_erase_reset_codes",
       "DELETE FROM reset_codes WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_RECOVERY_CODES, "tenant_erase_recovery_codes",
       "DELETE FROM recovery_codes WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_TOTP, "tenant_erase_totp",
       "DELETE FROM totp WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_APPROVALS, "tenant_erase_approvals",
       "DELETE FROM approvals WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_CHALLENGES, "tenant_erase_challenges",
       "DELETE FROM challenges WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DEVICE_NONCES, "tenant_erase_device_nonces",
       "DELETE FROM device_nonces WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_SESSIONS, "tenant_erase_sessions",
       "DELETE FROM sessions WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_DEVICES, "tenant_erase_devices",
       "DELETE FROM devices WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_BLACKLIST, "tenant_erase_blacklist",
       "DELETE FROM blacklist WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_ACCOUNTS, "tenant_erase_accounts",
       "DELETE FROM accounts WHERE tenant_id = $1", 0);
/* The server's role may not delete audit events (PostgreSQL): a function
 * of the owner's does it, only for a tenant deleted and listed so (016). */
SV_SQL_PG(Q_ERASE_AUDIT_EVENTS, "tenant_erase_audit_events",
          "DELETE FROM audit_events WHERE tenant_id = $1",
          "SELECT erase_tenant_audit($1)", 0);
SV_SQL(Q_ERASE_TENANT_KEYS, "tenant_erase_tenant_keys",
       "DELETE FROM tenant_keys WHERE tenant_id = $1", 0);
SV_SQL(Q_ERASE_AUDIT_HEAD, "tenant_erase_audit_head",
       "DELETE FROM audit_heads WHERE stream = $1", SV_SQL_PLATFORM);
SV_SQL(Q_ERASE_TENANT, "tenant_erase_tenant",
       "DELETE FROM tenants WHERE id = $1", SV_SQL_PLATFORM);
static const struct sv_sql *const erase[] = {
    &Q_ERASE_RECORD_TERMS,
    &Q_ERASE_RECORDS,
    &Q_ERASE_RECORD_FIELDS,
    &Q_ERASE_PIPELINE_STAGES,
    &Q_ERASE_RECORD_QUOTAS,
    &Q_ERASE_RECORD_USAGE,
    &Q_ERASE_KEY_JOBS,
    &Q_ERASE_IMPORT_JOBS,
    &Q_ERASE_SCIM_EXTERNAL_IDS,
    &Q_ERASE_API_TOKENS,
    &Q_ERASE_DEPARTMENT_VIEWERS,
    &Q_ERASE_ROLE_ASSIGNMENTS,
    &Q_ERASE_ROLE_PERMISSIONS,
    &Q_ERASE_ROLES,
    &Q_ERASE_DIRECTORY_GROUP_MEMBERS,
    &Q_ERASE_DIRECTORY_GROUPS,
    &Q_ERASE_EMPLOYEE_DEPARTMENTS,
    &Q_ERASE_EMPLOYEES,
    &Q_ERASE_DEPARTMENT_PATHS,
    &Q_ERASE_DEPARTMENTS,
    &Q_ERASE_INBOX,
    &Q_ERASE_RESET_CODES,
    &Q_ERASE_RECOVERY_CODES,
    &Q_ERASE_TOTP,
    &Q_ERASE_APPROVALS,
    &Q_ERASE_CHALLENGES,
    &Q_ERASE_DEVICE_NONCES,
    &Q_ERASE_SESSIONS,
    &Q_ERASE_DEVICES,
    &Q_ERASE_BLACKLIST,
    &Q_ERASE_ACCOUNTS,
    &Q_ERASE_TENANT_KEYS,
};

SV_SQL(Q_TOMBSTONE, "tenant_deletion_insert",
       "INSERT INTO tenant_deletions (tenant_id, slug, actor, requested_at) "
       "VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id) DO NOTHING",
       0);
SV_SQL(Q_TOMBSTONE_DONE, "tenant_deletion_done",
       "UPDATE tenant_deletions SET deleted_at = $2 WHERE tenant_id = $1", 0);
SV_SQL(Q_DELETED, "tenant_deletions_list",
       "SELECT tenant_id FROM tenant_deletions ORDER BY tenant_id",
       SV_SQL_PLATFORM);
SV_SQL(Q_TENANT_COUNTS, "tenant_counts",
       "SELECT (SELECT count(*) FROM accounts WHERE tenant_id = $1), "
       "(SELECT count(*) FROM records WHERE tenant_id = $1), "
       "(SELECT count(*) FROM audit_events WHERE tenant_id = $1)",
       0);

static void
read_tenant(struct sv_stmt *st, struct sv_tenant *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->id, sizeof t->id, "%s", sv_stmt_col_text(st, 0));
    snprintf(t->slug, sizeof t->slug, "%s", sv_stmt_col_text(st, 1));
    snprintf(t->name, sizeof t->name, "%s", sv_stmt_col_text(st, 2));
    t->policy.kind = strcmp(sv_stmt_col_text(st, 3), "nist") == 0
                         ? SV_PWPOL_NIST
                         : SV_PWPOL_DEFAULT;
    t->policy.min_score = (int)sv_stmt_col_int(st, 4);
    t->created_at = sv_stmt_col_int(st, 5);
    t->require_mfa = sv_stmt_col_int(st, 6) != 0;
    snprintf(t->phone_region, sizeof t->phone_region, "%s",
             sv_stmt_col_text(st, 7));
    t->mask_phones = sv_stmt_col_int(st, 8) != 0;
    t->phone_reveals_per_day = (int)sv_stmt_col_int(st, 9);
}

static enum sv_qs
find_one(struct sv_dbc *c, const struct sv_sql *q, const char *arg,
         struct sv_tenant *out)
{
    struct sv_stmt *st = sv_db_stmt(c, q);
    enum sv_qs qs;

    sv_stmt_text(st, 1, arg);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_tenant(st, out);
    return qs;
}

enum sv_qs
tenant_store_find_by_slug(struct sv_dbc *c, const char *slug,
                          struct sv_tenant *out)
{
    return find_one(c, &Q_BY_SLUG, slug, out);
}

enum sv_qs
tenant_store_find(struct sv_dbc *c, const char *id, struct sv_tenant *out)
{
    return find_one(c, &Q_BY_ID, id, out);
}

enum sv_qs
tenant_store_list(struct sv_dbc *c, sv_tenant_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_LIST);
    struct sv_tenant t;
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        read_tenant(st, &t);
        row(cls, &t);
    }
    return qs;
}

enum sv_qs
tenant_store_insert(struct sv_dbc *c, const struct sv_tenant *t)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INSERT, t->id, t->slug);
    sv_stmt_text(st, 3, t->name);
    sv_stmt_text(st, 4, sv_policy_kind_name(t->policy.kind));
    sv_stmt_int(st, 5, t->policy.min_score);
    sv_stmt_int(st, 6, t->created_at);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_set_policy(struct sv_dbc *c, const struct sv_tenant *t)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SET_POLICY);
    sv_stmt_text(st, 1, t->id);
    sv_stmt_int(st, 2, t->require_mfa ? 1 : 0);
    sv_stmt_text(st, 3, sv_policy_kind_name(t->policy.kind));
    sv_stmt_int(st, 4, t->policy.min_score);
    sv_stmt_text(st, 5, t->phone_region[0] ? t->phone_region : "CN");
    sv_stmt_int(st, 6, t->mask_phones ? 1 : 0);
    sv_stmt_int(st, 7, t->phone_reveals_per_day);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_insert_key(struct sv_dbc *c, const char *tenant_id,
                        uint32_t version, const uint8_t *wrapped, size_t len)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_INSERT_KEY);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, version);
    sv_stmt_blob(st, 3, wrapped, len);
    sv_stmt_int(st, 4, sv_now_ms());
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_find_key(struct sv_dbc *c, const char *tenant_id, uint32_t version,
                      struct tenant_store_key *out)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_FIND_KEY);
    enum sv_qs qs;
    const void *p;
    size_t n;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, version);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    out->version = (uint32_t)sv_stmt_col_int(st, 0);
    p = sv_stmt_col_blob(st, 1, &n);
    if (n > SV_WRAPPED_KEK_MAX)
        return SV_QS_HARD;
    memcpy(out->wrapped, p, n);
    out->wrapped_len = n;
    out->index_len = 0;
    if (!sv_stmt_col_null(st, 2)) {
        p = sv_stmt_col_blob(st, 2, &n);
        if (n > SV_WRAPPED_KEK_MAX)
            return SV_QS_HARD;
        memcpy(out->index_wrapped, p, n);
        out->index_len = n;
    }
    return SV_QS_ONE;
}

enum sv_qs
tenant_store_newest_key(struct sv_dbc *c, const char *tenant_id,
                        uint32_t *version)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_NEWEST_KEY);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    *version = (uint32_t)sv_stmt_col_int(st, 0);
    return SV_QS_ONE;
}

enum sv_qs
tenant_store_legacy(struct sv_dbc *c, void (*row)(void *, const char *),
                    void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_LEGACY);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
tenant_store_live_keys(struct sv_dbc *c, const char *tenant_id,
                       struct tenant_store_key *out, size_t cap, size_t *n)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_LIVE_KEYS);
    enum sv_qs qs;

    *n = 0;
    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        size_t len;
        const void *p = sv_stmt_col_blob(st, 1, &len);
        if (*n == cap || len > SV_WRAPPED_KEK_MAX)
            return SV_QS_HARD;
        out[*n].version = (uint32_t)sv_stmt_col_int(st, 0);
        memcpy(out[*n].wrapped, p, len);
        out[*n].wrapped_len = len;
        (*n)++;
    }
    return qs;
}

enum sv_qs
tenant_store_rewrap_key(struct sv_dbc *c, const char *tenant_id,
                        uint32_t version, const uint8_t *wrapped, size_t len)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_REWRAP_KEY);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, version);
    sv_stmt_blob(st, 3, wrapped, len);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_set_index_key(struct sv_dbc *c, const char *tenant_id,
                           const uint8_t *wrapped, size_t len)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SET_INDEX_KEY);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_blob(st, 2, wrapped, len);
    return sv_stmt_exec(st);
}

const char *const *
tenant_store_erase_tables(size_t *n)
{
    static const char *names[sizeof erase / sizeof *erase + 1];
    for (size_t i = 0; i < sizeof erase / sizeof *erase; i++)
        names[i] = erase[i]->name + strlen("tenant_erase_");
    names[sizeof erase / sizeof *erase] = "audit_events";
    *n = sizeof erase / sizeof *erase + 1;
    return names;
}

enum sv_qs
tenant_store_erase(struct sv_dbc *c, const char *tenant_id, int64_t *rows)
{
    enum sv_qs qs;

    *rows = 0;
    for (size_t i = 0; i < sizeof erase / sizeof *erase; i++) {
        struct sv_stmt *st = sv_db_stmt(c, erase[i]);
        sv_stmt_text(st, 1, tenant_id);
        qs = sv_stmt_exec(st);
        if (qs < 0)
            return qs;
        *rows += sv_stmt_changes(st);
    }
    struct sv_stmt *st = sv_db_stmt(c, &Q_ERASE_TENANT);
    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_exec(st);
    if (qs < 0)
        return qs;
    *rows += sv_stmt_changes(st);
    /* The audit stream last, once the tenant is gone. */
    st = sv_db_stmt(c, &Q_ERASE_AUDIT_EVENTS);
    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs < 0)
        return qs;
    *rows += qs == SV_QS_ONE ? sv_stmt_col_int(st, 0) : sv_stmt_changes(st);
    st = sv_db_stmt(c, &Q_ERASE_AUDIT_HEAD);
    sv_stmt_text(st, 1, tenant_id);
    if ((qs = sv_stmt_exec(st)) < 0)
        return qs;
    return SV_QS_ONE;
}

enum sv_qs
tenant_store_tombstone(struct sv_dbc *c, const char *tenant_id,
                       const char *slug, const char *actor, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_TOMBSTONE, tenant_id, slug);
    sv_stmt_text(st, 3, actor);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_tombstone_done(struct sv_dbc *c, const char *tenant_id,
                            int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_TOMBSTONE_DONE);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, now);
    return sv_stmt_exec(st);
}

enum sv_qs
tenant_store_deleted(struct sv_dbc *c, void (*row)(void *, const char *),
                     void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_DELETED);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
tenant_store_counts(struct sv_dbc *c, const char *tenant_id, int64_t out[3])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_TENANT_COUNTS);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        for (int i = 0; i < 3; i++)
            out[i] = sv_stmt_col_int(st, i);
    return qs;
}

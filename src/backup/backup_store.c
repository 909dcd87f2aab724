#include "backup/backup_store.h"

#include <stdio.h>
#include <string.h>

/*
 * Every column of every table, in a fixed order: the backup format. A new
 * migration that adds a column adds it here too (and bumps the schema
 * number the file records, so an older file is refused, not misread).
 * A new table goes into bk_tables or bk_not_backed_up below. test_backup
 * reads the migrated schema and fails for a table in neither, and for a
 * backed-up table whose column count differs from its entry here.
 */

/*
 * Not backed up, on purpose: a restored server starts these empty.
 */
const char *const bk_not_backed_up[] = {
    /* written by the restoring binary's own migrations (its schema number
     * must equal the file's) */
    "schema_migrations",
    /* what lives minutes: logins in progress, their approval requests, the
     * replay window of signed requests, self-service reset codes */
    "challenges",
    "approvals",
    "device_nonces",
    "reset_codes",
    /* the failure counters (AUTH-4/5), which decay anyway */
    "auth_counters",
    "auth_failures",
    /* DATA-4: what accounts read, unmasked and exported today (a restored
     * server counts afresh) */
    "record_usage",
    /* re-sealing jobs (016): a restored server has every key version its
     * ciphertexts use, none retired; `keys rotate` again to finish one */
    "key_jobs",
    /* deleted tenants (016): a backup from before a deletion still lists
     * the tenant, whose section no longer opens: a restore skips it */
    "tenant_deletions",
    NULL,
};

SV_SQL(Q_DUMP_TENANTS, "backup_dump_tenants",
       "SELECT id, slug, name, password_policy, password_min_score, "
       "created_at, require_mfa, phone_region, mask_phones, "
       "phone_reveals_per_day, index_key, key_scheme FROM tenants "
       "WHERE id = $1",
       SV_SQL_PLATFORM);
/* A tenant listed as deleted (its rows going, its master key gone) is not
 * backed up. */
SV_SQL(Q_TENANT_IDS, "backup_tenant_ids",
       "SELECT id FROM tenants WHERE id NOT IN "
       "(SELECT tenant_id FROM tenant_deletions) ORDER BY id",
       SV_SQL_PLATFORM);
SV_SQL(Q_LOAD_TENANTS, "backup_load_tenants",
       "INSERT INTO tenants (id, slug, name, password_policy, "
       "password_min_score, created_at, require_mfa, phone_region, "
       "mask_phones, phone_reveals_per_day, index_key, key_scheme) "
       "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
       SV_SQL_PLATFORM);

SV_SQL(Q_DUMP_KEYS, "backup_dump_tenant_keys",
       "SELECT tenant_id, version, wrapped, created_at, retired_at "
       "FROM tenant_keys WHERE tenant_id = $1 ORDER BY version",
       0);
SV_SQL(Q_LOAD_KEYS, "backup_load_tenant_keys",
       "INSERT INTO tenant_keys (tenant_id, version, wrapped, created_at, "
       "retired_at) VALUES ($1, $2, $3, $4, $5)",
       0);

#define ACOLS                                                                  \
    "tenant_id, id, username, email_enc, email_bidx, password_hash, "          \
    "must_change_password, password_changed_at, created_at, phone_enc, "       \
    "disabled_at"
SV_SQL(Q_DUMP_ACCOUNTS, "backup_dump_accounts",
       "SELECT " ACOLS " FROM accounts WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_LOAD_ACCOUNTS, "backup_load_accounts",
       "INSERT INTO accounts (" ACOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8, $9, $10, $11)",
       0);

#define DCOLS                                                                  \
    "tenant_id, id, account_id, client_id, kind, name, model, platform, "      \
    "public_key, state, first_seen_at, last_seen_at, last_ip"
SV_SQL(Q_DUMP_DEVICES, "backup_dump_devices",
       "SELECT " DCOLS " FROM devices WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_LOAD_DEVICES, "backup_load_devices",
       "INSERT INTO devices (" DCOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8, $9, $10, $11, $12, $13)",
       0);

#define TCOLS                                                                  \
    "tenant_id, account_id, secret_enc, confirmed, last_step, created_at"
SV_SQL(Q_DUMP_TOTP, "backup_dump_totp",
       "SELECT " TCOLS " FROM totp WHERE tenant_id = $1 ORDER BY account_id",
       0);
SV_SQL(Q_LOAD_TOTP, "backup_load_totp",
       "INSERT INTO totp (" TCOLS ") VALUES ($1, $2, $3, $4, $5, $6)", 0);

#define RCOLS "tenant_id, account_id, code_hash, used_at"
SV_SQL(Q_DUMP_RECOVERY, "backup_dump_recovery_codes",
       "SELECT " RCOLS " FROM recovery_codes WHERE tenant_id = $1 "
       "ORDER BY account_id, code_hash",
       0);
SV_SQL(Q_LOAD_RECOVERY, "backup_load_recovery_codes",
       "INSERT INTO recovery_codes (" RCOLS ") VALUES ($1, $2, $3, $4)", 0);

#define ICOLS                                                                  \
    "tenant_id, id, account_id, kind, title, body, created_at, read_at"
SV_SQL(Q_DUMP_INBOX, "backup_dump_inbox",
       "SELECT " ICOLS " FROM inbox WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_LOAD_INBOX, "backup_load_inbox",
       "INSERT INTO inbox (" ICOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
       0);

/* Parents before children (a move can put a department under a younger
 * one, so not by id): by level, the number of its closure rows. */
#define PCOLS                                                                  \
    "tenant_id, id, parent_id, name, name_key, created_at, updated_at, hidden"
SV_SQL(Q_DUMP_DEPARTMENTS, "backup_dump_departments",
       "SELECT d.tenant_id, d.id, d.parent_id, d.name, d.name_key, "
       "d.created_at, d.updated_at, d.hidden FROM departments d "
       "WHERE d.tenant_id = $1 "
       "ORDER BY (SELECT COUNT(*) FROM department_paths p "
       "WHERE p.tenant_id = $1 AND p.descendant_id = d.id), d.id",
       0);
SV_SQL(Q_LOAD_DEPARTMENTS, "backup_load_departments",
       "INSERT INTO departments (" PCOLS ") VALUES ($1, $2, $3, $4, $5, $6, "
       "$7, $8)",
       0);

#define DPCOLS "tenant_id, ancestor_id, descendant_id, depth"
SV_SQL(Q_DUMP_DEPARTMENT_PATHS, "backup_dump_department_paths",
       "SELECT " DPCOLS " FROM department_paths WHERE tenant_id = $1 "
       "ORDER BY ancestor_id, descendant_id",
       0);
SV_SQL(Q_LOAD_DEPARTMENT_PATHS, "backup_load_department_paths",
       "INSERT INTO department_paths (" DPCOLS ") VALUES ($1, $2, $3, $4)", 0);

/* Roles before their permissions; assignments name roles by key or id. */
#define ROCOLS                                                                 \
    "tenant_id, id, name, name_key, description, created_at, updated_at"
SV_SQL(Q_DUMP_ROLES, "backup_dump_roles",
       "SELECT " ROCOLS " FROM roles WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_LOAD_ROLES, "backup_load_roles",
       "INSERT INTO roles (" ROCOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7)", 0);
#define RPCOLS "tenant_id, role_id, permission"
SV_SQL(Q_DUMP_ROLE_PERMISSIONS, "backup_dump_role_permissions",
       "SELECT " RPCOLS " FROM role_permissions WHERE tenant_id = $1 "
       "ORDER BY role_id, permission",
       0);
SV_SQL(Q_LOAD_ROLE_PERMISSIONS, "backup_load_role_permissions",
       "INSERT INTO role_permissions (" RPCOLS ") VALUES ($1, $2, $3)", 0);
#define RACOLS                                                                 \
    "tenant_id, id, role, subject_kind, subject_id, scope_kind, scope_id, "    \
    "created_at, created_by"
SV_SQL(Q_DUMP_ROLE_ASSIGNMENTS, "backup_dump_role_assignments",
       "SELECT " RACOLS " FROM role_assignments WHERE tenant_id = $1 "
       "ORDER BY id",
       0);
SV_SQL(Q_LOAD_ROLE_ASSIGNMENTS, "backup_load_role_assignments",
       "INSERT INTO role_assignments (" RACOLS ") VALUES ($1, $2, $3, $4, $5, "
       "$6, $7, $8, $9)",
       0);

/* Employees after the departments and accounts they name; a manager is
 * an account (every account is restored first). */
#define EMCOLS                                                                 \
    "tenant_id, account_id, display_name, name_key, title, employee_no, "      \
    "department_id, manager_id, phone_enc, phone_bidx, id_number_enc, "        \
    "id_number_bidx, state, created_at, updated_at"
SV_SQL(Q_DUMP_EMPLOYEES, "backup_dump_employees",
       "SELECT " EMCOLS " FROM employees WHERE tenant_id = $1 "
       "ORDER BY account_id",
       0);
SV_SQL(Q_LOAD_EMPLOYEES, "backup_load_employees",
       "INSERT INTO employees (" EMCOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8, $9, $10, $11, $12, $13, $14, $15)",
       0);
#define EDCOLS "tenant_id, department_id, account_id, name_key, is_primary"
SV_SQL(Q_DUMP_EMPLOYEE_DEPARTMENTS, "backup_dump_employee_departments",
       "SELECT " EDCOLS " FROM employee_departments WHERE tenant_id = $1 "
       "ORDER BY department_id, account_id",
       0);
SV_SQL(Q_LOAD_EMPLOYEE_DEPARTMENTS, "backup_load_employee_departments",
       "INSERT INTO employee_departments (" EDCOLS ") VALUES ($1, $2, $3, $4, "
       "$5)",
       0);

/* Groups, then their members (groups nest: every group before any
 * member row); the viewers of hidden departments. */
#define GRCOLS                                                                 \
    "tenant_id, id, name, name_key, description, owner_id, created_at, "       \
    "updated_at"
SV_SQL(Q_DUMP_GROUPS, "backup_dump_groups",
       "SELECT " GRCOLS " FROM directory_groups WHERE tenant_id = $1 "
       "ORDER BY id",
       0);
SV_SQL(Q_LOAD_GROUPS, "backup_load_groups",
       "INSERT INTO directory_groups (" GRCOLS ") VALUES ($1, $2, $3, $4, $5, "
       "$6, $7, $8)",
       0);
#define GMCOLS                                                                 \
    "tenant_id, group_id, member_kind, member_id, subtree, created_at"
SV_SQL(Q_DUMP_GROUP_MEMBERS, "backup_dump_group_members",
       "SELECT " GMCOLS " FROM directory_group_members WHERE tenant_id = $1 "
       "ORDER BY group_id, member_id",
       0);
SV_SQL(Q_LOAD_GROUP_MEMBERS, "backup_load_group_members",
       "INSERT INTO directory_group_members (" GMCOLS ") VALUES ($1, $2, $3, "
       "$4, $5, $6)",
       0);
#define DVCOLS "tenant_id, department_id, subject_kind, subject_id"
SV_SQL(Q_DUMP_DEPARTMENT_VIEWERS, "backup_dump_department_viewers",
       "SELECT " DVCOLS " FROM department_viewers WHERE tenant_id = $1 "
       "ORDER BY department_id, subject_kind, subject_id",
       0);
SV_SQL(Q_LOAD_DEPARTMENT_VIEWERS, "backup_load_department_viewers",
       "INSERT INTO department_viewers (" DVCOLS ") VALUES ($1, $2, $3, $4)",
       0);

/* API tokens after the accounts that made them. */
#define ATCOLS                                                                 \
    "tenant_id, id, name, name_key, token_hash, scope, created_by, "           \
    "created_at, expires_at, last_used_at, revoked_at"
SV_SQL(Q_DUMP_API_TOKENS, "backup_dump_api_tokens",
       "SELECT " ATCOLS " FROM api_tokens WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_LOAD_API_TOKENS, "backup_load_api_tokens",
       "INSERT INTO api_tokens (" ATCOLS ") VALUES ($1, $2, $3, $4, $5, $6, "
       "$7, $8, $9, $10, $11)",
       0);
#define SXCOLS "tenant_id, resource, id, external_id"
SV_SQL(Q_DUMP_SCIM_EXTERNAL_IDS, "backup_dump_scim_external_ids",
       "SELECT " SXCOLS " FROM scim_external_ids WHERE tenant_id = $1 "
       "ORDER BY resource, id",
       0);
SV_SQL(Q_LOAD_SCIM_EXTERNAL_IDS, "backup_load_scim_external_ids",
       "INSERT INTO scim_external_ids (" SXCOLS ") VALUES ($1, $2, $3, $4)", 0);

/* Import jobs (012): an outcome and its error report; a job that was
 * running reads as interrupted once restored (its heartbeat is old). */
#define IJCOLS                                                                 \
    "tenant_id, id, account_id, dry_run, state, phase, done, total, lines, "   \
    "employees, departments, error_count, errors, reason, created_at, "        \
    "heartbeat_at, finished_at"
SV_SQL(Q_DUMP_IMPORT_JOBS, "backup_dump_import_jobs",
       "SELECT " IJCOLS " FROM import_jobs WHERE tenant_id = $1 ORDER BY id",
       0);
SV_SQL(Q_LOAD_IMPORT_JOBS, "backup_load_import_jobs",
       "INSERT INTO import_jobs (" IJCOLS ") VALUES ($1, $2, $3, $4, $5, $6, "
       "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
       0);

/* CRM records (014): a record after the one it belongs to (a customer,
 * then its contacts and opportunities, then activities about any). */
#define RECCOLS                                                                \
    "tenant_id, id, type, parent_id, owner_id, department_id, version, "       \
    "name_key, plain, sealed, secret, created_at, updated_at, deleted_at"
SV_SQL(Q_DUMP_RECORDS, "backup_dump_records",
       "SELECT " RECCOLS " FROM records WHERE tenant_id = $1 ORDER BY "
       "CASE type WHEN 'customer' THEN 0 WHEN 'activity' THEN 2 ELSE 1 END, "
       "id",
       0);
SV_SQL(Q_LOAD_RECORDS, "backup_load_records",
       "INSERT INTO records (" RECCOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8, $9, $10, $11, $12, $13, $14)",
       0);
#define RTCOLS "tenant_id, type, field, term, record_id"
SV_SQL(Q_DUMP_RECORD_TERMS, "backup_dump_record_terms",
       "SELECT " RTCOLS " FROM record_terms WHERE tenant_id = $1 "
       "ORDER BY type, field, term, record_id",
       0);
SV_SQL(Q_LOAD_RECORD_TERMS, "backup_load_record_terms",
       "INSERT INTO record_terms (" RTCOLS ") VALUES ($1, $2, $3, $4, $5)", 0);
#define RFCOLS                                                                 \
    "tenant_id, type, name, ftype, level, flags, max_len, label, created_at"
SV_SQL(Q_DUMP_RECORD_FIELDS, "backup_dump_record_fields",
       "SELECT " RFCOLS " FROM record_fields WHERE tenant_id = $1 "
       "ORDER BY type, name",
       0);
SV_SQL(Q_LOAD_RECORD_FIELDS, "backup_load_record_fields",
       "INSERT INTO record_fields (" RFCOLS ") VALUES ($1, $2, $3, $4, $5, "
       "$6, $7, $8, $9)",
       0);
#define PSCOLS "tenant_id, key, label, position"
SV_SQL(Q_DUMP_PIPELINE_STAGES, "backup_dump_pipeline_stages",
       "SELECT " PSCOLS " FROM pipeline_stages WHERE tenant_id = $1 "
       "ORDER BY position",
       0);
SV_SQL(Q_LOAD_PIPELINE_STAGES, "backup_load_pipeline_stages",
       "INSERT INTO pipeline_stages (" PSCOLS ") VALUES ($1, $2, $3, $4)", 0);

#define RQCOLS                                                                 \
    "tenant_id, reads_per_minute, reads_per_day, unmasks_per_day, "            \
    "export_rows_per_day, updated_at"
SV_SQL(Q_DUMP_RECORD_QUOTAS, "backup_dump_record_quotas",
       "SELECT " RQCOLS " FROM record_quotas WHERE tenant_id = $1", 0);
SV_SQL(Q_LOAD_RECORD_QUOTAS, "backup_load_record_quotas",
       "INSERT INTO record_quotas (" RQCOLS ") VALUES ($1, $2, $3, $4, $5, "
       "$6)",
       0);

#define LCOLS                                                                  \
    "tenant_id, id, kind, value, reason, created_at, expires_at, lifted_at"
SV_SQL(Q_DUMP_BLACKLIST, "backup_dump_blacklist",
       "SELECT " LCOLS " FROM blacklist WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_DUMP_BLACKLIST_PLATFORM, "backup_dump_blacklist_platform",
       "SELECT " LCOLS " FROM blacklist WHERE tenant_id IS NULL ORDER BY id",
       SV_SQL_PLATFORM);
SV_SQL(Q_LOAD_BLACKLIST, "backup_load_blacklist",
       "INSERT INTO blacklist (" LCOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8)",
       SV_SQL_PLATFORM);

#define SCOLS                                                                  \
    "tenant_id, id, account_id, token_hash, created_at, last_seen_at, "        \
    "expires_at, revoked_at, ip, user_agent, device_id, mfa_pending"
SV_SQL(Q_DUMP_SESSIONS, "backup_dump_sessions",
       "SELECT " SCOLS " FROM sessions WHERE tenant_id = $1 ORDER BY id", 0);
SV_SQL(Q_LOAD_SESSIONS, "backup_load_sessions",
       "INSERT INTO sessions (" SCOLS ") VALUES ($1, $2, $3, $4, $5, $6, $7, "
       "$8, $9, $10, $11, $12)",
       0);

SV_SQL(Q_DUMP_HEADS, "backup_dump_audit_heads",
       "SELECT stream, seq, hash, sig FROM audit_heads WHERE stream = $1",
       SV_SQL_PLATFORM);
SV_SQL(Q_LOAD_HEADS, "backup_load_audit_heads",
       "INSERT INTO audit_heads (stream, seq, hash, sig) "
       "VALUES ($1, $2, $3, $4)",
       SV_SQL_PLATFORM);

#define ECOLS                                                                  \
    "tenant_id, id, stream, seq, time_ms, actor_id, actor, action, "           \
    "target_type, target_id, ip, user_agent, result, reason, details, "        \
    "prev_hash, hash"
SV_SQL(Q_DUMP_EVENTS, "backup_dump_audit_events",
       "SELECT " ECOLS " FROM audit_events WHERE tenant_id = $1 "
       "AND stream = $1 ORDER BY seq",
       0);
SV_SQL(Q_DUMP_PLATFORM, "backup_dump_audit_platform",
       "SELECT " ECOLS " FROM audit_events WHERE stream = 'platform' "
       "AND tenant_id IS NULL ORDER BY seq",
       SV_SQL_PLATFORM);
SV_SQL(Q_LOAD_EVENTS, "backup_load_audit_events",
       "INSERT INTO audit_events (" ECOLS ") VALUES ($1, $2, $3, $4, $5, $6, "
       "$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
       0);

SV_SQL(Q_SCHEMA, "backup_schema",
       "SELECT COALESCE(MAX(number), 0) FROM schema_migrations",
       SV_SQL_PLATFORM);
SV_SQL(Q_TENANT_COUNT, "backup_tenant_count", "SELECT COUNT(*) FROM tenants",
       SV_SQL_PLATFORM);

#define I BK_INT
#define T BK_TEXT
#define B BK_BLOB

const struct bk_table bk_tables[BK__COUNT] = {
    [BK_TENANTS] = {BK_TENANTS,
                    "tenants",
                    12,
                    {T, T, T, T, I, I, I, T, I, I, B, I},
                    BK_GLOBAL,
                    &Q_DUMP_TENANTS,
                    &Q_LOAD_TENANTS},
    [BK_TENANT_KEYS] = {BK_TENANT_KEYS,
                        "tenant_keys",
                        5,
                        {T, I, B, I, I},
                        BK_TENANT,
                        &Q_DUMP_KEYS,
                        &Q_LOAD_KEYS},
    [BK_ACCOUNTS] = {BK_ACCOUNTS,
                     "accounts",
                     11,
                     {T, T, T, B, B, T, I, I, I, B, I},
                     BK_TENANT,
                     &Q_DUMP_ACCOUNTS,
                     &Q_LOAD_ACCOUNTS},
    [BK_DEVICES] = {BK_DEVICES,
                    "devices",
                    13,
                    {T, T, T, T, T, T, T, T, B, T, I, I, T},
                    BK_TENANT,
                    &Q_DUMP_DEVICES,
                    &Q_LOAD_DEVICES},
    [BK_SESSIONS] = {BK_SESSIONS,
                     "sessions",
                     12,
                     {T, T, T, B, I, I, I, I, T, T, T, I},
                     BK_TENANT,
                     &Q_DUMP_SESSIONS,
                     &Q_LOAD_SESSIONS},
    [BK_TOTP] = {BK_TOTP,
                 "totp",
                 6,
                 {T, T, B, I, I, I},
                 BK_TENANT,
                 &Q_DUMP_TOTP,
                 &Q_LOAD_TOTP},
    [BK_RECOVERY_CODES] = {BK_RECOVERY_CODES,
                           "recovery_codes",
                           4,
                           {T, T, B, I},
                           BK_TENANT,
                           &Q_DUMP_RECOVERY,
                           &Q_LOAD_RECOVERY},
    [BK_INBOX] = {BK_INBOX,
                  "inbox",
                  8,
                  {T, T, T, T, T, T, I, I},
                  BK_TENANT,
                  &Q_DUMP_INBOX,
                  &Q_LOAD_INBOX},
    [BK_BLACKLIST] = {BK_BLACKLIST,
                      "blacklist",
                      8,
                      {T, T, T, T, T, I, I, I},
                      BK_TENANT,
                      &Q_DUMP_BLACKLIST,
                      &Q_LOAD_BLACKLIST},
    [BK_AUDIT_HEADS] = {BK_AUDIT_HEADS,
                        "audit_heads",
                        4,
                        {T, I, B, B},
                        BK_STREAM,
                        &Q_DUMP_HEADS,
                        &Q_LOAD_HEADS},
    [BK_AUDIT_EVENTS] = {BK_AUDIT_EVENTS,
                         "audit_events",
                         17,
                         {T, T, T, I, I, T, T, T, T, T, T, T, T, T, T, B, B},
                         BK_TENANT,
                         &Q_DUMP_EVENTS,
                         &Q_LOAD_EVENTS},
    [BK_AUDIT_PLATFORM] = {BK_AUDIT_PLATFORM,
                           "audit_events",
                           17,
                           {T, T, T, I, I, T, T, T, T, T, T, T, T, T, T, B, B},
                           BK_GLOBAL,
                           &Q_DUMP_PLATFORM,
                           &Q_LOAD_EVENTS},
    [BK_BLACKLIST_PLATFORM] = {BK_BLACKLIST_PLATFORM,
                               "blacklist",
                               8,
                               {T, T, T, T, T, I, I, I},
                               BK_GLOBAL,
                               &Q_DUMP_BLACKLIST_PLATFORM,
                               &Q_LOAD_BLACKLIST},
    [BK_DEPARTMENTS] = {BK_DEPARTMENTS,
                        "departments",
                        8,
                        {T, T, T, T, T, I, I, I},
                        BK_TENANT,
                        &Q_DUMP_DEPARTMENTS,
                        &Q_LOAD_DEPARTMENTS},
    [BK_DEPARTMENT_PATHS] = {BK_DEPARTMENT_PATHS,
                             "department_paths",
                             4,
                             {T, T, T, I},
                             BK_TENANT,
                             &Q_DUMP_DEPARTMENT_PATHS,
                             &Q_LOAD_DEPARTMENT_PATHS},
    [BK_ROLES] = {BK_ROLES,
                  "roles",
                  7,
                  {T, T, T, T, T, I, I},
                  BK_TENANT,
                  &Q_DUMP_ROLES,
                  &Q_LOAD_ROLES},
    [BK_ROLE_PERMISSIONS] = {BK_ROLE_PERMISSIONS,
                             "role_permissions",
                             3,
                             {T, T, T},
                             BK_TENANT,
                             &Q_DUMP_ROLE_PERMISSIONS,
                             &Q_LOAD_ROLE_PERMISSIONS},
    [BK_ROLE_ASSIGNMENTS] = {BK_ROLE_ASSIGNMENTS,
                             "role_assignments",
                             9,
                             {T, T, T, T, T, T, T, I, T},
                             BK_TENANT,
                             &Q_DUMP_ROLE_ASSIGNMENTS,
                             &Q_LOAD_ROLE_ASSIGNMENTS},
    [BK_EMPLOYEES] = {BK_EMPLOYEES,
                      "employees",
                      15,
                      {T, T, T, T, T, T, T, T, B, B, B, B, T, I, I},
                      BK_TENANT,
                      &Q_DUMP_EMPLOYEES,
                      &Q_LOAD_EMPLOYEES},
    [BK_EMPLOYEE_DEPARTMENTS] = {BK_EMPLOYEE_DEPARTMENTS,
                                 "employee_departments",
                                 5,
                                 {T, T, T, T, I},
                                 BK_TENANT,
                                 &Q_DUMP_EMPLOYEE_DEPARTMENTS,
                                 &Q_LOAD_EMPLOYEE_DEPARTMENTS},
    [BK_GROUPS] = {BK_GROUPS,
                   "directory_groups",
                   8,
                   {T, T, T, T, T, T, I, I},
                   BK_TENANT,
                   &Q_DUMP_GROUPS,
                   &Q_LOAD_GROUPS},
    [BK_GROUP_MEMBERS] = {BK_GROUP_MEMBERS,
                          "directory_group_members",
                          6,
                          {T, T, T, T, I, I},
                          BK_TENANT,
                          &Q_DUMP_GROUP_MEMBERS,
                          &Q_LOAD_GROUP_MEMBERS},
    [BK_DEPARTMENT_VIEWERS] = {BK_DEPARTMENT_VIEWERS,
                               "department_viewers",
                               4,
                               {T, T, T, T},
                               BK_TENANT,
                               &Q_DUMP_DEPARTMENT_VIEWERS,
                               &Q_LOAD_DEPARTMENT_VIEWERS},
    [BK_API_TOKENS] = {BK_API_TOKENS,
                       "api_tokens",
                       11,
                       {T, T, T, T, B, T, T, I, I, I, I},
                       BK_TENANT,
                       &Q_DUMP_API_TOKENS,
                       &Q_LOAD_API_TOKENS},
    [BK_SCIM_EXTERNAL_IDS] = {BK_SCIM_EXTERNAL_IDS,
                              "scim_external_ids",
                              4,
                              {T, T, T, T},
                              BK_TENANT,
                              &Q_DUMP_SCIM_EXTERNAL_IDS,
                              &Q_LOAD_SCIM_EXTERNAL_IDS},
    [BK_IMPORT_JOBS] = {BK_IMPORT_JOBS,
                        "import_jobs",
                        17,
                        {T, T, T, I, T, T, I, I, I, I, I, I, T, T, I, I, I},
                        BK_TENANT,
                        &Q_DUMP_IMPORT_JOBS,
                        &Q_LOAD_IMPORT_JOBS},
    [BK_RECORDS] = {BK_RECORDS,
                    "records",
                    14,
                    {T, T, T, T, T, T, I, T, T, B, B, I, I, I},
                    BK_TENANT,
                    &Q_DUMP_RECORDS,
                    &Q_LOAD_RECORDS},
    [BK_RECORD_TERMS] = {BK_RECORD_TERMS,
                         "record_terms",
                         5,
                         {T, T, T, T, T},
                         BK_TENANT,
                         &Q_DUMP_RECORD_TERMS,
                         &Q_LOAD_RECORD_TERMS},
    [BK_RECORD_FIELDS] = {BK_RECORD_FIELDS,
                          "record_fields",
                          9,
                          {T, T, T, T, T, I, I, T, I},
                          BK_TENANT,
                          &Q_DUMP_RECORD_FIELDS,
                          &Q_LOAD_RECORD_FIELDS},
    [BK_PIPELINE_STAGES] = {BK_PIPELINE_STAGES,
                            "pipeline_stages",
                            4,
                            {T, T, T, I},
                            BK_TENANT,
                            &Q_DUMP_PIPELINE_STAGES,
                            &Q_LOAD_PIPELINE_STAGES},
    [BK_RECORD_QUOTAS] = {BK_RECORD_QUOTAS,
                          "record_quotas",
                          6,
                          {T, I, I, I, I, I},
                          BK_TENANT,
                          &Q_DUMP_RECORD_QUOTAS,
                          &Q_LOAD_RECORD_QUOTAS},
};

#undef I
#undef T
#undef B

enum sv_qs
bk_store_dump(struct sv_dbc *c, const struct bk_table *t, const char *arg,
              bk_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, t->dump);
    struct bk_value vals[BK_MAX_COLS];
    enum sv_qs qs;

    if (arg != NULL)
        sv_stmt_text(st, 1, arg);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        memset(vals, 0, sizeof vals);
        for (int i = 0; i < t->n_cols; i++) {
            struct bk_value *v = &vals[i];
            if (sv_stmt_col_null(st, i)) {
                v->type = BK_NULL;
            } else if (t->types[i] == BK_INT) {
                v->type = BK_INT;
                v->i = sv_stmt_col_int(st, i);
            } else if (t->types[i] == BK_TEXT) {
                const char *s = sv_stmt_col_text(st, i);
                v->type = BK_TEXT;
                v->p = s;
                v->n = strlen(s);
            } else {
                v->type = BK_BLOB;
                v->p = sv_stmt_col_blob(st, i, &v->n);
            }
        }
        row(cls, t, vals);
    }
    return qs;
}

enum sv_qs
bk_store_tenant_ids(struct sv_dbc *c, bk_tenant_fn fn, void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_TENANT_IDS);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        fn(cls, sv_stmt_col_text(st, 0));
    return qs;
}

enum sv_qs
bk_store_load(struct sv_dbc *c, const struct bk_table *t,
              const struct bk_value *vals)
{
    struct sv_stmt *st = sv_db_stmt(c, t->load);

    for (int i = 0; i < t->n_cols; i++) {
        if (vals[i].type == BK_NULL)
            sv_stmt_null(st, i + 1);
        else if (vals[i].type == BK_INT)
            sv_stmt_int(st, i + 1, vals[i].i);
        else if (vals[i].type == BK_TEXT)
            sv_stmt_text(st, i + 1, vals[i].p);
        else
            sv_stmt_blob(st, i + 1, vals[i].p, vals[i].n);
    }
    return sv_stmt_exec(st);
}

enum sv_qs
bk_store_schema(struct sv_dbc *c, int64_t *schema, int64_t *tenants)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SCHEMA);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs != SV_QS_ONE)
        return qs;
    *schema = sv_stmt_col_int(st, 0);
    st = sv_db_stmt(c, &Q_TENANT_COUNT);
    if ((qs = sv_stmt_step(st)) != SV_QS_ONE)
        return qs;
    *tenants = sv_stmt_col_int(st, 0);
    return SV_QS_ONE;
}

enum sv_qs
bk_store_journal_mode(struct sv_dbc *c, const char *mode)
{
    char sql[48];

    if (sv_dbc_is_postgres(c))
        return SV_QS_NONE;
    snprintf(sql, sizeof sql, "PRAGMA journal_mode = %s", mode);
    return sv_dbc_exec_script(c, sql);
}

void
bk_columns(const struct bk_table *t, uint32_t schema, int *n,
           const enum bk_type **types)
{
    /* accounts up to schema 6: role (text) after username. */
    static const enum bk_type accounts6[] = {BK_TEXT, BK_TEXT, BK_TEXT, BK_TEXT,
                                             BK_BLOB, BK_BLOB, BK_TEXT, BK_INT,
                                             BK_INT,  BK_INT,  BK_BLOB};

    *n = t->n_cols;
    *types = t->types;
    if (t->id == BK_ACCOUNTS && schema <= 6) {
        *n = 11;
        *types = accounts6;
    } else if (t->id == BK_ACCOUNTS && schema <= 9) {
        *n = 10; /* without disabled_at (010, DIR-6) */
    } else if (t->id == BK_TENANTS && schema <= 7) {
        *n = 7; /* without phone_region, mask_phones,
                 * phone_reveals_per_day, index_key, key_scheme */
    } else if (t->id == BK_TENANTS && schema <= 15) {
        *n = 10; /* without index_key, key_scheme (016) */
    } else if (t->id == BK_TENANT_KEYS && schema <= 15) {
        *n = 4; /* without retired_at (016) */
    } else if (t->id == BK_DEPARTMENTS && schema <= 8) {
        *n = 7; /* without hidden */
    }
}

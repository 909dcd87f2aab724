/* backup's SQL (only here): one dump and one load statement per table. */
#ifndef SV_BACKUP_STORE_H
#define SV_BACKUP_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "db/db.h"

/* A column's type, and the tag of a value in the backup file (BK_NULL:
 * a NULL value, never a column's type). */
enum bk_type { BK_NULL = 0, BK_INT = 1, BK_TEXT = 2, BK_BLOB = 3 };

#define BK_MAX_COLS 17

enum bk_scope { BK_GLOBAL, BK_TENANT, BK_STREAM };

struct bk_table {
    uint8_t id;
    const char *name;
    int n_cols;
    enum bk_type types[BK_MAX_COLS];
    enum bk_scope scope;
    const struct sv_sql *dump;
    const struct sv_sql *load;
};

/**
 * The columns a table had in files of schema @p schema (earlier layouts
 * of a changed table: accounts lost role in 7, tenants gained
 * phone_region in 8), so that older files keep verifying. Restore takes
 * only files of this binary's schema.
 */
void bk_columns(const struct bk_table *t, uint32_t schema, int *n,
                const enum bk_type **types);

/* In restore order (foreign keys first). */
enum {
    BK_TENANTS,
    BK_TENANT_KEYS,
    BK_ACCOUNTS,
    BK_DEVICES,
    BK_SESSIONS,
    BK_TOTP,
    BK_RECOVERY_CODES,
    BK_INBOX,
    BK_BLACKLIST,
    BK_AUDIT_HEADS,
    BK_AUDIT_EVENTS,
    BK_AUDIT_PLATFORM,     /* platform stream events: same table, other query */
    BK_BLACKLIST_PLATFORM, /* platform-wide entries: same table */
    /* Appended (schema 6): a table's id is its tag in the file, so older
     * files keep verifying. Dumped in each tenant's scope after the rest. */
    BK_DEPARTMENTS,      /* parents before children */
    BK_DEPARTMENT_PATHS, /* after the departments they link */
    /* Appended (schema 7): roles, then their permissions, then who holds
     * them. */
    BK_ROLES,
    BK_ROLE_PERMISSIONS,
    BK_ROLE_ASSIGNMENTS,
    /* Appended (schema 8): employees, then their departments. */
    BK_EMPLOYEES,
    BK_EMPLOYEE_DEPARTMENTS,
    /* Appended (schema 9): groups, then their members; who may see a
     * hidden department. */
    BK_GROUPS,
    BK_GROUP_MEMBERS,
    BK_DEPARTMENT_VIEWERS,
    /* Appended (schema 11): API tokens (hashes only) and the externalIds
     * SCIM clients gave. */
    BK_API_TOKENS,
    BK_SCIM_EXTERNAL_IDS,
    /* Appended (schema 12): import jobs (their outcome and error report),
     * after the accounts that own them. */
    BK_IMPORT_JOBS,
    /* Appended (schema 14): CRM records (sealed values as they are
     * stored: ciphertexts), their terms, custom fields, the pipeline. */
    BK_RECORDS,
    BK_RECORD_TERMS,
    BK_RECORD_FIELDS,
    BK_PIPELINE_STAGES,
    BK_RECORD_QUOTAS,
    BK__COUNT
};

extern const struct bk_table bk_tables[BK__COUNT];
/* Tables left out of a backup on purpose, NULL-terminated (the reasons are
 * in backup_store.c). Every table of the schema is in one of the two. */
extern const char *const bk_not_backed_up[];

/**
 * One column of a row, as dumped or to load. @p type is BK_NULL for a NULL,
 * else the column's type; @p p is text (NUL-terminated, @p n bytes without
 * the NUL) or blob bytes (@p n). Dumped values are borrowed from the
 * statement: valid until the row callback returns.
 */
struct bk_value {
    uint8_t type;
    int64_t i;
    const void *p;
    size_t n;
};

/** One dumped row of @p t: @p vals holds t->n_cols values. */
typedef void (*bk_row_fn)(void *cls, const struct bk_table *t,
                          const struct bk_value *vals);
/**
 * Every row of @p t (its dump statement, @p arg bound as $1 unless NULL:
 * the tenant, or the stream of BK_AUDIT_HEADS), in the dump's order.
 * SV_QS_NONE once all rows were given, < 0 on failure.
 */
enum sv_qs bk_store_dump(struct sv_dbc *c, const struct bk_table *t,
                         const char *arg, bk_row_fn row, void *cls);

/** One tenant id (the first column of the tenants' dump). */
typedef void (*bk_tenant_fn)(void *cls, const char *tenant_id);
/** Every tenant's id, in the dump's order: SV_QS_NONE at the end, or < 0. */
enum sv_qs bk_store_tenant_ids(struct sv_dbc *c, bk_tenant_fn fn, void *cls);

/**
 * Insert one row into @p t (its load statement), @p vals holding
 * t->n_cols values: SV_QS_ONE when the row went in.
 */
enum sv_qs bk_store_load(struct sv_dbc *c, const struct bk_table *t,
                         const struct bk_value *vals);

/**
 * The schema number (highest migration applied) and how many tenants the
 * database holds: SV_QS_ONE with both set, else what the failing read gave
 * (@p schema may be set when only the count failed).
 */
enum sv_qs bk_store_schema(struct sv_dbc *c, int64_t *schema, int64_t *tenants);

/**
 * SQLite only: journal mode @p mode ("DELETE", "WAL") for this connection's
 * database; SV_QS_NONE without doing anything on PostgreSQL. < 0 on
 * failure.
 */
enum sv_qs bk_store_journal_mode(struct sv_dbc *c, const char *mode);

#endif

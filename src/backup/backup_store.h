/* backup's SQL (only here): one dump and one load statement per table. */
#ifndef SV_BACKUP_STORE_H
#define SV_BACKUP_STORE_H

#include <stdint.h>

#include "db/db.h"

enum bk_type { BK_INT = 1, BK_TEXT = 2, BK_BLOB = 3 };

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
    BK__COUNT
};

extern const struct bk_table bk_tables[BK__COUNT];
/* Tables left out of a backup on purpose, NULL-terminated (the reasons are
 * in backup_store.c). Every table of the schema is in one of the two. */
extern const char *const bk_not_backed_up[];

extern const struct sv_sql BK_Q_SCHEMA;
extern const struct sv_sql BK_Q_TENANT_COUNT;

#endif

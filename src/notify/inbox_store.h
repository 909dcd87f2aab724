/* The SQL of the inbox (only here). */
#ifndef SV_NOTIFY_INBOX_STORE_H
#define SV_NOTIFY_INBOX_STORE_H

#include "db/db.h"
#include "notify/inbox.h"

enum sv_qs inbox_store_insert(struct sv_dbc *c, const char *tenant_id,
                              const char *id, const char *account_id,
                              const char *kind, const char *title,
                              const char *body, int64_t now);
/** Up to @p limit messages before @p before_id (NULL: the newest), newest
 *  first, each handed to @p row. */
enum sv_qs inbox_store_list(struct sv_dbc *c, const char *tenant_id,
                            const char *account_id, const char *before_id,
                            int limit, sv_inbox_row_fn row, void *cls);

#endif

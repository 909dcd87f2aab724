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
/** The account's unread items into *@p n (SV_QS_ONE). */
enum sv_qs inbox_store_unread(struct sv_dbc *c, const char *tenant_id,
                              const char *account_id, int64_t *n);
/** Whether item @p id is the account's (SV_QS_ONE) or not (SV_QS_NONE). */
enum sv_qs inbox_store_find(struct sv_dbc *c, const char *tenant_id,
                            const char *account_id, const char *id);
/** Mark the account's unread items with ids up to @p up_to (NULL: all)
 *  read at @p now. */
enum sv_qs inbox_store_mark_read(struct sv_dbc *c, const char *tenant_id,
                                 const char *account_id, const char *up_to,
                                 int64_t now);

#endif

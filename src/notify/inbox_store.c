/* The SQL of the inbox: see inbox_store.h. */
#include "notify/inbox_store.h"

SV_SQL(Q_INBOX_INSERT, "inbox_insert",
       "INSERT INTO inbox (tenant_id, id, account_id, kind, title, body, "
       "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
       0);
SV_SQL(Q_INBOX_LIST, "inbox_list",
       "SELECT id, kind, title, body, created_at, read_at FROM inbox "
       "WHERE tenant_id = $1 AND account_id = $2 "
       "AND (CAST($3 AS TEXT) IS NULL OR id < $3) "
       "ORDER BY id DESC LIMIT $4",
       0);
/* AUTH-7: the header badge; only the inbox_unread index is read. */
SV_SQL(Q_INBOX_UNREAD, "inbox_unread",
       "SELECT COUNT(*) FROM inbox WHERE tenant_id = $1 AND account_id = $2 "
       "AND read_at IS NULL",
       0);
SV_SQL(Q_INBOX_FIND, "inbox_find",
       "SELECT id FROM inbox WHERE tenant_id = $1 AND account_id = $2 "
       "AND id = $3",
       0);
/* Ids rise with time (inbox.c), so "up to" an item is an id range. */
SV_SQL(Q_INBOX_MARK_READ, "inbox_mark_read",
       "UPDATE inbox SET read_at = $3 WHERE tenant_id = $1 "
       "AND account_id = $2 AND read_at IS NULL "
       "AND (CAST($4 AS TEXT) IS NULL OR id <= $4)",
       0);

enum sv_qs
inbox_store_insert(struct sv_dbc *c, const char *tenant_id, const char *id,
                   const char *account_id, const char *kind, const char *title,
                   const char *body, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INBOX_INSERT, tenant_id, id);
    sv_stmt_text(st, 3, account_id);
    sv_stmt_text(st, 4, kind);
    sv_stmt_text(st, 5, title);
    sv_stmt_text(st, 6, body);
    sv_stmt_int(st, 7, now);
    return sv_stmt_exec(st);
}

enum sv_qs
inbox_store_list(struct sv_dbc *c, const char *tenant_id,
                 const char *account_id, const char *before_id, int limit,
                 sv_inbox_row_fn row, void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INBOX_LIST, tenant_id, account_id);
    struct sv_inbox_item m;
    enum sv_qs qs;

    sv_stmt_text(st, 3, before_id);
    sv_stmt_int(st, 4, limit);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE) {
        m.id = sv_stmt_col_text(st, 0);
        m.kind = sv_stmt_col_text(st, 1);
        m.title = sv_stmt_col_text(st, 2);
        m.body = sv_stmt_col_text(st, 3);
        m.created_at = sv_stmt_col_int(st, 4);
        m.read = !sv_stmt_col_null(st, 5);
        row(cls, &m);
    }
    return qs;
}

enum sv_qs
inbox_store_unread(struct sv_dbc *c, const char *tenant_id,
                   const char *account_id, int64_t *n)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INBOX_UNREAD, tenant_id, account_id);
    enum sv_qs qs = sv_stmt_step(st);

    if (qs == SV_QS_ONE)
        *n = sv_stmt_col_int(st, 0);
    return qs;
}

enum sv_qs
inbox_store_find(struct sv_dbc *c, const char *tenant_id,
                 const char *account_id, const char *id)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_INBOX_FIND, tenant_id, account_id);
    sv_stmt_text(st, 3, id);
    return sv_stmt_step(st);
}

enum sv_qs
inbox_store_mark_read(struct sv_dbc *c, const char *tenant_id,
                      const char *account_id, const char *up_to, int64_t now)
{
    struct sv_stmt *st =
        sv_db_stmt2(c, &Q_INBOX_MARK_READ, tenant_id, account_id);
    sv_stmt_int(st, 3, now);
    sv_stmt_text(st, 4, up_to);
    return sv_stmt_exec(st);
}

/* The SQL of the inbox: see inbox_store.h. */
#include "notify/inbox_store.h"

SV_SQL(Q_INBOX_INSERT, "inbox_insert",
       "INSERT INTO inbox (tenant_id, id, account_id, kind, title, body, "
       "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
       0);
SV_SQL(Q_INBOX_LIST, "inbox_list",
       "SELECT id, kind, title, body, created_at FROM inbox "
       "WHERE tenant_id = $1 AND account_id = $2 "
       "AND (CAST($3 AS TEXT) IS NULL OR id < $3) "
       "ORDER BY id DESC LIMIT $4",
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
        row(cls, &m);
    }
    return qs;
}

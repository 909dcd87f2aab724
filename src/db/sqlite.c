/* SQLite engine for db.h: WAL, foreign keys, $n parameters bound by name. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core/config.h"
#include "core/log.h"
#include "db/db.h"

static void *
lite_connect(const struct sv_config *cfg, char *err, size_t err_len)
{
    /* temp_store: the temporary b-trees of a sort, a UNION or a recursive
     * query stay in memory: no file per statement (a system call or three
     * each, on every permission check that walks an account's groups) and
     * no rows of the tenants' data in temporary files on disk. */
    static const char pragmas[] = "PRAGMA journal_mode = WAL;"
                                  "PRAGMA synchronous = FULL;"
                                  "PRAGMA foreign_keys = ON;"
                                  "PRAGMA secure_delete = ON;"
                                  "PRAGMA trusted_schema = OFF;"
                                  "PRAGMA temp_store = MEMORY;";
    sqlite3 *h = NULL;
    int rc = sqlite3_open_v2(cfg->db_path, &h,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                                 SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
                             NULL);
    if (rc != SQLITE_OK) {
        snprintf(err, err_len, "%s: %s", cfg->db_path,
                 h ? sqlite3_errmsg(h) : sqlite3_errstr(rc));
        sqlite3_close(h);
        return NULL;
    }
    sqlite3_busy_timeout(h, 5000);
    sqlite3_db_config(h, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    if (sqlite3_exec(h, pragmas, NULL, NULL, NULL) != SQLITE_OK) {
        snprintf(err, err_len, "%s: %s", cfg->db_path, sqlite3_errmsg(h));
        sqlite3_close(h);
        return NULL;
    }
    return h;
}

static void
lite_disconnect(void *conn)
{
    sqlite3_close(conn);
}

static enum sv_qs
map_rc(sqlite3 *h, int rc)
{
    switch (rc & 0xff) {
    case SQLITE_OK:
    case SQLITE_DONE:
        return SV_QS_NONE;
    case SQLITE_ROW:
        return SV_QS_ONE;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return SV_QS_SOFT;
    default:
        sv_log(SV_LOG_ERROR, "sqlite error", "%s", sqlite3_errmsg(h));
        return SV_QS_HARD;
    }
}

static enum sv_qs
lite_exec_script(void *conn, const char *sql)
{
    return map_rc(conn, sqlite3_exec(conn, sql, NULL, NULL, NULL));
}

/* Finish every statement still open so COMMIT/ROLLBACK never trips on one. */
static void
reset_all(sqlite3 *h)
{
    for (sqlite3_stmt *st = sqlite3_next_stmt(h, NULL); st != NULL;
         st = sqlite3_next_stmt(h, st))
        if (sqlite3_stmt_busy(st))
            sqlite3_reset(st);
}

static enum sv_qs
lite_begin(void *conn, int kind)
{
    return lite_exec_script(conn,
                            kind == SV_TX_WRITE ? "BEGIN IMMEDIATE" : "BEGIN");
}

static enum sv_qs
lite_commit(void *conn)
{
    reset_all(conn);
    return lite_exec_script(conn, "COMMIT");
}

static void
lite_rollback(void *conn)
{
    reset_all(conn);
    if (sqlite3_get_autocommit(conn) == 0)
        sqlite3_exec(conn, "ROLLBACK", NULL, NULL, NULL);
}

static void *
lite_prepare(void *conn, const struct sv_sql *q)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v3(conn, q->text, -1, SQLITE_PREPARE_PERSISTENT, &st,
                           NULL) != SQLITE_OK) {
        sv_log(SV_LOG_ERROR, "sqlite prepare", "%s: %s", q->name,
               sqlite3_errmsg(conn));
        return NULL;
    }
    return st;
}

static void
lite_finalize(void *st)
{
    sqlite3_finalize(st);
}

static void
lite_reset(void *st)
{
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
}

/* "$2" is a named parameter in SQLite, indexed by first appearance. */
static int
param(sqlite3_stmt *st, int idx)
{
    char name[16];
    int i;

    snprintf(name, sizeof name, "$%d", idx);
    i = sqlite3_bind_parameter_index(st, name);
    if (i == 0) {
        sv_log(SV_LOG_ERROR, "sqlite bind", "no parameter %s in: %s", name,
               sqlite3_sql(st));
        sv_abort_at(__FILE__, __LINE__, "bind to a missing parameter");
    }
    return i;
}

static void
lite_bind_text(void *st, int idx, const char *s)
{
    sqlite3_bind_text(st, param(st, idx), s, -1, SQLITE_TRANSIENT);
}

static void
lite_bind_int(void *st, int idx, int64_t v)
{
    sqlite3_bind_int64(st, param(st, idx), v);
}

static void
lite_bind_blob(void *st, int idx, const void *p, size_t len)
{
    sqlite3_bind_blob64(st, param(st, idx), p, len, SQLITE_TRANSIENT);
}

static void
lite_bind_null(void *st, int idx)
{
    sqlite3_bind_null(st, param(st, idx));
}

static enum sv_qs
lite_step(void *st)
{
    return map_rc(sqlite3_db_handle(st), sqlite3_step(st));
}

static int64_t
lite_changes(void *st)
{
    return sqlite3_changes64(sqlite3_db_handle(st));
}

static bool
lite_col_null(void *st, int col)
{
    return sqlite3_column_type(st, col) == SQLITE_NULL;
}

static const char *
lite_col_text(void *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return t != NULL ? (const char *)t : "";
}

static int64_t
lite_col_int(void *st, int col)
{
    return sqlite3_column_int64(st, col);
}

static const void *
lite_col_blob(void *st, int col, size_t *len)
{
    const void *p = sqlite3_column_blob(st, col);
    *len = (size_t)sqlite3_column_bytes(st, col);
    return p;
}

/* One file, one trust domain: scoping is the queries' tenant_id = $1. */
static enum sv_qs
lite_set_scope(void *conn, const char *key, const char *value)
{
    (void)conn;
    (void)key;
    (void)value;
    return SV_QS_NONE;
}

const struct sv_db_ops sv_sqlite_ops = {
    .name = "sqlite",
    .connect = lite_connect,
    .disconnect = lite_disconnect,
    .exec_script = lite_exec_script,
    .begin = lite_begin,
    .commit = lite_commit,
    .rollback = lite_rollback,
    .prepare = lite_prepare,
    .finalize = lite_finalize,
    .reset = lite_reset,
    .bind_text = lite_bind_text,
    .bind_int = lite_bind_int,
    .bind_blob = lite_bind_blob,
    .bind_null = lite_bind_null,
    .step = lite_step,
    .changes = lite_changes,
    .col_null = lite_col_null,
    .col_text = lite_col_text,
    .col_int = lite_col_int,
    .col_blob = lite_col_blob,
    .set_scope = lite_set_scope,
};

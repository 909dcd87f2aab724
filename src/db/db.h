/*
 * One small prepared-statement API over SQLite and PostgreSQL.
 *
 * SQL lives only in *_store.c files, declared with SV_SQL: a statement has a
 * stable name and text with $1..$n parameters. Declared statements land in
 * one linker section, so tests can walk every statement the binary has
 * (DIR-1: tenant-scoped statements take tenant_id as $1).
 *
 * Connections come from a pool; a statement is prepared once per connection
 * and cached. Transactions only through the sv_db_run_*() functions:
 *
 *   - tenant work (the caller knows the tenant): sv_db_run_tenant_tx() /
 *     sv_db_run_tenant_ro(). THE way to run it: they set the row-level
 *     security scope themselves before the callback, on every attempt, so
 *     a callback cannot forget it (a forgotten scope shows only on
 *     PostgreSQL, where RLS hides every row);
 *   - platform work, and callbacks that pick their tenant inside (login or
 *     reset by slug, flow steps that read a challenge first):
 *     sv_db_run_tx() / sv_db_run_ro() / sv_db_run_one(), the callback
 *     calling sv_db_scope_*() itself.
 */
#ifndef SV_DB_DB_H
#define SV_DB_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_config;
struct sv_db;
struct sv_dbc;
struct sv_stmt;

/* Statement flags. */
#define SV_SQL_PLATFORM                                                        \
    1u /* not tenant-scoped: allowed without tenant_id $1                      \
        */

struct sv_sql {
    const char *name;
    const char *text;
    unsigned flags;
    const char *pg_text; /* PostgreSQL's own text, or NULL: text */
};

#define SV_SQL(var, nm, txt, fl)                                               \
    static const struct sv_sql var                                             \
        __attribute__((used, section("sv_sql"), aligned(8))) = {nm, txt, fl,   \
                                                                NULL}
/* A statement whose PostgreSQL text differs (a row lock SQLite has no
 * syntax for, its writers being serial): same parameters, same columns. */
#define SV_SQL_PG(var, nm, txt, pg, fl)                                        \
    static const struct sv_sql var                                             \
        __attribute__((used, section("sv_sql"), aligned(8))) = {nm, txt, fl,   \
                                                                pg}
/** The text of @p q on PostgreSQL. */
#define SV_SQL_PG_TEXT(q) ((q)->pg_text != NULL ? (q)->pg_text : (q)->text)

/** Every statement declared with SV_SQL in the binary. */
extern const struct sv_sql __start_sv_sql[];
extern const struct sv_sql __stop_sv_sql[];

/** Query status (Taler's): < 0 error, 0 no row / no change, > 0 rows. */
enum sv_qs {
    SV_QS_HARD = -2, /* constraint violation, bug, I/O: do not retry */
    SV_QS_SOFT = -1, /* busy / serialisation: retry the transaction */
    SV_QS_NONE = 0,
    SV_QS_ONE = 1,
};

/** Open the database named by @p cfg (SQLite file) and run migrations. */
SV_MUST_CHECK enum sv_err sv_db_open(const struct sv_config *cfg,
                                     unsigned pool_size, struct sv_db **out,
                                     char *err, size_t err_len);
void sv_db_free(struct sv_db *db);

typedef enum sv_err (*sv_tx_fn)(struct sv_dbc *c, void *ctx);

/**
 * Run @p fn in a write transaction: begin, fn, commit; retried on
 * SV_E_DB_RETRY (busy / serialisation) up to a bound. @p fn must not reply
 * to HTTP and must write its audit events itself, inside.
 */
SV_MUST_CHECK enum sv_err sv_db_run_tx(struct sv_db *db, const char *name,
                                       sv_tx_fn fn, void *ctx);
/**
 * Run @p fn, which executes exactly one read statement, without an explicit
 * transaction (a single statement is its own snapshot): the cheapest read.
 */
SV_MUST_CHECK enum sv_err sv_db_run_one(struct sv_db *db, sv_tx_fn fn,
                                        void *ctx);
/** Run @p fn in a read-only transaction (one consistent snapshot). */
SV_MUST_CHECK enum sv_err sv_db_run_ro(struct sv_db *db, sv_tx_fn fn,
                                       void *ctx);

/**
 * sv_db_run_tx() scoped to tenant @p tenant_id: each attempt begins, calls
 * sv_db_scope_tenant(c, tenant_id), then @p fn. The way to run tenant work;
 * @p fn does not scope the tenant itself (it may add sv_db_scope_platform()
 * or another scope). A NULL or empty @p tenant_id is a bug: SV_E_INTERNAL,
 * logged, nothing run.
 */
SV_MUST_CHECK enum sv_err sv_db_run_tenant_tx(struct sv_db *db,
                                              const char *name,
                                              const char *tenant_id,
                                              sv_tx_fn fn, void *ctx);
/** sv_db_run_ro() scoped to tenant @p tenant_id, as sv_db_run_tenant_tx(). */
SV_MUST_CHECK enum sv_err sv_db_run_tenant_ro(struct sv_db *db,
                                              const char *tenant_id,
                                              sv_tx_fn fn, void *ctx);

/**
 * The statement @p q on connection @p c, prepared and cached, with
 * bindings cleared. Borrowed; valid until the next sv_db_stmt() of the same
 * statement on this connection.
 */
struct sv_stmt *sv_db_stmt(struct sv_dbc *c, const struct sv_sql *q);
/**
 * sv_db_stmt() with its first two parameters bound as text: the shape of
 * most tenant statements ($1 the tenant, $2 a row or account id).
 */
struct sv_stmt *sv_db_stmt2(struct sv_dbc *c, const struct sv_sql *q,
                            const char *p1, const char *p2);
/**
 * Write-behind for a long run of writes in one transaction (a bulk
 * import): until sv_db_batch_end(), sv_stmt_exec() of a statement not yet
 * run may send it without waiting for its answer and return SV_QS_ONE at
 * once (PostgreSQL: libpq's pipeline mode, answers collected a few
 * hundred at a time: one round trip per group instead of one per
 * statement). A statement that reads rows (sv_stmt_step), a scope change
 * and the end of the batch first collect every answer outstanding.
 *
 * WARNING: for writes whose success was made sure of beforehand (every
 * rule checked under the transaction's locks). A batched statement that
 * fails, or that changes no row (an INSERT … ON CONFLICT DO NOTHING that
 * hit a row counts as a failure), fails the whole transaction: the next
 * collection returns the error (SV_QS_HARD / SV_QS_SOFT) and so does every
 * later statement. Never batch a statement whose answer decides what to
 * do next. SQLite: nothing changes (each statement runs at once).
 * sv_db_run_*() end a batch left open: collected before commit, dropped
 * on rollback.
 */
void sv_db_batch_begin(struct sv_dbc *c);
/** Collect every answer outstanding and leave batch mode: SV_OK, or the
 *  first batched statement's failure (the transaction must roll back). */
SV_MUST_CHECK enum sv_err sv_db_batch_end(struct sv_dbc *c);

/** Execute @p q with $1, $2 text and $3 an integer (a time, a count). */
enum sv_qs sv_db_exec_tti(struct sv_dbc *c, const struct sv_sql *q,
                          const char *p1, const char *p2, int64_t p3);
/** Execute @p q with $1, $2 and $3 text. */
enum sv_qs sv_db_exec_ttt(struct sv_dbc *c, const struct sv_sql *q,
                          const char *p1, const char *p2, const char *p3);

void sv_stmt_text(struct sv_stmt *st, int idx, const char *s); /* NULL → NULL */
void sv_stmt_int(struct sv_stmt *st, int idx, int64_t v);
void sv_stmt_blob(struct sv_stmt *st, int idx, const void *p, size_t len);
void sv_stmt_null(struct sv_stmt *st, int idx);

/** Next row: SV_QS_ONE (row ready), SV_QS_NONE (done), or < 0. */
enum sv_qs sv_stmt_step(struct sv_stmt *st);
/** Run to completion: rows changed (capped at 1 for > 0) or < 0. */
enum sv_qs sv_stmt_exec(struct sv_stmt *st);
/** Rows changed by the last exec. */
int64_t sv_stmt_changes(struct sv_stmt *st);

bool sv_stmt_col_null(struct sv_stmt *st, int col);
const char *sv_stmt_col_text(struct sv_stmt *st, int col); /* "" for NULL */
int64_t sv_stmt_col_int(struct sv_stmt *st, int col);
const void *sv_stmt_col_blob(struct sv_stmt *st, int col, size_t *len);

/** Map a query status to an error for the capability layer. */
static inline enum sv_err
sv_qs_err(enum sv_qs qs)
{
    return qs == SV_QS_SOFT ? SV_E_DB_RETRY : SV_E_INTERNAL;
}

/** A statement that may touch no row: SV_OK unless it failed. */
static inline enum sv_err
sv_qs_ok(enum sv_qs qs)
{
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

/** A look-up: SV_OK for a row, SV_E_NOT_FOUND for none. */
static inline enum sv_err
sv_qs_found(enum sv_qs qs)
{
    if (qs == SV_QS_ONE)
        return SV_OK;
    return qs == SV_QS_NONE ? SV_E_NOT_FOUND : sv_qs_err(qs);
}

/* ---- engine interface: implemented by sqlite.c and postgres.c ---- */

enum { SV_TX_READ = 0, SV_TX_WRITE = 1, SV_TX_READ_ONE = 2 };

struct sv_db_ops {
    const char *name;
    void *(*connect)(const struct sv_config *cfg, char *err, size_t err_len);
    void (*disconnect)(void *conn);
    enum sv_qs (*exec_script)(void *conn, const char *sql);
    /* kind: SV_TX_READ, SV_TX_WRITE, or SV_TX_READ_ONE (a read of one
     * statement: PostgreSQL sends begin, scope, statement and commit in
     * one round trip) */
    enum sv_qs (*begin)(void *conn, int kind);
    enum sv_qs (*commit)(void *conn);
    void (*rollback)(void *conn);
    void *(*prepare)(void *conn, const struct sv_sql *q);
    void (*finalize)(void *stmt);
    void (*reset)(void *stmt);
    void (*bind_text)(void *stmt, int idx, const char *s);
    void (*bind_int)(void *stmt, int idx, int64_t v);
    void (*bind_blob)(void *stmt, int idx, const void *p, size_t len);
    void (*bind_null)(void *stmt, int idx);
    enum sv_qs (*step)(void *stmt);
    int64_t (*changes)(void *stmt);
    bool (*col_null)(void *stmt, int col);
    const char *(*col_text)(void *stmt, int col);
    int64_t (*col_int)(void *stmt, int col);
    const void *(*col_blob)(void *stmt, int col, size_t *len);
    /* PostgreSQL row-level security context; a no-op on SQLite. */
    enum sv_qs (*set_scope)(void *conn, const char *key, const char *value);
    /* Batch mode (sv_db_batch_begin): NULL where every statement runs at
     * once (SQLite). batch_send runs or queues @p stmt (SV_QS_ONE, or the
     * batch's first failure); batch_flush collects every answer queued
     * (SV_QS_NONE, or the first failure); batch_abort drops them. */
    enum sv_qs (*batch_send)(void *stmt);
    enum sv_qs (*batch_flush)(void *conn);
    void (*batch_abort)(void *conn);
    /* PostgreSQL only (NULL elsewhere): role name, identifier quoting. */
    const char *(*user)(void *conn);
    char *(*quote_ident)(void *conn, const char *name); /* caller frees */
};

extern const struct sv_db_ops sv_sqlite_ops;
extern const struct sv_db_ops sv_postgres_ops;

/*
 * Row-level security scope for the rest of the current transaction
 * (PostgreSQL: SET LOCAL salesvault.*; SQLite: nothing, the statements'
 * own tenant_id = $1 is the wall). Call right after the transaction
 * starts, before touching tenant tables. sv_db_run_tenant_tx() / _ro()
 * call sv_db_scope_tenant() for you; call it directly only in callbacks
 * that learn their tenant inside the transaction.
 */
/** Tenant @p tenant_id's rows only. */
SV_MUST_CHECK enum sv_err sv_db_scope_tenant(struct sv_dbc *c,
                                             const char *tenant_id);
/** The platform audit stream (in addition to any tenant scope). */
SV_MUST_CHECK enum sv_err sv_db_scope_platform(struct sv_dbc *c);
/** The one session whose token hashes to @p hash (and its account). */
SV_MUST_CHECK enum sv_err sv_db_scope_session(struct sv_dbc *c,
                                              const uint8_t hash[32]);

/**
 * The tenant the current transaction was scoped to with
 * sv_db_scope_tenant() (directly or by sv_db_run_tenant_*()), NULL if none:
 * lets a test see the scope on SQLite too, where it is not enforced.
 */
const char *sv_dbc_tenant_scope(struct sv_dbc *c);

/** True on the PostgreSQL engine (for the few engine-specific texts). */
bool sv_dbc_is_postgres(struct sv_dbc *c);

/** Begin / commit / roll back on one connection (migrations only). */
SV_MUST_CHECK enum sv_qs sv_dbc_begin(struct sv_dbc *c);
SV_MUST_CHECK enum sv_qs sv_dbc_commit(struct sv_dbc *c);
void sv_dbc_rollback(struct sv_dbc *c);

/** Raw script on one connection (migrations; CLI tools). */
SV_MUST_CHECK enum sv_qs sv_dbc_exec_script(struct sv_dbc *c, const char *sql);

#endif

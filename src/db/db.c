#include "db/db.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "db/migrate.h"

struct sv_stmt {
    struct sv_dbc *c;
    void *raw;
};

struct sv_dbc {
    struct sv_db *db;
    void *conn;
    struct sv_stmt *stmts; /* indexed by statement position in sv_sql */
    struct sv_dbc *next_free;
    /* The tenant this transaction is scoped to ("" none): for tests. */
    char tenant_scope[40];
    bool batch; /* sv_db_batch_begin(): writes may be queued */
};

struct sv_db {
    const struct sv_db_ops *ops;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /*
     * SQLite allows one writer: queue our own writers here rather than in
     * SQLite's busy handler, which sleeps 1, 2, 5, 10 … ms between tries
     * and turns contention into latency spikes for everyone.
     */
    pthread_mutex_t write_mu;
    struct sv_dbc *free_list;
    struct sv_dbc *all;
    unsigned n;
};

static size_t
n_statements(void)
{
    return (size_t)(__stop_sv_sql - __start_sv_sql);
}

static void
close_conn(struct sv_db *db, struct sv_dbc *c)
{
    for (size_t i = 0; i < n_statements(); i++)
        if (c->stmts[i].raw != NULL)
            db->ops->finalize(c->stmts[i].raw);
    free(c->stmts);
    db->ops->disconnect(c->conn);
}

void
sv_db_free(struct sv_db *db)
{
    if (db == NULL)
        return;
    for (unsigned i = 0; i < db->n; i++)
        if (db->all[i].conn != NULL)
            close_conn(db, &db->all[i]);
    free(db->all);
    pthread_mutex_destroy(&db->mu);
    pthread_cond_destroy(&db->cv);
    pthread_mutex_destroy(&db->write_mu);
    free(db);
}

/*
 * PostgreSQL with two roles: migrations run as the owner, which then grants
 * the server's role what it needs and no more (audit_events: read and
 * append only). The server's role owns nothing, so row-level security holds.
 */
static enum sv_err
migrate_as_owner(const struct sv_config *cfg, struct sv_db *app_db, char *err,
                 size_t err_len)
{
    static const char grants[] =
        "GRANT USAGE ON SCHEMA public TO %1$s;"
        "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
        "TO %1$s;"
        "REVOKE UPDATE, DELETE, TRUNCATE ON audit_events FROM %1$s;"
        "REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON schema_migrations "
        "FROM %1$s;"
        /* 016: a deleted tenant's audit stream, by the owner's function */
        "GRANT EXECUTE ON FUNCTION erase_tenant_audit(TEXT) TO %1$s;";
    struct sv_config *owner = sv_xmalloc(sizeof *owner);
    struct sv_db *odb = NULL;
    const char *app_user = app_db->ops->user(app_db->all[0].conn);
    char *ident = NULL, *sql = NULL;
    enum sv_err rc;

    *owner = *cfg;
    snprintf(owner->db_url, sizeof owner->db_url, "%s", cfg->db_migrate_url);
    owner->db_migrate_url[0] = '\0';
    rc = sv_db_open(owner, 1, &odb, err, err_len); /* migrates */
    if (rc != SV_OK)
        goto cleanup;
    if (strcmp(app_user, odb->ops->user(odb->all[0].conn)) == 0)
        goto cleanup; /* one role for both: nothing to grant */
    ident = odb->ops->quote_ident(odb->all[0].conn, app_user);
    if (ident == NULL) {
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    if (asprintf(&sql, grants, ident) < 0) {
        sql = NULL;
        rc = SV_E_INTERNAL;
        goto cleanup;
    }
    if (sv_dbc_exec_script(&odb->all[0], sql) < 0) {
        snprintf(err, err_len,
                 "[database] migrate_url: cannot grant %s its "
                 "rights",
                 app_user);
        rc = SV_E_INTERNAL;
    }
cleanup:
    free(sql);
    free(ident);
    sv_db_free(odb);
    free(owner);
    return rc;
}

enum sv_err
sv_db_open(const struct sv_config *cfg, unsigned pool_size, struct sv_db **out,
           char *err, size_t err_len)
{
    struct sv_db *db;
    enum sv_err rc;

    *out = NULL;
    if (pool_size == 0)
        pool_size = 1;
    db = sv_xcalloc(1, sizeof *db);
    db->ops = cfg->db_url[0] != '\0' ? &sv_postgres_ops : &sv_sqlite_ops;
    pthread_mutex_init(&db->mu, NULL);
    pthread_cond_init(&db->cv, NULL);
    pthread_mutex_init(&db->write_mu, NULL);
    db->all = sv_xcalloc(pool_size, sizeof *db->all);
    db->n = pool_size;
    for (unsigned i = 0; i < pool_size; i++) {
        struct sv_dbc *c = &db->all[i];
        c->db = db;
        c->conn = db->ops->connect(cfg, err, err_len);
        if (c->conn == NULL) {
            sv_db_free(db);
            return SV_E_UNAVAILABLE;
        }
        c->stmts = sv_xcalloc(n_statements(), sizeof *c->stmts);
        c->next_free = db->free_list;
        db->free_list = c;
    }
    if (db->ops == &sv_postgres_ops && cfg->db_migrate_url[0] != '\0')
        rc = migrate_as_owner(cfg, db, err, err_len);
    else
        rc = sv_migrate(&db->all[0], err, err_len);
    if (rc != SV_OK) {
        sv_db_free(db);
        return rc;
    }
    *out = db;
    return SV_OK;
}

static struct sv_dbc *
acquire(struct sv_db *db)
{
    struct sv_dbc *c;

    pthread_mutex_lock(&db->mu);
    while (db->free_list == NULL)
        pthread_cond_wait(&db->cv, &db->mu);
    c = db->free_list;
    db->free_list = c->next_free;
    pthread_mutex_unlock(&db->mu);
    return c;
}

static void
release(struct sv_db *db, struct sv_dbc *c)
{
    pthread_mutex_lock(&db->mu);
    c->next_free = db->free_list;
    db->free_list = c;
    pthread_cond_signal(&db->cv);
    pthread_mutex_unlock(&db->mu);
}

/* Leave batch mode without collecting: the transaction rolls back. */
static void
batch_drop(struct sv_dbc *c)
{
    if (c->batch && c->db->ops->batch_abort != NULL)
        c->db->ops->batch_abort(c->conn);
    c->batch = false;
}

/* Collect the answers queued so far (none outside batch mode). */
static enum sv_qs
batch_flush(struct sv_dbc *c)
{
    return c->batch ? c->db->ops->batch_flush(c->conn) : SV_QS_NONE;
}

void
sv_db_batch_begin(struct sv_dbc *c)
{
    c->batch = c->db->ops->batch_send != NULL;
}

enum sv_err
sv_db_batch_end(struct sv_dbc *c)
{
    enum sv_qs qs = batch_flush(c);

    if (qs < 0)
        batch_drop(c);
    c->batch = false;
    return sv_qs_ok(qs);
}

/*
 * 2 ms x (1 + attempt^2), about 0.6 s over ten attempts, each sleep drawn
 * from half to one and a half of that: transactions that failed together
 * (a deadlock's two sides) do not retry in step and collide again.
 */
static void
backoff(int attempt)
{
    long base_us = (long)(1 + attempt * attempt) * 2000L;
    long us = base_us / 2 + (long)randombytes_uniform((uint32_t)base_us + 1);
    struct timespec ts = {us / 1000000L, (us % 1000000L) * 1000L};
    nanosleep(&ts, NULL);
}

static enum sv_err
run(struct sv_db *db, const char *name, int kind, sv_tx_fn fn, void *ctx)
{
    enum { MAX_ATTEMPTS = 10 };
    struct sv_dbc *c = acquire(db);
    enum sv_err rc = SV_E_DB_RETRY;
    /* SQLite has one writer: queue ours here (PostgreSQL locks rows). */
    bool serialise = kind == SV_TX_WRITE && db->ops == &sv_sqlite_ops;

    if (serialise)
        pthread_mutex_lock(&db->write_mu);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        enum sv_qs qs = db->ops->begin(c->conn, kind);
        c->tenant_scope[0] = '\0';
        if (qs < 0) {
            rc = sv_qs_err(qs);
        } else {
            rc = fn(c, ctx);
            if (c->batch) { /* left open: collect it, or drop it */
                if (rc == SV_OK)
                    rc = sv_db_batch_end(c);
                else
                    batch_drop(c);
            }
            if (rc == SV_OK) {
                qs = db->ops->commit(c->conn);
                if (qs >= 0)
                    break;
                db->ops->rollback(c->conn);
                /*
                 * A read may simply run again; so may a write whose COMMIT
                 * SQLite refused as busy (a local file: nothing of it was
                 * written, the transaction was still open).
                 */
                if (kind != SV_TX_WRITE ||
                    (qs == SV_QS_SOFT && db->ops == &sv_sqlite_ops)) {
                    rc = sv_qs_err(qs);
                    goto next;
                }
                /*
                 * Otherwise a failed COMMIT may still have committed (the
                 * connection dropped after the server did it): never run the
                 * change a second time. The client gets 503 and may check.
                 */
                sv_log(SV_LOG_WARN, "commit failed", "transaction %s", name);
                rc = SV_E_UNAVAILABLE;
                break;
            }
            db->ops->rollback(c->conn);
        }
    next:
        if (rc != SV_E_DB_RETRY)
            break;
        backoff(attempt);
    }
    if (serialise)
        pthread_mutex_unlock(&db->write_mu);
    release(db, c);
    if (rc == SV_E_DB_RETRY)
        sv_log(SV_LOG_WARN, "database busy", "transaction %s gave up", name);
    return rc;
}

enum sv_err
sv_db_run_tx(struct sv_db *db, const char *name, sv_tx_fn fn, void *ctx)
{
    return run(db, name, SV_TX_WRITE, fn, ctx);
}

enum sv_err
sv_db_run_ro(struct sv_db *db, sv_tx_fn fn, void *ctx)
{
    return run(db, "read", SV_TX_READ, fn, ctx);
}

enum sv_err
sv_db_run_one(struct sv_db *db, sv_tx_fn fn, void *ctx)
{
    enum { MAX_ATTEMPTS = 10 };
    struct sv_dbc *c;
    enum sv_err rc = SV_E_DB_RETRY;

    /* Row-level security scopes live in a transaction. */
    if (db->ops == &sv_postgres_ops)
        return run(db, "read", SV_TX_READ_ONE, fn, ctx);
    c = acquire(db);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        c->tenant_scope[0] = '\0';
        rc = fn(c, ctx);
        db->ops->rollback(c->conn); /* finishes the statement; no tx open */
        if (rc != SV_E_DB_RETRY)
            break;
        backoff(attempt);
    }
    release(db, c);
    return rc;
}

static enum sv_err
scope(struct sv_dbc *c, const char *key, const char *value)
{
    enum sv_qs qs = batch_flush(c);

    if (qs >= 0)
        qs = c->db->ops->set_scope(c->conn, key, value);
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

enum sv_err
sv_db_scope_tenant(struct sv_dbc *c, const char *tenant_id)
{
    enum sv_err rc = scope(c, "salesvault.tenant_id", tenant_id);
    if (rc == SV_OK)
        snprintf(c->tenant_scope, sizeof c->tenant_scope, "%s", tenant_id);
    return rc;
}

const char *
sv_dbc_tenant_scope(struct sv_dbc *c)
{
    return c->tenant_scope[0] != '\0' ? c->tenant_scope : NULL;
}

struct tenant_run {
    const char *tenant_id;
    sv_tx_fn fn;
    void *ctx;
};

/* Every attempt: the scope first (SET LOCAL dies with each rollback). */
static enum sv_err
tenant_tx(struct sv_dbc *c, void *ctx)
{
    const struct tenant_run *t = ctx;
    enum sv_err rc = sv_db_scope_tenant(c, t->tenant_id);
    return rc != SV_OK ? rc : t->fn(c, t->ctx);
}

static enum sv_err
run_tenant(struct sv_db *db, const char *name, int kind, const char *tenant_id,
           sv_tx_fn fn, void *ctx)
{
    struct tenant_run t = {tenant_id, fn, ctx};

    if (tenant_id == NULL || tenant_id[0] == '\0') {
        sv_log(SV_LOG_ERROR, "internal error",
               "transaction %s: no tenant to scope", name);
        return SV_E_INTERNAL;
    }
    return run(db, name, kind, tenant_tx, &t);
}

enum sv_err
sv_db_run_tenant_tx(struct sv_db *db, const char *name, const char *tenant_id,
                    sv_tx_fn fn, void *ctx)
{
    return run_tenant(db, name, SV_TX_WRITE, tenant_id, fn, ctx);
}

enum sv_err
sv_db_run_tenant_ro(struct sv_db *db, const char *tenant_id, sv_tx_fn fn,
                    void *ctx)
{
    return run_tenant(db, "read", SV_TX_READ, tenant_id, fn, ctx);
}

enum sv_err
sv_db_scope_platform(struct sv_dbc *c)
{
    return scope(c, "salesvault.platform", "on");
}

enum sv_err
sv_db_scope_session(struct sv_dbc *c, const uint8_t hash[32])
{
    char hex[65];
    sv_hex(hash, 32, hex);
    return scope(c, "salesvault.session_token_hash", hex);
}

enum sv_qs
sv_dbc_begin(struct sv_dbc *c)
{
    c->tenant_scope[0] = '\0';
    return c->db->ops->begin(c->conn, SV_TX_WRITE);
}

enum sv_qs
sv_dbc_commit(struct sv_dbc *c)
{
    return c->db->ops->commit(c->conn);
}

void
sv_dbc_rollback(struct sv_dbc *c)
{
    c->db->ops->rollback(c->conn);
}

bool
sv_dbc_is_postgres(struct sv_dbc *c)
{
    return strcmp(c->db->ops->name, "postgres") == 0;
}

enum sv_qs
sv_dbc_exec_script(struct sv_dbc *c, const char *sql)
{
    return c->db->ops->exec_script(c->conn, sql);
}

struct sv_stmt *
sv_db_stmt(struct sv_dbc *c, const struct sv_sql *q)
{
    size_t i = (size_t)(q - __start_sv_sql);
    struct sv_stmt *st;

    sv_assert(q >= __start_sv_sql && q < __stop_sv_sql);
    st = &c->stmts[i];
    if (st->raw == NULL) {
        st->raw = c->db->ops->prepare(c->conn, q);
        if (st->raw == NULL) {
            /* Our SQL is wrong: a bug, never a client's fault. */
            sv_log(SV_LOG_ERROR, "prepare failed", "statement %s", q->name);
            sv_abort_at(__FILE__, __LINE__, q->name);
        }
        st->c = c;
    } else {
        c->db->ops->reset(st->raw);
    }
    return st;
}

struct sv_stmt *
sv_db_stmt2(struct sv_dbc *c, const struct sv_sql *q, const char *p1,
            const char *p2)
{
    struct sv_stmt *st = sv_db_stmt(c, q);
    sv_stmt_text(st, 1, p1);
    sv_stmt_text(st, 2, p2);
    return st;
}

enum sv_qs
sv_db_exec_tti(struct sv_dbc *c, const struct sv_sql *q, const char *p1,
               const char *p2, int64_t p3)
{
    struct sv_stmt *st = sv_db_stmt2(c, q, p1, p2);
    sv_stmt_int(st, 3, p3);
    return sv_stmt_exec(st);
}

enum sv_qs
sv_db_exec_ttt(struct sv_dbc *c, const struct sv_sql *q, const char *p1,
               const char *p2, const char *p3)
{
    struct sv_stmt *st = sv_db_stmt2(c, q, p1, p2);
    sv_stmt_text(st, 3, p3);
    return sv_stmt_exec(st);
}

void
sv_stmt_text(struct sv_stmt *st, int idx, const char *s)
{
    if (s == NULL)
        st->c->db->ops->bind_null(st->raw, idx);
    else
        st->c->db->ops->bind_text(st->raw, idx, s);
}

void
sv_stmt_int(struct sv_stmt *st, int idx, int64_t v)
{
    st->c->db->ops->bind_int(st->raw, idx, v);
}

void
sv_stmt_blob(struct sv_stmt *st, int idx, const void *p, size_t len)
{
    if (p == NULL)
        st->c->db->ops->bind_null(st->raw, idx);
    else
        st->c->db->ops->bind_blob(st->raw, idx, p, len);
}

void
sv_stmt_null(struct sv_stmt *st, int idx)
{
    st->c->db->ops->bind_null(st->raw, idx);
}

enum sv_qs
sv_stmt_step(struct sv_stmt *st)
{
    enum sv_qs qs = batch_flush(st->c);
    return qs < 0 ? qs : st->c->db->ops->step(st->raw);
}

enum sv_qs
sv_stmt_exec(struct sv_stmt *st)
{
    enum sv_qs qs;

    if (st->c->batch)
        return st->c->db->ops->batch_send(st->raw);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        ;
    if (qs < 0)
        return qs;
    return st->c->db->ops->changes(st->raw) > 0 ? SV_QS_ONE : SV_QS_NONE;
}

int64_t
sv_stmt_changes(struct sv_stmt *st)
{
    return st->c->db->ops->changes(st->raw);
}

bool
sv_stmt_col_null(struct sv_stmt *st, int col)
{
    return st->c->db->ops->col_null(st->raw, col);
}

const char *
sv_stmt_col_text(struct sv_stmt *st, int col)
{
    return st->c->db->ops->col_text(st->raw, col);
}

int64_t
sv_stmt_col_int(struct sv_stmt *st, int col)
{
    return st->c->db->ops->col_int(st->raw, col);
}

const void *
sv_stmt_col_blob(struct sv_stmt *st, int col, size_t *len)
{
    return st->c->db->ops->col_blob(st->raw, col, len);
}

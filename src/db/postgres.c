/*
 * PostgreSQL engine for db.h (DR-1), through libpq.
 *
 * Statements are prepared once per connection under their registry name.
 * Parameters go as text (numbers, strings) or binary (blobs, as bytea);
 * results come back in binary so integers and bytea need no parsing of
 * text forms. Connection strings may list several hosts with
 * target_session_attrs=read-write: libpq then finds the primary, also after
 * a failover (the connection is reset before the next transaction).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "core/config.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"

/* Type oids (pg_type.h is server-side only). */
enum {
    OID_BOOL = 16,
    OID_BYTEA = 17,
    OID_INT8 = 20,
    OID_INT2 = 21,
    OID_INT4 = 23
};

enum { MAX_PARAMS = 32 };

enum { MAX_SCOPES = 4 };

struct pg_conn {
    PGconn *pg;
    unsigned gen; /* bumped by every reconnect: statements must re-prepare */
    /*
     * A one-statement read (SV_TX_READ_ONE) is sent as one pipeline:
     * BEGIN, the scope settings, the statement and COMMIT, one round trip
     * instead of four. Until the statement runs, they wait here.
     */
    bool deferred;
    bool done; /* the pipeline already committed */
    int n_scopes;
    char scope_key[MAX_SCOPES][40];
    char scope_val[MAX_SCOPES][80];
    /* Batch mode (db.h, sv_db_batch_begin): statements sent in pipeline
     * mode and not yet answered, and the batch's first failure (sticky
     * until the batch ends). */
    bool piped;
    int pending;
    enum sv_qs batch_qs;
};

struct pg_stmt {
    struct pg_conn *c;
    const struct sv_sql *q;
    int n_params;
    char *values[MAX_PARAMS];
    int lengths[MAX_PARAMS];
    int formats[MAX_PARAMS];
    PGresult *res;
    int row; /* next row to hand out */
    int64_t changes;
    bool executed;
    unsigned gen; /* connection generation it was prepared in */
};

/* Server notices ("relation exists, skipping") go to our log, not stderr. */
static void
on_notice(void *arg, const char *message)
{
    (void)arg;
    sv_log(SV_LOG_DEBUG, "postgres notice", "%s", message);
}

static void *
pg_connect(const struct sv_config *cfg, char *err, size_t err_len)
{
    struct pg_conn *c;
    PGconn *pg = PQconnectdb(cfg->db_url);

    if (PQstatus(pg) != CONNECTION_OK) {
        /* libpq's message names host and reason, never the password. */
        snprintf(err, err_len, "[database] url: %s", PQerrorMessage(pg));
        PQfinish(pg);
        return NULL;
    }
    PQsetNoticeProcessor(pg, on_notice, NULL);
    c = sv_xcalloc(1, sizeof *c);
    c->pg = pg;
    return c;
}

static void
pg_disconnect(void *conn)
{
    struct pg_conn *c = conn;
    if (c == NULL)
        return;
    PQfinish(c->pg);
    free(c);
}

/* 40001 serialization_failure, 40P01 deadlock: retry the transaction.
 * A lost connection (class 08, or no result) is retried too: libpq
 * reconnects, possibly to a promoted standby. */
static enum sv_qs
map_result(struct pg_conn *c, PGresult *res)
{
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    const char *state;

    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        return SV_QS_NONE;
    state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    if (PQstatus(c->pg) != CONNECTION_OK || state == NULL ||
        strncmp(state, "08", 2) == 0 || strcmp(state, "57P01") == 0 ||
        strcmp(state, "25006") == 0 /* read-only: the primary moved */) {
        sv_log(SV_LOG_WARN, "postgres unavailable", "%s",
               res ? PQresultErrorMessage(res) : PQerrorMessage(c->pg));
        return SV_QS_SOFT;
    }
    if (strcmp(state, "40001") == 0 || strcmp(state, "40P01") == 0 ||
        strcmp(state, "26000") == 0)
        return SV_QS_SOFT;
    sv_log(SV_LOG_ERROR, "postgres error", "%s %s", state,
           PQresultErrorMessage(res));
    return SV_QS_HARD;
}

static enum sv_qs
pg_exec_script(void *conn, const char *sql)
{
    struct pg_conn *c = conn;
    PGresult *res = PQexec(c->pg, sql);
    enum sv_qs qs = map_result(c, res);
    PQclear(res);
    return qs;
}

static enum sv_qs
pg_begin(void *conn, int kind)
{
    struct pg_conn *c = conn;
    bool write = kind == SV_TX_WRITE;

    if (PQstatus(c->pg) != CONNECTION_OK) {
        PQreset(c->pg); /* follows target_session_attrs to the primary */
        c->gen++;
        if (PQstatus(c->pg) != CONNECTION_OK)
            return SV_QS_SOFT;
    }
    c->deferred = kind == SV_TX_READ_ONE;
    c->done = false;
    c->n_scopes = 0;
    c->batch_qs = SV_QS_NONE;
    if (c->deferred)
        return SV_QS_NONE;
    /*
     * Writes: READ COMMITTED; the audit head row lock orders appends, and
     * uniqueness is enforced by constraints. Reads: one snapshot.
     */
    return pg_exec_script(c, write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                                   : "BEGIN ISOLATION LEVEL REPEATABLE READ "
                                     "READ ONLY");
}

static enum sv_qs
pg_commit(void *conn)
{
    struct pg_conn *c = conn;
    if (c->deferred || c->done) { /* nothing sent, or already committed */
        c->deferred = c->done = false;
        return SV_QS_NONE;
    }
    return pg_exec_script(conn, "COMMIT");
}

static void pg_batch_abort(void *conn);

static void
pg_rollback(void *conn)
{
    struct pg_conn *c = conn;
    pg_batch_abort(c);
    c->deferred = c->done = false;
    if (PQstatus(c->pg) == CONNECTION_OK &&
        PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PGresult *res = PQexec(c->pg, "ROLLBACK");
        PQclear(res);
    }
}

/* Highest $n in the text: how many parameters the statement takes. */
static int
count_params(const char *sql)
{
    int max = 0;
    for (const char *p = sql; *p; p++) {
        if (*p == '$' && isdigit((unsigned char)p[1])) {
            int n = atoi(p + 1);
            if (n > max)
                max = n;
        }
    }
    return max;
}

static void *
pg_prepare(void *conn, const struct sv_sql *q)
{
    struct pg_conn *c = conn;
    struct pg_stmt *st;
    PGresult *res;
    int n = count_params(SV_SQL_PG_TEXT(q));

    if (n > MAX_PARAMS)
        return NULL;
    st = sv_xcalloc(1, sizeof *st);
    st->c = c;
    st->q = q;
    st->n_params = n;
    st->gen = c->gen;
    res = PQprepare(c->pg, q->name, SV_SQL_PG_TEXT(q), 0, NULL);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) {
        if (map_result(c, res) == SV_QS_SOFT) {
            /* The connection is gone, not our SQL: prepare again at the
             * first execution after the reconnect. */
            st->gen = c->gen - 1;
            PQclear(res);
            return st;
        }
        sv_log(SV_LOG_ERROR, "postgres prepare", "%s: %s", q->name,
               PQresultErrorMessage(res));
        PQclear(res);
        free(st);
        return NULL;
    }
    PQclear(res);
    return st;
}

static void
clear_values(struct pg_stmt *st)
{
    for (int i = 0; i < st->n_params; i++) {
        if (st->values[i] != NULL) {
            /* Parameters may be secrets' hashes or sealed fields. */
            memset(st->values[i], 0, (size_t)st->lengths[i]);
            free(st->values[i]);
        }
        st->values[i] = NULL;
        st->lengths[i] = 0;
        st->formats[i] = 0;
    }
}

static void
pg_reset(void *stmt)
{
    struct pg_stmt *st = stmt;
    PQclear(st->res);
    st->res = NULL;
    st->row = 0;
    st->changes = 0;
    st->executed = false;
    clear_values(st);
}

static void
pg_finalize(void *stmt)
{
    struct pg_stmt *st = stmt;
    if (st == NULL)
        return;
    pg_reset(st);
    free(st);
}

static void
set_param(struct pg_stmt *st, int idx, const void *p, size_t len, int fmt)
{
    sv_assert(idx >= 1 && idx <= st->n_params);
    free(st->values[idx - 1]);
    st->values[idx - 1] = NULL;
    if (p != NULL) {
        char *v = sv_xmalloc(len + 1);
        memcpy(v, p, len);
        v[len] = '\0';
        st->values[idx - 1] = v;
    }
    st->lengths[idx - 1] = (int)len;
    st->formats[idx - 1] = fmt;
}

static void
pg_bind_text(void *stmt, int idx, const char *s)
{
    set_param(stmt, idx, s, strlen(s), 0);
}

static void
pg_bind_int(void *stmt, int idx, int64_t v)
{
    char buf[24];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)v);
    set_param(stmt, idx, buf, (size_t)n, 0);
}

static void
pg_bind_blob(void *stmt, int idx, const void *p, size_t len)
{
    set_param(stmt, idx, p, len, 1);
}

static void
pg_bind_null(void *stmt, int idx)
{
    set_param(stmt, idx, NULL, 0, 0);
}

static PGresult *
exec_prepared(struct pg_stmt *st)
{
    return PQexecPrepared(st->c->pg, st->q->name, st->n_params,
                          (const char *const *)st->values, st->lengths,
                          st->formats, 1);
}

/* The result of the next query in a pipeline (NULL-terminated per query). */
static PGresult *
next_result(PGconn *pg)
{
    PGresult *res = PQgetResult(pg), *extra;
    while (res != NULL && (extra = PQgetResult(pg)) != NULL)
        PQclear(extra); /* only the first result of a query matters here */
    return res;
}

/*
 * BEGIN; set_config…; the statement; COMMIT, as one pipeline. Returns the
 * statement's result, or the first failure (which aborts the rest).
 */
static PGresult *
exec_pipeline(struct pg_stmt *st)
{
    struct pg_conn *c = st->c;
    PGconn *pg = c->pg;
    PGresult *res, *out = NULL, *fail = NULL;
    bool ok;

    c->deferred = false;
    ok = PQenterPipelineMode(pg) == 1 &&
         PQsendQueryParams(pg,
                           "BEGIN ISOLATION LEVEL REPEATABLE READ "
                           "READ ONLY",
                           0, NULL, NULL, NULL, NULL, 0);
    for (int i = 0; ok && i < c->n_scopes; i++) {
        const char *params[2] = {c->scope_key[i], c->scope_val[i]};
        ok = PQsendQueryParams(pg, "SELECT set_config($1, $2, true)", 2, NULL,
                               params, NULL, NULL, 0);
    }
    ok = ok && PQsendQueryPrepared(pg, st->q->name, st->n_params,
                                   (const char *const *)st->values, st->lengths,
                                   st->formats, 1);
    ok = ok && PQsendQueryParams(pg, "COMMIT", 0, NULL, NULL, NULL, NULL, 0);
    ok = ok && PQpipelineSync(pg);
    if (!ok) {
        /* Nothing useful was sent: leave pipeline mode and report. */
        while ((res = PQgetResult(pg)) != NULL)
            PQclear(res);
        PQexitPipelineMode(pg);
        return NULL;
    }
    /* BEGIN, each set_config, the statement, COMMIT, then the sync. */
    for (int i = 0; i < c->n_scopes + 3; i++) {
        res = next_result(pg);
        ExecStatusType s = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        bool good = s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK;
        if (i == c->n_scopes + 1 && good) {
            out = res; /* the statement's rows */
            continue;
        }
        if (!good && fail == NULL && s != PGRES_PIPELINE_ABORTED)
            fail = res;
        else
            PQclear(res);
    }
    while ((res = PQgetResult(pg)) != NULL) { /* the sync point */
        ExecStatusType s = PQresultStatus(res);
        PQclear(res);
        if (s == PGRES_PIPELINE_SYNC)
            break;
    }
    PQexitPipelineMode(pg);
    if (fail != NULL) {
        PQclear(out);
        return fail;
    }
    c->done = true;
    return out;
}

static bool
is_state(const PGresult *res, const char *state)
{
    const char *s = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    return s != NULL && strcmp(s, state) == 0;
}

static enum sv_qs
pg_step(void *stmt)
{
    struct pg_stmt *st = stmt;

    if (!st->executed) {
        enum sv_qs qs;
        st->executed = true;
        if (st->gen != st->c->gen) {
            /* Reconnected since: prepare again, before the statement runs
             * (a failed execution would abort the transaction). */
            PGresult *p = PQprepare(st->c->pg, st->q->name,
                                    SV_SQL_PG_TEXT(st->q), 0, NULL);
            qs = map_result(st->c, p);
            PQclear(p);
            if (qs < 0)
                return qs;
            st->gen = st->c->gen;
        }
        st->res = st->c->deferred ? exec_pipeline(st) : exec_prepared(st);
        if (is_state(st->res, "26000")) /* forgotten anyway: retry the tx */
            st->gen = st->c->gen - 1;
        qs = map_result(st->c, st->res);
        if (qs < 0)
            return qs;
        st->changes = atoll(PQcmdTuples(st->res));
        st->row = -1;
    }
    if (PQresultStatus(st->res) != PGRES_TUPLES_OK)
        return SV_QS_NONE;
    st->row++;
    return st->row < PQntuples(st->res) ? SV_QS_ONE : SV_QS_NONE;
}

static int64_t
pg_changes(void *stmt)
{
    return ((struct pg_stmt *)stmt)->changes;
}

static bool
pg_col_null(void *stmt, int col)
{
    struct pg_stmt *st = stmt;
    return PQgetisnull(st->res, st->row, col) != 0;
}

static const char *
pg_col_text(void *stmt, int col)
{
    struct pg_stmt *st = stmt;
    if (PQgetisnull(st->res, st->row, col))
        return "";
    return PQgetvalue(st->res, st->row, col); /* libpq NUL-terminates */
}

static int64_t
pg_col_int(void *stmt, int col)
{
    struct pg_stmt *st = stmt;
    const unsigned char *v;
    uint64_t x = 0;
    int len;

    if (PQgetisnull(st->res, st->row, col))
        return 0;
    v = (const unsigned char *)PQgetvalue(st->res, st->row, col);
    len = PQgetlength(st->res, st->row, col);
    switch (PQftype(st->res, col)) {
    case OID_INT8:
    case OID_INT4:
    case OID_INT2:
    case OID_BOOL:
        for (int i = 0; i < len; i++)
            x = x << 8 | v[i];
        /* sign-extend the narrower types */
        if (len < 8 && len > 0 && (v[0] & 0x80))
            x |= ~(uint64_t)0 << (8 * len);
        return (int64_t)x;
    default:
        sv_log(SV_LOG_ERROR, "postgres column",
               "%s: column %d is not an "
               "integer (oid %u)",
               st->q->name, col, (unsigned)PQftype(st->res, col));
        sv_abort_at(__FILE__, __LINE__, "integer read from a non-integer");
    }
}

static const void *
pg_col_blob(void *stmt, int col, size_t *len)
{
    struct pg_stmt *st = stmt;
    if (PQgetisnull(st->res, st->row, col)) {
        *len = 0;
        return NULL;
    }
    *len = (size_t)PQgetlength(st->res, st->row, col);
    return PQgetvalue(st->res, st->row, col);
}

/* ---- batch mode (db.h: sv_db_batch_begin) ---- */

/* Statements sent before their answers are collected: one round trip per
 * group. Small answers (a command tag each), so the server never blocks
 * on a full socket while we are still sending. */
enum { BATCH_GROUP = 512 };

/*
 * Collect every answer queued: a sync point, then one result (and its
 * NULL) per statement, then the sync's. A statement that failed, or
 * changed no row, fails the batch; after a failure the server skips the
 * rest up to the sync (PGRES_PIPELINE_ABORTED).
 */
static enum sv_qs
pg_batch_flush(void *conn)
{
    struct pg_conn *c = conn;
    PGresult *res;

    if (!c->piped)
        return c->batch_qs;
    if (PQpipelineSync(c->pg) != 1)
        c->batch_qs = SV_QS_SOFT; /* the connection is gone */
    for (int i = 0; i < c->pending; i++) {
        res = PQgetResult(c->pg);
        ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
        if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
            if (atoll(PQcmdTuples(res)) == 0 && c->batch_qs >= 0) {
                sv_log(SV_LOG_ERROR, "postgres batch",
                       "a batched statement changed no row");
                c->batch_qs = SV_QS_HARD;
            }
        } else if (st != PGRES_PIPELINE_ABORTED && c->batch_qs >= 0) {
            c->batch_qs = map_result(c, res);
            if (c->batch_qs >= 0)
                c->batch_qs = SV_QS_HARD;
        }
        PQclear(res);
        if (res == NULL)
            break;                                 /* nothing more will come */
        while ((res = PQgetResult(c->pg)) != NULL) /* the query's end */
            PQclear(res);
    }
    while ((res = PQgetResult(c->pg)) != NULL) { /* the sync point */
        ExecStatusType st = PQresultStatus(res);
        PQclear(res);
        if (st == PGRES_PIPELINE_SYNC)
            break;
    }
    if (PQexitPipelineMode(c->pg) != 1 && c->batch_qs >= 0)
        c->batch_qs = SV_QS_SOFT;
    c->piped = false;
    c->pending = 0;
    return c->batch_qs;
}

static void
pg_batch_abort(void *conn)
{
    struct pg_conn *c = conn;

    if (c->piped)
        (void)pg_batch_flush(c);
    c->batch_qs = SV_QS_NONE;
}

static enum sv_qs
pg_batch_send(void *stmt)
{
    struct pg_stmt *st = stmt;
    struct pg_conn *c = st->c;

    if (st->executed) { /* read already: finish it as sv_stmt_exec does */
        enum sv_qs qs;
        while ((qs = pg_step(st)) == SV_QS_ONE)
            ;
        return qs < 0 ? qs : (st->changes > 0 ? SV_QS_ONE : SV_QS_NONE);
    }
    if (c->batch_qs < 0)
        return c->batch_qs;
    if (st->gen != c->gen) {
        /* Reconnected since: prepare again, outside the pipeline. */
        PGresult *p;
        enum sv_qs qs = pg_batch_flush(c);
        if (qs < 0)
            return qs;
        p = PQprepare(c->pg, st->q->name, SV_SQL_PG_TEXT(st->q), 0, NULL);
        qs = map_result(c, p);
        PQclear(p);
        if (qs < 0)
            return c->batch_qs = qs;
        st->gen = c->gen;
    }
    if (!c->piped) {
        if (PQenterPipelineMode(c->pg) != 1)
            return c->batch_qs = SV_QS_SOFT;
        c->piped = true;
    }
    st->executed = true;
    if (PQsendQueryPrepared(c->pg, st->q->name, st->n_params,
                            (const char *const *)st->values, st->lengths,
                            st->formats, 1) != 1) {
        sv_log(SV_LOG_WARN, "postgres batch", "%s", PQerrorMessage(c->pg));
        c->batch_qs = SV_QS_SOFT;
        return pg_batch_flush(c);
    }
    if (++c->pending >= BATCH_GROUP)
        return pg_batch_flush(c) < 0 ? c->batch_qs : SV_QS_ONE;
    return SV_QS_ONE;
}

/* Row-level security context (SET LOCAL through set_config). */
static enum sv_qs
pg_set_scope(void *conn, const char *key, const char *value)
{
    struct pg_conn *c = conn;
    if (c->deferred) {
        if (c->n_scopes == MAX_SCOPES ||
            strlen(key) >= sizeof c->scope_key[0] ||
            strlen(value) >= sizeof c->scope_val[0])
            sv_abort_at(__FILE__, __LINE__, "scope does not fit");
        snprintf(c->scope_key[c->n_scopes], sizeof c->scope_key[0], "%s", key);
        snprintf(c->scope_val[c->n_scopes], sizeof c->scope_val[0], "%s",
                 value);
        c->n_scopes++;
        return SV_QS_NONE;
    }
    const char *params[2] = {key, value};
    PGresult *res = PQexecParams(c->pg, "SELECT set_config($1, $2, true)", 2,
                                 NULL, params, NULL, NULL, 0);
    enum sv_qs qs = map_result(c, res);
    PQclear(res);
    return qs;
}

static const char *
pg_user(void *conn)
{
    return PQuser(((struct pg_conn *)conn)->pg);
}

static char *
pg_quote_ident(void *conn, const char *name)
{
    char *q =
        PQescapeIdentifier(((struct pg_conn *)conn)->pg, name, strlen(name));
    char *out = q ? sv_xstrdup(q) : NULL;
    PQfreemem(q);
    return out;
}

const struct sv_db_ops sv_postgres_ops = {
    .name = "postgres",
    .connect = pg_connect,
    .disconnect = pg_disconnect,
    .exec_script = pg_exec_script,
    .begin = pg_begin,
    .commit = pg_commit,
    .rollback = pg_rollback,
    .prepare = pg_prepare,
    .finalize = pg_finalize,
    .reset = pg_reset,
    .bind_text = pg_bind_text,
    .bind_int = pg_bind_int,
    .bind_blob = pg_bind_blob,
    .bind_null = pg_bind_null,
    .step = pg_step,
    .changes = pg_changes,
    .col_null = pg_col_null,
    .col_text = pg_col_text,
    .col_int = pg_col_int,
    .col_blob = pg_col_blob,
    .set_scope = pg_set_scope,
    .batch_send = pg_batch_send,
    .batch_flush = pg_batch_flush,
    .batch_abort = pg_batch_abort,
    .user = pg_user,
    .quote_ident = pg_quote_ident,
};

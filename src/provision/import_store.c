/* The SQL of import jobs: see import_store.h. */
#include "provision/import_store.h"

#include <string.h>

#define JOB_COLS                                                               \
    "j.id, j.account_id, j.dry_run, j.state, j.phase, j.done, j.total, "       \
    "j.lines, j.employees, j.departments, j.error_count, j.errors, "           \
    "j.reason, j.created_at, j.heartbeat_at, j.finished_at"

SV_SQL(Q_JOB_INSERT, "import_job_insert",
       "INSERT INTO import_jobs (tenant_id, id, account_id, dry_run, state, "
       "phase, created_at, heartbeat_at) "
       "VALUES ($1, $2, $3, $4, 'queued', 'queued', $5, $5)",
       0);
/* $2: one job, or NULL: every unfinished one of the tenant. */
SV_SQL(Q_JOB_EXPIRE, "import_job_expire",
       "UPDATE import_jobs SET state = 'failed', phase = 'finished', "
       "reason = 'interrupted', finished_at = $4 "
       "WHERE tenant_id = $1 AND (CAST($2 AS TEXT) IS NULL OR id = $2) "
       "AND state IN ('queued', 'running') AND heartbeat_at < $3",
       0);
SV_SQL(Q_JOB_OPEN, "import_job_open",
       "SELECT j.id FROM import_jobs j WHERE j.tenant_id = $1 "
       "AND j.state IN ('queued', 'running') LIMIT 1",
       0);
SV_SQL(Q_JOB_FIND, "import_job_find",
       "SELECT " JOB_COLS " FROM import_jobs j WHERE j.tenant_id = $1 "
       "AND j.id = $2 AND j.account_id = $3",
       0);
SV_SQL(Q_JOB_START, "import_job_start",
       "UPDATE import_jobs SET state = 'running', heartbeat_at = $3 "
       "WHERE tenant_id = $1 AND id = $2 AND state = 'queued'",
       0);
SV_SQL(Q_JOB_BEAT, "import_job_beat",
       "UPDATE import_jobs SET heartbeat_at = $3, phase = $4, done = $5, "
       "total = $6 WHERE tenant_id = $1 AND id = $2 "
       "AND state IN ('queued', 'running')",
       0);
SV_SQL(Q_JOB_FINISH, "import_job_finish",
       "UPDATE import_jobs SET state = $3, phase = 'finished', done = $4, "
       "total = $5, lines = $6, employees = $7, departments = $8, "
       "error_count = $9, errors = $10, reason = $11, finished_at = $12, "
       "heartbeat_at = $12 WHERE tenant_id = $1 AND id = $2",
       0);

enum sv_qs
import_store_insert(struct sv_dbc *c, const char *tenant_id, const char *id,
                    const char *account_id, bool dry_run, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_INSERT, tenant_id, id);
    sv_stmt_text(st, 3, account_id);
    sv_stmt_int(st, 4, dry_run ? 1 : 0);
    sv_stmt_int(st, 5, now);
    return sv_stmt_exec(st);
}

enum sv_qs
import_store_expire(struct sv_dbc *c, const char *tenant_id, const char *id,
                    int64_t before, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_EXPIRE, tenant_id, id);
    sv_stmt_int(st, 3, before);
    sv_stmt_int(st, 4, now);
    return sv_stmt_exec(st);
}

enum sv_qs
import_store_open(struct sv_dbc *c, const char *tenant_id)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_JOB_OPEN);
    sv_stmt_text(st, 1, tenant_id);
    return sv_stmt_step(st);
}

enum sv_qs
import_store_find(struct sv_dbc *c, const char *tenant_id, const char *id,
                  const char *account_id, struct import_job_row *out)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_FIND, tenant_id, id);
    enum sv_qs qs;

    sv_stmt_text(st, 3, account_id);
    qs = sv_stmt_step(st);
    if (qs != SV_QS_ONE)
        return qs;
    memset(out, 0, sizeof *out);
    out->id = sv_stmt_col_text(st, 0);
    out->account_id = sv_stmt_col_text(st, 1);
    out->dry_run = sv_stmt_col_int(st, 2) != 0;
    out->state = sv_stmt_col_text(st, 3);
    out->phase = sv_stmt_col_text(st, 4);
    out->done = sv_stmt_col_int(st, 5);
    out->total = sv_stmt_col_int(st, 6);
    out->lines = sv_stmt_col_int(st, 7);
    out->employees = sv_stmt_col_int(st, 8);
    out->departments = sv_stmt_col_int(st, 9);
    out->error_count = sv_stmt_col_int(st, 10);
    out->errors = sv_stmt_col_null(st, 11) ? NULL : sv_stmt_col_text(st, 11);
    out->reason = sv_stmt_col_null(st, 12) ? NULL : sv_stmt_col_text(st, 12);
    out->created_at = sv_stmt_col_int(st, 13);
    out->heartbeat_at = sv_stmt_col_int(st, 14);
    out->finished_at = sv_stmt_col_null(st, 15) ? 0 : sv_stmt_col_int(st, 15);
    return SV_QS_ONE;
}

enum sv_qs
import_store_start(struct sv_dbc *c, const char *tenant_id, const char *id,
                   int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_START, tenant_id, id);
    sv_stmt_int(st, 3, now);
    return sv_stmt_exec(st);
}

enum sv_qs
import_store_beat(struct sv_dbc *c, const char *tenant_id, const char *id,
                  const char *phase, int64_t done, int64_t total, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_BEAT, tenant_id, id);
    sv_stmt_int(st, 3, now);
    sv_stmt_text(st, 4, phase);
    sv_stmt_int(st, 5, done);
    sv_stmt_int(st, 6, total);
    return sv_stmt_exec(st);
}

enum sv_qs
import_store_finish(struct sv_dbc *c, const char *tenant_id, const char *id,
                    const char *state, const struct import_job_row *r,
                    int64_t now)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_FINISH, tenant_id, id);
    sv_stmt_text(st, 3, state);
    sv_stmt_int(st, 4, r->done);
    sv_stmt_int(st, 5, r->total);
    sv_stmt_int(st, 6, r->lines);
    sv_stmt_int(st, 7, r->employees);
    sv_stmt_int(st, 8, r->departments);
    sv_stmt_int(st, 9, r->error_count);
    sv_stmt_text(st, 10, r->errors);
    sv_stmt_text(st, 11, r->reason);
    sv_stmt_int(st, 12, now);
    return sv_stmt_exec(st);
}

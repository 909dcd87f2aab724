/* The key centre's SQL: see keys_store.h. */
#include "directory/keys_store.h"

#include <stdio.h>
#include <string.h>

SV_SQL(Q_MAX_VERSION, "key_max_version",
       "SELECT COALESCE(MAX(version), 0) FROM tenant_keys "
       "WHERE tenant_id = $1",
       0);
SV_SQL(Q_VERSIONS, "key_versions",
       "SELECT version, created_at, retired_at FROM tenant_keys "
       "WHERE tenant_id = $1 ORDER BY version",
       0);
SV_SQL(Q_SUPERSEDE, "key_job_supersede",
       "UPDATE key_jobs SET state = 'superseded', updated_at = $2, "
       "finished_at = $2, lease_until = 0 WHERE tenant_id = $1 "
       "AND state = 'running'",
       0);

#define JCOLS                                                                  \
    "tenant_id, id, state, target_version, pass, pass_safe, column_name, "     \
    "after_id, pass_scanned, pass_resealed, resealed, total, created_at, "     \
    "updated_at, finished_at, pass_broken"

SV_SQL(Q_JOB_INSERT, "key_job_insert",
       "INSERT INTO key_jobs (tenant_id, id, state, target_version, pass, "
       "pass_safe, column_name, after_id, pass_scanned, pass_resealed, "
       "resealed, total, created_at, updated_at) VALUES ($1, $2, 'running', "
       "$3, 1, 0, '', '', 0, 0, 0, $4, $5, $5)",
       0);
SV_SQL(Q_JOB_GET, "key_job_get",
       "SELECT " JCOLS " FROM key_jobs WHERE tenant_id = $1 AND id = $2", 0);
SV_SQL(Q_JOB_LATEST, "key_job_latest",
       "SELECT " JCOLS " FROM key_jobs WHERE tenant_id = $1 "
       "ORDER BY created_at DESC, id DESC LIMIT 1",
       0);
SV_SQL(Q_JOB_SAVE, "key_job_save",
       "UPDATE key_jobs SET state = $3, pass = $4, pass_safe = $5, "
       "column_name = $6, after_id = $7, pass_scanned = $8, "
       "pass_resealed = $9, resealed = $10, updated_at = $11, "
       "finished_at = $12, lease_until = $13, pass_broken = $14 "
       "WHERE tenant_id = $1 AND id = $2",
       0);
SV_SQL(Q_JOB_NEXT, "key_job_next",
       "SELECT id, tenant_id FROM key_jobs WHERE state = 'running' "
       "AND (lease_until < $1 OR lease_owner = $2) "
       "ORDER BY created_at LIMIT 1",
       SV_SQL_PLATFORM);
SV_SQL(Q_JOB_LEASE, "key_job_lease",
       "UPDATE key_jobs SET lease_owner = $3, lease_until = $5 "
       "WHERE tenant_id = $1 AND id = $2 AND state = 'running' "
       "AND (lease_until < $4 OR lease_owner = $3)",
       0);
SV_SQL(Q_DONE_TARGETS, "key_job_done_targets",
       "SELECT tenant_id, MAX(target_version) FROM key_jobs "
       "WHERE state = 'done' GROUP BY tenant_id",
       SV_SQL_PLATFORM);
#define FENCE                                                                  \
    "SELECT version FROM tenant_keys WHERE tenant_id = $1 "                    \
    "AND version < $2 AND retired_at IS NULL"
SV_SQL_PG(Q_FENCE, "key_fence", FENCE, FENCE " FOR UPDATE", 0);
SV_SQL(Q_RETIRE, "key_retire",
       "UPDATE tenant_keys SET wrapped = $3, retired_at = $4 "
       "WHERE tenant_id = $1 AND version = $2 AND retired_at IS NULL",
       0);

enum sv_qs
keys_store_max_version(struct sv_dbc *c, const char *tenant_id,
                       uint32_t *version)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_MAX_VERSION);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        *version = (uint32_t)sv_stmt_col_int(st, 0);
    return qs;
}

enum sv_qs
keys_store_versions(struct sv_dbc *c, const char *tenant_id,
                    void (*row)(void *, uint32_t, int64_t, int64_t), void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_VERSIONS);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, (uint32_t)sv_stmt_col_int(st, 0), sv_stmt_col_int(st, 1),
            sv_stmt_col_null(st, 2) ? 0 : sv_stmt_col_int(st, 2));
    return qs;
}

enum sv_qs
keys_store_supersede(struct sv_dbc *c, const char *tenant_id, int64_t now)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_SUPERSEDE);
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, now);
    return sv_stmt_exec(st);
}

enum sv_qs
keys_store_job_insert(struct sv_dbc *c, const struct sv_key_job *j)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_INSERT, j->tenant_id, j->id);
    sv_stmt_int(st, 3, j->target);
    sv_stmt_int(st, 4, j->total);
    sv_stmt_int(st, 5, j->created_at);
    return sv_stmt_exec(st);
}

static void
read_job(struct sv_stmt *st, struct sv_key_job *j)
{
    memset(j, 0, sizeof *j);
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", sv_stmt_col_text(st, 0));
    snprintf(j->id, sizeof j->id, "%s", sv_stmt_col_text(st, 1));
    snprintf(j->state, sizeof j->state, "%s", sv_stmt_col_text(st, 2));
    j->target = (uint32_t)sv_stmt_col_int(st, 3);
    j->pass = sv_stmt_col_int(st, 4);
    j->pass_safe = sv_stmt_col_int(st, 5) != 0;
    snprintf(j->column, sizeof j->column, "%s", sv_stmt_col_text(st, 6));
    snprintf(j->after_id, sizeof j->after_id, "%s", sv_stmt_col_text(st, 7));
    j->pass_scanned = sv_stmt_col_int(st, 8);
    j->pass_resealed = sv_stmt_col_int(st, 9);
    j->resealed = sv_stmt_col_int(st, 10);
    j->total = sv_stmt_col_int(st, 11);
    j->created_at = sv_stmt_col_int(st, 12);
    j->updated_at = sv_stmt_col_int(st, 13);
    j->finished_at = sv_stmt_col_null(st, 14) ? 0 : sv_stmt_col_int(st, 14);
    j->pass_broken = sv_stmt_col_int(st, 15);
}

enum sv_qs
keys_store_job_get(struct sv_dbc *c, const char *tenant_id, const char *id,
                   struct sv_key_job *j)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_GET, tenant_id, id);
    enum sv_qs qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_job(st, j);
    return qs;
}

enum sv_qs
keys_store_job_latest(struct sv_dbc *c, const char *tenant_id,
                      struct sv_key_job *j)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_JOB_LATEST);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        read_job(st, j);
    return qs;
}

enum sv_qs
keys_store_job_save(struct sv_dbc *c, const struct sv_key_job *j,
                    int64_t lease_until)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_SAVE, j->tenant_id, j->id);
    sv_stmt_text(st, 3, j->state);
    sv_stmt_int(st, 4, j->pass);
    sv_stmt_int(st, 5, j->pass_safe ? 1 : 0);
    sv_stmt_text(st, 6, j->column);
    sv_stmt_text(st, 7, j->after_id);
    sv_stmt_int(st, 8, j->pass_scanned);
    sv_stmt_int(st, 9, j->pass_resealed);
    sv_stmt_int(st, 10, j->resealed);
    sv_stmt_int(st, 11, j->updated_at);
    if (j->finished_at != 0)
        sv_stmt_int(st, 12, j->finished_at);
    else
        sv_stmt_null(st, 12);
    sv_stmt_int(st, 13, lease_until);
    sv_stmt_int(st, 14, j->pass_broken);
    return sv_stmt_exec(st);
}

enum sv_qs
keys_store_job_next(struct sv_dbc *c, int64_t now, const char *owner,
                    char id[37], char tenant_id[37])
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_JOB_NEXT);
    enum sv_qs qs;

    sv_stmt_int(st, 1, now);
    sv_stmt_text(st, 2, owner);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE) {
        snprintf(id, 37, "%s", sv_stmt_col_text(st, 0));
        snprintf(tenant_id, 37, "%s", sv_stmt_col_text(st, 1));
    }
    return qs;
}

enum sv_qs
keys_store_job_lease(struct sv_dbc *c, const char *tenant_id, const char *id,
                     const char *owner, int64_t now, int64_t until)
{
    struct sv_stmt *st = sv_db_stmt2(c, &Q_JOB_LEASE, tenant_id, id);
    sv_stmt_text(st, 3, owner);
    sv_stmt_int(st, 4, now);
    sv_stmt_int(st, 5, until);
    return sv_stmt_exec(st);
}

enum sv_qs
keys_store_done_targets(struct sv_dbc *c,
                        void (*row)(void *, const char *, uint32_t), void *cls)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_DONE_TARGETS);
    enum sv_qs qs;

    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        row(cls, sv_stmt_col_text(st, 0), (uint32_t)sv_stmt_col_int(st, 1));
    return qs;
}

enum sv_qs
keys_store_fence(struct sv_dbc *c, const char *tenant_id, uint32_t target,
                 int64_t *n)
{
    struct sv_stmt *st = sv_db_stmt(c, &Q_FENCE);
    enum sv_qs qs;

    *n = 0;
    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, target);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        (*n)++;
    return qs;
}

enum sv_qs
keys_store_retire(struct sv_dbc *c, const char *tenant_id, uint32_t target,
                  int64_t now, void (*row)(void *, uint32_t), void *cls)
{
    /* The versions first (read whole), then each destroyed. */
    static const uint8_t none[1];
    uint32_t versions[64];
    size_t n = 0;
    struct sv_stmt *st = sv_db_stmt(c, &Q_FENCE);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    sv_stmt_int(st, 2, target);
    while ((qs = sv_stmt_step(st)) == SV_QS_ONE)
        if (n < sizeof versions / sizeof *versions)
            versions[n++] = (uint32_t)sv_stmt_col_int(st, 0);
    if (qs < 0)
        return qs;
    for (size_t i = 0; i < n; i++) {
        st = sv_db_stmt(c, &Q_RETIRE);
        sv_stmt_text(st, 1, tenant_id);
        sv_stmt_int(st, 2, versions[i]);
        sv_stmt_blob(st, 3, none, 0); /* empty, not NULL: the key is gone */
        sv_stmt_int(st, 4, now);
        qs = sv_stmt_exec(st);
        if (qs < 0)
            return qs;
        row(cls, versions[i]);
    }
    return n > 0 ? SV_QS_ONE : SV_QS_NONE;
}

enum sv_qs
keys_store_count(struct sv_dbc *c, const struct sv_sealed_column *col,
                 const char *tenant_id, int64_t *n)
{
    struct sv_stmt *st = sv_db_stmt(c, col->count);
    enum sv_qs qs;

    sv_stmt_text(st, 1, tenant_id);
    qs = sv_stmt_step(st);
    if (qs == SV_QS_ONE)
        *n = sv_stmt_col_int(st, 0);
    return qs;
}

enum sv_err
keys_store_page(struct sv_dbc *c, const struct sv_sealed_column *col,
                const char *tenant_id, const char *after_id, int64_t limit,
                enum sv_err (*row)(void *, const char *, const uint8_t *,
                                   size_t),
                void *cls)
{
    struct sv_stmt *st = sv_db_stmt2(c, col->page, tenant_id, after_id);
    enum sv_err rc = SV_OK;
    enum sv_qs qs = SV_QS_NONE;

    sv_stmt_int(st, 3, limit);
    while (rc == SV_OK && (qs = sv_stmt_step(st)) == SV_QS_ONE) {
        size_t len = 0;
        const void *p = sv_stmt_col_blob(st, 1, &len);
        rc = row(cls, sv_stmt_col_text(st, 0), p, len);
    }
    if (rc == SV_OK && qs < 0)
        rc = sv_qs_err(qs);
    return rc;
}

enum sv_qs
keys_store_reseal(struct sv_dbc *c, const struct sv_sealed_column *col,
                  const char *tenant_id, const char *row_id, const uint8_t *ct,
                  size_t len, const uint8_t *old, size_t old_len)
{
    struct sv_stmt *st = sv_db_stmt2(c, col->reseal, tenant_id, row_id);
    sv_stmt_blob(st, 3, ct, len);
    sv_stmt_blob(st, 4, old, old_len);
    return sv_stmt_exec(st);
}

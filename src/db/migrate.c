#include "db/migrate.h"

#include <stdio.h>

#include "core/log.h"
#include "core/util.h"
#include "db/db.h"

SV_SQL(Q_MAX, "migrations_max",
       "SELECT COALESCE(MAX(number), 0) FROM schema_migrations",
       SV_SQL_PLATFORM);
SV_SQL(Q_RECORD, "migrations_record",
       "INSERT INTO schema_migrations (number, name, applied_at) "
       "VALUES ($1, $2, $3)",
       SV_SQL_PLATFORM);

enum sv_err
sv_migrate(struct sv_dbc *c, char *err, size_t err_len)
{
    struct sv_stmt *st;
    int64_t have;

    /* Each migration and its record commit together, or not at all. */
    if (sv_dbc_exec_script(c, "CREATE TABLE IF NOT EXISTS schema_migrations ("
                              " number INTEGER PRIMARY KEY,"
                              " name TEXT NOT NULL,"
                              " applied_at BIGINT NOT NULL)") < 0) {
        snprintf(err, err_len, "cannot create schema_migrations");
        return SV_E_INTERNAL;
    }
    for (size_t i = 0; i < sv_migrations_len; i++) {
        const struct sv_migration *m = &sv_migrations[i];
        if (sv_dbc_begin(c) < 0 ||
            /* Two servers starting at once: one migrates, one waits. */
            (sv_dbc_is_postgres(c) &&
             sv_dbc_exec_script(c, "SELECT pg_advisory_xact_lock(7220101)") <
                 0)) {
            sv_dbc_rollback(c);
            snprintf(err, err_len, "migration %03d: database busy", m->number);
            return SV_E_UNAVAILABLE;
        }
        st = sv_db_stmt(c, &Q_MAX);
        if (sv_stmt_step(st) != SV_QS_ONE)
            goto fail;
        have = sv_stmt_col_int(st, 0);
        sv_db_stmt(c, &Q_MAX); /* reset */
        if (have >= m->number) {
            if (sv_dbc_commit(c) < 0)
                goto fail;
            continue;
        }
        if (have != m->number - 1) {
            snprintf(err, err_len, "migration %03d: database is at %03lld",
                     m->number, (long long)have);
            sv_dbc_rollback(c);
            return SV_E_INTERNAL;
        }
        if (sv_dbc_exec_script(c, sv_dbc_is_postgres(c) ? m->sql_postgres
                                                        : m->sql_sqlite) < 0)
            goto fail;
        st = sv_db_stmt(c, &Q_RECORD);
        sv_stmt_int(st, 1, m->number);
        sv_stmt_text(st, 2, m->name);
        sv_stmt_int(st, 3, sv_now_ms());
        if (sv_stmt_exec(st) < 0)
            goto fail;
        if (sv_dbc_commit(c) < 0)
            goto fail;
        continue;
    fail:
        snprintf(err, err_len, "migration %03d (%s) failed", m->number,
                 m->name);
        sv_dbc_rollback(c);
        return SV_E_INTERNAL;
    }
    return SV_OK;
}

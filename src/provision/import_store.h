/* provision's SQL (only here): the import jobs (011_imports). */
#ifndef SV_PROVISION_IMPORT_STORE_H
#define SV_PROVISION_IMPORT_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "db/db.h"
#include "provision/import.h"

/** A job row as stored. @p errors and strings point into the statement:
 *  valid until the next statement on the connection. */
struct import_job_row {
    const char *id, *account_id, *state, *phase, *errors, *reason;
    bool dry_run;
    int64_t done, total, lines, employees, departments, error_count;
    int64_t created_at, heartbeat_at, finished_at;
};

enum sv_qs import_store_insert(struct sv_dbc *c, const char *tenant_id,
                               const char *id, const char *account_id,
                               bool dry_run, int64_t now);
/** Fail (reason 'interrupted') the tenant's unfinished jobs whose
 *  heartbeat is older than @p before (@p id NULL: all of them, else that
 *  one only). */
enum sv_qs import_store_expire(struct sv_dbc *c, const char *tenant_id,
                               const char *id, int64_t before, int64_t now);
/** SV_QS_ONE when the tenant has an unfinished job. */
enum sv_qs import_store_open(struct sv_dbc *c, const char *tenant_id);
/** Job @p id of @p account_id into @p out (its strings are the
 *  statement's). */
enum sv_qs import_store_find(struct sv_dbc *c, const char *tenant_id,
                             const char *id, const char *account_id,
                             struct import_job_row *out);
/** A queued job starts running. */
enum sv_qs import_store_start(struct sv_dbc *c, const char *tenant_id,
                              const char *id, int64_t now);
/** An unfinished job's heartbeat and progress. */
enum sv_qs import_store_beat(struct sv_dbc *c, const char *tenant_id,
                             const char *id, const char *phase, int64_t done,
                             int64_t total, int64_t now);
/** A job's outcome: @p state, the counts, @p errors (JSON or NULL),
 *  @p reason (or NULL). */
enum sv_qs import_store_finish(struct sv_dbc *c, const char *tenant_id,
                               const char *id, const char *state,
                               const struct import_job_row *r, int64_t now);

#endif

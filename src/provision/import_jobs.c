/*
 * Import jobs (see import.h): the console's imports run on one worker
 * thread of the serving process, one at a time, the file in memory only.
 * A second thread beats each job's heartbeat (and saves its progress for
 * the other nodes) every two seconds; a job whose heartbeat stops is a
 * job whose process stopped.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <sodium.h>

#include "app.h"
#include "audit/audit.h"
#include "core/log.h"
#include "core/util.h"
#include "db/db.h"
#include "identity/identity.h"
#include "provision/import.h"
#include "provision/import_store.h"

/* Jobs waiting in a process at most. */
enum { QUEUE_MAX = 4 };
/* Heartbeat period. */
enum { BEAT_MS = 2000 };

struct job {
    char id[37], tenant_id[37], account_id[37];
    char username[SV_USERNAME_MAX + 1], ip[64], user_agent[256];
    struct sv_actor actor;
    bool dry_run;
    char *csv; /* the file: wiped and freed when the job ends */
    size_t len;
    _Atomic int phase;
    _Atomic uint64_t done, total;
    struct job *next;
};

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct sv_app *app;
    struct job *head, *tail; /* queued */
    size_t queued;
    struct job *running;
    bool started, stop;
    atomic_bool cancel; /* the running job's */
    pthread_t worker, beater;
} W = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static void
job_free(struct job *j)
{
    if (j == NULL)
        return;
    if (j->csv != NULL) {
        sodium_memzero(j->csv, j->len);
        free(j->csv);
    }
    free(j);
}

void
sv_import_job_fini(struct sv_import_job *j)
{
    free(j->errors_json);
    memset(j, 0, sizeof *j);
}

/* ---- the outcome of a job ---- */

/* The first SV_IMPORT_JOB_ERRORS errors of @p r as a JSON array. Caller
 * frees. */
static char *
errors_json(const struct sv_import_report *r)
{
    json_t *a = json_array();
    char *text;

    for (size_t i = 0; i < r->n_kept && i < SV_IMPORT_JOB_ERRORS; i++) {
        const struct sv_import_error *e = &r->errors[i];
        json_array_append_new(
            a, json_pack("{s:I, s:o, s:s, s:o, s:s}", "line",
                         (json_int_t)e->line, "column",
                         e->column ? json_string(e->column) : json_null(),
                         "rule", e->rule, "arg",
                         e->arg ? json_string(e->arg) : json_null(), "message",
                         e->message));
    }
    text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

struct finish_ctx {
    const struct job *j;
    const char *state;
    struct import_job_row r;
};

static enum sv_err
finish_row(struct sv_dbc *c, struct finish_ctx *f)
{
    enum sv_qs qs = import_store_finish(c, f->j->tenant_id, f->j->id, f->state,
                                        &f->r, sv_now_ms());
    return qs < 0 ? sv_qs_err(qs) : SV_OK;
}

static enum sv_err
finish_tx(struct sv_dbc *c, void *cls)
{
    return finish_row(c, cls);
}

/* In the import's own transaction: the job is done when the import is. */
static enum sv_err
commit_tx(struct sv_dbc *c, void *cls, const struct sv_import_report *r)
{
    struct job *j = cls;
    struct finish_ctx f = {j, "done", {0}};

    f.r.done = f.r.total = (int64_t)r->lines;
    f.r.lines = (int64_t)r->lines;
    f.r.employees = (int64_t)r->employees;
    f.r.departments = (int64_t)r->departments;
    return finish_row(c, &f);
}

static void
on_progress(void *cls, enum sv_import_phase phase, uint64_t done,
            uint64_t total)
{
    struct job *j = cls;
    atomic_store(&j->phase, (int)phase);
    atomic_store(&j->done, done);
    atomic_store(&j->total, total);
}

static bool
on_cancelled(void *cls)
{
    (void)cls;
    return atomic_load(&W.cancel);
}

static enum sv_err
start_tx(struct sv_dbc *c, void *cls)
{
    struct job *j = cls;
    return sv_qs_ok(import_store_start(c, j->tenant_id, j->id, sv_now_ms()));
}

static void
run_job(struct job *j)
{
    struct sv_import_options o = {
        .dry_run = j->dry_run,
        .actor = &j->actor,
        .job_id = j->id,
        .progress = on_progress,
        .cancelled = on_cancelled,
        .commit_tx = j->dry_run ? NULL : commit_tx,
        .cls = j,
    };
    struct sv_import_report r;
    struct finish_ctx f = {j, "failed", {0}};
    enum sv_err rc;

    rc = sv_db_run_tenant_tx(W.app->db, "import_job_start", j->tenant_id,
                             start_tx, j);
    if (rc == SV_OK)
        rc = sv_import_run(W.app->db, j->tenant_id, j->csv, j->len, &o, &r);
    /* The file is needed no more. */
    sodium_memzero(j->csv, j->len);
    if (rc == SV_OK && r.imported) {
        sv_import_report_fini(&r); /* recorded with the import itself */
        return;
    }
    if (rc == SV_OK) {
        f.state = r.n_errors > 0 ? "invalid" : "done";
        f.r.done = f.r.total = (int64_t)r.lines;
        f.r.lines = (int64_t)r.lines;
        f.r.employees = (int64_t)r.employees;
        f.r.departments = (int64_t)r.departments;
        f.r.error_count = (int64_t)r.n_errors;
        f.r.errors = errors_json(&r);
        sv_import_report_fini(&r);
    } else {
        f.r.reason = atomic_load(&W.cancel) ? "interrupted" : "internal";
        sv_log(rc == SV_E_UNAVAILABLE ? SV_LOG_WARN : SV_LOG_ERROR,
               "import job failed", "%s: %s", j->id, sv_err_code(rc));
    }
    rc = sv_db_run_tenant_tx(W.app->db, "import_job_finish", j->tenant_id,
                             finish_tx, &f);
    if (rc != SV_OK)
        sv_log(SV_LOG_ERROR, "import job", "%s: outcome not recorded: %s",
               j->id, sv_err_code(rc));
    free((char *)f.r.errors);
}

/* A job that will not run: failed, interrupted. */
static void
drop_job(struct job *j)
{
    struct finish_ctx f = {j, "failed", {0}};
    f.r.reason = "interrupted";
    if (sv_db_run_tenant_tx(W.app->db, "import_job_finish", j->tenant_id,
                            finish_tx, &f) != SV_OK)
        sv_log(SV_LOG_WARN, "import job", "%s: not marked interrupted", j->id);
}

static void *
worker_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    for (;;) {
        struct job *j;
        while (!W.stop && W.head == NULL)
            pthread_cond_wait(&W.cv, &W.mu);
        if (W.stop)
            break;
        j = W.head;
        W.head = j->next;
        if (W.head == NULL)
            W.tail = NULL;
        W.queued--;
        W.running = j;
        pthread_mutex_unlock(&W.mu);
        run_job(j);
        pthread_mutex_lock(&W.mu);
        W.running = NULL;
        job_free(j);
    }
    /* Stopping: the queued ones will not run. */
    while (W.head != NULL) {
        struct job *j = W.head;
        W.head = j->next;
        pthread_mutex_unlock(&W.mu);
        drop_job(j);
        job_free(j);
        pthread_mutex_lock(&W.mu);
    }
    W.tail = NULL;
    W.queued = 0;
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

/* ---- heartbeats ---- */

struct beat {
    char id[37], tenant_id[37];
    const char *phase;
    uint64_t done, total;
};

static enum sv_err
beat_tx(struct sv_dbc *c, void *cls)
{
    const struct beat *b = cls;
    return sv_qs_ok(import_store_beat(c, b->tenant_id, b->id, b->phase,
                                      (int64_t)b->done, (int64_t)b->total,
                                      sv_now_ms()));
}

static void
beat_of(const struct job *j, struct beat *b)
{
    memcpy(b->id, j->id, sizeof b->id);
    memcpy(b->tenant_id, j->tenant_id, sizeof b->tenant_id);
    b->phase = sv_import_phase_name(
        (enum sv_import_phase)atomic_load(&((struct job *)j)->phase));
    b->done = atomic_load(&((struct job *)j)->done);
    b->total = atomic_load(&((struct job *)j)->total);
}

static void *
beater_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&W.mu);
    while (!W.stop) {
        struct beat beats[QUEUE_MAX + 1];
        size_t n = 0;
        struct timespec until;

        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_sec += BEAT_MS / 1000;
        pthread_cond_timedwait(&W.cv, &W.mu, &until);
        if (W.stop)
            break;
        if (W.running != NULL)
            beat_of(W.running, &beats[n++]);
        for (struct job *j = W.head; j != NULL && n < QUEUE_MAX + 1;
             j = j->next)
            beat_of(j, &beats[n++]);
        pthread_mutex_unlock(&W.mu);
        /* Outside the lock: on SQLite a beat waits for the import's
         * transaction (one writer), and must not hold up the others. */
        for (size_t i = 0; i < n; i++)
            if (sv_db_run_tenant_tx(W.app->db, "import_job_beat",
                                    beats[i].tenant_id, beat_tx,
                                    &beats[i]) != SV_OK)
                sv_log(SV_LOG_WARN, "import job", "%s: heartbeat failed",
                       beats[i].id);
        pthread_mutex_lock(&W.mu);
    }
    pthread_mutex_unlock(&W.mu);
    return NULL;
}

enum sv_err
sv_import_jobs_start(struct sv_app *app)
{
    sigset_t all, old;
    enum sv_err rc = SV_OK;

    pthread_mutex_lock(&W.mu);
    if (W.started) {
        pthread_mutex_unlock(&W.mu);
        return SV_OK;
    }
    W.app = app;
    W.stop = false;
    atomic_store(&W.cancel, false);
    /* The threads take no signal: SIGTERM is the server's (sigwait). */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (pthread_create(&W.worker, NULL, worker_main, NULL) != 0) {
        rc = SV_E_INTERNAL;
    } else if (pthread_create(&W.beater, NULL, beater_main, NULL) != 0) {
        W.stop = true;
        pthread_cond_broadcast(&W.cv);
        pthread_mutex_unlock(&W.mu);
        pthread_join(W.worker, NULL);
        pthread_mutex_lock(&W.mu);
        rc = SV_E_INTERNAL;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    W.started = rc == SV_OK;
    pthread_mutex_unlock(&W.mu);
    return rc;
}

void
sv_import_jobs_stop(void)
{
    pthread_mutex_lock(&W.mu);
    if (!W.started) {
        pthread_mutex_unlock(&W.mu);
        return;
    }
    W.stop = true;
    atomic_store(&W.cancel, true); /* the running one rolls back */
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    pthread_join(W.worker, NULL);
    pthread_join(W.beater, NULL);
    pthread_mutex_lock(&W.mu);
    W.started = false;
    pthread_mutex_unlock(&W.mu);
}

/* ---- submit ---- */

struct submit_ctx {
    const struct job *j;
    bool taken; /* the tenant has an unfinished job */
};

static enum sv_err
submit_tx(struct sv_dbc *c, void *cls)
{
    struct submit_ctx *s = cls;
    const struct job *j = s->j;
    int64_t now = sv_now_ms();
    enum sv_qs qs;

    s->taken = false;
    /* A job whose process stopped holds the tenant's place no more. */
    qs = import_store_expire(c, j->tenant_id, NULL,
                             now - SV_IMPORT_JOB_STALE_MS, now);
    if (qs >= 0)
        qs = import_store_open(c, j->tenant_id);
    if (qs < 0)
        return sv_qs_err(qs);
    if (qs == SV_QS_ONE) {
        s->taken = true;
        return SV_E_CONFLICT;
    }
    qs = import_store_insert(c, j->tenant_id, j->id, j->account_id, j->dry_run,
                             now);
    return qs == SV_QS_ONE ? SV_OK
                           : sv_qs_err(qs == SV_QS_NONE ? SV_QS_HARD : qs);
}

/* A job's view while it is in this process's memory. */
static void
live_view(const struct job *j, bool running, struct sv_import_job *out)
{
    out->state = running ? "running" : "queued";
    out->phase = (enum sv_import_phase)atomic_load(&((struct job *)j)->phase);
    out->done = atomic_load(&((struct job *)j)->done);
    out->total = atomic_load(&((struct job *)j)->total);
}

enum sv_err
sv_import_job_submit(struct sv_app *app, const char *tenant_id,
                     const struct sv_actor *actor, bool dry_run,
                     const char *csv, size_t len, struct sv_import_job *out)
{
    struct job *j;
    struct submit_ctx s;
    bool full;
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    if (len > SV_IMPORT_BYTES_MAX)
        return SV_E_BODY_TOO_LARGE;
    if (SV_NEVER(actor == NULL || actor->account_id == NULL))
        return SV_E_INTERNAL;
    pthread_mutex_lock(&W.mu);
    full = !W.started || W.stop || W.queued >= QUEUE_MAX;
    pthread_mutex_unlock(&W.mu);
    if (full)
        return SV_E_OVERLOADED;
    j = sv_xcalloc(1, sizeof *j);
    sv_uuid7(j->id);
    snprintf(j->tenant_id, sizeof j->tenant_id, "%s", tenant_id);
    snprintf(j->account_id, sizeof j->account_id, "%s", actor->account_id);
    snprintf(j->username, sizeof j->username, "%s",
             actor->username ? actor->username : "");
    snprintf(j->ip, sizeof j->ip, "%s", actor->ip ? actor->ip : "");
    snprintf(j->user_agent, sizeof j->user_agent, "%s",
             actor->user_agent ? actor->user_agent : "");
    j->actor =
        (struct sv_actor){j->account_id, j->username, actor->ip ? j->ip : NULL,
                          actor->user_agent ? j->user_agent : NULL};
    j->dry_run = dry_run;
    j->len = len;
    j->csv = sv_xmalloc(len + 1);
    memcpy(j->csv, csv, len);
    j->csv[len] = '\0';
    atomic_store(&j->phase, SV_IMPORT_QUEUED);
    s.j = j;
    rc = sv_db_run_tenant_tx(app->db, "import_job_submit", tenant_id, submit_tx,
                             &s);
    if (rc != SV_OK) {
        job_free(j);
        return rc;
    }
    memcpy(out->id, j->id, sizeof out->id);
    out->state = "queued";
    out->phase = SV_IMPORT_QUEUED;
    out->dry_run = dry_run;
    out->created_at = sv_now_ms();
    pthread_mutex_lock(&W.mu);
    if (W.stop) { /* stopped meanwhile: it will never run */
        pthread_mutex_unlock(&W.mu);
        drop_job(j);
        job_free(j);
        out->state = "failed";
        out->reason = "interrupted";
        return SV_OK;
    }
    if (W.tail != NULL)
        W.tail->next = j;
    else
        W.head = j;
    W.tail = j;
    W.queued++;
    pthread_cond_broadcast(&W.cv);
    pthread_mutex_unlock(&W.mu);
    return SV_OK;
}

/* ---- get ---- */

struct get_ctx {
    const char *tenant_id, *account_id, *id;
    struct sv_import_job *out;
    bool stale; /* unfinished, its heartbeat old, not running here */
};

static const char *
state_of(const char *s)
{
    static const char *const states[] = {"queued", "running", "done", "invalid",
                                         "failed"};
    for (size_t i = 0; i < sizeof states / sizeof states[0]; i++)
        if (strcmp(s, states[i]) == 0)
            return states[i];
    return "failed";
}

static enum sv_import_phase
phase_of(const char *s)
{
    for (int p = SV_IMPORT_QUEUED; p <= SV_IMPORT_FINISHED; p++)
        if (strcmp(s, sv_import_phase_name((enum sv_import_phase)p)) == 0)
            return (enum sv_import_phase)p;
    return SV_IMPORT_FINISHED;
}

static enum sv_err
get_ro(struct sv_dbc *c, void *cls)
{
    struct get_ctx *g = cls;
    struct sv_import_job *o = g->out;
    struct import_job_row r;
    enum sv_qs qs =
        import_store_find(c, g->tenant_id, g->id, g->account_id, &r);

    if (qs != SV_QS_ONE)
        return sv_qs_found(qs);
    sv_import_job_fini(o);
    snprintf(o->id, sizeof o->id, "%s", r.id);
    o->state = state_of(r.state);
    o->phase = phase_of(r.phase);
    o->dry_run = r.dry_run;
    o->done = (uint64_t)r.done;
    o->total = (uint64_t)r.total;
    o->lines = (uint64_t)r.lines;
    o->employees = (uint64_t)r.employees;
    o->departments = (uint64_t)r.departments;
    o->error_count = (uint64_t)r.error_count;
    o->errors_json = r.errors != NULL ? sv_xstrdup(r.errors) : NULL;
    o->reason = r.reason == NULL                       ? NULL
                : strcmp(r.reason, "interrupted") == 0 ? "interrupted"
                                                       : "internal";
    o->created_at = r.created_at;
    o->finished_at = r.finished_at;
    g->stale =
        (strcmp(o->state, "queued") == 0 || strcmp(o->state, "running") == 0) &&
        r.heartbeat_at < sv_now_ms() - SV_IMPORT_JOB_STALE_MS;
    return SV_OK;
}

static enum sv_err
expire_tx(struct sv_dbc *c, void *cls)
{
    struct get_ctx *g = cls;
    int64_t now = sv_now_ms();
    return sv_qs_ok(import_store_expire(c, g->tenant_id, g->id,
                                        now - SV_IMPORT_JOB_STALE_MS, now));
}

enum sv_err
sv_import_job_get(struct sv_app *app, const char *tenant_id,
                  const char *account_id, const char *id,
                  struct sv_import_job *out)
{
    struct get_ctx g = {tenant_id, account_id, id, out, false};
    const struct job *here = NULL;
    bool running = false;
    enum sv_err rc;

    memset(out, 0, sizeof *out);
    if (!sv_check_uuid(id))
        return SV_E_NOT_FOUND;
    rc = sv_db_run_tenant_ro(app->db, tenant_id, get_ro, &g);
    if (rc != SV_OK)
        return rc;
    pthread_mutex_lock(&W.mu);
    if (W.running != NULL && strcmp(W.running->id, id) == 0) {
        here = W.running;
        running = true;
    }
    for (const struct job *j = W.head; here == NULL && j != NULL; j = j->next)
        if (strcmp(j->id, id) == 0)
            here = j;
    /* Live from the worker while it is here and unfinished in the row. */
    if (here != NULL && (strcmp(out->state, "queued") == 0 ||
                         strcmp(out->state, "running") == 0))
        live_view(here, running, out);
    pthread_mutex_unlock(&W.mu);
    if (here == NULL && g.stale) {
        /* Its process stopped: say so, for everyone. */
        rc = sv_db_run_tenant_tx(app->db, "import_job_expire", tenant_id,
                                 expire_tx, &g);
        if (rc == SV_OK)
            rc = sv_db_run_tenant_ro(app->db, tenant_id, get_ro, &g);
        if (rc != SV_OK)
            sv_import_job_fini(out);
    }
    return rc;
}

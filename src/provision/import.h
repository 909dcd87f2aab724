/*
 * Provisioning (issue 11, part 7; DIR-2, DIR-4): the CSV import of
 * departments and employees. The file format, the rules and the design are
 * docs/import.md; in short:
 *
 *   - UTF-8 CSV (RFC 4180 quoting, read by libcsv in strict mode), the
 *     first line naming the columns: username, display_name, department
 *     (required), email, phone, id_number, title, employee_no, departments,
 *     manager (optional). A line is an employee, or (only a department
 *     given) a department;
 *   - a department is a path from the top of the tree ("Sales/East/
 *     Shanghai", backslash escapes '/', ';' and itself); the ones missing
 *     are created; further departments are paths separated by ';'; the
 *     manager is a username, of a line of the file or of an employee;
 *   - every error is found and reported by line and column with its rule,
 *     and nothing is written unless every line is valid: the checks that
 *     read the database run in the import's own transaction, under the
 *     directory lock, so what was checked is what is written;
 *   - imported accounts have no password (SV_PASSWORD_NONE): the person
 *     sets one through the self-service reset (a code to the imported
 *     e-mail address) or an admin reset. 100,000 Argon2id hashes would
 *     take minutes, and a file of temporary passwords would be a
 *     credential dump;
 *   - one transaction writes everything with its events, batched (one
 *     round trip per few hundred statements on PostgreSQL, the audit
 *     chain's head signed once): department.create, account.created and
 *     employee.create per object, as the single-object paths write them,
 *     then one directory.import with the counts.
 *
 * Permission: an actor with an account (the console, the API) needs
 * directory.manage over every department an employee is put in, and over
 * the parent of every department created (over the tenant for a new top
 * department): a department admin imports into their subtree. The
 * operator's CLI (no account) is not asked. A refusal is an error of the
 * lines concerned, and a real run that is refused records one
 * access.denied.
 */
#ifndef SV_PROVISION_IMPORT_H
#define SV_PROVISION_IMPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/errors.h"

struct sv_actor;
struct sv_app;
struct sv_arena;
struct sv_db;
struct sv_dbc;

/** A file, in bytes, at most (the HTTP route's body limit too). */
#define SV_IMPORT_BYTES_MAX (32u * 1024 * 1024)
/** Data lines (records after the header) at most. */
#define SV_IMPORT_LINES_MAX 200000
/** Bytes of one field at most. */
#define SV_IMPORT_FIELD_MAX 4096
/** Errors kept in a report (every error is counted). */
#define SV_IMPORT_ERRORS_MAX 10000

/** The columns, in the order the docs list them. */
enum sv_import_column {
    SV_IMPORT_USERNAME,
    SV_IMPORT_DISPLAY_NAME,
    SV_IMPORT_EMAIL,
    SV_IMPORT_PHONE,
    SV_IMPORT_ID_NUMBER,
    SV_IMPORT_TITLE,
    SV_IMPORT_EMPLOYEE_NO,
    SV_IMPORT_DEPARTMENT,
    SV_IMPORT_DEPARTMENTS,
    SV_IMPORT_MANAGER,
    SV_IMPORT__COLUMNS
};
/** The header name of @p c ("username"); NULL out of range. */
const char *sv_import_column_name(enum sv_import_column c);

/** One error. Strings are the report's (or static). */
struct sv_import_error {
    uint32_t line;       /* the line its record starts on; 1: the header */
    const char *column;  /* a column's name; NULL: the line as a whole */
    const char *rule;    /* static, e.g. "phone_invalid" (docs/import.md) */
    const char *arg;     /* the message's variable part, or NULL: a region,
                            a line number, a department path, a limit */
    const char *message; /* English, e.g. "not a valid phone number for
                            region CN"; never a value of the file's
                            personal data (phone, e-mail, ID number) */
};

/** The stages of an import, for a progress bar. */
enum sv_import_phase {
    SV_IMPORT_QUEUED,   /* a job waiting for the worker */
    SV_IMPORT_READING,  /* parsing; done and total in bytes */
    SV_IMPORT_CHECKING, /* the rules against the database; in lines */
    SV_IMPORT_WRITING,  /* in lines */
    SV_IMPORT_FINISHED,
};
/** "queued", "reading", "checking", "writing", "finished". */
const char *sv_import_phase_name(enum sv_import_phase p);

/** What an import found and did. */
struct sv_import_report {
    size_t lines;       /* data lines read (blank ones not counted) */
    size_t employees;   /* created, or that would be (a dry run) */
    size_t departments; /* created, or that would be */
    size_t n_errors;    /* every error found */
    size_t n_kept;      /* in errors[]: at most SV_IMPORT_ERRORS_MAX */
    struct sv_import_error *errors; /* in line order, then column order */
    bool imported;                  /* written (never on a dry run) */
    struct sv_arena *arena;         /* the errors' strings */
};

/** Release @p r's errors (a zeroed report is fine). */
void sv_import_report_fini(struct sv_import_report *r);

struct sv_import_options {
    bool dry_run; /* check everything, write nothing (no event either) */
    /* Who: the console's account (permission asked), or the operator
     * (account_id NULL: the CLI, not asked). Borrowed for the run. */
    const struct sv_actor *actor;
    const char *job_id; /* named in the events' details, or NULL */
    /* Called as the work advances (about every 1 % and at each phase). */
    void (*progress)(void *cls, enum sv_import_phase phase, uint64_t done,
                     uint64_t total);
    /* Asked now and then: true stops the import (nothing written). */
    bool (*cancelled)(void *cls);
    /* In the import's transaction, after every write and before the
     * commit (a job records its outcome with the import: both or
     * neither). NULL: none. */
    enum sv_err (*commit_tx)(struct sv_dbc *c, void *cls,
                             const struct sv_import_report *r);
    void *cls;
};

/**
 * Import CSV @p csv (@p len bytes, at most SV_IMPORT_BYTES_MAX) into tenant
 * @p tenant_id: parse and check every line (phones read in the tenant's
 * region), check them against the tenant's directory and @p o->actor's
 * permission, and unless @p o->dry_run and only when no line has an error,
 * write it all in one transaction with its events. A real run that found
 * errors writes nothing of the directory; it records a failed
 * directory.import event (and access.denied when refused).
 * @param[out] out  the report; release with sv_import_report_fini()
 * @return SV_OK with @p out the verdict (n_errors 0: valid, and imported
 *         unless a dry run); SV_E_BODY_TOO_LARGE (more than
 *         SV_IMPORT_BYTES_MAX); SV_E_NOT_FOUND (no such tenant);
 *         SV_E_UNAVAILABLE (cancelled: nothing written); database errors.
 */
SV_MUST_CHECK enum sv_err sv_import_run(struct sv_db *db, const char *tenant_id,
                                        const char *csv, size_t len,
                                        const struct sv_import_options *o,
                                        struct sv_import_report *out);

/* ---- the parser alone (no database): the fuzz target and unit tests ---- */

struct sv_import_doc;

/**
 * Parse and check @p csv on its own: the CSV syntax, the header, each
 * field's rule (phones read in @p region) and the rules among its lines
 * (duplicates, managers in the file, manager cycles). Errors go into the
 * document. SV_E_FIELD_INVALID for a @p region libphonenumber does not
 * know; SV_E_UNAVAILABLE when @p cancelled said so.
 * @param[out] out  Caller frees with sv_import_doc_free().
 */
SV_MUST_CHECK enum sv_err sv_import_parse(const char *csv, size_t len,
                                          const char *region,
                                          const struct sv_import_options *o,
                                          struct sv_import_doc **out);
void sv_import_doc_free(struct sv_import_doc *d);
/** Data lines, employees and departments named, errors found so far. */
size_t sv_import_doc_lines(const struct sv_import_doc *d);
size_t sv_import_doc_employees(const struct sv_import_doc *d);
size_t sv_import_doc_departments(const struct sv_import_doc *d);
/** The document's errors so far, sorted, into @p out (its own arena). */
void sv_import_doc_report(struct sv_import_doc *d,
                          struct sv_import_report *out);

/* ---- jobs: the console's imports (POST /api/v1/directory/imports) ---- */

/** An import job as its owner sees it. */
struct sv_import_job {
    char id[37];
    const char *state; /* "queued", "running", "done", "invalid", "failed" */
    enum sv_import_phase phase;
    bool dry_run;
    uint64_t done, total; /* of the phase */
    uint64_t lines, employees, departments, error_count;
    char *errors_json;  /* a JSON array of the first SV_IMPORT_JOB_ERRORS
                           errors (malloc; sv_import_job_fini), or NULL */
    const char *reason; /* failed: "interrupted", "internal"; or NULL */
    int64_t created_at, finished_at; /* finished_at 0: not yet */
};
/** Errors a job keeps (its row; every error is counted). */
#define SV_IMPORT_JOB_ERRORS 1000
/** Heartbeats older than this mark an unfinished job interrupted. */
#define SV_IMPORT_JOB_STALE_MS (60 * 1000)

void sv_import_job_fini(struct sv_import_job *j);

/**
 * Start the import worker of this process (serve only): one job at a time,
 * the others queued (at most 4). Call once before serving.
 */
SV_MUST_CHECK enum sv_err sv_import_jobs_start(struct sv_app *app);
/**
 * Stop it: the running job is cancelled (its transaction rolls back) and,
 * like the queued ones, marked failed ("interrupted"); waits for the
 * worker. A job of a process that died is marked so once its heartbeat is
 * SV_IMPORT_JOB_STALE_MS old (when read, or when the tenant starts
 * another).
 */
void sv_import_jobs_stop(void);

/**
 * Queue the import of @p csv (copied; wiped when done) into the tenant of
 * @p actor (whose strings are copied) as a job, recorded as queued.
 * @return SV_OK with @p out the job; SV_E_CONFLICT (the tenant has an
 *         import queued or running); SV_E_OVERLOADED (the queue is full,
 *         or no worker: not serving); SV_E_BODY_TOO_LARGE; database
 *         errors.
 */
SV_MUST_CHECK enum sv_err
sv_import_job_submit(struct sv_app *app, const char *tenant_id,
                     const struct sv_actor *actor, bool dry_run,
                     const char *csv, size_t len, struct sv_import_job *out);

/**
 * Job @p id of @p account_id in @p tenant_id, live from the worker while it
 * runs here. SV_E_NOT_FOUND for another account's job (or tenant's).
 * @param[out] out  release with sv_import_job_fini()
 */
SV_MUST_CHECK enum sv_err sv_import_job_get(struct sv_app *app,
                                            const char *tenant_id,
                                            const char *account_id,
                                            const char *id,
                                            struct sv_import_job *out);

#endif

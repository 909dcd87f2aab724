-- 012: CSV imports run as jobs (issue 11, part 7; docs/import.md). A job
-- is the console's import: queued by POST /api/v1/directory/imports, run
-- by the server's import worker, read back by its owner for the progress
-- bar and the error report. The file itself is never stored (it holds
-- personal data in clear): it lives in the worker's memory only, so a
-- job whose process stopped is failed ('interrupted'), found by its
-- heartbeat. errors: a JSON array of the first 1,000 errors (line, column,
-- rule, message; never a value of the file's personal data).
CREATE TABLE import_jobs (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    dry_run      INTEGER NOT NULL,
    state        TEXT NOT NULL
                 CHECK (state IN ('queued', 'running', 'done', 'invalid',
                                  'failed')),
    phase        TEXT NOT NULL DEFAULT 'queued',
    done         BIGINT NOT NULL DEFAULT 0,
    total        BIGINT NOT NULL DEFAULT 0,
    lines        BIGINT NOT NULL DEFAULT 0,
    employees    BIGINT NOT NULL DEFAULT 0,
    departments  BIGINT NOT NULL DEFAULT 0,
    error_count  BIGINT NOT NULL DEFAULT 0,
    errors       TEXT,
    reason       TEXT,
    created_at   BIGINT NOT NULL,
    heartbeat_at BIGINT NOT NULL,
    finished_at  BIGINT
);
-- One unfinished job per tenant (an import takes the directory lock for
-- its whole transaction: a second one would only wait), and an owner's
-- jobs.
CREATE UNIQUE INDEX import_jobs_open ON import_jobs (tenant_id)
    WHERE state IN ('queued', 'running');
CREATE INDEX import_jobs_account ON import_jobs (tenant_id, account_id,
                                                created_at);

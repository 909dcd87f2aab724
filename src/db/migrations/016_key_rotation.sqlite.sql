-- 016: the key management centre, tenant key rotation (issue 13; DATA-2;
-- docs/keys.md).
--
-- tenants.index_key: the tenant's blind-index key, wrapped by the root key
-- (AAD: tenant). It does not change when the key-encryption key does, so
-- an exact-match search finds the same rows before, during and after a
-- rotation. NULL on a tenant made before 016 until the server's first
-- start wraps the key the old scheme derived from KEK version 1 (the
-- indexes already written stay right).
ALTER TABLE tenants ADD COLUMN index_key BLOB;

-- A retired key version: its wrapped key is destroyed (an empty value)
-- once no ciphertext uses it; the row stays as the version's record.
ALTER TABLE tenant_keys ADD COLUMN retired_at BIGINT;

-- Re-sealing after a rotation: one job per rotation, run in batches by one
-- node at a time (lease_owner / lease_until), resumable: the cursor
-- (column, after_id) and the counts move in the same transaction as the
-- batch they describe. state: running | done | superseded (a newer
-- rotation's job re-seals everything) | blocked (a fenced pass found only
-- values that do not open: nothing is retired, the log names them;
-- pass_broken counts them). A pass walks every sealed column;
-- the job ends after a pass that found nothing older than target_version
-- and began after every transaction open at the rotation had ended
-- (safe_after, PostgreSQL's transaction id; SQLite writers are serial).
CREATE TABLE key_jobs (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    target_version INTEGER NOT NULL CHECK (target_version > 1),
    state          TEXT NOT NULL
                   CHECK (state IN ('running', 'done', 'superseded',
                                    'blocked')),
    pass           INTEGER NOT NULL DEFAULT 1,
    pass_safe      INTEGER NOT NULL DEFAULT 0,
    safe_after     BIGINT NOT NULL DEFAULT 0,
    column_name    TEXT NOT NULL DEFAULT '',
    after_id       TEXT NOT NULL DEFAULT '',
    pass_scanned   BIGINT NOT NULL DEFAULT 0,
    pass_resealed  BIGINT NOT NULL DEFAULT 0,
    pass_broken    BIGINT NOT NULL DEFAULT 0,
    resealed       BIGINT NOT NULL DEFAULT 0,
    total          BIGINT NOT NULL DEFAULT 0,
    lease_owner    TEXT NOT NULL DEFAULT '',
    lease_until    BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    finished_at    BIGINT
);
CREATE INDEX key_jobs_tenant ON key_jobs (tenant_id, created_at);
CREATE INDEX key_jobs_running ON key_jobs (state) WHERE state = 'running';

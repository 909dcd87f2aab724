-- 016: the key management centre: tenant key rotation and tenant
-- deletion by crypto-shredding (issue 13; DATA-2, DATA-7; docs/keys.md).
--
-- key_scheme 2: the tenant's keys are wrapped by its tenant master key, a
-- key kept outside the database (the key store, crypto/keyring.h) and
-- destroyed when the tenant is deleted, so no copy of the database or of
-- a backup opens its keys afterwards. key_scheme 1: a tenant made before
-- 016, its key versions wrapped by the root key; the first start moves it
-- to scheme 2.
-- tenants.index_key: the tenant's blind-index key, wrapped by its master
-- key. It does not change when the key-encryption key does, so an
-- exact-match search finds the same rows before, during and after a
-- rotation. NULL on a scheme 1 tenant: the upgrade wraps the key its
-- indexes were made with (derived from KEK version 1).
ALTER TABLE tenants ADD COLUMN key_scheme INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN index_key BYTEA;

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
-- The re-sealing walks each sealed table of one tenant in row-id order
-- (SV_SEALED_COLUMN's page query): without these it read the whole
-- tenant, or the whole table, for every batch (bench scenario 15).
CREATE INDEX records_tenant_id ON records (tenant_id, id);
CREATE INDEX accounts_tenant_id ON accounts (tenant_id, id);
CREATE INDEX employees_tenant_id ON employees (tenant_id, account_id);
CREATE INDEX key_jobs_running ON key_jobs (state) WHERE state = 'running';

-- The worker finds running jobs across tenants (platform scope); each
-- batch runs in its tenant's scope.
ALTER TABLE key_jobs ENABLE ROW LEVEL SECURITY;
ALTER TABLE key_jobs FORCE ROW LEVEL SECURITY;
CREATE POLICY key_jobs_scope ON key_jobs
    USING (tenant_id = current_setting('salesvault.tenant_id', true)
           OR current_setting('salesvault.platform', true) = 'on');

-- Deleted tenants (DATA-7), kept for good: what was deleted, by whom and
-- when; each node wipes its cached keys of a tenant listed here. A
-- tenant's audit events may be deleted only once it is listed (the
-- append-only triggers below), by the deletion that lists it.
CREATE TABLE tenant_deletions (
    tenant_id   TEXT PRIMARY KEY,
    slug        TEXT NOT NULL,
    actor       TEXT NOT NULL,
    requested_at BIGINT NOT NULL,
    deleted_at  BIGINT
);
ALTER TABLE tenant_deletions ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_deletions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_deletions_scope ON tenant_deletions
    USING (tenant_id = current_setting('salesvault.tenant_id', true)
           OR current_setting('salesvault.platform', true) = 'on');

CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND OLD.tenant_id IS NOT NULL AND EXISTS (
        SELECT 1 FROM tenant_deletions d WHERE d.tenant_id = OLD.tenant_id)
    THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;

-- The server's role may not delete audit events: this function of the
-- owner's deletes a tenant's stream, and only once the tenant is listed
-- as deleted and its row is gone (tenant deletion, DATA-7).
CREATE FUNCTION erase_tenant_audit(t TEXT) RETURNS BIGINT
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    n BIGINT;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM tenant_deletions WHERE tenant_id = t)
       OR EXISTS (SELECT 1 FROM tenants WHERE id = t) THEN
        RAISE EXCEPTION 'tenant % is not deleted', t;
    END IF;
    DELETE FROM audit_events WHERE tenant_id = t;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END;
$$;
REVOKE ALL ON FUNCTION erase_tenant_audit(TEXT) FROM PUBLIC;

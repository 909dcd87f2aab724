-- 014 (PostgreSQL): CRM records (issue 12). See the SQLite migration.
-- name_key sorts by bytes (COLLATE "C"), as on SQLite: pages, cursors and
-- the name prefix's range agree on both engines.
CREATE TABLE records (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    id            TEXT PRIMARY KEY,
    type          TEXT NOT NULL
                  CHECK (type IN ('customer', 'contact', 'opportunity',
                                  'activity')),
    parent_id     TEXT REFERENCES records (id),
    owner_id      TEXT NOT NULL REFERENCES accounts (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    version       BIGINT NOT NULL CHECK (version >= 1),
    name_key      TEXT COLLATE "C" NOT NULL,
    plain         TEXT NOT NULL,
    sealed        BYTEA,
    secret        BYTEA,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL,
    deleted_at    BIGINT
);
-- A type's page in name order, or the most recently changed first; the
-- same for one owner (a sales rep whose scope is their own records).
CREATE INDEX records_page ON records (tenant_id, type, name_key, id)
    WHERE deleted_at IS NULL;
CREATE INDEX records_recent ON records (tenant_id, type, updated_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX records_owner ON records (tenant_id, type, owner_id, name_key, id)
    WHERE deleted_at IS NULL;
CREATE INDEX records_owner_recent
    ON records (tenant_id, type, owner_id, updated_at, id)
    WHERE deleted_at IS NULL;
-- A customer's contacts, opportunities and activities; an account's
-- records (offboarding hands them over); a department's (it cannot be
-- deleted while it holds one); the recycle bin, newest first.
CREATE INDEX records_parent ON records (tenant_id, parent_id)
    WHERE parent_id IS NOT NULL;
CREATE INDEX records_owned ON records (tenant_id, owner_id);
CREATE INDEX records_department ON records (tenant_id, department_id);
CREATE INDEX records_bin ON records (tenant_id, type, deleted_at, id)
    WHERE deleted_at IS NOT NULL;
-- The bin's sweep: what is oldest, of any type.
CREATE INDEX records_bin_age ON records (tenant_id, deleted_at)
    WHERE deleted_at IS NOT NULL;

-- Exact-match look-ups on indexed fields: a plain field's canonical value
-- (text folded), a sealed field's blind index (HMAC-SHA-256 under the
-- tenant's index key, hex). One row per record and indexed field set.
CREATE TABLE record_terms (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    type      TEXT NOT NULL,
    field     TEXT NOT NULL,
    term      TEXT COLLATE "C" NOT NULL,
    record_id TEXT NOT NULL REFERENCES records (id),
    PRIMARY KEY (tenant_id, type, field, term, record_id)
);
CREATE INDEX record_terms_record ON record_terms (tenant_id, record_id);

-- A tenant's custom fields (DATA-1: each with a level).
CREATE TABLE record_fields (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    type       TEXT NOT NULL,
    name       TEXT NOT NULL,
    ftype      TEXT NOT NULL,
    level      TEXT NOT NULL
               CHECK (level IN ('public', 'internal', 'confidential',
                                'secret')),
    flags      INTEGER NOT NULL,
    max_len    INTEGER NOT NULL,
    label      TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, type, name)
);

-- A tenant's pipeline of opportunity stages, in order; none: the default.
CREATE TABLE pipeline_stages (
    tenant_id TEXT NOT NULL REFERENCES tenants (id),
    key       TEXT NOT NULL,
    label     TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, key)
);

ALTER TABLE records ENABLE ROW LEVEL SECURITY;
ALTER TABLE records FORCE ROW LEVEL SECURITY;
CREATE POLICY records_tenant ON records
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
ALTER TABLE record_terms ENABLE ROW LEVEL SECURITY;
ALTER TABLE record_terms FORCE ROW LEVEL SECURITY;
CREATE POLICY record_terms_tenant ON record_terms
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
ALTER TABLE record_fields ENABLE ROW LEVEL SECURITY;
ALTER TABLE record_fields FORCE ROW LEVEL SECURITY;
CREATE POLICY record_fields_tenant ON record_fields
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
ALTER TABLE pipeline_stages ENABLE ROW LEVEL SECURITY;
ALTER TABLE pipeline_stages FORCE ROW LEVEL SECURITY;
CREATE POLICY pipeline_stages_tenant ON pipeline_stages
    USING (tenant_id = current_setting('salesvault.tenant_id', true));

-- 001: tenants, their keys, accounts, sessions, audit streams.
-- Times are UTC milliseconds; ids are UUIDv7 text.

CREATE TABLE tenants (
    id                 TEXT PRIMARY KEY,
    slug               TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    password_policy    TEXT NOT NULL DEFAULT 'default'
                       CHECK (password_policy IN ('default', 'nist')),
    password_min_score INTEGER NOT NULL DEFAULT 2
                       CHECK (password_min_score BETWEEN 0 AND 4),
    created_at         BIGINT NOT NULL
);

-- DATA-2: tenant key-encryption keys, wrapped by the root key.
CREATE TABLE tenant_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    INTEGER NOT NULL CHECK (version > 0),
    wrapped    BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants (id),
    username             TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    email_enc            BLOB,
    email_bidx           BLOB,
    password_hash        TEXT NOT NULL,
    must_change_password INTEGER NOT NULL DEFAULT 1,
    password_changed_at  BIGINT,
    created_at           BIGINT NOT NULL,
    UNIQUE (tenant_id, username)
);
CREATE INDEX accounts_email_bidx ON accounts (tenant_id, email_bidx);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    token_hash   BLOB NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_account ON sessions (tenant_id, account_id);

-- AUD-1, AUD-4: append-only, hash-chained streams (a tenant id or 'platform').
CREATE TABLE audit_heads (
    stream TEXT PRIMARY KEY,
    seq    BIGINT NOT NULL,
    hash   BLOB NOT NULL
);

CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    stream      TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    time_ms     BIGINT NOT NULL,
    tenant_id   TEXT,
    actor_id    TEXT,
    actor       TEXT,
    action      TEXT NOT NULL,
    target_type TEXT,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    result      TEXT NOT NULL,
    reason      TEXT,
    details     TEXT,
    prev_hash   BLOB NOT NULL,
    hash        BLOB NOT NULL,
    UNIQUE (stream, seq)
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, time_ms);

-- No statement of ours updates or deletes an event; refuse it in the engine
-- too, so a bug or a stray SQL shell cannot quietly rewrite history.
CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;
CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit_events is append-only');
END;

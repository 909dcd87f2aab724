-- 001 (PostgreSQL): the same tables as the SQLite file, plus row-level
-- security as a second wall between tenants (DIR-1, DR-1).
--
-- The server sets its scope per transaction with set_config(…, true):
--   salesvault.tenant_id             the tenant whose rows it may touch
--   salesvault.platform              'on' for the platform audit stream
--   salesvault.session_token_hash    hex SHA-256 of a presented token: that
--                                    one session and its account, before the
--                                    tenant is known
-- Without a scope, tenant tables return no rows and accept no writes.

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

CREATE TABLE tenant_keys (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    version    INTEGER NOT NULL CHECK (version > 0),
    wrapped    BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

CREATE TABLE accounts (
    id                   TEXT PRIMARY KEY,
    tenant_id            TEXT NOT NULL REFERENCES tenants (id),
    username             TEXT NOT NULL,
    role                 TEXT NOT NULL CHECK (role IN ('admin', 'member')),
    email_enc            BYTEA,
    email_bidx           BYTEA,
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
    token_hash   BYTEA NOT NULL UNIQUE,
    created_at   BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    revoked_at   BIGINT,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX sessions_account ON sessions (tenant_id, account_id);

CREATE TABLE audit_heads (
    stream TEXT PRIMARY KEY,
    seq    BIGINT NOT NULL,
    hash   BYTEA NOT NULL
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
    prev_hash   BYTEA NOT NULL,
    hash        BYTEA NOT NULL,
    UNIQUE (stream, seq)
);
CREATE INDEX audit_events_tenant_time ON audit_events (tenant_id, time_ms);

CREATE FUNCTION audit_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END;
$$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only();

-- Row-level security. FORCE: the owner is held to it too.
ALTER TABLE tenant_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_keys_tenant ON tenant_keys
    USING (tenant_id = current_setting('salesvault.tenant_id', true));

ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;
CREATE POLICY accounts_tenant ON accounts
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
CREATE POLICY accounts_session ON accounts FOR SELECT
    USING (id IN (SELECT s.account_id FROM sessions s
                  WHERE s.token_hash = decode(NULLIF(current_setting(
                      'salesvault.session_token_hash', true), ''), 'hex')));

ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY sessions_tenant ON sessions
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
CREATE POLICY sessions_token ON sessions FOR SELECT
    USING (token_hash = decode(NULLIF(current_setting(
        'salesvault.session_token_hash', true), ''), 'hex'));

ALTER TABLE audit_heads ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_heads FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_heads_scope ON audit_heads
    USING (stream = current_setting('salesvault.tenant_id', true)
           OR (stream = 'platform'
               AND current_setting('salesvault.platform', true) = 'on'));

ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY audit_events_scope ON audit_events
    USING (tenant_id = current_setting('salesvault.tenant_id', true)
           OR (tenant_id IS NULL
               AND current_setting('salesvault.platform', true) = 'on'));

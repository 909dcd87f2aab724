-- 003: account protection and device trust (AUTH-3…8, DEV-1…6).

ALTER TABLE tenants ADD COLUMN require_mfa INTEGER NOT NULL DEFAULT 0;
ALTER TABLE accounts ADD COLUMN phone_enc BLOB;

-- DEV-1: every device an account signed in from.
CREATE TABLE devices (
    id            TEXT PRIMARY KEY,
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    client_id     TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('web', 'mobile', 'cli')),
    name          TEXT,
    model         TEXT,
    platform      TEXT,
    public_key    BLOB,
    state         TEXT NOT NULL
                  CHECK (state IN ('unknown', 'trusted', 'revoked')),
    first_seen_at BIGINT NOT NULL,
    last_seen_at  BIGINT NOT NULL,
    last_ip       TEXT,
    UNIQUE (tenant_id, account_id, client_id)
);

ALTER TABLE sessions ADD COLUMN device_id TEXT REFERENCES devices (id);
CREATE INDEX sessions_device ON sessions (tenant_id, device_id);

-- DEV-1: nonces of signed requests inside the replay window.
CREATE TABLE device_nonces (
    tenant_id  TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    nonce      TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, device_id, nonce)
);

-- AUTH-4: decaying failure counters. Keys are keyed hashes of the account
-- name (tenant + username as typed), the IP or the device: known and
-- unknown names count alike, and no typed name is stored.
CREATE TABLE auth_counters (
    key          BLOB PRIMARY KEY,
    score        BIGINT NOT NULL,  -- thousandths of a failure at updated_at
    updated_at   BIGINT NOT NULL,
    locked_until BIGINT NOT NULL DEFAULT 0,
    locks        INTEGER NOT NULL DEFAULT 0
);

-- AUTH-5: recent failures by source, to see one source try many names.
CREATE TABLE auth_failures (
    source   TEXT NOT NULL,  -- 'ip:ADDR' or 'device:ID'
    scope    TEXT NOT NULL,  -- tenant id, or 'platform' for unknown tenants
    name_key BLOB NOT NULL,
    time_ms  BIGINT NOT NULL
);
CREATE INDEX auth_failures_source ON auth_failures (source, scope, time_ms);
CREATE INDEX auth_failures_time ON auth_failures (time_ms);

CREATE TABLE blacklist (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT REFERENCES tenants (id),  -- NULL: platform-wide
    kind       TEXT NOT NULL CHECK (kind IN ('ip', 'device')),
    value      TEXT NOT NULL,
    reason     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT,                        -- NULL: until lifted
    lifted_at  BIGINT
);
CREATE INDEX blacklist_value ON blacklist (kind, value);

-- A login in progress. Before the password is right nothing in it is
-- tenant data, so it is a platform table looked up by id and token hash.
CREATE TABLE challenges (
    id              TEXT PRIMARY KEY,
    token_hash      BLOB NOT NULL,
    tenant_slug     TEXT NOT NULL,
    username        TEXT NOT NULL,
    tenant_id       TEXT,
    account_id      TEXT,
    client_kind     TEXT NOT NULL,
    device_client   TEXT,
    device_name     TEXT,
    device_model    TEXT,
    device_platform TEXT,
    device_key      BLOB,
    device_nonce    TEXT,           -- of a signed login (replay check)
    ip              TEXT,
    user_agent      TEXT,
    stage           TEXT NOT NULL,  -- captcha, device, mfa, approved, denied, done, closed
    next            TEXT NOT NULL,
    device_done     TEXT,           -- how the device step was passed
    captcha_hash    BLOB,
    captcha_draws   INTEGER NOT NULL DEFAULT 0,
    code_hash       BLOB,
    code_expires_at BIGINT,
    code_sends      INTEGER NOT NULL DEFAULT 0,
    approval_id     TEXT,
    failures        INTEGER NOT NULL DEFAULT 0,
    created_at      BIGINT NOT NULL,
    expires_at      BIGINT NOT NULL,
    decided_at      BIGINT
);
CREATE INDEX challenges_decided ON challenges (decided_at);

-- DEV-3, DEV-4: approval requests shown on trusted devices.
CREATE TABLE approvals (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    account_id   TEXT NOT NULL REFERENCES accounts (id),
    challenge_id TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('push', 'qr')),
    qr_hash      BLOB,
    number       INTEGER NOT NULL,
    choices      TEXT NOT NULL,
    ip           TEXT,
    user_agent   TEXT,
    state        TEXT NOT NULL
                 CHECK (state IN ('pending', 'approved', 'denied')),
    device_id    TEXT,
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    decided_at   BIGINT
);
CREATE INDEX approvals_account ON approvals (tenant_id, account_id, state);

-- AUTH-8
CREATE TABLE totp (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    secret_enc BLOB NOT NULL,
    confirmed  INTEGER NOT NULL DEFAULT 0,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, account_id)
);

CREATE TABLE recovery_codes (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    code_hash  BLOB NOT NULL,
    used_at    BIGINT,
    PRIMARY KEY (tenant_id, account_id, code_hash)
);

-- AUTH-7, DEV-6: the in-app inbox.
CREATE TABLE inbox (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    kind       TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX inbox_account ON inbox (tenant_id, account_id, id);

-- AUTH-3: self-service reset codes.
CREATE TABLE reset_codes (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    account_id TEXT NOT NULL REFERENCES accounts (id),
    code_hash  BLOB NOT NULL,
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX reset_codes_account ON reset_codes (tenant_id, account_id);

-- AUTH-8: a session of a tenant that requires MFA, opened before the
-- account enrolled an authenticator, may only enrol one.
ALTER TABLE sessions ADD COLUMN mfa_pending INTEGER NOT NULL DEFAULT 0;

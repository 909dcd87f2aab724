-- 011: API tokens (issue 11, part 7). See the SQLite migration.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    token_hash   BYTEA NOT NULL UNIQUE,
    scope        TEXT NOT NULL CHECK (scope IN ('scim')),
    created_by   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    UNIQUE (tenant_id, name_key)
);
CREATE INDEX api_tokens_maker ON api_tokens (tenant_id, created_by);

ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
CREATE POLICY api_tokens_tenant ON api_tokens
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
-- Looked up by its hash before the tenant is known, as sessions are.
CREATE POLICY api_tokens_token ON api_tokens FOR SELECT
    USING (token_hash = decode(NULLIF(current_setting(
        'salesvault.session_token_hash', true), ''), 'hex'));
-- ... and its maker with it (enabled, its username).
CREATE POLICY accounts_api_token ON accounts FOR SELECT
    USING (id IN (SELECT t.created_by FROM api_tokens t
                  WHERE t.token_hash = decode(NULLIF(current_setting(
                      'salesvault.session_token_hash', true), ''), 'hex')));

-- SCIM clients name their resources by their own ids too (externalId):
-- kept here, one per resource, unique per tenant and resource type.
CREATE TABLE scim_external_ids (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    resource    TEXT NOT NULL CHECK (resource IN ('User', 'Group')),
    id          TEXT NOT NULL,
    external_id TEXT NOT NULL,
    PRIMARY KEY (tenant_id, resource, id),
    UNIQUE (tenant_id, resource, external_id)
);
ALTER TABLE scim_external_ids ENABLE ROW LEVEL SECURITY;
ALTER TABLE scim_external_ids FORCE ROW LEVEL SECURITY;
CREATE POLICY scim_external_ids_tenant ON scim_external_ids
    USING (tenant_id = current_setting('salesvault.tenant_id', true));

-- 011: API tokens (issue 11, part 7): a tenant's credentials for
-- provisioning (SCIM 2.0). A token acts for the tenant admin who made it,
-- within that account's permissions; only its SHA-256 is kept (256 random
-- bits: no stretching needed), it is shown once, and it is revoked by an
-- admin, by expiry, or when its maker is offboarded.
CREATE TABLE api_tokens (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    name         TEXT NOT NULL,
    name_key     TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    scope        TEXT NOT NULL CHECK (scope IN ('scim')),
    created_by   TEXT NOT NULL REFERENCES accounts (id),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT,
    last_used_at BIGINT,
    revoked_at   BIGINT,
    UNIQUE (tenant_id, name_key)
);
CREATE INDEX api_tokens_maker ON api_tokens (tenant_id, created_by);

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

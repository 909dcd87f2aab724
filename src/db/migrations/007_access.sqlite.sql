-- 007: one permission model (issue 11, part 3; docs/permissions.md).
-- Custom roles: a name (unique per tenant, ASCII case folded in name_key)
-- and a set of permissions of the catalogue (src/access/permissions.def).
CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name_key)
);
CREATE TABLE role_permissions (
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    role_id    TEXT NOT NULL REFERENCES roles (id),
    permission TEXT NOT NULL,
    PRIMARY KEY (tenant_id, role_id, permission)
);
-- An assignment gives a role (a built-in role's key, or a custom role's
-- id) to an account over a scope: the tenant (scope_id '') or a
-- department and its subtree. Every account holds the member role
-- without a row.
CREATE TABLE role_assignments (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    role         TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('account')),
    subject_id   TEXT NOT NULL,
    scope_kind   TEXT NOT NULL CHECK (scope_kind IN ('tenant', 'department')),
    scope_id     TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    CHECK ((scope_kind = 'tenant') = (scope_id = '')),
    UNIQUE (tenant_id, subject_kind, subject_id, role, scope_kind, scope_id)
);
CREATE INDEX role_assignments_role ON role_assignments (tenant_id, role);
CREATE INDEX role_assignments_scope
    ON role_assignments (tenant_id, scope_kind, scope_id);

-- An object's place (a department and its ancestors) is read for every
-- permission check: the closure's second index carries the columns that
-- read needs, or SQLite scans the tenant's primary-key range instead.
DROP INDEX department_paths_descendant;
CREATE INDEX department_paths_descendant
    ON department_paths (tenant_id, descendant_id, ancestor_id, depth);

-- The role column becomes an assignment: admins are tenant admins over
-- the tenant; members need none.
INSERT INTO role_assignments (id, tenant_id, role, subject_kind, subject_id,
                              scope_kind, scope_id, created_at, created_by)
SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' ||
             substr(hex(randomblob(2)), 2) || '-' ||
             substr('89ab', 1 + (abs(random()) % 4), 1) ||
             substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
       tenant_id, 'tenant_admin', 'account', id, 'tenant', '', created_at,
       NULL
FROM accounts WHERE role = 'admin';
ALTER TABLE accounts DROP COLUMN role;

-- 009: groups, group subjects and scopes of assignments, hidden
-- departments (issue 11, parts 1, 3 and 4; DIR-2, DIR-3). See the SQLite
-- migration for the comments.
CREATE TABLE directory_groups (
    id          TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    name        TEXT NOT NULL,
    name_key    TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    owner_id    TEXT REFERENCES accounts (id),
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL,
    UNIQUE (tenant_id, name_key)
);
CREATE INDEX directory_groups_owner ON directory_groups (tenant_id, owner_id);

CREATE TABLE directory_group_members (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    group_id    TEXT NOT NULL REFERENCES directory_groups (id),
    member_kind TEXT NOT NULL
                CHECK (member_kind IN ('employee', 'department', 'group')),
    member_id   TEXT NOT NULL,
    subtree     INTEGER NOT NULL DEFAULT 0 CHECK (subtree IN (0, 1)),
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (tenant_id, group_id, member_id),
    CHECK (subtree = 0 OR member_kind = 'department'),
    CHECK (member_kind <> 'group' OR member_id <> group_id)
);
CREATE INDEX directory_group_members_member
    ON directory_group_members (tenant_id, member_kind, member_id, group_id);

ALTER TABLE role_assignments
    DROP CONSTRAINT role_assignments_subject_kind_check,
    ADD CONSTRAINT role_assignments_subject_kind_check
        CHECK (subject_kind IN ('account', 'group')),
    DROP CONSTRAINT role_assignments_scope_kind_check,
    ADD CONSTRAINT role_assignments_scope_kind_check
        CHECK (scope_kind IN ('tenant', 'department', 'group'));

ALTER TABLE departments ADD COLUMN hidden INTEGER NOT NULL DEFAULT 0
    CHECK (hidden IN (0, 1));
CREATE INDEX departments_hidden ON departments (tenant_id, id)
    WHERE hidden = 1;
CREATE TABLE department_viewers (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    subject_kind  TEXT NOT NULL CHECK (subject_kind IN ('group', 'role')),
    subject_id    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, department_id, subject_kind, subject_id)
);
CREATE INDEX department_viewers_subject
    ON department_viewers (tenant_id, subject_kind, subject_id);

ALTER TABLE directory_groups ENABLE ROW LEVEL SECURITY;
ALTER TABLE directory_groups FORCE ROW LEVEL SECURITY;
CREATE POLICY directory_groups_tenant ON directory_groups
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
ALTER TABLE directory_group_members ENABLE ROW LEVEL SECURITY;
ALTER TABLE directory_group_members FORCE ROW LEVEL SECURITY;
CREATE POLICY directory_group_members_tenant ON directory_group_members
    USING (tenant_id = current_setting('salesvault.tenant_id', true));
ALTER TABLE department_viewers ENABLE ROW LEVEL SECURITY;
ALTER TABLE department_viewers FORCE ROW LEVEL SECURITY;
CREATE POLICY department_viewers_tenant ON department_viewers
    USING (tenant_id = current_setting('salesvault.tenant_id', true));

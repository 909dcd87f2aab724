-- 009: groups, group subjects and scopes of assignments, hidden
-- departments (issue 11, parts 1, 3 and 4; DIR-2, DIR-3).

-- A group: a named set of employees, departments (the department alone,
-- or with its subtree) and other groups, owned by an employee. name_key
-- is the name as it is compared (ASCII letters folded), unique per tenant.
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

-- A member of a group. Ids are UUIDs, so member_id alone names it; the
-- kind says which table. Nesting never makes a cycle (checked when a
-- group is added: the group is not inside the member).
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
-- "Which groups is this a member of": the way up, for an account's grants.
CREATE INDEX directory_group_members_member
    ON directory_group_members (tenant_id, member_kind, member_id, group_id);

-- Assignments to groups, and over groups. SQLite cannot change a CHECK:
-- the table is made again with the same rows.
CREATE TABLE role_assignments_009 (
    id           TEXT PRIMARY KEY,
    tenant_id    TEXT NOT NULL REFERENCES tenants (id),
    role         TEXT NOT NULL,
    subject_kind TEXT NOT NULL CHECK (subject_kind IN ('account', 'group')),
    subject_id   TEXT NOT NULL,
    scope_kind   TEXT NOT NULL
                 CHECK (scope_kind IN ('tenant', 'department', 'group')),
    scope_id     TEXT NOT NULL DEFAULT '',
    created_at   BIGINT NOT NULL,
    created_by   TEXT,
    CHECK ((scope_kind = 'tenant') = (scope_id = '')),
    UNIQUE (tenant_id, subject_kind, subject_id, role, scope_kind, scope_id)
);
INSERT INTO role_assignments_009 (id, tenant_id, role, subject_kind,
                                  subject_id, scope_kind, scope_id,
                                  created_at, created_by)
SELECT id, tenant_id, role, subject_kind, subject_id, scope_kind, scope_id,
       created_at, created_by FROM role_assignments;
DROP TABLE role_assignments;
ALTER TABLE role_assignments_009 RENAME TO role_assignments;
CREATE INDEX role_assignments_role ON role_assignments (tenant_id, role);
CREATE INDEX role_assignments_scope
    ON role_assignments (tenant_id, scope_kind, scope_id);

-- DIR-3: a hidden department, its subtree and their people are seen only
-- by those it names (groups, roles) and by those who manage it.
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

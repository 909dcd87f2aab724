-- 006 (PostgreSQL): departments as a tree (issue 11, part 1; DIR-2). The
-- same tables as the SQLite file, with row-level security.
-- name_key sorts by bytes (COLLATE "C"), as on SQLite: pages and cursors
-- do not depend on the database's locale.
CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    parent_id  TEXT REFERENCES departments (id),
    name       TEXT NOT NULL,
    name_key   TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
-- Sibling names: unique per parent, the roots ('') included.
CREATE UNIQUE INDEX departments_sibling_name
    ON departments (tenant_id, COALESCE(parent_id, ''), name_key);
-- A parent's children (or the roots) in name order, for paging.
CREATE INDEX departments_children
    ON departments (tenant_id, parent_id, name_key, id);
-- Search: the tenant's departments in name order.
CREATE INDEX departments_name ON departments (tenant_id, name_key, id);

-- The closure of the tree: one row per (ancestor, descendant) pair, the
-- department itself at depth 0. "Is X inside the subtree of Y" is one
-- primary-key look-up; "the subtree of Y" one range; "the ancestors of X"
-- one range of the second index.
CREATE TABLE department_paths (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    ancestor_id   TEXT NOT NULL REFERENCES departments (id),
    descendant_id TEXT NOT NULL REFERENCES departments (id),
    depth         INTEGER NOT NULL CHECK (depth >= 0),
    PRIMARY KEY (tenant_id, ancestor_id, descendant_id)
);
CREATE INDEX department_paths_descendant
    ON department_paths (tenant_id, descendant_id);

ALTER TABLE departments ENABLE ROW LEVEL SECURITY;
ALTER TABLE departments FORCE ROW LEVEL SECURITY;
CREATE POLICY departments_tenant ON departments
    USING (tenant_id = current_setting('salesvault.tenant_id', true));

ALTER TABLE department_paths ENABLE ROW LEVEL SECURITY;
ALTER TABLE department_paths FORCE ROW LEVEL SECURITY;
CREATE POLICY department_paths_tenant ON department_paths
    USING (tenant_id = current_setting('salesvault.tenant_id', true));

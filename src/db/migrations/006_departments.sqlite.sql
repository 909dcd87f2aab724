-- 006: departments as a tree (issue 11, part 1; DIR-2).
-- A department has one parent (NULL: a root). name_key is the name as it
-- is compared (ASCII letters folded to lower case, in C: the same on both
-- engines); siblings may not share one.
CREATE TABLE departments (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants (id),
    parent_id  TEXT REFERENCES departments (id),
    name       TEXT NOT NULL,
    name_key   TEXT NOT NULL,
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

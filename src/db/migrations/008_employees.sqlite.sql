-- 008: employees, the directory profile of an account (issue 11, parts 1
-- and 2; DIR-2, DIR-4). An employee is an account: one identity, one id.
-- Phone and ID number are sealed with the tenant's field key (AAD: tenant,
-- table, column, row) and found by exact match through keyed blind indexes
-- over their canonical forms (E.164; upper case with a verified check
-- character); the e-mail address is the account's (sealed since 001).

-- The region a national phone number is read in (ISO 3166, libphonenumber).
ALTER TABLE tenants ADD COLUMN phone_region TEXT NOT NULL DEFAULT 'CN';
-- DIR-5: phones masked in directory views (a clear number only through the
-- audited reveal), and how many a viewer may reveal in 24 hours.
ALTER TABLE tenants ADD COLUMN mask_phones INTEGER NOT NULL DEFAULT 1;
ALTER TABLE tenants ADD COLUMN phone_reveals_per_day INTEGER NOT NULL DEFAULT 20
    CHECK (phone_reveals_per_day BETWEEN 0 AND 10000);

CREATE TABLE employees (
    account_id     TEXT PRIMARY KEY REFERENCES accounts (id),
    tenant_id      TEXT NOT NULL REFERENCES tenants (id),
    display_name   TEXT NOT NULL,
    name_key       TEXT NOT NULL,
    title          TEXT NOT NULL DEFAULT '',
    employee_no    TEXT,
    department_id  TEXT NOT NULL REFERENCES departments (id),
    manager_id     TEXT REFERENCES accounts (id),
    phone_enc      BLOB,
    phone_bidx     BLOB,
    id_number_enc  BLOB,
    id_number_bidx BLOB,
    state          TEXT NOT NULL DEFAULT 'active'
                   CHECK (state IN ('active', 'disabled', 'offboarded')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    CHECK (manager_id IS NULL OR manager_id <> account_id)
);
CREATE UNIQUE INDEX employees_number ON employees (tenant_id, employee_no)
    WHERE employee_no IS NOT NULL;
-- Search by name: the tenant's employees in name order.
CREATE INDEX employees_name ON employees (tenant_id, name_key, account_id);
CREATE INDEX employees_phone ON employees (tenant_id, phone_bidx);
CREATE INDEX employees_id_number ON employees (tenant_id, id_number_bidx);
CREATE INDEX employees_manager ON employees (tenant_id, manager_id);

-- Every department an employee is in, the primary one included (flagged),
-- with the name key again so that a department's page of employees is one
-- range of an index in name order.
CREATE TABLE employee_departments (
    tenant_id     TEXT NOT NULL REFERENCES tenants (id),
    department_id TEXT NOT NULL REFERENCES departments (id),
    account_id    TEXT NOT NULL REFERENCES accounts (id),
    name_key      TEXT NOT NULL,
    is_primary    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, department_id, account_id)
);
CREATE INDEX employee_departments_page
    ON employee_departments (tenant_id, department_id, name_key, account_id);
CREATE INDEX employee_departments_account
    ON employee_departments (tenant_id, account_id);

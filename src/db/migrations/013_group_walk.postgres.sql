-- 013: an account's departments read from one covering index. The walk
-- from an account to the groups it is in (through its departments and
-- their ancestors) starts here on every request that asks about a
-- permission; with department_id in the index, SQLite takes it for
-- "the departments of this account" instead of the primary key, which it
-- otherwise reads whole for the tenant (it has no statistics to tell it
-- better), and PostgreSQL answers from the index alone.
DROP INDEX employee_departments_account;
CREATE INDEX employee_departments_account
    ON employee_departments (tenant_id, account_id, department_id);

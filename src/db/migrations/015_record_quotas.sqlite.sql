-- 015: anti-scraping quotas on CRM records (issue 12, part 5; DATA-4;
-- docs/records.md "Quotas").
--
-- record_quotas: a tenant's limits, per account (every session of an
-- account counts together); no row: the defaults of records/quota.h.
CREATE TABLE record_quotas (
    tenant_id           TEXT PRIMARY KEY REFERENCES tenants (id),
    reads_per_minute    INTEGER NOT NULL
                        CHECK (reads_per_minute BETWEEN 1 AND 100000000),
    reads_per_day       INTEGER NOT NULL
                        CHECK (reads_per_day BETWEEN 1 AND 100000000),
    unmasks_per_day     INTEGER NOT NULL
                        CHECK (unmasks_per_day BETWEEN 0 AND 1000000),
    export_rows_per_day INTEGER NOT NULL
                        CHECK (export_rows_per_day BETWEEN 0 AND 100000000),
    updated_at          BIGINT NOT NULL
);

-- What an account used on one UTC day (days since 1970-01-01): records
-- read (added by each node from memory every few seconds), values
-- unmasked and rows exported (added by the transaction that shows them).
-- alerts: a bit per quota already reported that day (one security event
-- and one round of notices per quota, account and day, whatever the node).
CREATE TABLE record_usage (
    tenant_id   TEXT NOT NULL REFERENCES tenants (id),
    account_id  TEXT NOT NULL,
    day         BIGINT NOT NULL,
    reads       BIGINT NOT NULL DEFAULT 0,
    unmasks     BIGINT NOT NULL DEFAULT 0,
    export_rows BIGINT NOT NULL DEFAULT 0,
    alerts      INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (tenant_id, account_id, day)
);

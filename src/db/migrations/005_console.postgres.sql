-- 005: what the web console reads (issue 10).
-- AUTH-7: an inbox item is read once its owner marks it (NULL: unread).
ALTER TABLE inbox ADD COLUMN read_at BIGINT;
-- The header badge counts an account's unread items: this index holds
-- only those, so the count reads nothing else.
CREATE INDEX inbox_unread ON inbox (tenant_id, account_id, id)
    WHERE read_at IS NULL;
-- The security dashboard counts three actions of one tenant over 30 days:
-- one range of this index per action, the result read from the index too.
CREATE INDEX audit_events_tenant_action
    ON audit_events (tenant_id, action, time_ms, result);

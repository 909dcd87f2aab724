-- 004: counters that tell guessing from traffic (AUTH-4, AUTH-5).
-- hard: failures of a real check (a password, or a second factor after a
-- right password); only these lock a name. score keeps counting every
-- failure (wrong CAPTCHA answers too) and decides when a CAPTCHA is due.
-- pending: password checks of this name in flight on any node, valid until
-- pending_until (a crashed node's attempts free themselves).
ALTER TABLE auth_counters ADD COLUMN hard BIGINT NOT NULL DEFAULT 0;
ALTER TABLE auth_counters ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE auth_counters ADD COLUMN pending_until BIGINT NOT NULL DEFAULT 0;
-- A challenge keeps the keyed name, and the typed name only when it is an
-- account's: a password typed into the name field is never stored.
ALTER TABLE challenges ADD COLUMN name_key BYTEA;
CREATE INDEX challenges_ip ON challenges (ip, expires_at);

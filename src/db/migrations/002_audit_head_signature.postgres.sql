-- 002: each audit stream's head (last seq and hash) carries an Ed25519
-- signature by the platform key (AUD-4).
ALTER TABLE audit_heads ADD COLUMN sig BYTEA;

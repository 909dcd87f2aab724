-- 002: each audit stream's head (last seq and hash) carries an Ed25519
-- signature by the platform key (AUD-4): rewriting a whole chain and its
-- head needs that key, not just write access to the database.
ALTER TABLE audit_heads ADD COLUMN sig BLOB;

-- 0005: encrypted data (docs/protocol.md §7): an account's SM4 data key (16 bytes,
-- NULL when it has none) and whether it must encrypt its requests. The
-- PostgreSQL twin of the SQLite store's 0005.

ALTER TABLE accounts ADD COLUMN data_key BYTEA;
ALTER TABLE accounts ADD COLUMN require_encryption BOOLEAN NOT NULL DEFAULT FALSE;

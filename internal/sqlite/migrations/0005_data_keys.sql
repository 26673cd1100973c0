-- 0005: encrypted data (docs/protocol.md §7): an account's SM4 data key (16 bytes,
-- NULL when it has none) and whether it must encrypt its requests.

ALTER TABLE accounts ADD COLUMN data_key BLOB;
ALTER TABLE accounts ADD COLUMN require_encryption INTEGER NOT NULL DEFAULT 0;

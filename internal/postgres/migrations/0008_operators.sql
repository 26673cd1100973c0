-- 0008: the operator console's operators and sessions (platform.OperatorTx).
-- The PostgreSQL twin of the SQLite store's 0008, with the conventions of
-- 0001. A session is keyed by the hex SHA-256 of its token: the token
-- itself is never stored. Sessions name their operator without a foreign
-- key, so that replacing an operator keeps its sessions.

CREATE TABLE operators (
    name          TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    password_hash BYTEA  NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE operator_sessions (
    token_hash TEXT COLLATE "C" NOT NULL PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- DeleteExpiredOperatorSessions deletes the earliest expiries first.
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at, token_hash);

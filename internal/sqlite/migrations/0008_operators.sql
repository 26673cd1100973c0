-- 0008: the operator console's operators and sessions (platform.OperatorTx).
--
-- Same conventions as 0001: times are BIGINT unix milliseconds. A session
-- is keyed by the hex SHA-256 of its token: the token itself is never
-- stored. Sessions name their operator without a foreign key, so that
-- replacing an operator keeps its sessions.

CREATE TABLE operators (
    name          TEXT   NOT NULL PRIMARY KEY,
    password_hash BLOB   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE operator_sessions (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    name       TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

-- DeleteExpiredOperatorSessions deletes the earliest expiries first.
CREATE INDEX operator_sessions_expires_at ON operator_sessions (expires_at, token_hash);

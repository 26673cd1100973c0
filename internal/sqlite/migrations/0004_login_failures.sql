-- 0004: the login lock-out counts (platform.LoginTx), kept in the store so
-- that every instance on one database shares them.
--
-- Same conventions as 0001: times are BIGINT unix milliseconds. No
-- foreign key to accounts: failures for unknown userIds are counted too.

CREATE TABLE login_failures (
    user_id      TEXT    NOT NULL,
    addr         TEXT    NOT NULL,
    count        INTEGER NOT NULL,
    first_at     BIGINT  NOT NULL,
    locked_until BIGINT  NOT NULL,
    PRIMARY KEY (user_id, addr)
);

-- PurgeLoginFailures deletes the oldest counts first.
CREATE INDEX login_failures_first_at ON login_failures (first_at, user_id, addr);

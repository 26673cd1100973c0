-- 0011: operator roles and credentials, and the audit log
-- (platform.Operator, platform.AuditTx; docs/console-api.md "Roles",
-- "Audit log").
--
-- Operators made before roles existed become "operator" (plates masked,
-- no photos): the least privilege, until `parkd operator set-role`
-- grants more. Their password counts as set when they were added.

ALTER TABLE operators ADD COLUMN role TEXT NOT NULL DEFAULT 'operator';
ALTER TABLE operators ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;
UPDATE operators SET password_changed_at = created_at;

-- A session's last use, for the idle timeout; sessions by operator, to end
-- them all when the operator is disabled or changes role.
ALTER TABLE operator_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE operator_sessions SET last_seen_at = created_at;
CREATE INDEX operator_sessions_name ON operator_sessions (name);

-- The audit log: append-only. Only the retention purge deletes (the
-- oldest rows, past at least 180 days); no statement may change a row.
CREATE TABLE audit_log (
    seq    INTEGER NOT NULL PRIMARY KEY,
    at     BIGINT  NOT NULL,
    actor  TEXT    NOT NULL DEFAULT '',
    role   TEXT    NOT NULL DEFAULT '',
    addr   TEXT    NOT NULL DEFAULT '',
    action TEXT    NOT NULL,
    object TEXT    NOT NULL DEFAULT '',
    result TEXT    NOT NULL,
    detail TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;

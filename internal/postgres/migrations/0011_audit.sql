-- 0011: operator roles and credentials, and the audit log
-- (platform.Operator, platform.AuditTx; docs/console-api.md "Roles",
-- "Audit log"), with the conventions of 0001.
--
-- Operators made before roles existed become "operator" (plates masked,
-- no photos): the least privilege, until `parkd operator set-role`
-- grants more. Their password counts as set when they were added.

ALTER TABLE operators ADD COLUMN role TEXT COLLATE "C" NOT NULL DEFAULT 'operator';
ALTER TABLE operators ADD COLUMN password_changed_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE operators ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE operators ADD COLUMN disabled BOOLEAN NOT NULL DEFAULT FALSE;
UPDATE operators SET password_changed_at = created_at;

-- A session's last use, for the idle timeout; sessions by operator, to end
-- them all when the operator is disabled or changes role.
ALTER TABLE operator_sessions ADD COLUMN last_seen_at BIGINT NOT NULL DEFAULT 0;
UPDATE operator_sessions SET last_seen_at = created_at;
CREATE INDEX operator_sessions_name ON operator_sessions (name);

-- The audit log: append-only. Only the retention purge deletes (the
-- oldest rows, past at least 180 days); no statement may change a row.
CREATE TABLE audit_log (
    seq    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at     BIGINT NOT NULL,
    actor  TEXT COLLATE "C" NOT NULL DEFAULT '',
    role   TEXT COLLATE "C" NOT NULL DEFAULT '',
    addr   TEXT COLLATE "C" NOT NULL DEFAULT '',
    action TEXT COLLATE "C" NOT NULL,
    object TEXT COLLATE "C" NOT NULL DEFAULT '',
    result TEXT COLLATE "C" NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at, seq);
CREATE INDEX audit_log_actor ON audit_log (actor, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END
$$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

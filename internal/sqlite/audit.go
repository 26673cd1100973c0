package sqlite

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The audit log (platform.AuditTx) and the end of an operator's sessions.
// The statements are those of the PostgreSQL store but for the
// placeholders.

var _ platform.AuditTx = (*tx)(nil)

const auditCols = "seq, at, actor, role, addr, action, object, result, detail"

func scanAudit(s scanner) (e platform.AuditEntry, err error) {
	err = s.Scan(&e.Seq, asTime(&e.At), &e.Actor, &e.Role, &e.Addr, &e.Action, &e.Object, &e.Result, &e.Detail)
	return e, err
}

// AddAudit appends e to the log.
func (t *tx) AddAudit(e platform.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO audit_log (at, actor, role, addr, action, object, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		ms(e.At), e.Actor, e.Role, e.Addr, e.Action, e.Object, e.Result, e.Detail)
	return wrap("add audit entry", err)
}

// AuditEntries returns the entries f selects, oldest first.
func (t *tx) AuditEntries(f platform.AuditFilter) ([]platform.AuditEntry, error) {
	since, until := auditBounds(f)
	return getAll(t, scanAudit, `SELECT `+auditCols+` FROM audit_log
		WHERE at >= ? AND at < ? AND (? = '' OR actor = ?) AND seq > ?
		ORDER BY seq LIMIT ?`, since, until, f.Actor, f.Actor, f.AfterSeq, limitArg(f.Limit))
}

// auditBounds are the filter's time bounds in milliseconds, open ends
// made the widest.
func auditBounds(f platform.AuditFilter) (int64, int64) {
	since, until := int64(-1<<62), int64(1<<62)
	if !f.Since.IsZero() {
		since = ms(f.Since)
	}
	if !f.Until.IsZero() {
		until = ms(f.Until)
	}
	return since, until
}

// PurgeAudit deletes up to limit entries (all when limit <= 0) older than
// before, oldest first.
func (t *tx) PurgeAudit(before time.Time, limit int) (int, error) {
	return t.purge("purge audit log", `DELETE FROM audit_log WHERE seq IN (
		SELECT seq FROM audit_log WHERE at < ? ORDER BY at, seq LIMIT ?)`, before, limit)
}

// DeleteOperatorSessionsOf removes every session of the operator name.
func (t *tx) DeleteOperatorSessionsOf(name string) (int, error) {
	res, err := t.exec("DELETE FROM operator_sessions WHERE name = ?", name)
	if err != nil {
		return 0, wrap("delete operator sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete operator sessions", err)
	}
	return int(n), nil
}

package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The audit log (platform.AuditTx) and the end of an operator's sessions.

var _ platform.AuditTx = (*Tx)(nil)

const auditCols = "seq, at, actor, role, addr, action, object, result, detail"

func scanAudit(s Row) (e platform.AuditEntry, err error) {
	err = s.Scan(&e.Seq, asTime(&e.At), &e.Actor, &e.Role, &e.Addr, &e.Action, &e.Object, &e.Result, &e.Detail)
	return e, err
}

var (
	addAudit = define(`INSERT INTO audit_log (at, actor, role, addr, action, object, result, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	selectAudit = define(`SELECT ` + auditCols + ` FROM audit_log
		WHERE at >= ? AND at < ? AND (? = '' OR actor = ?) AND seq > ?
		ORDER BY seq LIMIT ?`)
	purgeAudit = defineFor(func(d Dialect) string {
		return d.Purge("audit_log", "seq", "at < ?", "at, seq")
	})
	deleteOperatorSessionsOf = define("DELETE FROM operator_sessions WHERE name = ?")
)

// AddAudit appends e to the log.
func (t *Tx) AddAudit(e platform.AuditEntry) error {
	if err := e.Validate(); err != nil {
		return err
	}
	_, err := t.exec(addAudit, ms(e.At), e.Actor, e.Role, e.Addr, e.Action, e.Object, e.Result, e.Detail)
	return t.wrap("add audit entry", err)
}

// AuditEntries returns the entries f selects, oldest first.
func (t *Tx) AuditEntries(f platform.AuditFilter) ([]platform.AuditEntry, error) {
	since, until := int64(-1<<62), int64(1<<62)
	if !f.Since.IsZero() {
		since = ms(f.Since)
	}
	if !f.Until.IsZero() {
		until = ms(f.Until)
	}
	return getAll(t, scanAudit, selectAudit, since, until, f.Actor, f.Actor, f.AfterSeq, limitArg(f.Limit))
}

// PurgeAudit deletes up to limit entries (all when limit <= 0) older than
// before, oldest first.
func (t *Tx) PurgeAudit(before time.Time, limit int) (int, error) {
	return t.count("purge audit log", purgeAudit, ms(before), limitArg(limit))
}

// DeleteOperatorSessionsOf removes every session of the operator name.
func (t *Tx) DeleteOperatorSessionsOf(name string) (int, error) {
	return t.count("delete operator sessions", deleteOperatorSessionsOf, name)
}

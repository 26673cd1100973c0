package platform

import "time"

// AuditEntry is one row of the audit log: who did what to which object,
// when, from where, and how it ended. The log is append-only: no Tx method
// changes or deletes a row but the retention purge (PurgeAudit).
type AuditEntry struct {
	// Seq is the log's insertion counter, set by the store.
	Seq int64
	At  time.Time
	// Actor is the operator's name, or "cli:" and the system user for a
	// command of parkd, or "" for a sign-in whose name is unknown.
	Actor string
	// Role is the actor's role at the time ("cli" for the command line).
	Role string
	// Addr is the client address, or "local" for the command line.
	Addr string
	// Action names what was done, e.g. "console.login", "account.disable",
	// "view.photo" (docs/console-api.md "Audit log").
	Action string
	// Object is what it was done to, e.g. "account:P0001", "park:<id>".
	Object string
	// Result is AuditOK, AuditDenied or AuditFailed.
	Result string
	// Detail adds what the action needs said (never a secret).
	Detail string
}

// The results of an audited action.
const (
	AuditOK     = "ok"
	AuditDenied = "denied" // refused: wrong password, role or state
	AuditFailed = "failed" // attempted and failed
)

// Validate checks the fields an audit entry must have.
func (e AuditEntry) Validate() error {
	switch {
	case e.At.IsZero():
		return FieldErrorf(KindInvalid, "at", "is required")
	case e.Action == "":
		return FieldErrorf(KindInvalid, "action", "is required")
	case e.Result != AuditOK && e.Result != AuditDenied && e.Result != AuditFailed:
		return FieldErrorf(KindInvalid, "result", "must be ok, denied or failed, not %q", e.Result)
	}
	return nil
}

// AuditFilter selects audit entries: At in [Since, Until) (zero bounds
// are open), of Actor when set, Seq above AfterSeq, at most Limit (all
// when <= 0).
type AuditFilter struct {
	Since, Until time.Time
	Actor        string
	AfterSeq     int64
	Limit        int
}

// AuditTx keeps the audit log. Every store implements it; AddAudit and
// PurgeAudit fail in a View.
type AuditTx interface {
	// AddAudit appends e (its Seq is ignored).
	AddAudit(e AuditEntry) error
	// AuditEntries returns the entries f selects, oldest first (by Seq).
	AuditEntries(f AuditFilter) ([]AuditEntry, error)
	// PurgeAudit deletes up to limit entries (all when limit <= 0) whose
	// At is before before, oldest first, and returns how many it deleted.
	// Only the retention purge calls it.
	PurgeAudit(before time.Time, limit int) (int, error)
}

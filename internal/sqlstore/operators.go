package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Operators of the console and their sessions (platform.OperatorTx).

var _ platform.OperatorTx = (*Tx)(nil)

const (
	operatorCols        = "name, password_hash, created_at, role, password_changed_at, must_change_password, disabled"
	operatorSessionCols = "token_hash, name, created_at, expires_at, last_seen_at"
)

func scanOperator(s Row) (o platform.Operator, err error) {
	err = s.Scan(&o.Name, &o.PasswordHash, asTime(&o.CreatedAt), &o.Role, asTime(&o.PasswordChangedAt),
		&o.MustChangePassword, &o.Disabled)
	return o, err
}

func scanOperatorSession(s Row) (o platform.OperatorSession, err error) {
	err = s.Scan(&o.TokenHash, &o.Name, asTime(&o.CreatedAt), asTime(&o.ExpiresAt), asTime(&o.LastSeenAt))
	return o, err
}

var (
	selectOperator         = define("SELECT " + operatorCols + " FROM operators WHERE name = ?")
	putOperator            = upsert("operators", operatorCols, "name", "")
	allOperators           = define("SELECT " + operatorCols + " FROM operators ORDER BY name")
	selectOperatorSession  = define("SELECT " + operatorSessionCols + " FROM operator_sessions WHERE token_hash = ?")
	putOperatorSession     = upsert("operator_sessions", operatorSessionCols, "token_hash", "")
	deleteOperatorSession  = define("DELETE FROM operator_sessions WHERE token_hash = ?")
	deleteOperator         = define("DELETE FROM operators WHERE name = ?")
	deleteExpiredOpSession = defineFor(func(d Dialect) string {
		return d.Purge("operator_sessions", "token_hash", "expires_at <= ?", "expires_at, token_hash")
	})
)

// Operator returns the operator called name, or ErrNotFound.
func (t *Tx) Operator(name string) (platform.Operator, error) {
	return getOne(t, scanOperator, selectOperator, name)
}

// PutOperator inserts o or replaces the operator with its Name.
func (t *Tx) PutOperator(o platform.Operator) error {
	_, err := t.exec(putOperator, o.Name, o.PasswordHash, ms(o.CreatedAt), o.Role, ms(o.PasswordChangedAt),
		o.MustChangePassword, o.Disabled)
	return t.wrap("put operator", err)
}

// Operators returns every operator by name.
func (t *Tx) Operators() ([]platform.Operator, error) {
	return getAll(t, scanOperator, allOperators)
}

// DeleteOperator removes the operator called name and its sessions, or
// returns ErrNotFound.
func (t *Tx) DeleteOperator(name string) error {
	if _, err := t.exec(deleteOperatorSessionsOf, name); err != nil {
		return t.wrap("delete operator", err)
	}
	return t.wrap("delete operator", t.execOne(deleteOperator, name))
}

// OperatorSession returns the session of tokenHash, or ErrNotFound.
func (t *Tx) OperatorSession(tokenHash string) (platform.OperatorSession, error) {
	return getOne(t, scanOperatorSession, selectOperatorSession, tokenHash)
}

// PutOperatorSession inserts s or replaces the session with its TokenHash.
func (t *Tx) PutOperatorSession(s platform.OperatorSession) error {
	_, err := t.exec(putOperatorSession, s.TokenHash, s.Name, ms(s.CreatedAt), ms(s.ExpiresAt), ms(s.LastSeenAt))
	return t.wrap("put operator session", err)
}

// DeleteOperatorSession removes the session of tokenHash, if any.
func (t *Tx) DeleteOperatorSession(tokenHash string) error {
	_, err := t.exec(deleteOperatorSession, tokenHash)
	return t.wrap("delete operator session", err)
}

// DeleteExpiredOperatorSessions deletes up to limit sessions (all when
// limit <= 0) that expire at or before now, earliest first.
func (t *Tx) DeleteExpiredOperatorSessions(now time.Time, limit int) (int, error) {
	return t.count("delete expired operator sessions", deleteExpiredOpSession, ms(now), limitArg(limit))
}

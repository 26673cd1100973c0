package sqlite

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Operators of the console and their sessions (platform.OperatorTx). The
// statements are those of the PostgreSQL store but for the placeholders.

var _ platform.OperatorTx = (*tx)(nil)

const (
	operatorCols        = "name, password_hash, created_at"
	operatorSessionCols = "token_hash, name, created_at, expires_at"
)

func scanOperator(s scanner) (o platform.Operator, err error) {
	err = s.Scan(&o.Name, &o.PasswordHash, asTime(&o.CreatedAt))
	return o, err
}

func scanOperatorSession(s scanner) (o platform.OperatorSession, err error) {
	err = s.Scan(&o.TokenHash, &o.Name, asTime(&o.CreatedAt), asTime(&o.ExpiresAt))
	return o, err
}

// Operator returns the operator called name, or ErrNotFound.
func (t *tx) Operator(name string) (platform.Operator, error) {
	return getOne(t, scanOperator, "SELECT "+operatorCols+" FROM operators WHERE name = ?", name)
}

// PutOperator inserts o or replaces the operator with its Name.
func (t *tx) PutOperator(o platform.Operator) error {
	_, err := t.exec(`INSERT INTO operators (`+operatorCols+`) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
			created_at = excluded.created_at`,
		o.Name, o.PasswordHash, ms(o.CreatedAt))
	return wrap("put operator", err)
}

// Operators returns every operator by name.
func (t *tx) Operators() ([]platform.Operator, error) {
	return getAll(t, scanOperator, "SELECT "+operatorCols+" FROM operators ORDER BY name")
}

// DeleteOperator removes the operator called name and its sessions, or
// returns ErrNotFound.
func (t *tx) DeleteOperator(name string) error {
	if _, err := t.exec("DELETE FROM operator_sessions WHERE name = ?", name); err != nil {
		return wrap("delete operator", err)
	}
	return wrap("delete operator", t.execOne("DELETE FROM operators WHERE name = ?", name))
}

// OperatorSession returns the session of tokenHash, or ErrNotFound.
func (t *tx) OperatorSession(tokenHash string) (platform.OperatorSession, error) {
	return getOne(t, scanOperatorSession, "SELECT "+operatorSessionCols+
		" FROM operator_sessions WHERE token_hash = ?", tokenHash)
}

// PutOperatorSession inserts s or replaces the session with its TokenHash.
func (t *tx) PutOperatorSession(s platform.OperatorSession) error {
	_, err := t.exec(`INSERT INTO operator_sessions (`+operatorSessionCols+`) VALUES (?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name,
			created_at = excluded.created_at, expires_at = excluded.expires_at`,
		s.TokenHash, s.Name, ms(s.CreatedAt), ms(s.ExpiresAt))
	return wrap("put operator session", err)
}

// DeleteOperatorSession removes the session of tokenHash, if any.
func (t *tx) DeleteOperatorSession(tokenHash string) error {
	_, err := t.exec("DELETE FROM operator_sessions WHERE token_hash = ?", tokenHash)
	return wrap("delete operator session", err)
}

// DeleteExpiredOperatorSessions deletes up to limit sessions (all when
// limit <= 0) that expire at or before now, earliest first.
func (t *tx) DeleteExpiredOperatorSessions(now time.Time, limit int) (int, error) {
	res, err := t.exec(`DELETE FROM operator_sessions WHERE token_hash IN (
		SELECT token_hash FROM operator_sessions WHERE expires_at <= ?
		ORDER BY expires_at, token_hash LIMIT ?)`, ms(now), limitArg(limit))
	if err != nil {
		return 0, wrap("delete expired operator sessions", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("delete expired operator sessions", err)
	}
	return int(n), nil
}

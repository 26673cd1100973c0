package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// Operators of the console and their sessions (platform.OperatorTx). The
// statements are those of the SQLite store but for the placeholders.

var _ platform.OperatorTx = (*tx)(nil)

const (
	operatorCols        = "name, password_hash, created_at, role, password_changed_at, must_change_password, disabled"
	operatorSessionCols = "token_hash, name, created_at, expires_at, last_seen_at"
)

func scanOperator(s pgx.Row) (o platform.Operator, err error) {
	err = s.Scan(&o.Name, &o.PasswordHash, asTime(&o.CreatedAt), &o.Role, asTime(&o.PasswordChangedAt),
		&o.MustChangePassword, &o.Disabled)
	return o, err
}

func scanOperatorSession(s pgx.Row) (o platform.OperatorSession, err error) {
	err = s.Scan(&o.TokenHash, &o.Name, asTime(&o.CreatedAt), asTime(&o.ExpiresAt), asTime(&o.LastSeenAt))
	return o, err
}

// Operator returns the operator called name, or ErrNotFound.
func (t *tx) Operator(name string) (platform.Operator, error) {
	return getOne(t, scanOperator, "SELECT "+operatorCols+" FROM operators WHERE name = $1", name)
}

// PutOperator inserts o or replaces the operator with its Name.
func (t *tx) PutOperator(o platform.Operator) error {
	_, err := t.exec(`INSERT INTO operators (`+operatorCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
		ON CONFLICT (name) DO UPDATE SET password_hash = excluded.password_hash,
			created_at = excluded.created_at, role = excluded.role,
			password_changed_at = excluded.password_changed_at,
			must_change_password = excluded.must_change_password, disabled = excluded.disabled`,
		o.Name, o.PasswordHash, ms(o.CreatedAt), o.Role, ms(o.PasswordChangedAt), o.MustChangePassword, o.Disabled)
	return wrap("put operator", err)
}

// Operators returns every operator by name.
func (t *tx) Operators() ([]platform.Operator, error) {
	return getAll(t, scanOperator, "SELECT "+operatorCols+" FROM operators ORDER BY name")
}

// OperatorSession returns the session of tokenHash, or ErrNotFound.
func (t *tx) OperatorSession(tokenHash string) (platform.OperatorSession, error) {
	return getOne(t, scanOperatorSession, "SELECT "+operatorSessionCols+
		" FROM operator_sessions WHERE token_hash = $1", tokenHash)
}

// PutOperatorSession inserts s or replaces the session with its TokenHash.
func (t *tx) PutOperatorSession(s platform.OperatorSession) error {
	_, err := t.exec(`INSERT INTO operator_sessions (`+operatorSessionCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (token_hash) DO UPDATE SET name = excluded.name,
			created_at = excluded.created_at, expires_at = excluded.expires_at,
			last_seen_at = excluded.last_seen_at`,
		s.TokenHash, s.Name, ms(s.CreatedAt), ms(s.ExpiresAt), ms(s.LastSeenAt))
	return wrap("put operator session", err)
}

// DeleteOperatorSession removes the session of tokenHash, if any.
func (t *tx) DeleteOperatorSession(tokenHash string) error {
	_, err := t.exec("DELETE FROM operator_sessions WHERE token_hash = $1", tokenHash)
	return wrap("delete operator session", err)
}

// DeleteExpiredOperatorSessions deletes up to limit sessions (all when
// limit <= 0) that expire at or before now, earliest first.
func (t *tx) DeleteExpiredOperatorSessions(now time.Time, limit int) (int, error) {
	n, err := t.exec(`DELETE FROM operator_sessions WHERE token_hash IN (
		SELECT token_hash FROM operator_sessions WHERE expires_at <= $1
		ORDER BY expires_at, token_hash LIMIT $2)`, ms(now), limitArg(limit))
	if err != nil {
		return 0, wrap("delete expired operator sessions", err)
	}
	return int(n), nil
}

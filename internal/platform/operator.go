package platform

import "time"

// Operator is a person of the city who signs in to the operator console.
// Operators are created on the command line (parkd operator add), never
// through the console.
type Operator struct {
	Name string
	// PasswordHash is a bcrypt hash of the password; the password itself
	// is never stored.
	PasswordHash []byte
	CreatedAt    time.Time
}

// OperatorSession is a signed-in console session. Only the SHA-256 of the
// session token is kept, so that the store never holds a usable token and
// every instance on one database accepts the session.
type OperatorSession struct {
	TokenHash string // hex SHA-256 of the token
	Name      string // the operator
	CreatedAt time.Time
	// ExpiresAt moves forward while the session is used (sliding expiry).
	ExpiresAt time.Time
}

// OperatorTx keeps operators and their console sessions. Getters return
// ErrNotFound when nothing matches; every writer fails in a View. Every
// store implements it.
type OperatorTx interface {
	// Operator returns the operator called name.
	Operator(name string) (Operator, error)
	// PutOperator inserts o or replaces the operator with its Name.
	PutOperator(o Operator) error
	// Operators returns every operator, by Name.
	Operators() ([]Operator, error)
	// DeleteOperator removes the operator called name and ends every
	// session of that name; ErrNotFound when there is no such operator.
	DeleteOperator(name string) error
	// OperatorSession returns the session whose token hashes to tokenHash,
	// expired or not: whether it still holds is the caller's decision.
	OperatorSession(tokenHash string) (OperatorSession, error)
	// PutOperatorSession inserts s or replaces the session with its
	// TokenHash. The operator need not be stored.
	PutOperatorSession(s OperatorSession) error
	// DeleteOperatorSession removes a session; removing a missing one is
	// no error.
	DeleteOperatorSession(tokenHash string) error
	// DeleteExpiredOperatorSessions deletes up to limit sessions (all when
	// limit <= 0) whose ExpiresAt is at or before now, earliest first, and
	// returns how many it deleted.
	DeleteExpiredOperatorSessions(now time.Time, limit int) (int, error)
}

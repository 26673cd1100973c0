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
	// Role is what the operator may do in the console: OperatorAdmin,
	// OperatorWatch or OperatorAuditor.
	Role string
	// PasswordChangedAt is when the password was last set; with the
	// console's maximum age it decides when the password expires.
	PasswordChangedAt time.Time
	// MustChangePassword holds after the operator was added or the
	// password reset on the command line: the console allows nothing but
	// the change until it is made.
	MustChangePassword bool
	// Disabled operators cannot sign in; disabling ends their sessions.
	Disabled bool
}

// The roles of an operator, with separated duties (docs/console-api.md
// "Roles").
const (
	// OperatorAdmin sees every console page, unmasked plates and photos
	// (each such view audited); accounts, keys and operators are managed
	// on the command line.
	OperatorAdmin = "admin"
	// OperatorWatch watches the city: plates masked, no photos.
	OperatorWatch = "operator"
	// OperatorAuditor reads the audit log only.
	OperatorAuditor = "auditor"
)

// OperatorRoles lists the roles in the order the documents give them.
var OperatorRoles = []string{OperatorAdmin, OperatorWatch, OperatorAuditor}

// ValidOperatorRole reports whether role is one of OperatorRoles.
func ValidOperatorRole(role string) bool {
	return role == OperatorAdmin || role == OperatorWatch || role == OperatorAuditor
}

// Validate checks the fields an operator must have.
func (o Operator) Validate() error {
	switch {
	case o.Name == "":
		return FieldErrorf(KindInvalid, "name", "is required")
	case !ValidOperatorRole(o.Role):
		return FieldErrorf(KindInvalid, "role", "must be admin, operator or auditor, not %q", o.Role)
	case len(o.PasswordHash) == 0:
		return FieldErrorf(KindInvalid, "passwordHash", "is required")
	}
	return nil
}

// OperatorSession is a signed-in console session. Only the SHA-256 of the
// session token is kept, so that the store never holds a usable token and
// every instance on one database accepts the session.
type OperatorSession struct {
	TokenHash string // hex SHA-256 of the token
	Name      string // the operator
	CreatedAt time.Time
	// ExpiresAt is the session's absolute end, whatever its use.
	ExpiresAt time.Time
	// LastSeenAt is the session's last use, kept to the minute: a session
	// unused for the console's idle timeout ends.
	LastSeenAt time.Time
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
	// DeleteOperatorSessionsOf removes every session of the operator
	// called name and returns how many it removed.
	DeleteOperatorSessionsOf(name string) (int, error)
}

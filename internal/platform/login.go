package platform

import "time"

// LoginFailure counts the failed logins of a userId from one address
// (PROTOCOL §5): Count failures since First; the pair is locked until
// LockedUntil. The userId need not name an account: guesses at unknown
// userIds are counted too.
type LoginFailure struct {
	UserID, Addr string
	Count        int
	First        time.Time
	LockedUntil  time.Time
}

// LoginTx keeps the login lock-out counts in the store, so that every
// instance of a platform on one database shares them. Every store
// implements it.
type LoginTx interface {
	// LoginFailure returns the count of (userID, addr): ErrNotFound when
	// there is none.
	LoginFailure(userID, addr string) (LoginFailure, error)
	// PutLoginFailure inserts f or replaces the count of its (UserID, Addr).
	PutLoginFailure(f LoginFailure) error
	// DeleteLoginFailure removes the count of (userID, addr); removing a
	// missing one is no error.
	DeleteLoginFailure(userID, addr string) error
	// PurgeLoginFailures deletes up to limit counts (all when limit <= 0)
	// whose First and LockedUntil are both before before, and returns how
	// many it deleted.
	PurgeLoginFailures(before time.Time, limit int) (int, error)
}

package platform

import "time"

// LoginFailure counts the failed logins of a userId from one address
// (docs/protocol.md §5): Count failures since First; the pair is locked until
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

// LoginLockout is a login lock-out rule: Failures failed logins of one
// (userId, address) pair within Window lock the pair for Duration. The
// vendor logins (internal/session) and the console's sign-in
// (internal/console) count under it with their own keys.
type LoginLockout struct {
	Failures int
	Window   time.Duration
	Duration time.Duration
}

// Fail counts a failed login of (userID, addr) at now: it starts a fresh
// window when there is no count or the last window is over, and locks the
// pair when the count reaches l.Failures (the count then starts again). A
// failure while the pair is locked is not counted. locked reports whether
// this failure locked the pair. The caller serialises the
// read-modify-write of the pair's count (Tx.Lock) across instances.
func (l LoginLockout) Fail(tx LoginTx, userID, addr string, now time.Time) (locked bool, err error) {
	f, err := tx.LoginFailure(userID, addr)
	switch {
	case IsNotFound(err):
		f = LoginFailure{UserID: userID, Addr: addr, First: now}
	case err != nil:
		return false, err
	case now.Before(f.LockedUntil):
		return false, nil
	case now.Sub(f.First) > l.Window:
		f = LoginFailure{UserID: userID, Addr: addr, First: now}
	}
	f.Count++
	if f.Count >= l.Failures {
		f.LockedUntil = now.Add(l.Duration)
		f.Count = 0
		f.First = now
		locked = true
	}
	return locked, tx.PutLoginFailure(f)
}

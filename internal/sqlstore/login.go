package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Login lock-out counts (platform.LoginTx).

var _ platform.LoginTx = (*Tx)(nil)

const loginFailureCols = "user_id, addr, count, first_at, locked_until"

func scanLoginFailure(s Row) (f platform.LoginFailure, err error) {
	err = s.Scan(&f.UserID, &f.Addr, &f.Count, asTime(&f.First), asTime(&f.LockedUntil))
	return f, err
}

var (
	selectLoginFailure = define("SELECT " + loginFailureCols + " FROM login_failures WHERE user_id = ? AND addr = ?")
	putLoginFailure    = upsert("login_failures", loginFailureCols, "user_id, addr", "")
	deleteLoginFailure = define("DELETE FROM login_failures WHERE user_id = ? AND addr = ?")
	purgeLoginFailures = defineFor(func(d Dialect) string {
		return d.Purge("login_failures", "user_id, addr", "first_at < ? AND locked_until < ?",
			"first_at, user_id, addr")
	})
)

// LoginFailure returns the count of (userID, addr), or ErrNotFound.
func (t *Tx) LoginFailure(userID, addr string) (platform.LoginFailure, error) {
	return getOne(t, scanLoginFailure, selectLoginFailure, userID, addr)
}

// PutLoginFailure inserts f or replaces the count of its (UserID, Addr).
func (t *Tx) PutLoginFailure(f platform.LoginFailure) error {
	_, err := t.exec(putLoginFailure, f.UserID, f.Addr, f.Count, ms(f.First), ms(f.LockedUntil))
	return t.wrap("put login failure", err)
}

// DeleteLoginFailure removes the count of (userID, addr), if any.
func (t *Tx) DeleteLoginFailure(userID, addr string) error {
	_, err := t.exec(deleteLoginFailure, userID, addr)
	return t.wrap("delete login failure", err)
}

// PurgeLoginFailures deletes up to limit counts (all when limit <= 0)
// whose First and LockedUntil are both before before, oldest First first,
// and returns how many it deleted.
func (t *Tx) PurgeLoginFailures(before time.Time, limit int) (int, error) {
	return t.count("purge login failures", purgeLoginFailures, ms(before), ms(before), limitArg(limit))
}

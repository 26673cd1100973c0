package sqlite

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Login lock-out counts (platform.LoginTx). The statements are those of
// the PostgreSQL store but for the placeholders.

var _ platform.LoginTx = (*tx)(nil)

const loginFailureCols = "user_id, addr, count, first_at, locked_until"

func scanLoginFailure(s scanner) (f platform.LoginFailure, err error) {
	err = s.Scan(&f.UserID, &f.Addr, &f.Count, asTime(&f.First), asTime(&f.LockedUntil))
	return f, err
}

// LoginFailure returns the count of (userID, addr), or ErrNotFound.
func (t *tx) LoginFailure(userID, addr string) (platform.LoginFailure, error) {
	return getOne(t, scanLoginFailure, "SELECT "+loginFailureCols+
		" FROM login_failures WHERE user_id = ? AND addr = ?", userID, addr)
}

// PutLoginFailure inserts f or replaces the count of its (UserID, Addr).
func (t *tx) PutLoginFailure(f platform.LoginFailure) error {
	_, err := t.exec(`INSERT INTO login_failures (`+loginFailureCols+`) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id, addr) DO UPDATE SET count = excluded.count,
			first_at = excluded.first_at, locked_until = excluded.locked_until`,
		f.UserID, f.Addr, f.Count, ms(f.First), ms(f.LockedUntil))
	return wrap("put login failure", err)
}

// DeleteLoginFailure removes the count of (userID, addr), if any.
func (t *tx) DeleteLoginFailure(userID, addr string) error {
	_, err := t.exec("DELETE FROM login_failures WHERE user_id = ? AND addr = ?", userID, addr)
	return wrap("delete login failure", err)
}

// PurgeLoginFailures deletes up to limit counts (all when limit <= 0)
// whose First and LockedUntil are both before before, oldest First first,
// and returns how many it deleted.
func (t *tx) PurgeLoginFailures(before time.Time, limit int) (int, error) {
	res, err := t.exec(`DELETE FROM login_failures WHERE (user_id, addr) IN (
		SELECT user_id, addr FROM login_failures WHERE first_at < ? AND locked_until < ?
		ORDER BY first_at, user_id, addr LIMIT ?)`, ms(before), ms(before), limitArg(limit))
	if err != nil {
		return 0, wrap("purge login failures", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, wrap("purge login failures", err)
	}
	return int(n), nil
}

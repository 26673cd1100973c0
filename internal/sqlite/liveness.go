package sqlite

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Liveness sweep queries (platform.LivenessTx). The statement is that of
// the PostgreSQL store but for the placeholders and the boolean column.

var _ platform.LivenessTx = (*tx)(nil)

func scanStaleAccount(s scanner) (a platform.StaleAccount, err error) {
	err = s.Scan(&a.UserID, asTime(&a.LastSeen))
	return a, err
}

// StaleOnlineAccounts returns up to limit accounts (all when limit <= 0)
// marked online whose latest token was last seen before cutoff, or that
// have no token, by user id. MAX over no token is NULL: the zero time.
func (t *tx) StaleOnlineAccounts(cutoff time.Time, limit int) ([]platform.StaleAccount, error) {
	return getAll(t, scanStaleAccount, `SELECT a.user_id, MAX(k.last_seen)
		FROM accounts a LEFT JOIN tokens k ON k.user_id = a.user_id
		WHERE a.online <> 0
		GROUP BY a.user_id
		HAVING MAX(k.last_seen) IS NULL OR MAX(k.last_seen) < ?
		ORDER BY a.user_id LIMIT ?`, msAbove(cutoff), limitArg(limit))
}

// msAbove is the least whole millisecond m such that a stored time (whole
// milliseconds) is before t exactly when it is below m: ms(t), or one more
// when t has a fraction of a millisecond.
func msAbove(t time.Time) int64 {
	m := ms(t)
	if t.After(time.UnixMilli(m)) {
		m++
	}
	return m
}

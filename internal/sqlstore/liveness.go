package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Liveness sweep queries (platform.LivenessTx).

var _ platform.LivenessTx = (*Tx)(nil)

func scanStaleAccount(s Row) (a platform.StaleAccount, err error) {
	err = s.Scan(&a.UserID, asTime(&a.LastSeen))
	return a, err
}

var staleOnlineAccounts = defineFor(func(d Dialect) string {
	return `SELECT a.user_id, MAX(k.last_seen)
		FROM accounts a LEFT JOIN tokens k ON k.user_id = a.user_id
		WHERE ` + d.True("a.online") + `
		GROUP BY a.user_id
		HAVING MAX(k.last_seen) IS NULL OR MAX(k.last_seen) < ?
		ORDER BY a.user_id LIMIT ?`
})

// StaleOnlineAccounts returns up to limit accounts (all when limit <= 0)
// marked online whose latest token was last seen before cutoff, or that
// have no token, by user id. MAX over no token is NULL: the zero time.
func (t *Tx) StaleOnlineAccounts(cutoff time.Time, limit int) ([]platform.StaleAccount, error) {
	return getAll(t, scanStaleAccount, staleOnlineAccounts, msAbove(cutoff), limitArg(limit))
}

package platform

import "time"

// StaleAccount is an account marked online whose tokens have all gone
// quiet: LastSeen is the latest LastSeen of its tokens (zero when it has
// none).
type StaleAccount struct {
	UserID   string
	LastSeen time.Time
}

// LivenessTx finds the accounts the liveness sweep must consider in one
// query, instead of one query per account. Every store implements it.
type LivenessTx interface {
	// StaleOnlineAccounts returns the accounts marked Online whose tokens
	// were all last seen before cutoff, or that have no token (LastSeen
	// zero), ordered by UserID: at most limit of them (all when limit
	// <= 0).
	StaleOnlineAccounts(cutoff time.Time, limit int) ([]StaleAccount, error)
}

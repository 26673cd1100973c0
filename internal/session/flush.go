package session

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Heartbeats in batches. At city scale heartbeats are most of the traffic
// (100,000 lots every 30 s is 3,333 a second) and carry no data, only the
// fact that a token is alive. A heartbeat is therefore answered from
// memory: Heartbeat records the token's new last-seen time in pending,
// and Flush writes everything pending in a few transactions every
// FlushInterval: the token's last-seen time, and the account and its
// parks recorded online if they were not (and did not go offline after
// the heartbeat). A heartbeat of an account this instance knows to be
// offline (by the shared read of Manager.status, at most CacheFor old) is
// written before it is answered, as is every login.
//
// The cost: on power loss (not on shutdown, which flushes) the last
// FlushInterval of heartbeats is lost, so a token may look up to that
// much older after a restart. Another instance sharing the database sees
// a token's last-seen time up to FlushInterval late; both are small
// beside the token lifetime of three heartbeat intervals.

// DefaultFlushInterval is Config.FlushInterval's default.
const DefaultFlushInterval = 5 * time.Second

// flushBatch bounds the tokens one flush transaction writes, so that a
// flush does not hold the store's writer long.
const flushBatch = 500

// beat is a token's latest heartbeat not yet written.
type beat struct {
	userID string
	at     time.Time
}

// beat records a heartbeat of token value at now, for the next flush.
func (m *Manager) beat(value, userID string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.pending[value] = beat{userID: userID, at: now}
	if c, ok := m.tokens[value]; ok && now.After(c.lastSeen) {
		c.lastSeen = now
		m.tokens[value] = c
	}
}

// latest returns the later of stored, a last-seen time read from the
// store, and the token's pending heartbeat.
func (m *Manager) latest(value string, stored time.Time) time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	if b, ok := m.pending[value]; ok && b.at.After(stored) {
		return b.at
	}
	return stored
}

// Pending returns the number of heartbeats waiting for a flush.
func (m *Manager) Pending() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pending)
}

// pendingBeat is one entry of a flush.
type pendingBeat struct {
	token string
	beat
}

// Flush writes every pending heartbeat: for each, the token's last-seen
// time, and the account online from that time when it was not. Accounts
// are taken in order, flushBatch tokens a transaction. Heartbeats of a
// failed transaction stay pending (unless a newer one replaced them) and
// are retried at the next flush; a token that no longer exists is
// dropped.
func (m *Manager) Flush(ctx context.Context) error {
	// One flush at a time (the timer's, the sweep's, shutdown's): two
	// side by side could write a token's older heartbeat last.
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	batch := make([]pendingBeat, 0, len(m.pending))
	for tok, b := range m.pending {
		batch = append(batch, pendingBeat{tok, b})
	}
	clear(m.pending)
	m.mu.Unlock()
	slices.SortFunc(batch, func(a, b pendingBeat) int {
		if c := cmp.Compare(a.userID, b.userID); c != 0 {
			return c
		}
		return cmp.Compare(a.token, b.token)
	})
	for len(batch) > 0 {
		n := flushCut(batch)
		if err := m.store.Update(ctx, func(tx platform.Tx) error { return m.write(tx, batch[:n]) }); err != nil {
			m.restore(batch)
			return err
		}
		batch = batch[n:]
	}
	return nil
}

// flushCut returns how many of batch, sorted by account, the next
// transaction takes: up to flushBatch, without splitting an account.
func flushCut(batch []pendingBeat) int {
	n := min(len(batch), flushBatch)
	for n < len(batch) && batch[n].userID == batch[n-1].userID {
		n++
	}
	return n
}

// write applies beats, sorted by account, in tx.
func (m *Manager) write(tx platform.Tx, beats []pendingBeat) error {
	for i := 0; i < len(beats); {
		userID := beats[i].userID
		if err := lockAccount(tx, userID); err != nil {
			return err
		}
		var last time.Time
		for ; i < len(beats) && beats[i].userID == userID; i++ {
			b := beats[i]
			err := tx.TouchToken(b.token, b.at)
			if platform.IsNotFound(err) {
				m.forget(b.token) // revoked or expired meanwhile
				continue
			}
			if err != nil {
				return err
			}
			if b.at.After(last) {
				last = b.at
			}
		}
		if last.IsZero() {
			continue
		}
		if err := onlineSince(tx, userID, last); err != nil {
			return err
		}
	}
	return nil
}

// onlineSince records an offline account online from its heartbeat at
// last, unless it went offline after that heartbeat (a sweep or a
// disable decided on newer information). The caller holds lockAccount.
func onlineSince(tx platform.Tx, userID string, last time.Time) error {
	acct, err := tx.Account(userID)
	if err != nil || acct.Online || acct.StateSince.After(last) {
		return err
	}
	return setState(tx, userID, true, last, "heartbeat")
}

// restore puts back the beats a failed flush did not write, unless a
// newer heartbeat of the same token has arrived meanwhile.
func (m *Manager) restore(beats []pendingBeat) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, b := range beats {
		if cur, ok := m.pending[b.token]; !ok || cur.at.Before(b.at) {
			m.pending[b.token] = b.beat
		}
	}
}

// RunFlush flushes pending heartbeats every FlushInterval until ctx ends.
// Every instance runs it (its heartbeats are its own); a last flush on
// shutdown is the caller's (Flush).
func (m *Manager) RunFlush(ctx context.Context) {
	if m.cfg.FlushInterval <= 0 {
		return
	}
	m.every(ctx, m.cfg.FlushInterval, "heartbeat flush", m.Flush)
}

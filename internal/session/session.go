// Package session runs the platform side of login and heartbeats (clauses
// 6.1 and 6.2): password checks with lock-out, access tokens refreshed by
// heartbeats, and the online/offline state of every account and its parks.
package session

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"log/slog"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
)

// Config sets the timing of sessions. Zero fields take the defaults.
type Config struct {
	// HeartbeatInterval is how often a parking system sends heartBeats
	// (default 30 s, clause 6.2 b).
	HeartbeatInterval time.Duration
	// MissedBeats is how many intervals may pass without a heartbeat
	// before a token expires and the account is offline (default 3).
	MissedBeats int
	// LockoutFailures, LockoutWindow and LockoutDuration set the login
	// lock-out (default 5 failures in 15 min lock for 15 min).
	LockoutFailures int
	LockoutWindow   time.Duration
	LockoutDuration time.Duration
	// CacheFor bounds how old the shared read of the accounts' state
	// (accounts.State) may grow: a token is checked against it at every
	// use, so that an account disabled by another process stops working
	// within this time (default 5 s).
	CacheFor time.Duration
	// FlushInterval is how often the heartbeats answered since the last
	// flush are written to the store, in one transaction (default 5 s;
	// see flush.go). A negative value writes every heartbeat before it is
	// answered.
	FlushInterval time.Duration
	// VerifyPassword reports whether a wire password matches a stored
	// hash (nil: accounts.VendorPasswordMatches). Tests wrap it to see
	// which hashes a login compares.
	VerifyPassword func(hash []byte, wire string) bool
}

func (c Config) withDefaults() Config {
	if c.HeartbeatInterval <= 0 {
		c.HeartbeatInterval = 30 * time.Second
	}
	if c.MissedBeats <= 0 {
		c.MissedBeats = 3
	}
	if c.LockoutFailures <= 0 {
		c.LockoutFailures = 5
	}
	if c.LockoutWindow <= 0 {
		c.LockoutWindow = 15 * time.Minute
	}
	if c.LockoutDuration <= 0 {
		c.LockoutDuration = 15 * time.Minute
	}
	if c.CacheFor <= 0 {
		c.CacheFor = 5 * time.Second
	}
	if c.FlushInterval == 0 {
		c.FlushInterval = DefaultFlushInterval
	}
	if c.VerifyPassword == nil {
		c.VerifyPassword = accounts.VendorPasswordMatches
	}
	return c
}

// TTL is how long a token lives without a heartbeat.
func (c Config) TTL() time.Duration {
	c = c.withDefaults()
	return time.Duration(c.MissedBeats) * c.HeartbeatInterval
}

// Manager issues and checks access tokens and tracks liveness.
type Manager struct {
	store platform.Store
	now   platform.Clock
	cfg   Config
	log   *slog.Logger

	mu       sync.Mutex
	tokens   map[string]cachedToken
	verified map[string][32]byte // userID -> digest of (hash, password) known good
	pending  map[string]beat     // token -> its latest heartbeat not yet written
	flushMu  sync.Mutex          // held by Flush

	state *accounts.State // the accounts' state: disabled, offline, settings
}

type cachedToken struct {
	userID   string
	lastSeen time.Time
	seq      uint64 // accounts.State stamp taken before the token was last read or written
}

// New returns a Manager over store.
func New(store platform.Store, now platform.Clock, cfg Config, log *slog.Logger) *Manager {
	cfg = cfg.withDefaults()
	return &Manager{
		store: store, now: now, cfg: cfg, log: log,
		tokens:   map[string]cachedToken{},
		verified: map[string][32]byte{},
		pending:  map[string]beat{},
		state:    accounts.NewState(store, now, cfg.CacheFor),
	}
}

// State returns the view of the accounts' state that the manager checks
// tokens against; the API takes encryption settings and roles from it.
func (m *Manager) State() *accounts.State { return m.state }

// Config returns the manager's configuration with defaults applied.
func (m *Manager) Config() Config { return m.cfg }

var errBadLogin = platform.Errorf(platform.KindBadLogin, "")

// dummyHash is compared against when the userId is unknown or its
// account disabled, so that such a login costs the same bcrypt
// comparison as a wrong password and its answer time does not tell
// which accounts exist.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := accounts.HashVendorPassword("not the password of any account")
	return h
})

// Login checks userID and the wire password (table 2) from addr and issues
// a new token. Wrong credentials, a disabled account and a lock-out all
// give the same KindBadLogin error, and cost the same: an unknown userId
// or a disabled account is compared against a dummy hash of the same
// bcrypt cost as an account's. The password is checked outside any
// transaction (bcrypt is slow); the lock-out count is read before it and
// updated after it, each time under the pair's lock.
func (m *Manager) Login(ctx context.Context, userID, password, addr string) (string, error) {
	now := m.now()
	locked, counted, err := m.loginState(ctx, userID, addr, now)
	if err != nil {
		return "", err
	}
	if locked {
		m.log.Warn("login failed", "userId", userID, "remote", addr, "reason", "locked out")
		return "", errBadLogin
	}
	var acct platform.Account
	stamp := m.state.Stamp()
	err = m.store.View(ctx, func(tx platform.Tx) error {
		var err error
		acct, err = tx.Account(userID)
		return err
	})
	if err != nil && !platform.IsNotFound(err) {
		return "", err
	}
	if err != nil || acct.Disabled {
		_ = m.cfg.VerifyPassword(dummyHash(), password)
	}
	if err != nil || acct.Disabled || !m.checkPassword(acct, password) {
		m.log.Warn("login failed", "userId", userID, "remote", addr, "reason", failReason(err, acct))
		if err := m.loginFailed(ctx, userID, addr, now); err != nil {
			return "", err
		}
		return "", errBadLogin
	}
	// A pair with no count has nothing to reset. (A failure another
	// instance records meanwhile counts as coming after this success.)
	if counted {
		if err := m.loginSucceeded(ctx, userID, addr); err != nil {
			return "", err
		}
	}
	m.state.Note(acct, stamp) // the account's own read wins over an older shared one
	tok := platform.Token{Value: platform.NewID(), UserID: userID, IssuedAt: now, LastSeen: now}
	stamp = m.state.Stamp()
	err = m.store.Update(ctx, func(tx platform.Tx) error {
		if err := lockAccount(tx, userID); err != nil {
			return err
		}
		if err := m.closeGap(tx, userID, now); err != nil {
			return err
		}
		if err := tx.PutToken(tok); err != nil {
			return err
		}
		return markOnline(tx, userID, now, "login")
	})
	if err != nil {
		return "", err
	}
	m.remember(tok.Value, userID, now, stamp)
	m.state.WentOnline(ctx, userID)
	return tok.Value, nil
}

// failReason names why a login whose account read gave err failed, for
// the log (the caller sees 3001 whatever it is).
func failReason(err error, acct platform.Account) string {
	switch {
	case err != nil:
		return "unknown userId"
	case acct.Disabled:
		return "account disabled"
	}
	return "wrong password"
}

func (m *Manager) checkPassword(acct platform.Account, password string) bool {
	key := sha256.Sum256(append(append([]byte{}, acct.PasswordHash...), password...))
	m.mu.Lock()
	known, ok := m.verified[acct.UserID]
	m.mu.Unlock()
	if ok && subtle.ConstantTimeCompare(known[:], key[:]) == 1 {
		return true
	}
	if !m.cfg.VerifyPassword(acct.PasswordHash, password) {
		return false
	}
	m.mu.Lock()
	m.verified[acct.UserID] = key
	m.mu.Unlock()
	return true
}

func (m *Manager) remember(value, userID string, lastSeen time.Time, stamp uint64) {
	m.mu.Lock()
	m.tokens[value] = cachedToken{userID: userID, lastSeen: lastSeen, seq: stamp}
	m.mu.Unlock()
}

func (m *Manager) forget(value string) {
	m.mu.Lock()
	delete(m.tokens, value)
	m.mu.Unlock()
}

// Authenticate returns the account of a live token, or a KindUnauthorized
// error when the token is unknown, expired or its account disabled.
//
// A token this instance knows is checked at every use against the
// accounts' state (accounts.State: one shared read for all tokens at most
// every CacheFor, so that a lot that only heartbeats every 30 s costs no
// read of its own). It is read again from the store (reload) when it is
// not in memory, no longer live by its cached last-seen time, its account
// is disabled, or its account is recorded offline by a read newer than
// the token's: disabling an account deletes its tokens and records it
// offline, so a token of an account disabled and enabled again between
// two shared reads is found gone.
func (m *Manager) Authenticate(ctx context.Context, value string) (string, error) {
	now := m.now()
	m.mu.Lock()
	c, ok := m.tokens[value]
	m.mu.Unlock()
	if ok && m.live(c.lastSeen, now) {
		st, err := m.state.Get(ctx, c.userID)
		if err != nil {
			return "", err
		}
		if !st.Disabled && (st.Online || st.Seq < c.seq) {
			return c.userID, nil
		}
	}
	return m.reload(ctx, value, now)
}

// status returns the account's state (accounts.State).
func (m *Manager) status(ctx context.Context, userID string) (accounts.Status, error) {
	return m.state.Get(ctx, userID)
}

// reload reads a token and its account from the store (another process
// may have refreshed or revoked it) and caches the result.
func (m *Manager) reload(ctx context.Context, value string, now time.Time) (string, error) {
	if value == "" {
		return "", platform.Errorf(platform.KindUnauthorized, "no accessToken in the authorization header")
	}
	var tok platform.Token
	var acct platform.Account
	stamp := m.state.Stamp()
	err := m.store.View(ctx, func(tx platform.Tx) error {
		var err error
		if tok, err = tx.Token(value); err != nil {
			return err
		}
		acct, err = tx.Account(tok.UserID)
		return err
	})
	switch {
	case platform.IsNotFound(err):
		m.forget(value)
		return "", platform.Errorf(platform.KindUnauthorized, "unknown accessToken")
	case err != nil:
		return "", err
	case acct.Disabled:
		m.forget(value)
		return "", platform.Errorf(platform.KindUnauthorized, "account disabled")
	}
	tok.LastSeen = m.latest(value, tok.LastSeen)
	if !m.live(tok.LastSeen, now) {
		m.forget(value)
		return "", platform.Errorf(platform.KindUnauthorized, "accessToken expired")
	}
	m.remember(value, tok.UserID, tok.LastSeen, stamp)
	return tok.UserID, nil
}

func (m *Manager) live(lastSeen, now time.Time) bool {
	return now.Sub(lastSeen) <= m.cfg.TTL()
}

// Heartbeat refreshes a live token (clause 6.2 d) and returns the server
// time to answer with. The new last-seen time is kept in memory and
// written with the others at the next flush (flush.go), unless
// Config.FlushInterval is negative.
func (m *Manager) Heartbeat(ctx context.Context, value string) (time.Time, error) {
	userID, err := m.Authenticate(ctx, value)
	if err != nil {
		return time.Time{}, err
	}
	now := m.now()
	// A heartbeat that brings an offline account back is written at once;
	// the others wait for the flush.
	if st, err := m.status(ctx, userID); m.cfg.FlushInterval > 0 && err == nil && st.Online {
		m.beat(value, userID, now)
		return now, nil
	}
	stamp := m.state.Stamp()
	err = m.store.Update(ctx, func(tx platform.Tx) error {
		if err := lockAccount(tx, userID); err != nil {
			return err
		}
		if err := tx.TouchToken(value, now); err != nil {
			return err
		}
		return markOnline(tx, userID, now, "heartbeat")
	})
	if platform.IsNotFound(err) {
		m.forget(value)
		return time.Time{}, platform.Errorf(platform.KindUnauthorized, "unknown accessToken")
	}
	if err != nil {
		return time.Time{}, err
	}
	m.remember(value, userID, now, stamp)
	m.state.WentOnline(ctx, userID)
	return now, nil
}

// lockAccount serialises the transactions that read an account's online
// state and then change it: logins and heartbeats on any instance, and
// the sweep. Without it two of them running side by side (the PostgreSQL
// store runs Updates concurrently) would both see the account offline and
// both record it coming online. It is taken before anything else the
// transaction writes, so that the sweep, which locks several accounts
// and then deletes tokens, cannot deadlock with a heartbeat.
func lockAccount(tx platform.Tx, userID string) error {
	return tx.Lock("account:" + userID)
}

// closeGap records the offline spell of an account whose tokens all
// expired since the last sweep, so the history has no hole when it logs in
// again before the sweeper noticed. The caller holds lockAccount.
func (m *Manager) closeGap(tx platform.Tx, userID string, now time.Time) error {
	acct, err := tx.Account(userID)
	if err != nil || !acct.Online {
		return err
	}
	last, err := tx.LastSeen(userID)
	if err != nil || last.IsZero() || now.Sub(last) <= m.cfg.TTL() {
		return err
	}
	return setState(tx, userID, false, last.Add(m.cfg.TTL()), "timeout")
}

// markOnline records the account, and each of its parks, as online when
// it was not. The caller holds lockAccount.
func markOnline(tx platform.Tx, userID string, at time.Time, cause string) error {
	acct, err := tx.Account(userID)
	if err != nil || acct.Online {
		return err
	}
	return setState(tx, userID, true, at, cause)
}

func setState(tx platform.Tx, userID string, online bool, at time.Time, cause string) error {
	if err := tx.SetAccountState(platform.LivenessEvent{UserID: userID, Online: online, At: at, Cause: cause}); err != nil {
		return err
	}
	parks, err := tx.ParksOf(userID)
	if err != nil {
		return err
	}
	for _, p := range parks {
		e := platform.LivenessEvent{UserID: userID, IsvParkID: p.IsvParkID, Online: online, At: at, Cause: cause}
		if err := tx.AddLivenessEvent(e); err != nil {
			return err
		}
	}
	return nil
}

// sweepBatch bounds the accounts one transaction of the sweep takes, so
// that a sweep over many accounts does not hold the store's writer long.
const sweepBatch = 500

// Sweep marks offline every online account whose tokens have all gone
// three heartbeat intervals without a heartbeat (the note to clause 6.2),
// recording the time the last token expired, drops expired tokens and
// purges login failure counts that no longer matter. It takes the stale
// accounts sweepBatch at a time, one transaction each, and drops the
// tokens once all of them are recorded offline.
func (m *Manager) Sweep(ctx context.Context) error {
	// This instance's heartbeats first, so that their tokens count as
	// seen.
	if err := m.Flush(ctx); err != nil {
		return err
	}
	now := m.now()
	err := m.sweepAccounts(ctx, now)
	if err == nil {
		err = m.store.Update(ctx, func(tx platform.Tx) error {
			if _, err := tx.DeleteTokensBefore(now.Add(-m.cfg.TTL())); err != nil {
				return err
			}
			return m.purgeLoginFailures(tx, now)
		})
	}
	m.pruneCache(now)
	return err
}

// sweepAccounts marks offline, a batch per transaction, the online
// accounts whose tokens were all last seen more than a TTL before now.
func (m *Manager) sweepAccounts(ctx context.Context, now time.Time) error {
	ttl := m.cfg.TTL()
	// after is the last account a batch considered (once taken). An account the sweep
	// leaves alone drops out of the stale list (a heartbeat or another
	// sweep got there first); should one stay, it is not taken again, so
	// that the loop ends.
	after, taken := "", false
	for {
		next, more := after, false
		err := m.store.Update(ctx, func(tx platform.Tx) error {
			next, more = after, false
			stale, err := tx.StaleOnlineAccounts(now.Add(-ttl), sweepBatch)
			if err != nil {
				return err
			}
			for _, s := range stale {
				if taken && s.UserID <= after {
					continue
				}
				next = s.UserID
				if err := m.sweepAccount(tx, s.UserID, now, ttl); err != nil {
					return err
				}
			}
			// A short batch was the last; a full one that took no new
			// account would come back the same.
			more = len(stale) == sweepBatch && (!taken || next != after)
			return nil
		})
		if err != nil || !more {
			return err
		}
		after, taken = next, true
	}
}

// sweepAccount marks userID offline when it is still online and its tokens
// are all stale at now.
func (m *Manager) sweepAccount(tx platform.Tx, userID string, now time.Time, ttl time.Duration) error {
	// A login or heartbeat elsewhere may be changing it: decide on what
	// it committed.
	if err := lockAccount(tx, userID); err != nil {
		return err
	}
	a, err := tx.Account(userID)
	if err != nil || !a.Online {
		return err
	}
	last, err := tx.LastSeen(userID)
	if err != nil {
		return err
	}
	if !last.IsZero() && now.Sub(last) <= ttl {
		return nil
	}
	at := now
	if !last.IsZero() {
		at = last.Add(ttl)
	}
	if err := setState(tx, userID, false, at, "timeout"); err != nil {
		return err
	}
	m.log.Info("account offline", "userId", userID, "lastSeen", last)
	return nil
}

// LiveTokens returns how many access tokens this instance has seen and
// whose lifetime has not run out (tokens used only on other instances
// are not counted).
func (m *Manager) LiveTokens() int {
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, c := range m.tokens {
		if m.live(c.lastSeen, now) {
			n++
		}
	}
	return n
}

func (m *Manager) pruneCache(now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for k, c := range m.tokens {
		if !m.live(c.lastSeen, now) {
			delete(m.tokens, k)
		}
	}
}

// Run sweeps every heartbeat interval until ctx ends.
func (m *Manager) Run(ctx context.Context) {
	m.every(ctx, m.cfg.HeartbeatInterval, "liveness sweep", m.Sweep)
}

// every runs job every d until ctx ends, logging its failures as what.
func (m *Manager) every(ctx context.Context, d time.Duration, what string, job func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil {
				m.log.Error(what, "err", err, "pendingHeartbeats", m.Pending())
			}
		}
	}
}

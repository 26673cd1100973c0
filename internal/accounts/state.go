package accounts

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// DefaultRefresh is how old State's shared read may grow before it is
// read again.
const DefaultRefresh = 5 * time.Second

// Status is an account's state as State knows it: whether it is disabled
// or recorded offline, its encryption settings and its role. Seq orders
// the reads a Status comes from (a later read has a greater Seq; see
// State.Stamp).
type Status struct {
	UserID            string
	Disabled          bool
	Online            bool
	DataKey           []byte
	RequireEncryption bool
	Role              string
	Seq               uint64
}

// State is the one in-memory view of every account's state on this
// instance, with one freshness rule: the accounts that are disabled or
// offline, and those whose encryption settings or role differ from the
// defaults, are read together in one shared read at most every Refresh
// (platform.Tx UnavailableAccounts and AccountSettings: a request costs
// no read of its own, however many accounts there are and however seldom
// each one calls). Callers waiting while one of them reads use that read
// instead of reading again. An account not on either list is enabled,
// online, without a data key and of role RolePLMS.
//
// What this instance learns of an account meanwhile (its own read at its
// login, its coming online, a change made here) takes precedence over an
// older shared read, so that an account created or changed just before it
// logs in is served by its settings at once.
type State struct {
	store platform.Store
	now   platform.Clock
	every time.Duration

	seq  atomic.Uint64            // stamps of reads
	min  atomic.Uint64            // a shared read stamped before this is stale (Forget)
	snap atomic.Pointer[snapshot] // the last shared read
	mu   sync.Mutex               // one shared read at a time
	own  sync.Map                 // userID -> Status newer than snap
}

// snapshot is one shared read.
type snapshot struct {
	unavailable map[string]platform.AccountStatus
	settings    map[string]platform.AccountSettings
	at          time.Time // by the clock, for freshness
	seq         uint64    // stamped before the read began
}

// NewState returns the view of store's accounts, read again once Refresh
// old (DefaultRefresh when zero) by the clock now.
func NewState(store platform.Store, now platform.Clock, refresh time.Duration) *State {
	if refresh <= 0 {
		refresh = DefaultRefresh
	}
	return &State{store: store, now: now, every: refresh}
}

// Refresh returns how old the shared read may grow.
func (s *State) Refresh() time.Duration { return s.every }

// Stamp returns a stamp taken now: a read begun after it has a greater
// Seq. A caller that reads an account itself stamps before its read and
// passes the stamp to Note.
func (s *State) Stamp() uint64 { return s.seq.Add(1) }

// Get returns the state of userID, reading every account's again first
// when the shared read is Refresh old (or that far in the future: the
// clock was set back).
func (s *State) Get(ctx context.Context, userID string) (Status, error) {
	snap, err := s.snapshot(ctx, s.now())
	if err != nil {
		return Status{}, err
	}
	if v, ok := s.own.Load(userID); ok {
		if st := v.(Status); st.Seq > snap.seq {
			return st, nil
		}
	}
	return snap.status(userID), nil
}

// status is userID's state by the shared read.
func (c *snapshot) status(userID string) Status {
	st := Status{UserID: userID, Online: true, Seq: c.seq}
	if u, ok := c.unavailable[userID]; ok {
		st.Disabled, st.Online = u.Disabled, u.Online
	}
	if a, ok := c.settings[userID]; ok {
		st.DataKey, st.RequireEncryption, st.Role = a.DataKey, a.RequireEncryption, a.Role
	}
	return st
}

// Note records an account as this instance read it itself (at its login)
// with the stamp taken before the read.
func (s *State) Note(a platform.Account, stamp uint64) {
	s.own.Store(a.UserID, Status{UserID: a.UserID, Disabled: a.Disabled, Online: a.Online, DataKey: a.DataKey,
		RequireEncryption: a.RequireEncryption, Role: a.Role, Seq: stamp})
}

// WentOnline notes that this instance recorded userID online.
func (s *State) WentOnline(ctx context.Context, userID string) {
	st, err := s.Get(ctx, userID)
	if err != nil || st.Online || st.Disabled {
		return
	}
	st.Online, st.Seq = true, s.Stamp()
	s.own.Store(userID, st)
}

// Forget drops what is known of the accounts, for a caller that changed
// userID in this process and needs the change at once: the next Get reads
// them all again.
func (s *State) Forget(userID string) {
	s.own.Delete(userID)
	s.min.Store(s.Stamp()) // also a read under way, begun before the change
}

// snapshot returns the shared read, reading it again when it is not
// fresh at now. Callers wait while one of them reads.
func (s *State) snapshot(ctx context.Context, now time.Time) (*snapshot, error) {
	if c := s.snap.Load(); s.fresh(c, now) {
		return c, nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.snap.Load(); s.fresh(c, now) {
		return c, nil // read by another caller meanwhile
	}
	c := &snapshot{seq: s.Stamp(), at: now}
	var unavailable []platform.AccountStatus
	var settings []platform.AccountSettings
	err := s.store.View(ctx, func(tx platform.Tx) error {
		var err error
		if unavailable, err = tx.UnavailableAccounts(); err != nil {
			return err
		}
		settings, err = tx.AccountSettings()
		return err
	})
	if err != nil {
		return nil, err
	}
	c.unavailable = make(map[string]platform.AccountStatus, len(unavailable))
	for _, a := range unavailable {
		c.unavailable[a.UserID] = a
	}
	c.settings = make(map[string]platform.AccountSettings, len(settings))
	for _, a := range settings {
		c.settings[a.UserID] = a
	}
	s.snap.Store(c)
	s.own.Range(func(k, v any) bool { // what the shared read now covers
		if v.(Status).Seq < c.seq {
			s.own.Delete(k)
		}
		return true
	})
	return c, nil
}

// fresh reports whether the shared read c is still good at now: begun
// after the last Forget, and less than Refresh old or from less than that
// in the future. A caller whose now was taken before another caller's
// read (it waited for the lock meanwhile) must not read again; only a
// clock set back by a whole Refresh makes a read look stale from the
// future.
func (s *State) fresh(c *snapshot, now time.Time) bool {
	if c == nil || c.seq < s.min.Load() {
		return false
	}
	d := now.Sub(c.at)
	return d < s.every && d > -s.every
}

package session_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/protocol"
)

// flushFixture is a store, a manager on a settable clock and a logged-in
// account.
type flushFixture struct {
	store *sqlite.Store
	m     *session.Manager
	now   time.Time
	token string
}

const flushUser, flushPassword = "flushvendor", "Flush@2024"

func newFlushFixture(t *testing.T, cfg session.Config) *flushFixture {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &flushFixture{store: s, now: time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)}
	f.m = session.New(s, func() time.Time { return f.now }, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	wire := protocol.NewLoginRequest(flushUser, flushPassword).Password
	hash, err := accounts.HashVendorPassword(wire)
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(context.Background(), func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: flushUser, PasswordHash: hash, CreatedAt: f.now, StateSince: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.token, err = f.m.Login(context.Background(), flushUser, wire, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	return f
}

// stored returns the token's last-seen time and the account as stored.
func (f *flushFixture) stored(t *testing.T) (time.Time, platform.Account) {
	t.Helper()
	var tok platform.Token
	var a platform.Account
	err := f.store.View(context.Background(), func(tx platform.Tx) error {
		var err error
		if tok, err = tx.Token(f.token); err != nil {
			return err
		}
		a, err = tx.Account(flushUser)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tok.LastSeen, a
}

func TestHeartbeatIsWrittenAtTheFlush(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	login := f.now
	f.now = f.now.Add(30 * time.Second)
	at, err := f.m.Heartbeat(context.Background(), f.token)
	if err != nil || !at.Equal(f.now) {
		t.Fatalf("Heartbeat = %v, %v; want %v", at, err, f.now)
	}
	if seen, _ := f.stored(t); !seen.Equal(login) {
		t.Fatalf("before the flush the stored last-seen is %v, want the login's %v", seen, login)
	}
	if n := f.m.Pending(); n != 1 {
		t.Fatalf("Pending = %d, want 1", n)
	}
	if err := f.m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if seen, _ := f.stored(t); !seen.Equal(at) {
		t.Fatalf("after the flush the stored last-seen is %v, want the heartbeat's %v", seen, at)
	}
	if n := f.m.Pending(); n != 0 {
		t.Fatalf("Pending after the flush = %d, want 0", n)
	}
}

func TestFlushRecordsAnOfflineAccountOnlineAtItsHeartbeat(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	f.now = f.now.Add(30 * time.Second)
	off := f.now.Add(-time.Second)
	err := f.store.Update(context.Background(), func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: flushUser, Online: false, At: off, Cause: "test"})
	})
	if err != nil {
		t.Fatal(err)
	}
	at, err := f.m.Heartbeat(context.Background(), f.token)
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(3 * time.Second) // the flush comes later
	if err := f.m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, a := f.stored(t)
	if !a.Online || !a.StateSince.Equal(at) {
		t.Fatalf("account online %v since %v, want online since the heartbeat %v", a.Online, a.StateSince, at)
	}
}

// TestHeartbeatOfAnOfflineAccountIsWrittenAtOnce: an account recorded
// offline while its token lives comes back online with the heartbeat,
// before the answer.
func TestHeartbeatOfAnOfflineAccountIsWrittenAtOnce(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	f.now = f.now.Add(30 * time.Second)
	err := f.store.Update(context.Background(), func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: flushUser, Online: false, At: f.now, Cause: "test"})
	})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(10 * time.Second) // past CacheFor: the shared list is read again
	at, err := f.m.Heartbeat(context.Background(), f.token)
	if err != nil {
		t.Fatal(err)
	}
	if seen, a := f.stored(t); !a.Online || !a.StateSince.Equal(at) || !seen.Equal(at) {
		t.Fatalf("before any flush: online %v since %v, last seen %v; want online and seen at %v", a.Online, a.StateSince, seen, at)
	}
	if n := f.m.Pending(); n != 0 {
		t.Fatalf("Pending = %d, want 0", n)
	}
}

// TestFlushLeavesOfflineAnAccountThatWentOfflineAfterItsHeartbeat: a
// heartbeat older than the account's offline record does not undo it.
func TestFlushLeavesOfflineAnAccountThatWentOfflineAfterItsHeartbeat(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	f.now = f.now.Add(30 * time.Second)
	at, err := f.m.Heartbeat(context.Background(), f.token)
	if err != nil {
		t.Fatal(err)
	}
	err = f.store.Update(context.Background(), func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: flushUser, Online: false, At: at.Add(time.Second), Cause: "disabled"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	seen, a := f.stored(t)
	if a.Online || !seen.Equal(at) {
		t.Fatalf("online %v, last seen %v; want still offline, last seen %v", a.Online, seen, at)
	}
}

func TestFlushDropsARevokedToken(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	f.now = f.now.Add(30 * time.Second)
	if _, err := f.m.Heartbeat(context.Background(), f.token); err != nil {
		t.Fatal(err)
	}
	err := f.store.Update(context.Background(), func(tx platform.Tx) error {
		_, err := tx.DeleteTokensBefore(f.now.Add(time.Hour))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.m.Flush(context.Background()); err != nil {
		t.Fatalf("Flush with a deleted token: %v", err)
	}
	if n := f.m.Pending(); n != 0 {
		t.Fatalf("Pending = %d, want the deleted token dropped", n)
	}
}

func TestFailedFlushKeepsTheHeartbeats(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	f.now = f.now.Add(30 * time.Second)
	if _, err := f.m.Heartbeat(context.Background(), f.token); err != nil {
		t.Fatal(err)
	}
	f.store.Close()
	if err := f.m.Flush(context.Background()); err == nil {
		t.Fatal("Flush on a closed store succeeded")
	}
	if n := f.m.Pending(); n != 1 {
		t.Fatalf("Pending after a failed flush = %d, want the heartbeat kept", n)
	}
}

func TestNegativeFlushIntervalWritesEachHeartbeat(t *testing.T) {
	f := newFlushFixture(t, session.Config{FlushInterval: -1})
	f.now = f.now.Add(30 * time.Second)
	at, err := f.m.Heartbeat(context.Background(), f.token)
	if err != nil {
		t.Fatal(err)
	}
	if seen, _ := f.stored(t); !seen.Equal(at) {
		t.Fatalf("stored last-seen %v, want the heartbeat's %v at once", seen, at)
	}
	if n := f.m.Pending(); n != 0 {
		t.Fatalf("Pending = %d, want 0", n)
	}
}

// TestSweepCountsPendingHeartbeats: a token kept alive by heartbeats not
// yet flushed must not be swept offline.
func TestSweepCountsPendingHeartbeats(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	ttl := f.m.Config().TTL()
	for range 4 {
		f.now = f.now.Add(30 * time.Second)
		if _, err := f.m.Heartbeat(context.Background(), f.token); err != nil {
			t.Fatal(err)
		}
	}
	f.now = f.now.Add(ttl - time.Second) // 2 min past the login: stale but for the heartbeats
	if err := f.m.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, a := f.stored(t); !a.Online {
		t.Fatal("the sweep recorded a heartbeating account offline")
	}
	if _, err := f.m.Heartbeat(context.Background(), f.token); err != nil {
		t.Fatalf("heartbeat after the sweep: %v", err)
	}
}

// TestFlushManyTokens flushes more tokens than one transaction takes.
func TestFlushManyTokens(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	const n = 1207
	tokens := make([]string, n)
	err := f.store.Update(context.Background(), func(tx platform.Tx) error {
		for i := range tokens {
			user := fmt.Sprintf("u%04d", i/3) // three tokens an account
			if i%3 == 0 {
				if err := tx.PutAccount(platform.Account{UserID: user, CreatedAt: f.now, StateSince: f.now}); err != nil {
					return err
				}
			}
			tokens[i] = fmt.Sprintf("t%05d", i)
			if err := tx.PutToken(platform.Token{Value: tokens[i], UserID: user, IssuedAt: f.now, LastSeen: f.now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.now.Add(30 * time.Second)
	for _, tok := range tokens {
		if _, err := f.m.Heartbeat(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	err = f.store.View(context.Background(), func(tx platform.Tx) error {
		for i, v := range tokens {
			tok, err := tx.Token(v)
			if err != nil {
				return err
			}
			if !tok.LastSeen.Equal(f.now) {
				t.Errorf("token %d last seen %v, want %v", i, tok.LastSeen, f.now)
			}
			if i%3 == 0 {
				a, err := tx.Account(tok.UserID)
				if err != nil {
					return err
				}
				if !a.Online || !a.StateSince.Equal(f.now) {
					t.Errorf("%s online %v since %v, want online since %v", a.UserID, a.Online, a.StateSince, f.now)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// countingStore counts the read transactions made through it.
type countingStore struct {
	platform.Store
	views atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(tx platform.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

// TestCachedTokensShareOneCheck: once their cached copies are older than
// CacheFor, many live tokens are checked with one read of the disabled
// accounts, not a read each; a disabled account's token is then refused.
func TestCachedTokensShareOneCheck(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	cs := &countingStore{Store: f.store}
	m := session.New(cs, func() time.Time { return f.now }, session.Config{}, slog.New(slog.DiscardHandler))
	const n = 50
	tokens := make([]string, n)
	err := f.store.Update(context.Background(), func(tx platform.Tx) error {
		for i := range tokens {
			user := fmt.Sprintf("c%03d", i)
			if err := tx.PutAccount(platform.Account{UserID: user, CreatedAt: f.now, StateSince: f.now}); err != nil {
				return err
			}
			tokens[i] = fmt.Sprintf("ct%03d", i)
			if err := tx.PutToken(platform.Token{Value: tokens[i], UserID: user, IssuedAt: f.now, LastSeen: f.now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	beatAll := func() {
		t.Helper()
		for _, tok := range tokens {
			if _, err := m.Heartbeat(context.Background(), tok); err != nil {
				t.Fatalf("heartbeat %s: %v", tok, err)
			}
		}
	}
	beatAll() // unknown to this instance: one read each, and the shared list once
	if got := cs.views.Load(); got != n+1 {
		t.Fatalf("%d reads for %d unknown tokens, want %d", got, n, n+1)
	}
	for round := 1; round <= 3; round++ {
		f.now = f.now.Add(10 * time.Second)
		before := cs.views.Load()
		beatAll()
		if got := cs.views.Load() - before; got != 1 {
			t.Fatalf("round %d: %d reads for %d cached tokens, want 1", round, got, n)
		}
	}
	err = f.store.Update(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account("c007")
		if err != nil {
			return err
		}
		a.Disabled = true
		return tx.PutAccount(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Heartbeat(context.Background(), tokens[7]); err != nil {
		t.Fatalf("within CacheFor of its check the token still works: %v", err)
	}
	f.now = f.now.Add(5 * time.Second)
	if _, err := m.Heartbeat(context.Background(), tokens[7]); platform.KindOf(err) != platform.KindUnauthorized {
		t.Fatalf("heartbeat of a disabled account's token: %v, want unauthorized", err)
	}
	if _, err := m.Heartbeat(context.Background(), tokens[8]); err != nil {
		t.Fatalf("another account's token: %v", err)
	}
}

// TestHeartbeatsAndFlushesSideBySide: heartbeats arriving while flushes
// run (the timer's and the sweep's) all end up written, the latest last.
func TestHeartbeatsAndFlushesSideBySide(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	var mu sync.Mutex
	clock := f.now
	m := session.New(f.store, func() time.Time { mu.Lock(); defer mu.Unlock(); clock = clock.Add(time.Millisecond); return clock },
		session.Config{}, slog.New(slog.DiscardHandler))
	tok, err := m.Login(context.Background(), flushUser, protocol.NewLoginRequest(flushUser, flushPassword).Password, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var last atomic.Int64
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				at, err := m.Heartbeat(context.Background(), tok)
				if err != nil {
					t.Error(err)
					return
				}
				for {
					cur := last.Load()
					if at.UnixMilli() <= cur || last.CompareAndSwap(cur, at.UnixMilli()) {
						break
					}
				}
			}
		}()
	}
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if err := m.Flush(context.Background()); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if err := m.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var stored platform.Token
	err = f.store.View(context.Background(), func(tx platform.Tx) error {
		var err error
		stored, err = tx.Token(tok)
		return err
	})
	if err != nil || stored.LastSeen.UnixMilli() != last.Load() {
		t.Fatalf("stored last-seen %v (%v), want the latest heartbeat %v", stored.LastSeen, err, time.UnixMilli(last.Load()))
	}
}

// TestAWaiterDoesNotReadTheSharedListAgain: a heartbeat whose time was
// taken just before another one read the list of disabled and offline
// accounts (it waited for the lock meanwhile) uses that list and does not
// read it again, so a burst of heartbeats at the moment the list expires
// costs one read, not one each.
func TestAWaiterDoesNotReadTheSharedListAgain(t *testing.T) {
	f := newFlushFixture(t, session.Config{})
	cs := &countingStore{Store: f.store}
	m := session.New(cs, func() time.Time { return f.now }, session.Config{}, slog.New(slog.DiscardHandler))
	t0 := f.now
	err := f.store.Update(context.Background(), func(tx platform.Tx) error {
		for _, u := range []string{"w1", "w2"} {
			if err := tx.PutAccount(platform.Account{UserID: u, CreatedAt: t0, StateSince: t0}); err != nil {
				return err
			}
			if err := tx.PutToken(platform.Token{Value: "tok-" + u, UserID: u, IssuedAt: t0, LastSeen: t0}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tok := range []string{"tok-w1", "tok-w2"} {
		if _, err := m.Heartbeat(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	f.now = t0.Add(10 * time.Second) // both cached tokens are due a check
	if _, err := m.Heartbeat(context.Background(), "tok-w1"); err != nil {
		t.Fatal(err)
	}
	before := cs.views.Load()
	f.now = t0.Add(9 * time.Second) // taken before that check's read
	if _, err := m.Heartbeat(context.Background(), "tok-w2"); err != nil {
		t.Fatal(err)
	}
	if got := cs.views.Load() - before; got != 0 {
		t.Errorf("a heartbeat timed 1 s before the shared read made %d reads, want 0", got)
	}
}

package session_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/internal/sqlite"
)

// TestSweepManyAccounts sweeps more stale accounts than one batch takes,
// mixed with live and offline ones.
func TestSweepManyAccounts(t *testing.T) {
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	t0 := time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)
	now := t0.Add(10 * time.Minute)
	m := session.New(s, func() time.Time { return now }, session.Config{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ttl := m.Config().TTL()

	// Every fourth account is live, every fourth offline, every fourth
	// online without a token, the rest online with a stale token.
	const n = 1203
	id := func(i int) string { return fmt.Sprintf("u%05d", i) }
	err = s.Update(ctx, func(tx platform.Tx) error {
		for i := range n {
			a := platform.Account{UserID: id(i), CreatedAt: t0, StateSince: t0, Online: i%4 != 1}
			if err := tx.PutAccount(a); err != nil {
				return err
			}
			seen := t0.Add(time.Duration(i) * time.Millisecond)
			switch i % 4 {
			case 0:
				seen = now.Add(-time.Second)
			case 2:
				continue
			}
			if err := tx.PutToken(platform.Token{Value: fmt.Sprintf("k%05d", i), UserID: id(i), IssuedAt: t0, LastSeen: seen}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Sweep(ctx); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	err = s.View(ctx, func(tx platform.Tx) error {
		for i := range n {
			a, err := tx.Account(id(i))
			if err != nil {
				return err
			}
			var want time.Time
			switch i % 4 {
			case 0:
				if !a.Online || !a.StateSince.Equal(t0) {
					t.Errorf("%s: online %v since %v, want kept online", a.UserID, a.Online, a.StateSince)
				}
				continue
			case 1:
				if a.Online || !a.StateSince.Equal(t0) {
					t.Errorf("%s: online %v since %v, want left offline", a.UserID, a.Online, a.StateSince)
				}
				continue
			case 2:
				want = now
			case 3:
				want = t0.Add(time.Duration(i)*time.Millisecond + ttl)
			}
			if a.Online || !a.StateSince.Equal(want) {
				t.Errorf("%s: online %v since %v, want offline since %v", a.UserID, a.Online, a.StateSince, want)
			}
			if last, err := tx.LastSeen(a.UserID); err != nil || !last.IsZero() {
				t.Errorf("%s: LastSeen %v, %v: want its stale token deleted", a.UserID, last, err)
			}
		}
		stale, err := tx.StaleOnlineAccounts(now.Add(-ttl), 0)
		if len(stale) != 0 {
			t.Errorf("after the sweep, %d stale online accounts", len(stale))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

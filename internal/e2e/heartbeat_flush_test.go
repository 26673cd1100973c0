package e2e

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

// storedLastSeen returns the token's last-seen time as stored.
func storedLastSeen(t *testing.T, srv *testserver.Server, token string) time.Time {
	t.Helper()
	var tok platform.Token
	view(t, srv, func(tx platform.Tx) error {
		var err error
		tok, err = tx.Token(token)
		return err
	})
	return tok.LastSeen
}

// TestHeartbeatsAreFlushedInTheBackground: a heartbeat over the wire is
// answered at once and its last-seen time reaches the store at the next
// flush.
func TestHeartbeatsAreFlushedInTheBackground(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{HeartbeatFlush: 20 * time.Millisecond}})
	token := vendor(t, srv, vendorA)
	srv.Clock.Advance(30 * time.Second)
	wantOK(t, heartbeat(t, srv, token))
	want := srv.Clock.Now()
	deadline := time.Now().Add(10 * time.Second)
	for !storedLastSeen(t, srv, token).Equal(want) {
		if time.Now().After(deadline) {
			t.Fatalf("stored last-seen %v, want the heartbeat's %v within 10 s", storedLastSeen(t, srv, token), want)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestShutdownFlushesHeartbeats: heartbeats answered but not yet flushed
// are written when parkd shuts down.
func TestShutdownFlushesHeartbeats(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.Options{Config: server.Config{DataDir: dir, HeartbeatFlush: time.Hour}})
	token := vendor(t, srv, vendorA)
	login := srv.Clock.Now()
	srv.Clock.Advance(30 * time.Second)
	wantOK(t, heartbeat(t, srv, token))
	want := srv.Clock.Now()
	if got := storedLastSeen(t, srv, token); !got.Equal(login) {
		t.Fatalf("stored last-seen %v before the flush, want the login's %v", got, login)
	}
	srv.Client.CloseIdleConnections()
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
	s, err := sqlite.Open(filepath.Join(dir, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var tok platform.Token
	err = s.View(context.Background(), func(tx platform.Tx) error {
		var err error
		tok, err = tx.Token(token)
		return err
	})
	if err != nil || !tok.LastSeen.Equal(want) {
		t.Fatalf("after shutdown the stored last-seen is %v (%v), want the heartbeat's %v", tok.LastSeen, err, want)
	}
}

package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

// TestProfilesOnlyOnTheDebugListener: with a debug address, the heap
// profile is served there and not on the platform's own port.
func TestProfilesOnlyOnTheDebugListener(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{DebugAddr: "127.0.0.1:0"}})
	if srv.DebugAddr() == "" {
		t.Fatal("no debug listener")
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + srv.DebugAddr() + "/debug/pprof/heap?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "heap profile:") {
		t.Fatalf("heap profile: HTTP %d: %.200s", resp.StatusCode, body)
	}
	if status, body := srv.Do(t, http.MethodGet, "/debug/pprof/heap?debug=1", "", "", nil, nil); status != http.StatusNotFound {
		t.Errorf("the platform port answers /debug/pprof/ with HTTP %d, want 404: %.200s", status, body)
	}
}

// TestDebugListenerMustBeLoopback: parkd refuses to start with profiles
// on an address other hosts could reach.
func TestDebugListenerMustBeLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:6060", "127.0.0.1"} {
		srv, err := server.New(server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), DebugAddr: addr}, nil, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatalf("server.New: %v", err)
		}
		err = srv.Start()
		srv.Close()
		if err == nil || !strings.Contains(err.Error(), "debug address") {
			t.Errorf("DebugAddr %q: Start returned %v, want a debug address error", addr, err)
		}
	}
}

package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/testkit/lockedbuf"
)

// startServe runs `parkd serve` on a free loopback port with args added
// and returns its stderr, the channel of its result, and its address.
func startServe(t *testing.T, ctx context.Context, args ...string) (*lockedbuf.Buffer, <-chan error, string) {
	t.Helper()
	stderr := &lockedbuf.Buffer{}
	done := make(chan error, 1)
	args = append([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--plain-http"}, args...)
	go func() { done <- run(ctx, args, stderr, stderr) }()
	return stderr, done, logAddr(t, stderr, "parkd listening")
}

// logAddr waits up to 10 s for the JSON log line with message msg and
// returns its addr.
func logAddr(t *testing.T, stderr *lockedbuf.Buffer, msg string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == msg {
				return rec.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q line within 10 s: %q", msg, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeLogsEveryRequestByShutdown: the request lines, buffered, are
// all on stderr once serve has returned.
func TestServeLogsEveryRequestByShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr, done, addr := startServe(t, ctx)
	const n = 5
	for range n {
		resp, err := http.Post("http://"+addr+"/dataReceive/v1/heartBeats", "application/json", strings.NewReader(`{}`))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
	out := stderr.String()
	if got := strings.Count(out, `"msg":"request"`); got != n {
		t.Errorf("%d request lines after shutdown, want %d:\n%s", got, n, out)
	}
	if !strings.Contains(out, `"msg":"shutting down"`) {
		t.Errorf("no shutdown line:\n%s", out)
	}
}

// TestServeDebugAddrServesProfiles: --debug-addr serves the goroutine
// profile on its own loopback listener.
func TestServeDebugAddrServesProfiles(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stderr, done, _ := startServe(t, ctx, "--debug-addr", "127.0.0.1:0")
	debug := logAddr(t, stderr, "profiles served")
	resp, err := http.Get("http://" + debug + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile:") {
		t.Errorf("goroutine profile: HTTP %d: %.200s", resp.StatusCode, body)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}
}

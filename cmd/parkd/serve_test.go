package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer written by the server and read by the
// test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestServeLogsEveryRequestByShutdown: the request lines, buffered, are
// all on stderr once serve has returned.
func TestServeLogsEveryRequestByShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--plain-http"}, &stderr, &stderr)
	}()
	addr := ""
	deadline := time.Now().Add(10 * time.Second)
	for addr == "" {
		for _, line := range strings.Split(stderr.String(), "\n") {
			var rec struct {
				Msg  string `json:"msg"`
				Addr string `json:"addr"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "parkd listening" {
				addr = rec.Addr
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no listening line within 10 s: %q", stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
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

package lockedbuf

import (
	"strings"
	"sync"
	"testing"
)

// TestConcurrentWritesAreKeptWhole writes lines from several goroutines
// while reading, and checks that every line arrives whole (run with -race
// to check the locking too).
func TestConcurrentWritesAreKeptWhole(t *testing.T) {
	var b Buffer
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 100 {
				if _, err := b.Write([]byte("line\n")); err != nil {
					t.Error(err)
				}
				_ = b.String()
			}
		})
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != 400 {
		t.Fatalf("%d lines, want 400", len(lines))
	}
	for i, l := range lines {
		if l != "line" {
			t.Fatalf("line %d = %q", i, l)
		}
	}
}

// TestWaitReturnsWhenTheTextComes: Wait wakes on the Write that makes
// its condition hold, and gives up when stop is closed.
func TestWaitReturnsWhenTheTextComes(t *testing.T) {
	var b Buffer
	b.Write([]byte("starting\n"))
	go func() {
		b.Write([]byte("still starting\n"))
		b.Write([]byte("ready\n"))
	}()
	s, ok := b.Wait(nil, func(s string) bool { return strings.Contains(s, "ready") })
	if !ok || !strings.HasSuffix(s, "ready\n") {
		t.Fatalf("Wait = %q, %v", s, ok)
	}
	stop := make(chan struct{})
	close(stop)
	if s, ok := b.Wait(stop, func(s string) bool { return strings.Contains(s, "never") }); ok || !strings.Contains(s, "ready") {
		t.Fatalf("Wait with stop closed = %q, %v", s, ok)
	}
}

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

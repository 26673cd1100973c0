package logbuf

import (
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/parkd/parkd/internal/testkit/lockedbuf"
)

func TestInfoIsBufferedAndWarningsAreWrittenAtOnce(t *testing.T) {
	dst := &lockedbuf.Buffer{}
	w := New(dst, 64<<10)
	log := slog.New(Handler(slog.NewJSONHandler(w, nil), w, slog.LevelWarn))
	log.Info("request", "n", 1)
	if got := dst.String(); got != "" {
		t.Fatalf("an info line was written before the flush: %q", got)
	}
	log.Warn("trouble")
	got := dst.String()
	if !strings.Contains(got, `"msg":"request"`) || !strings.Contains(got, `"msg":"trouble"`) {
		t.Fatalf("after a warning the buffer holds %q, want both lines", got)
	}
	log.With("k", "v").Error("grouped")
	if !strings.Contains(dst.String(), `"k":"v"`) {
		t.Fatalf("a derived logger's error was not written at once: %q", dst.String())
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestBackgroundFlushAndClose(t *testing.T) {
	dst := &lockedbuf.Buffer{}
	w := New(dst, 64<<10)
	if _, err := w.Write([]byte("one\n")); err != nil {
		t.Fatal(err)
	}
	// The background flush writes it within Interval; the test waits for
	// the write itself, however long a busy machine takes.
	dst.Wait(nil, func(s string) bool { return s == "one\n" })
	if _, err := w.Write([]byte("two\n")); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got := dst.String(); got != "one\ntwo\n" {
		t.Fatalf("after Close: %q", got)
	}
}

func TestConcurrentWritesKeepLinesWhole(t *testing.T) {
	dst := &lockedbuf.Buffer{}
	w := New(dst, 256) // small: fills and writes through often
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 200 {
				_, _ = w.Write([]byte(strings.Repeat(string(rune('a'+g)), 40) + "\n"))
			}
		}()
	}
	wg.Wait()
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(dst.String(), "\n"), "\n")
	if len(lines) != 8*200 {
		t.Fatalf("%d lines, want %d", len(lines), 8*200)
	}
	for _, l := range lines {
		if len(l) != 40 || strings.Count(l, l[:1]) != 40 {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

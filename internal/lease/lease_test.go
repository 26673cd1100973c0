package lease_test

import (
	"context"
	"io"
	"log/slog"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/lease"
	"github.com/parkd/parkd/internal/sqlite"
)

// Two instances share a store: only the lease holder runs the job, and
// when it stops the other takes over within about a TTL.
func TestOneHolderRunsTheJobAndAnotherTakesOver(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	var running [2]atomic.Int32
	var both atomic.Bool
	job := func(i int) func(ctx context.Context) {
		return func(ctx context.Context) {
			running[i].Add(1)
			if running[1-i].Load() > 0 {
				both.Store(true)
			}
			<-ctx.Done()
			running[i].Add(-1)
		}
	}
	ttl := 300 * time.Millisecond
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneA := make(chan struct{})
	go func() {
		defer close(doneA)
		(&lease.Runner{Store: store, Name: "job", Holder: "A", TTL: ttl, Now: time.Now, Log: log}).Run(ctxA, job(0))
	}()
	waitFor(t, func() bool { return running[0].Load() == 1 })
	go (&lease.Runner{Store: store, Name: "job", Holder: "B", TTL: ttl, Now: time.Now, Log: log}).Run(ctxB, job(1))
	time.Sleep(2 * ttl) // B keeps trying while A renews
	if running[1].Load() != 0 {
		t.Fatal("B runs the job while A holds the lease")
	}
	stopA()
	<-doneA
	waitFor(t, func() bool { return running[1].Load() == 1 })
	if both.Load() {
		t.Error("the job ran on both instances at once")
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

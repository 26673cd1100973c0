package lease_test

import (
	"context"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/lease"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/fixture"
)

// watchedStore counts the refused attempts to take a lease, per holder,
// so that a test can wait for an attempt instead of sleeping.
type watchedStore struct {
	platform.Store
	refused chan string // the holder of each refused attempt
}

func (s watchedStore) Update(ctx context.Context, fn func(tx platform.Tx) error) error {
	return s.Store.Update(ctx, func(tx platform.Tx) error { return fn(watchedTx{tx, s.refused}) })
}

type watchedTx struct {
	platform.Tx
	refused chan string
}

func (t watchedTx) AcquireLease(name, holder string, now, until time.Time) (bool, error) {
	held, err := t.Tx.AcquireLease(name, holder, now, until)
	if err == nil && !held {
		select {
		case t.refused <- holder:
		default:
		}
	}
	return held, err
}

// runner is an instance's runner of the job "job" on the shared store.
func runner(st platform.Store, holder string, ttl time.Duration, clock *fixture.Clock) *lease.Runner {
	return &lease.Runner{Store: st, Name: "job", Holder: holder, TTL: ttl, Now: clock.Now,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// job reports its start on started and counts the instances running it.
func job(running *atomic.Int32, both *atomic.Bool, started chan<- struct{}) func(ctx context.Context) {
	return func(ctx context.Context) {
		if running.Add(1) > 1 {
			both.Store(true)
		}
		started <- struct{}{}
		<-ctx.Done()
		running.Add(-1)
	}
}

// refusedTwice waits until holder has been refused the lease twice.
func refusedTwice(refused <-chan string, holder string) {
	for n := 0; n < 2; {
		if <-refused == holder {
			n++
		}
	}
}

// Two instances share a store: only the lease holder runs the job, and
// when it stops (releasing the lease) the other takes over. The lease's
// times are read on a manual clock that stands still, so however slowly
// the machine goes the holder's lease cannot lapse.
func TestOneHolderRunsTheJobAndAnotherTakesOver(t *testing.T) {
	st := watchedStore{fixture.Store(t), make(chan string, 16)}
	clock := fixture.NewClock(fixture.Epoch)
	var running atomic.Int32
	var both atomic.Bool
	startedA, startedB := make(chan struct{}, 1), make(chan struct{}, 1)
	ctxA, stopA := context.WithCancel(context.Background())
	ctxB, stopB := context.WithCancel(context.Background())
	defer stopB()
	doneA := make(chan struct{})
	go func() {
		defer close(doneA)
		runner(st, "A", 30*time.Millisecond, clock).Run(ctxA, job(&running, &both, startedA))
	}()
	<-startedA
	go runner(st, "B", 30*time.Millisecond, clock).Run(ctxB, job(&running, &both, startedB))
	refusedTwice(st.refused, "B") // B keeps trying while A renews
	select {
	case <-startedB:
		t.Fatal("B runs the job while A holds the lease")
	default:
	}
	stopA()
	<-doneA
	<-startedB
	if both.Load() {
		t.Error("the job ran on both instances at once")
	}
}

// A holder that stops renewing (its process died) loses the lease once
// its TTL has passed on the platform's clock, and not before.
func TestALeaseNotRenewedLapsesAfterItsTTL(t *testing.T) {
	st := watchedStore{fixture.Store(t), make(chan string, 16)}
	clock := fixture.NewClock(fixture.Epoch)
	const ttl = time.Minute
	fixture.Update(t, st, func(tx platform.Tx) error {
		_, err := tx.AcquireLease("job", "dead", clock.Now(), clock.Now().Add(ttl))
		return err
	})
	var running atomic.Int32
	var both atomic.Bool
	started := make(chan struct{}, 1)
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	clock.Advance(ttl - time.Millisecond)
	go runner(st, "B", 30*time.Millisecond, clock).Run(ctx, job(&running, &both, started))
	refusedTwice(st.refused, "B")
	select {
	case <-started:
		t.Fatal("B took the lease before it lapsed")
	default:
	}
	clock.Advance(time.Millisecond)
	<-started
}

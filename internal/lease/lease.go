// Package lease runs jobs that must run on one instance at a time when
// several parkd processes share a database: the liveness sweep, the
// reservation engine and retention. Whoever holds a job's lease in the
// store runs it; when that instance dies its lease lapses and another
// takes over (no home-made consensus: the database decides).
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Holder returns a name for this process: host, pid and a random suffix.
func Holder() string {
	host, _ := os.Hostname()
	var b [4]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b[:]))
}

// Runner keeps a lease and runs a job while it holds it.
type Runner struct {
	Store  platform.Store
	Name   string // the lease, e.g. "reservations"
	Holder string
	// TTL is how long a lease lasts without renewal (default 15 s); it is
	// renewed every TTL/3, so a dead holder is replaced within about TTL.
	TTL time.Duration
	Now platform.Clock
	Log *slog.Logger
}

// Run holds the lease whenever it can and runs job while it does, with a
// context cancelled when the lease is lost or ctx ends. It returns when
// ctx ends, after job has returned and the lease is released.
func (r *Runner) Run(ctx context.Context, job func(ctx context.Context)) {
	ttl := r.TTL
	if ttl <= 0 {
		ttl = 15 * time.Second
	}
	var running *run
	defer func() {
		running.stop()
		_ = r.Store.Update(context.Background(), func(tx platform.Tx) error { return tx.ReleaseLease(r.Name, r.Holder) })
	}()
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		held := r.acquire(ctx, ttl)
		switch {
		case held && running == nil:
			r.Log.Info("lease taken", "lease", r.Name, "holder", r.Holder)
			running = start(ctx, job)
		case !held && running != nil:
			r.Log.Warn("lease lost", "lease", r.Name, "holder", r.Holder)
			running.stop()
			running = nil
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// run is a job started under a lease.
type run struct {
	cancel context.CancelFunc
	done   chan struct{}
}

func start(ctx context.Context, job func(ctx context.Context)) *run {
	jctx, cancel := context.WithCancel(ctx)
	r := &run{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		job(jctx)
	}()
	return r
}

// stop cancels the job and waits for it; a nil run is stopped already.
func (r *run) stop() {
	if r == nil {
		return
	}
	r.cancel()
	<-r.done
}

// acquire takes or renews the lease; an error counts as not holding it.
func (r *Runner) acquire(ctx context.Context, ttl time.Duration) bool {
	now := r.Now()
	var held bool
	err := r.Store.Update(ctx, func(tx platform.Tx) error {
		var err error
		held, err = tx.AcquireLease(r.Name, r.Holder, now, now.Add(ttl))
		return err
	})
	if err != nil {
		if ctx.Err() == nil {
			r.Log.Error("lease", "lease", r.Name, "err", err)
		}
		return false
	}
	return held
}

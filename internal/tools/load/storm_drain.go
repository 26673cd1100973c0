package load

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/client"
)

// stormLot is one lot during the drain.
type stormLot struct {
	c        *client.Client
	o        *client.Outbox
	loggedIn time.Duration // since the reconnection; 0 before
	drained  time.Duration
}

// drainer gathers what the lots measure.
type drainer struct {
	cfg   StormConfig
	start time.Time

	mu       sync.Mutex
	beats    []time.Duration
	beatAt   []time.Time
	firstErr string

	loggedIn, drained, beatErr, beat429 atomic.Int64
}

// drainStorm connects every lot at once: each opens its outbox (the
// journal replays) and heartbeats every Interval, its first heartbeat
// logging it in; it ends when every outbox is empty or Timeout passes.
func drainStorm(ctx context.Context, cfg StormConfig, rep *StormReport) error {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	d := &drainer{cfg: cfg}
	lots := make([]*stormLot, cfg.Lots)
	for i := range lots {
		c, err := client.New(client.Config{BaseURL: cfg.URL, UserID: cfg.account(i), Password: cfg.Password,
			HTTPClient: cfg.HTTPClient, HeartbeatInterval: cfg.Interval})
		if err != nil {
			return err
		}
		lots[i] = &stormLot{c: c}
	}
	fmt.Fprintf(cfg.Progress, "storm: %d lots reconnecting\n", cfg.Lots)
	d.start = time.Now()
	beatCtx, stopBeats := context.WithCancel(ctx)
	var beats, drains sync.WaitGroup
	for i, l := range lots {
		o, err := client.OpenOutbox(client.OutboxConfig{Dir: lotDir(cfg.Dir, i), Client: l.c, Workers: 1, NoSync: !cfg.Sync})
		if err != nil {
			stopBeats()
			return fmt.Errorf("lot %d: %w", i, err)
		}
		l.o = o
		beats.Add(1)
		go func() { defer beats.Done(); d.heartbeats(beatCtx, l) }()
		drains.Add(1)
		go func() {
			defer drains.Done()
			if o.Flush(ctx) == nil {
				l.drained = time.Since(d.start)
				d.drained.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { d.progress(done); close(done) }()
	drains.Wait()
	drainEnd := time.Now()
	rep.TimedOut = ctx.Err() != nil
	// Keep heartbeating until the last lot is in, within the timeout.
	for d.loggedIn.Load() < int64(cfg.Lots) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	stopBeats()
	beats.Wait()
	done <- struct{}{}
	<-done
	for _, l := range lots {
		l.o.Close()
		s := l.o.Stats()
		rep.Requests += s.Requests
		rep.Sent += s.Sent
		rep.Rejected += s.Rejected
		rep.Retries += s.Retries
		rep.Throttled += s.Throttled
		if l.loggedIn > 0 {
			rep.LoggedIn++
			rep.LoginSec = max(rep.LoginSec, round(l.loggedIn.Seconds(), 2))
		}
		if l.drained > 0 {
			rep.Drained++
			rep.DrainSec = max(rep.DrainSec, round(l.drained.Seconds(), 2))
		}
	}
	var during []time.Duration
	for i, at := range d.beatAt {
		if at.Before(drainEnd) {
			during = append(during, d.beats[i])
		}
	}
	rep.Heartbeats = Summarize(during)
	rep.HeartbeatErrors = d.beatErr.Load()
	rep.HeartbeatsRefused = d.beat429.Load()
	rep.FirstError = d.firstErr
	return nil
}

// heartbeats is a lot's heartbeat loop: the first answered one marks the
// lot logged in, the later ones are the live heartbeats measured. A
// failed one is tried again after the platform's Retry-After, or 1 s,
// until the lot is in; then every Interval.
func (d *drainer) heartbeats(ctx context.Context, l *stormLot) {
	for {
		t0 := time.Now()
		err := l.c.Heartbeat(ctx)
		took := time.Since(t0)
		if ctx.Err() != nil {
			return
		}
		wait := d.cfg.Interval
		switch {
		case err != nil:
			d.beatErr.Add(1)
			if ra := client.RetryAfterOf(err); ra > 0 {
				d.beat429.Add(1)
				wait = ra
			} else if l.loggedIn == 0 {
				wait = time.Second
			}
			d.noteError(err)
		case l.loggedIn == 0:
			l.loggedIn = time.Since(d.start)
			d.loggedIn.Add(1)
		default:
			d.mu.Lock()
			d.beats = append(d.beats, took)
			d.beatAt = append(d.beatAt, t0)
			d.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
	}
}

func (d *drainer) noteError(err error) {
	d.mu.Lock()
	if d.firstErr == "" {
		d.firstErr = err.Error()
	}
	d.mu.Unlock()
}

// progress writes a line every 5 s until done is signalled.
func (d *drainer) progress(done chan struct{}) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			fmt.Fprintf(d.cfg.Progress, "%6.0fs  logged in %d/%d  drained %d/%d  heartbeat errors %d (429: %d)\n",
				time.Since(d.start).Seconds(), d.loggedIn.Load(), d.cfg.Lots, d.drained.Load(), d.cfg.Lots,
				d.beatErr.Load(), d.beat429.Load())
		}
	}
}

// countStored counts, in the platform's SQLite file opened read-only, the
// records of the run (their ids start with its tag) and their replaced
// versions.
func countStored(ctx context.Context, path, tag string, rep *StormReport) error {
	db, err := sql.Open("sqlite", "file:"+url.PathEscape(path)+"?mode=ro&_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer db.Close()
	like := tag + "%"
	for _, q := range []struct {
		dst *int64
		sql string
		arg string
	}{
		{&rep.StoredEntries, "SELECT COUNT(*) FROM enter_records WHERE id LIKE ?", like},
		{&rep.StoredExits, "SELECT COUNT(*) FROM exit_records WHERE id LIKE ?", like},
		{&rep.Replaced, "SELECT COUNT(*) FROM history WHERE object_key LIKE ?", "%" + like},
	} {
		if err := db.QueryRowContext(ctx, q.sql, q.arg).Scan(q.dst); err != nil {
			return err
		}
	}
	return nil
}

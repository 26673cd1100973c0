package sqlite

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlstore"
)

// request is one Update call waiting for, or being served by, the writer.
type request struct {
	ctx   context.Context
	fn    func(tx platform.Tx) error
	state atomic.Int32 // queued, then started (by the writer) or abandoned (by the caller)
	done  chan error   // buffered: the writer never waits for the caller
}

// Request states. A request leaves queued exactly once.
const (
	queued int32 = iota
	started
	abandoned
)

// start claims r for the writer; false when its caller has given up.
func (r *request) start() bool { return r.state.CompareAndSwap(queued, started) }

// abandon withdraws r before it runs; false when the writer already has it.
func (r *request) abandon() bool { return r.state.CompareAndSwap(queued, abandoned) }

// Update runs fn in a read-write transaction that may be shared with
// concurrent callers (group commit) and returns once that transaction's
// commit has returned. When fn returns an error, or panics, its writes are
// rolled back alone and Update returns that error. ctx is honoured while
// the call waits in the queue; once fn has started, Update waits for the
// commit. fn must not retain tx, nor call Update or Close.
func (s *Store) Update(ctx context.Context, fn func(tx platform.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	r := &request{ctx: ctx, fn: fn, done: make(chan error, 1)}
	if err := s.enqueue(r); err != nil {
		return err
	}
	select {
	case err := <-r.done:
		return err
	case <-ctx.Done():
		if r.abandon() {
			return ctx.Err()
		}
		return <-r.done
	}
}

// enqueue hands r to the writer unless the store is closed or r's context
// ends first.
func (s *Store) enqueue(r *request) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.queue <- r:
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	}
}

// write is the writer goroutine: it serves the queue batch by batch until
// Close closes the queue and the queue is empty.
func (s *Store) write() {
	defer close(s.stopped)
	for r := range s.queue {
		if r.start() {
			s.serve(r)
		}
	}
}

// serve runs first and whatever requests are queued right behind it, up
// to maxBatch, in one transaction, and commits it.
func (s *Store) serve(first *request) {
	b := &batch{c: s.wc, ex: s.wex, stats: &s.stats}
	if _, err := s.wc.ExecContext(context.Background(), "BEGIN IMMEDIATE"); err != nil {
		b.rollback() // in case a transaction was left open, so the next BEGIN works
		first.done <- fmt.Errorf("sqlite: begin: %w", err)
		return
	}
	if !b.run(first) {
		return
	}
	for n := 1; n < s.maxBatch; n++ {
		r := s.nextOrYield()
		if r == nil {
			break
		}
		if !b.run(r) {
			return
		}
	}
	b.commit()
}

// nextOrYield returns a started request if one is queued now. Else it
// yields the processor once, so that the handlers ready to run can reach
// Update, and returns what they queued, or nil. On a busy machine this
// grows the batch (fewer commits and syncs per request); on an idle one
// the yield returns at once.
func (s *Store) nextOrYield() *request {
	if r := s.next(); r != nil {
		return r
	}
	runtime.Gosched()
	return s.next()
}

// next returns a started request if one is queued now, or nil.
func (s *Store) next() *request {
	for {
		select {
		case r, ok := <-s.queue:
			if !ok {
				return nil
			}
			if r.start() {
				return r
			}
		default:
			return nil
		}
	}
}

// writerStats counts the writer's commits and the Update calls they
// carried, so the mean batch is updates / commits.
type writerStats struct {
	commits, updates atomic.Int64
}

// Stats are counts of the group commits since the Store was opened.
type Stats struct {
	Commits int64 // transactions the writer committed (or tried to)
	Updates int64 // Update calls whose function succeeded, carried by those commits
}

// Stats returns the writer's counts so far.
func (s *Store) Stats() Stats {
	return Stats{Commits: s.stats.commits.Load(), Updates: s.stats.updates.Load()}
}

// batch is one group-commit transaction on the writer's connection.
type batch struct {
	c       *stmtCache
	ex      sqlstore.Executor // c, as the statements' executor
	stats   *writerStats
	waiting []*request // fn succeeded: answered after the commit
}

// run runs r's fn inside a savepoint. A failing fn is answered at once;
// a successful one waits for the commit. run returns false when the
// transaction itself failed: then every request of the batch has been
// answered with an error and the transaction is rolled back.
func (b *batch) run(r *request) bool {
	fnErr, err := b.runSavepoint(r)
	if err != nil {
		b.abort(r, fnErr, err)
		return false
	}
	if fnErr != nil {
		r.done <- fnErr
		return true
	}
	b.waiting = append(b.waiting, r)
	return true
}

// abort rolls the batch back after the failure err while running cur.
func (b *batch) abort(cur *request, fnErr, err error) {
	b.rollback()
	err = fmt.Errorf("sqlite: transaction rolled back: %w", err)
	for _, r := range b.waiting {
		r.done <- err
	}
	if fnErr == nil {
		fnErr = err
	}
	cur.done <- fnErr
}

// commit commits the batch and answers the requests waiting for it.
func (b *batch) commit() {
	b.stats.commits.Add(1)
	b.stats.updates.Add(int64(len(b.waiting)))
	_, err := b.c.ExecContext(context.Background(), "COMMIT")
	if err != nil {
		b.rollback() // a failed COMMIT may leave the transaction open
		err = fmt.Errorf("sqlite: commit: %w", err)
	}
	for _, r := range b.waiting {
		r.done <- err
	}
}

// rollback ends the transaction, keeping nothing. Its error is of no use:
// it fails only when no transaction is open any more.
func (b *batch) rollback() {
	_, _ = b.c.ExecContext(context.Background(), "ROLLBACK")
}

// runSavepoint runs r.fn between SAVEPOINT and RELEASE, rolling back to
// the savepoint when fn fails. fnErr is fn's error (or panic); err is a
// failure of the transaction, after which it cannot go on.
func (b *batch) runSavepoint(r *request) (fnErr, err error) {
	c := b.c
	// Once fn runs, its caller waits for the commit: a cancelled context
	// must not interrupt a statement, which would roll back the batch.
	ctx := context.WithoutCancel(r.ctx)
	if _, err := c.ExecContext(ctx, "SAVEPOINT upd"); err != nil {
		return nil, err
	}
	fnErr = call(statements.Tx(ctx, b.ex, false), r.fn)
	if fnErr == nil {
		_, err = c.ExecContext(ctx, "RELEASE upd")
		return nil, err
	}
	if _, err = c.ExecContext(ctx, "ROLLBACK TO upd"); err == nil {
		_, err = c.ExecContext(ctx, "RELEASE upd")
	}
	return fnErr, err
}

// call runs fn on t, turning a panic into an error, and retires t.
func call(t *sqlstore.Tx, fn func(tx platform.Tx) error) (err error) {
	defer t.Finish()
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("sqlite: update function panicked: %v", p)
		}
	}()
	return fn(t)
}

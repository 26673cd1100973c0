package sqlite

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// blockWriter holds the writer goroutine inside an Update until the
// returned function is called, so that later calls queue up behind it and
// join its batch. release returns the blocking Update's result; the test's
// cleanup calls it too.
func blockWriter(t *testing.T, s *Store) (release func() error) {
	t.Helper()
	entered, gate := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- s.Update(context.Background(), func(platform.Tx) error {
			close(entered)
			<-gate
			return nil
		})
	}()
	<-entered
	release = sync.OnceValue(func() error {
		close(gate)
		return <-done
	})
	t.Cleanup(func() { release() })
	return release
}

// waitQueued waits until n requests are queued.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.queue) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests queued, want %d", len(s.queue), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// goUpdate starts an Update and returns the channel of its result.
func goUpdate(ctx context.Context, s *Store, fn func(platform.Tx) error) <-chan error {
	c := make(chan error, 1)
	go func() { c <- s.Update(ctx, fn) }()
	return c
}

func putAccount(id string) func(tx platform.Tx) error {
	return func(tx platform.Tx) error { return tx.PutAccount(platform.Account{UserID: id}) }
}

func accountExists(t *testing.T, s *Store, id string) bool {
	t.Helper()
	err := s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Account(id); return err })
	if err != nil && !platform.IsNotFound(err) {
		t.Fatal(err)
	}
	return err == nil
}

func TestBatchIsolatesFailures(t *testing.T) {
	s := openTemp(t, Options{})
	release := blockWriter(t, s)
	boom := errors.New("boom")
	ok1 := goUpdate(t.Context(), s, putAccount("ok1"))
	waitQueued(t, s, 1)
	failed := goUpdate(t.Context(), s, func(tx platform.Tx) error {
		if err := putAccount("failed")(tx); err != nil {
			return err
		}
		return boom
	})
	waitQueued(t, s, 2)
	panicked := goUpdate(t.Context(), s, func(tx platform.Tx) error {
		_ = putAccount("panicked")(tx)
		panic("fn exploded")
	})
	waitQueued(t, s, 3)
	ok2 := goUpdate(t.Context(), s, putAccount("ok2"))
	waitQueued(t, s, 4)
	if err := release(); err != nil {
		t.Errorf("blocking Update: %v", err)
	}

	if err := <-failed; !errors.Is(err, boom) {
		t.Errorf("failing Update: %v, want boom", err)
	}
	if err := <-panicked; err == nil || !strings.Contains(err.Error(), "fn exploded") {
		t.Errorf("panicking Update: %v, want the panic as an error", err)
	}
	for _, c := range []<-chan error{ok1, ok2} {
		if err := <-c; err != nil {
			t.Errorf("Update in the same batch: %v", err)
		}
	}
	for id, want := range map[string]bool{"ok1": true, "ok2": true, "failed": false, "panicked": false} {
		if got := accountExists(t, s, id); got != want {
			t.Errorf("account %s stored: %v, want %v", id, got, want)
		}
	}
}

func TestFailedCommitFailsTheWholeBatch(t *testing.T) {
	s := openTemp(t, Options{})
	// A deferred foreign key is checked only at COMMIT.
	// Update functions run on the writer's connection, in the batch's
	// transaction: s.wc runs a statement there that platform.Tx has not.
	err := s.Update(t.Context(), func(platform.Tx) error {
		_, err := s.wc.ExecContext(t.Context(), `CREATE TABLE deferred_child (
			user_id TEXT REFERENCES accounts (user_id) DEFERRABLE INITIALLY DEFERRED)`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	release := blockWriter(t, s)
	good := goUpdate(t.Context(), s, putAccount("good"))
	waitQueued(t, s, 1)
	orphan := goUpdate(t.Context(), s, func(platform.Tx) error {
		_, err := s.wc.ExecContext(t.Context(), "INSERT INTO deferred_child (user_id) VALUES ('nobody')")
		return err
	})
	waitQueued(t, s, 2)
	if err := release(); err == nil {
		t.Error("the blocking Update, first of the batch, succeeded")
	}
	for name, c := range map[string]<-chan error{"good": good, "orphan": orphan} {
		if err := <-c; err == nil || !strings.Contains(err.Error(), "commit") {
			t.Errorf("%s Update in a batch whose commit failed: %v", name, err)
		}
	}
	if accountExists(t, s, "good") {
		t.Error("account of a failed commit is stored")
	}
	if err := s.Update(t.Context(), putAccount("after")); err != nil {
		t.Errorf("Update after a failed commit: %v", err)
	}
}

func TestCancelWhileQueued(t *testing.T) {
	s := openTemp(t, Options{})
	release := blockWriter(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	ran := make(chan struct{}, 1)
	res := goUpdate(ctx, s, func(tx platform.Tx) error {
		ran <- struct{}{}
		return putAccount("cancelled")(tx)
	})
	waitQueued(t, s, 1)
	cancel()
	select {
	case err := <-res:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Update: %v, want context.Canceled", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a cancelled Update still waits in the queue")
	}
	if err := release(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), putAccount("next")); err != nil {
		t.Fatal(err)
	}
	if len(ran) != 0 || accountExists(t, s, "cancelled") {
		t.Error("the function of a cancelled Update ran")
	}
}

func TestCancelAfterStartWaitsForCommit(t *testing.T) {
	s := openTemp(t, Options{})
	ctx, cancel := context.WithCancel(t.Context())
	started, gate := make(chan struct{}), make(chan struct{})
	res := goUpdate(ctx, s, func(tx platform.Tx) error {
		close(started)
		<-gate
		return putAccount("started")(tx)
	})
	<-started
	cancel()
	close(gate)
	if err := <-res; err != nil {
		t.Errorf("Update cancelled after its function started: %v, want its commit", err)
	}
	if !accountExists(t, s, "started") {
		t.Error("the started Update was not committed")
	}
}

func TestCloseDrainsTheQueue(t *testing.T) {
	s := openTemp(t, Options{MaxBatch: 4})
	release := blockWriter(t, s)
	var results []<-chan error
	for i := range 10 {
		results = append(results, goUpdate(t.Context(), s, putAccount(fmt.Sprintf("q%d", i))))
	}
	waitQueued(t, s, 4) // the queue holds MaxBatch; the others wait to enter
	closed := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() { closed <- s.Close() })
	time.Sleep(10 * time.Millisecond)
	if err := release(); err != nil {
		t.Error(err)
	}
	wg.Wait()
	if err := <-closed; err != nil {
		t.Fatal(err)
	}
	committed := 0
	for _, c := range results {
		switch err := <-c; {
		case err == nil:
			committed++
		case !errors.Is(err, ErrClosed):
			t.Errorf("Update during Close: %v", err)
		}
	}
	if committed < 4 {
		t.Errorf("%d queued Updates committed, want at least the 4 queued before Close", committed)
	}
}

func TestRetainedTxCannotWriteIntoALaterSavepoint(t *testing.T) {
	s := openTemp(t, Options{})
	release := blockWriter(t, s)
	kept := make(chan platform.Tx, 1)
	first := goUpdate(t.Context(), s, func(tx platform.Tx) error { kept <- tx; return nil })
	waitQueued(t, s, 1)
	var lateErr error
	second := goUpdate(t.Context(), s, func(tx platform.Tx) error {
		lateErr = (<-kept).PutAccount(platform.Account{UserID: "late"})
		return tx.PutAccount(platform.Account{UserID: "second"})
	})
	waitQueued(t, s, 2)
	if err := release(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []<-chan error{first, second} {
		if err := <-c; err != nil {
			t.Fatal(err)
		}
	}
	if lateErr == nil || accountExists(t, s, "late") {
		t.Errorf("write through a retired Tx in the same batch: %v", lateErr)
	}
	if !accountExists(t, s, "second") {
		t.Error("the second Update's own write is missing")
	}
}

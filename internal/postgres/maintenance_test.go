package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// TestAcquireLeaseConcurrent races many holders for one lease, each in
// its own transaction, through two stores on one schema (two processes):
// for a free lease, then for one whose term has ended, exactly one wins.
func TestAcquireLeaseConcurrent(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a := openSchema(t, dsn, schema)
	defer a.Close()
	b := openSchema(t, dsn, schema)
	defer b.Close()

	t0 := time.UnixMilli(1700000000000)
	race := func(lease string, now time.Time) []string {
		t.Helper()
		const racers = 16
		won := make([]bool, racers)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range racers {
			s := a
			if i%2 == 1 {
				s = b
			}
			wg.Go(func() {
				<-start
				err := s.Update(t.Context(), func(tx platform.Tx) (err error) {
					won[i], err = tx.AcquireLease(lease, fmt.Sprintf("h%02d", i), now, now.Add(time.Minute))
					return err
				})
				if err != nil {
					t.Errorf("racer %d: %v", i, err)
				}
			})
		}
		close(start)
		wg.Wait()
		var winners []string
		for i, w := range won {
			if w {
				winners = append(winners, fmt.Sprintf("h%02d", i))
			}
		}
		return winners
	}

	for round := range 5 {
		lease := fmt.Sprintf("free-%d", round)
		if w := race(lease, t0); len(w) != 1 {
			t.Fatalf("free lease %s: winners %v, want exactly one", lease, w)
		}
	}
	// The same leases, once their terms have ended: their rows are
	// updated rather than inserted, and still exactly one racer wins.
	for round := range 5 {
		lease := fmt.Sprintf("free-%d", round)
		if w := race(lease, t0.Add(time.Minute)); len(w) != 1 {
			t.Fatalf("expired lease %s: winners %v, want exactly one", lease, w)
		}
	}
}

// advisoryWaiters counts the transactions waiting for the advisory lock
// that Lock(key) takes.
func advisoryWaiters(t *testing.T, s *Store, key string) int {
	t.Helper()
	var n int
	// A bigint advisory lock shows its high 32 bits as classid and its
	// low 32 bits as objid, with objsubid 1.
	err := s.pool.QueryRow(t.Context(), `SELECT COUNT(*) FROM pg_locks
		WHERE locktype = 'advisory' AND objsubid = 1 AND NOT granted
		AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
		AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`, key).Scan(&n)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// TestLockSerialisesSameKey runs two transactions that lock one key. The
// first locks it and writes; the second reads (and sees nothing, the
// write being uncommitted), then locks and waits; only once it is seen
// waiting does the first commit. The second's read after its Lock returns
// then sees the first's committed write.
func TestLockSerialisesSameKey(t *testing.T) {
	s := openTemp(t)
	key := "park:" + platform.NewID()

	firstLocked := make(chan struct{})
	commitFirst := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Update(t.Context(), func(tx platform.Tx) error {
			if err := tx.Lock(key); err != nil {
				return err
			}
			if err := tx.PutAccount(platform.Account{UserID: "first"}); err != nil {
				return err
			}
			close(firstLocked)
			<-commitFirst
			return nil
		})
	}()

	var before, after error
	secondDone := make(chan error, 1)
	go func() {
		<-firstLocked
		secondDone <- s.Update(t.Context(), func(tx platform.Tx) error {
			_, before = tx.Account("first")
			if err := tx.Lock(key); err != nil {
				return err
			}
			_, after = tx.Account("first")
			return nil
		})
	}()

	// Wait until the second transaction waits for the lock; nothing else
	// lets the first commit.
	<-firstLocked
	for advisoryWaiters(t, s, key) == 0 {
		select {
		case err := <-secondDone:
			close(commitFirst)
			t.Fatalf("the second transaction ended while the first held the lock: %v", err)
		case <-t.Context().Done():
			t.Fatal(t.Context().Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
	close(commitFirst)
	if err := <-firstDone; err != nil {
		t.Fatalf("first: %v", err)
	}
	if err := <-secondDone; err != nil {
		t.Fatalf("second: %v", err)
	}
	if !platform.IsNotFound(before) {
		t.Errorf("before its Lock, the second read the first's uncommitted write: %v", before)
	}
	if after != nil {
		t.Errorf("after its Lock, the second does not see the first's committed write: %v", after)
	}
}

// TestLockOtherKeysDoNotBlock holds a lock in one transaction while
// another locks other keys and commits: it must not wait.
func TestLockOtherKeysDoNotBlock(t *testing.T) {
	s := openTemp(t)
	held := make(chan struct{})
	release := make(chan struct{})
	firstDone := make(chan error, 1)
	go func() {
		firstDone <- s.Update(t.Context(), func(tx platform.Tx) error {
			if err := tx.Lock("park:p1"); err != nil {
				return err
			}
			close(held)
			<-release
			return nil
		})
	}()
	<-held
	// If the lock were shared, the deadline would end the wait (and the
	// test) instead of hanging.
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := s.Update(ctx, func(tx platform.Tx) error {
		for _, key := range []string{"park:p2", "plate:p1", "p1", ""} {
			if err := tx.Lock(key); err != nil {
				return err
			}
		}
		return tx.PutAccount(platform.Account{UserID: "second"})
	})
	close(release)
	if err != nil {
		t.Errorf("Update locking other keys: %v", err)
	}
	if err := <-firstDone; err != nil {
		t.Errorf("first: %v", err)
	}
	// The lock ends with its transaction: the key is free again.
	if err := s.Update(ctx, func(tx platform.Tx) error { return tx.Lock("park:p1") }); err != nil {
		t.Errorf("Lock after the holder committed: %v", err)
	}
}

// TestLockEndsWithRollback checks that a failed transaction releases its
// lock as a committed one does.
func TestLockEndsWithRollback(t *testing.T) {
	s := openTemp(t)
	errBoom := errors.New("boom")
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		if err := tx.Lock("park:p1"); err != nil {
			return err
		}
		return errBoom
	})
	if !errors.Is(err, errBoom) {
		t.Fatalf("Update = %v, want %v", err, errBoom)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	if err := s.Update(ctx, func(tx platform.Tx) error { return tx.Lock("park:p1") }); err != nil {
		t.Errorf("Lock after the holder rolled back: %v", err)
	}
}

// TestMaintenanceQueriesUseIndexes checks that the purges and the
// picture queries of retention are served by the indexes of migration
// 0003 rather than by a scan (the planner is told to avoid sequential
// scans, since the tables are empty).
func TestMaintenanceQueriesUseIndexes(t *testing.T) {
	s := openTemp(t)
	queries := map[string]struct {
		query string
		args  []any
		index string
	}{
		"PurgeVacancySeries": {`DELETE FROM vacancy_series WHERE seq IN (
			SELECT seq FROM vacancy_series WHERE at < $1 ORDER BY at, seq LIMIT $2)`,
			[]any{0, 10}, "vacancy_series_at"},
		"PurgeHistory": {`DELETE FROM history WHERE seq IN (
			SELECT seq FROM history WHERE changed_at < $1 ORDER BY changed_at, seq LIMIT $2)`,
			[]any{0, 10}, "history_changed_at"},
		"PurgeWarnings": {`DELETE FROM warnings WHERE seq IN (
			SELECT seq FROM warnings WHERE at < $1 ORDER BY at, seq LIMIT $2)`,
			[]any{0, 10}, "warnings_at"},
		"PurgeVerifications": {`DELETE FROM verifications WHERE (isv_park_id, hour) IN (
			SELECT isv_park_id, hour FROM verifications WHERE at < $1
			ORDER BY at, isv_park_id, hour LIMIT $2)`,
			[]any{0, 10}, "verifications_at"},
		"OldPictures": {`SELECT id FROM pictures WHERE received_at < $1
			ORDER BY received_at, user_id, park_code, id LIMIT $2`,
			[]any{0, 10}, "pictures_received_at"},
		"PictureHashInUse": {"SELECT 1 FROM pictures WHERE hash = $1 LIMIT 1",
			[]any{"h"}, "pictures_hash"},
	}
	for name, q := range queries {
		tx, err := s.pool.Begin(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), "SET LOCAL enable_seqscan = off"); err != nil {
			t.Fatal(err)
		}
		rows, err := tx.Query(t.Context(), "EXPLAIN "+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		plan, err := pgx.CollectRows(rows, pgx.RowTo[string])
		tx.Rollback(t.Context())
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, q.index) {
			t.Errorf("%s: plan does not use %s:\n%s", name, q.index, text)
		}
		if strings.Contains(text, "Seq Scan") {
			t.Errorf("%s: plan scans a table:\n%s", name, text)
		}
	}
}

package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/storetest"
)

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) platform.Store { return openTemp(t, Options{}) })
}

// openTemp opens a store in a new temporary directory and closes it when
// the test ends.
func openTemp(t testing.TB, opts Options) *Store {
	t.Helper()
	return openAt(t, filepath.Join(t.TempDir(), "parkd.db"), opts)
}

func openAt(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestUpdateIsDurableAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parkd.db")
	s := openAt(t, path, Options{})
	want := platform.Account{UserID: "u1", PasswordHash: []byte("hash"), CreatedAt: time.UnixMilli(1700000000123)}
	if err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.PutAccount(want) }); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, Options{Synchronous: "normal"})
	var got platform.Account
	err := s.View(t.Context(), func(tx platform.Tx) (err error) {
		got, err = tx.Account("u1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.PasswordHash) != "hash" || !got.CreatedAt.Equal(want.CreatedAt) {
		t.Errorf("after reopen got %+v, want %+v", got, want)
	}
}

func TestMigrationsApplyOnce(t *testing.T) {
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	last := ms[len(ms)-1].version
	path := filepath.Join(t.TempDir(), "parkd.db")
	for range 2 {
		s := openAt(t, path, Options{})
		v, err := s.Version(t.Context())
		if err != nil || v != last {
			t.Fatalf("Version() = %d, %v; want %d", v, err, last)
		}
		var rows int
		if err := s.r.QueryRow("SELECT COUNT(*) FROM schema_version").Scan(&rows); err != nil || rows != len(ms) {
			t.Fatalf("schema_version holds %d rows (%v), want %d", rows, err, len(ms))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestWaitSeqGrowsAcrossReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "parkd.db")
	next := func(s *Store) int64 {
		t.Helper()
		var n int64
		if err := s.Update(t.Context(), func(tx platform.Tx) (err error) { n, err = tx.NextWaitSeq(); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	s := openAt(t, path, Options{})
	next(s)
	before := next(s)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openAt(t, path, Options{})
	if after := next(s); after <= before {
		t.Errorf("NextWaitSeq after reopen = %d, want more than %d", after, before)
	}
}

// TestReservationQueriesUseIndexes checks that the reservation queries
// that run often, or on large tables, are served by an index and not by
// a scan of the table.
func TestReservationQueriesUseIndexes(t *testing.T) {
	s := openTemp(t, Options{})
	queries := map[string]struct {
		query string
		args  []any
		index string
	}{
		"ReservationsByPlate": {"SELECT book_code FROM reservations WHERE plate_no = ? ORDER BY created_at DESC, book_code",
			[]any{"x"}, "reservations_plate"},
		"Waitlist": {"SELECT book_code FROM reservations WHERE isv_park_id = ? AND state = ? ORDER BY wait_seq, book_code",
			[]any{"p", "waitlisted"}, "reservations_waitlist"},
		"ParkReservations": {"SELECT book_code FROM reservations WHERE isv_park_id = ? AND book_time >= ? AND book_time < ? ORDER BY book_time, book_code",
			[]any{"p", 0, 1}, "reservations_park_book_time"},
		"NoShows": {"SELECT COUNT(*) FROM reservations WHERE plate_no = ? AND no_show = 1 AND updated_at >= ?",
			[]any{"x", 0}, "reservations_no_shows"},
		"RecordByBookCode enter": {"SELECT id FROM enter_records WHERE isv_park_id = ? AND book_code = ? AND book_code <> '' ORDER BY at DESC, received_at DESC, id DESC LIMIT 1",
			[]any{"p", "b"}, "enter_records_book_code"},
		"RecordByBookCode exit": {"SELECT id FROM exit_records WHERE isv_park_id = ? AND book_code = ? AND book_code <> '' ORDER BY at DESC, received_at DESC, id DESC LIMIT 1",
			[]any{"p", "b"}, "exit_records_book_code"},
		"DueDispatches": {"SELECT id FROM dispatches WHERE next_at <= ? ORDER BY next_at, created_at, id",
			[]any{0}, "dispatches_next_at"},
		"DispatchesFor": {"SELECT id FROM dispatches WHERE book_code = ? ORDER BY created_at, id",
			[]any{"b"}, "dispatches_book_code"},
		"ReservationEvents": {"SELECT seq FROM reservation_events WHERE book_code = ? ORDER BY at, seq",
			[]any{"b"}, "reservation_events_book_code"},
		"ReservationsToExpire over": {"SELECT book_code FROM reservations WHERE state IN (?, ?) AND over_time <= ?",
			[]any{"pending", "waitlisted", 0}, "reservations_state_over_time"},
		"ReservationsToExpire hold": {"SELECT book_code FROM reservations WHERE state = ? AND hold_until <= ?",
			[]any{"confirmed", 0}, "reservations_state_hold_until"},
		// Not reservations, but read as often: at most every 5 s by every
		// instance, over all accounts.
		"UnavailableAccounts": {"SELECT user_id, disabled, online FROM accounts WHERE disabled OR NOT online ORDER BY user_id",
			nil, "accounts_unavailable"},
		"AccountSettings": {"SELECT user_id, data_key, require_encryption, role FROM accounts WHERE data_key IS NOT NULL OR require_encryption OR role NOT IN ('', 'plms') ORDER BY user_id",
			nil, "accounts_settings"},
	}
	for name, q := range queries {
		rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+q.query, q.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			plan += detail + "; "
		}
		rows.Close()
		if !strings.Contains(plan, q.index) {
			t.Errorf("%s: plan %q does not use %s", name, plan, q.index)
		}
	}
}

func TestOpenRejectsBadOptions(t *testing.T) {
	dir := t.TempDir()
	if _, err := Open(filepath.Join(dir, "a.db"), Options{Synchronous: "OFF"}); err == nil {
		t.Error("Open accepted synchronous OFF")
	}
	if _, err := Open(filepath.Join(dir, "a.db?mode=ro"), Options{}); err == nil {
		t.Error("Open accepted a path with a query")
	}
}

func TestReferencesAreEnforced(t *testing.T) {
	s := openTemp(t, Options{})
	writes := map[string]func(tx platform.Tx) error{
		"token of an unknown account": func(tx platform.Tx) error {
			return tx.PutToken(platform.Token{Value: "k", UserID: "nobody"})
		},
		"record of an unknown park": func(tx platform.Tx) error {
			return tx.PutRecord(platform.KindEnter, platform.Record{IsvParkID: "nopark", ID: "r1"})
		},
		"reservation of an unknown park": func(tx platform.Tx) error {
			return tx.PutReservation(platform.Reservation{BookCode: "b1", IsvParkID: "nopark", State: platform.ReservationPending})
		},
	}
	for name, fn := range writes {
		if err := s.Update(t.Context(), fn); platform.KindOf(err) != platform.KindInvalid {
			t.Errorf("%s: got %v, want KindInvalid", name, err)
		}
	}
}

func TestUpdateAfterClose(t *testing.T) {
	s := openTemp(t, Options{})
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Update(t.Context(), func(platform.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("Update after Close: %v, want ErrClosed", err)
	}
	if err := s.View(t.Context(), func(platform.Tx) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Errorf("View after Close: %v, want ErrClosed", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// benchStore opens a store holding one account and one park.
func benchStore(b *testing.B) *Store {
	s := openTemp(b, Options{})
	err := s.Update(b.Context(), func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "u1"}); err != nil {
			return err
		}
		return tx.PutPark(platform.Park{IsvParkID: "p1", UserID: "u1", ParkCode: "P001"})
	})
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// insertEntry returns an Update function storing entry n.
func insertEntry(n int64) func(tx platform.Tx) error {
	return func(tx platform.Tx) error {
		id := fmt.Sprintf("%016d", n)
		return tx.PutRecord(platform.KindEnter, platform.Record{
			IsvParkID: "p1", ID: id, PlateNo: "粤B12345",
			Time:       time.UnixMilli(1700000000000 + n),
			Payload:    json.RawMessage(`{"id":"` + id + `","plateNo":"粤B12345"}`),
			ReceivedAt: time.UnixMilli(1700000000000 + n),
		})
	}
}

func BenchmarkUpdateSerial(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var n int64
	for b.Loop() {
		n++
		if err := s.Update(ctx, insertEntry(n)); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

func BenchmarkUpdateParallel(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	var n atomic.Int64
	b.SetParallelism(32) // 32 callers per CPU
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := s.Update(ctx, insertEntry(n.Add(1))); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "updates/s")
}

// TestPageCacheSizes checks that every connection gets its bounded page
// cache: the writer's and, on each of the readers, the smaller one.
func TestPageCacheSizes(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "parkd.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var kib int
	if err := s.wc.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&kib); err != nil || kib != -writerCacheKiB {
		t.Fatalf("writer cache_size = %d, %v; want %d", kib, err, -writerCacheKiB)
	}
	// Hold every reader at once so that each one is asked.
	conns := make([]*sql.Conn, DefaultReaders)
	for i := range conns {
		c, err := s.r.Conn(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	for i, c := range conns {
		if err := c.QueryRowContext(t.Context(), "PRAGMA cache_size").Scan(&kib); err != nil || kib != -readerCacheKiB {
			t.Fatalf("reader %d cache_size = %d, %v; want %d", i, kib, err, -readerCacheKiB)
		}
	}
}

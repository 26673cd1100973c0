package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/storetest"
)

// The tests run against the PostgreSQL server named by this variable
// (CI sets it); without it they are skipped.
const dsnVar = "PARKD_TEST_POSTGRES"

// testDSN returns the test database's DSN, or skips the test.
func testDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(dsnVar)
	if dsn == "" {
		t.Skipf("PostgreSQL tests skipped: set %s to a DSN, e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
			dsnVar, dsnVar)
	}
	return dsn
}

// newSchema returns the name of a schema no other test or run uses, and
// drops it (with everything in it) when the test ends.
func newSchema(t testing.TB, dsn string) string {
	t.Helper()
	var b [6]byte
	rand.Read(b[:])
	schema := "parkd_test_" + hex.EncodeToString(b[:])
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	return schema
}

// openSchema opens a store on schema; the caller closes it.
func openSchema(t testing.TB, dsn, schema string) *Store {
	t.Helper()
	s, err := Open(t.Context(), dsn, Options{Schema: schema, MaxConns: 4})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// openTemp opens a store on a new schema and closes it when the test ends.
func openTemp(t testing.TB) *Store {
	t.Helper()
	dsn := testDSN(t)
	s := openSchema(t, dsn, newSchema(t, dsn))
	t.Cleanup(func() { s.Close() })
	return s
}

func TestStore(t *testing.T) {
	dsn := testDSN(t)
	storetest.Run(t, func(t *testing.T) platform.Store {
		// Run closes the store before the schema is dropped: cleanups
		// run last registered first.
		return openSchema(t, dsn, newSchema(t, dsn))
	})
}

// TestMigrationsRunOnce starts several stores on one new schema at once,
// as several parkd processes might: each must open, and the migrations
// must be applied once.
func TestMigrationsRunOnce(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	last := ms[len(ms)-1].version

	const racers = 4
	stores := make([]*Store, racers)
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			stores[i], errs[i] = Open(t.Context(), dsn, Options{Schema: schema, MaxConns: 2})
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Open %d: %v", i, err)
			continue
		}
		defer stores[i].Close()
	}
	if t.Failed() {
		return
	}
	check := func(s *Store) {
		t.Helper()
		if v, err := s.Version(t.Context()); err != nil || v != last {
			t.Fatalf("Version() = %d, %v; want %d", v, err, last)
		}
		var rows int
		if err := s.pool.QueryRow(t.Context(), "SELECT COUNT(*) FROM schema_version").Scan(&rows); err != nil || rows != len(ms) {
			t.Fatalf("schema_version holds %d rows (%v), want %d", rows, err, len(ms))
		}
	}
	check(stores[0])

	// Opening an up-to-date schema again changes nothing.
	s := openSchema(t, dsn, schema)
	defer s.Close()
	check(s)
	if err := s.Migrate(t.Context()); err != nil {
		t.Fatal(err)
	}
	check(s)
}

func TestUpdateIsDurableAcrossReopen(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	s := openSchema(t, dsn, schema)
	want := platform.Account{UserID: "u1", PasswordHash: []byte("hash"), CreatedAt: time.UnixMilli(1700000000123),
		StateSince: time.UnixMilli(1700000000456)}
	park := platform.Park{IsvParkID: "p1", UserID: "u1", ParkCode: "P001", Info: []byte(`{"parkName":"停车场"}`)}
	var seq int64
	err := s.Update(t.Context(), func(tx platform.Tx) (err error) {
		if err := tx.PutAccount(want); err != nil {
			return err
		}
		if err := tx.PutPark(park); err != nil {
			return err
		}
		seq, err = tx.NextWaitSeq()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = openSchema(t, dsn, schema)
	defer s.Close()
	var got platform.Account
	var gotPark platform.Park
	var next int64
	err = s.View(t.Context(), func(tx platform.Tx) (err error) {
		if got, err = tx.Account("u1"); err != nil {
			return err
		}
		gotPark, err = tx.ParkByID("p1")
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.PasswordHash) != "hash" || !got.CreatedAt.Equal(want.CreatedAt) || !got.StateSince.Equal(want.StateSince) {
		t.Errorf("after reopen got %+v, want %+v", got, want)
	}
	if string(gotPark.Info) != string(park.Info) {
		t.Errorf("park info after reopen = %s, want %s", gotPark.Info, park.Info)
	}
	err = s.Update(t.Context(), func(tx platform.Tx) (err error) { next, err = tx.NextWaitSeq(); return err })
	if err != nil || next <= seq {
		t.Errorf("NextWaitSeq after reopen = %d, %v; want more than %d", next, err, seq)
	}
}

// TestNextWaitSeqConcurrent takes numbers from many transactions at once,
// through two stores on one schema (two processes): every number is new,
// and the numbers of one transaction grow.
func TestNextWaitSeqConcurrent(t *testing.T) {
	dsn := testDSN(t)
	schema := newSchema(t, dsn)
	a := openSchema(t, dsn, schema)
	defer a.Close()
	b := openSchema(t, dsn, schema)
	defer b.Close()

	const workers, perWorker, perTx = 16, 10, 3
	got := make([][]int64, workers)
	var wg sync.WaitGroup
	for w := range workers {
		s := a
		if w%2 == 1 {
			s = b
		}
		wg.Go(func() {
			for range perWorker {
				var seqs []int64
				err := s.Update(t.Context(), func(tx platform.Tx) error {
					seqs = seqs[:0]
					for range perTx {
						n, err := tx.NextWaitSeq()
						if err != nil {
							return err
						}
						seqs = append(seqs, n)
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
				for i := 1; i < len(seqs); i++ {
					if seqs[i] <= seqs[i-1] {
						t.Errorf("one transaction's numbers do not grow: %v", seqs)
						break
					}
				}
				got[w] = append(got[w], seqs...)
			}
		})
	}
	wg.Wait()
	var all []int64
	for w, seqs := range got {
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Errorf("worker %d: numbers of later transactions are not larger: %v", w, seqs)
				break
			}
		}
		all = append(all, seqs...)
	}
	slices.Sort(all)
	if n := len(slices.Compact(slices.Clone(all))); n != len(all) || len(all) != workers*perWorker*perTx {
		t.Errorf("%d numbers, %d distinct; want %d distinct", len(all), n, workers*perWorker*perTx)
	}
}

// TestWaitSeqRaise stores WaitSeqs a little and far beyond the sequence:
// NextWaitSeq then gives larger numbers, and a smaller one stored later
// does not take it back.
func TestWaitSeqRaise(t *testing.T) {
	s := openTemp(t)
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "u1"}); err != nil {
			return err
		}
		return tx.PutPark(platform.Park{IsvParkID: "p1", UserID: "u1", ParkCode: "P001"})
	})
	if err != nil {
		t.Fatal(err)
	}
	next := func() int64 {
		t.Helper()
		var n int64
		if err := s.Update(t.Context(), func(tx platform.Tx) (err error) { n, err = tx.NextWaitSeq(); return err }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	put := func(seq int64) {
		t.Helper()
		r := platform.Reservation{BookCode: "b1", IsvParkID: "p1", State: platform.ReservationWaitlisted, WaitSeq: seq}
		if err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.PutReservation(r) }); err != nil {
			t.Fatal(err)
		}
	}
	first := next()
	for _, seq := range []int64{first + 1, first + 5, first + maxConsumed + 50, 1 << 40, 1<<40 + 3} {
		put(seq)
		if n := next(); n <= seq {
			t.Errorf("NextWaitSeq after storing WaitSeq %d gave %d", seq, n)
		}
	}
	put(1)
	if n := next(); n <= 1<<40+3 {
		t.Errorf("NextWaitSeq went back to %d", n)
	}
}

func TestUpdatePanicRollsBack(t *testing.T) {
	s := openTemp(t)
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "u1"}); err != nil {
			return err
		}
		panic("boom")
	})
	if err == nil {
		t.Fatal("Update whose function panicked returned nil")
	}
	err = s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Account("u1"); return err })
	if !platform.IsNotFound(err) {
		t.Errorf("account written before the panic: %v, want not found", err)
	}
	// The pool is still usable.
	if err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.PutAccount(platform.Account{UserID: "u2"}) }); err != nil {
		t.Fatal(err)
	}
}

// TestTxSharedAmongGoroutines uses one Tx from several goroutines, which
// the SQLite store allows: statements must run one at a time.
func TestTxSharedAmongGoroutines(t *testing.T) {
	s := openTemp(t)
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		var wg sync.WaitGroup
		errs := make([]error, 8)
		for i := range errs {
			wg.Go(func() {
				id := fmt.Sprintf("u%d", i)
				if errs[i] = tx.PutAccount(platform.Account{UserID: id}); errs[i] == nil {
					_, errs[i] = tx.Accounts()
				}
			})
		}
		wg.Wait()
		return errors.Join(errs...)
	})
	if err != nil {
		t.Fatal(err)
	}
	var n int
	err = s.View(t.Context(), func(tx platform.Tx) error {
		as, err := tx.Accounts()
		n = len(as)
		return err
	})
	if err != nil || n != 8 {
		t.Errorf("Accounts: %d, %v; want 8", n, err)
	}
}

func TestReferencesAreEnforced(t *testing.T) {
	s := openTemp(t)
	writes := map[string]func(tx platform.Tx) error{
		"token of an unknown account": func(tx platform.Tx) error {
			return tx.PutToken(platform.Token{Value: "k", UserID: "nobody"})
		},
		"park of an unknown account": func(tx platform.Tx) error {
			return tx.PutPark(platform.Park{IsvParkID: "p", UserID: "nobody", ParkCode: "P1"})
		},
		"record of an unknown park": func(tx platform.Tx) error {
			return tx.PutRecord(platform.KindEnter, platform.Record{IsvParkID: "nopark", ID: "r1"})
		},
		"vacancy of an unknown park": func(tx platform.Tx) error {
			return tx.PutVacancy(platform.Vacancy{IsvParkID: "nopark"})
		},
	}
	for name, fn := range writes {
		if err := s.Update(t.Context(), fn); platform.KindOf(err) != platform.KindInvalid {
			t.Errorf("%s: got %v, want KindInvalid", name, err)
		}
	}
}

func TestUpdateAfterClose(t *testing.T) {
	s := openTemp(t)
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

func TestOpenRejectsBadSchema(t *testing.T) {
	for _, schema := range []string{"Parkd", "parkd; DROP TABLE x", "1parkd", "parkd-test"} {
		if s, err := Open(t.Context(), "postgres://127.0.0.1:1/none", Options{Schema: schema}); err == nil {
			s.Close()
			t.Errorf("Open accepted schema %q", schema)
		}
	}
}

// TestQueriesUseIndexes checks that the queries that run often, or on
// large tables, can be served by the index meant for them (one of those
// separated by "|"); the planner is told to avoid sequential scans, since
// the tables are empty.
func TestQueriesUseIndexes(t *testing.T) {
	s := openTemp(t)
	queries := map[string]struct {
		query string
		args  []any
		index string
	}{
		"ReservationsByPlate": {"SELECT book_code FROM reservations WHERE plate_no = $1 ORDER BY created_at DESC, book_code",
			[]any{"x"}, "reservations_plate"},
		"Waitlist": {"SELECT book_code FROM reservations WHERE isv_park_id = $1 AND state = $2 ORDER BY wait_seq, book_code",
			[]any{"p", "waitlisted"}, "reservations_waitlist"},
		"ParkReservations": {"SELECT book_code FROM reservations WHERE isv_park_id = $1 AND book_time >= $2 AND book_time < $3 ORDER BY book_time, book_code",
			[]any{"p", 0, 1}, "reservations_park_book_time"},
		"NoShows": {"SELECT COUNT(*) FROM reservations WHERE plate_no = $1 AND no_show AND updated_at >= $2",
			[]any{"x", 0}, "reservations_no_shows|reservations_plate"},
		"RecordByBookCode enter": {"SELECT id FROM enter_records WHERE isv_park_id = $1 AND book_code = $2 AND book_code <> '' ORDER BY at DESC, received_at DESC, id DESC LIMIT 1",
			[]any{"p", "b"}, "enter_records_book_code"},
		"RecordByBookCode exit": {"SELECT id FROM exit_records WHERE isv_park_id = $1 AND book_code = $2 AND book_code <> '' ORDER BY at DESC, received_at DESC, id DESC LIMIT 1",
			[]any{"p", "b"}, "exit_records_book_code"},
		"DueDispatches": {"SELECT id FROM dispatches WHERE next_at <= $1 ORDER BY next_at, created_at, id LIMIT $2",
			[]any{0, 10}, "dispatches_next_at"},
		"DispatchesFor": {"SELECT id FROM dispatches WHERE book_code = $1 ORDER BY created_at, id",
			[]any{"b"}, "dispatches_book_code"},
		"ReservationEvents": {"SELECT seq FROM reservation_events WHERE book_code = $1 ORDER BY at, seq",
			[]any{"b"}, "reservation_events_book_code"},
		"ReservationsToExpire over": {"SELECT book_code FROM reservations WHERE state IN ($1, $2) AND over_time <= $3",
			[]any{"pending", "waitlisted", 0}, "reservations_state_over_time"},
		"ReservationsToExpire hold": {"SELECT book_code FROM reservations WHERE state = $1 AND hold_until <= $2",
			[]any{"confirmed", 0}, "reservations_state_hold_until"},
		"OpenEntries": {"SELECT id FROM enter_records WHERE isv_park_id = $1 ORDER BY at, id",
			[]any{"p"}, "enter_records_park_at"},
		"ExitsWithoutEntry": {"SELECT id FROM exit_records WHERE isv_park_id = $1 AND no_entry AND at >= $2 AND at < $3",
			[]any{"p", 0, 1}, "exit_records_no_entry|exit_records_park_at"}, // on empty tables the planner may take either
		"LivenessHistory": {"SELECT seq FROM liveness_events WHERE user_id = $1 ORDER BY at DESC, seq DESC LIMIT $2",
			[]any{"u", 10}, "liveness_events_user_at"},
		"Warnings": {"SELECT seq FROM warnings WHERE isv_park_id = $1 ORDER BY at DESC, seq DESC LIMIT $2",
			[]any{"p", 10}, "warnings_park_at"},
		"History": {"SELECT seq FROM history WHERE object = $1 AND isv_park_id = $2 AND object_key = $3 ORDER BY changed_at, seq",
			[]any{"enter", "p", "k"}, "history_object"},
		"VacancySeries": {"SELECT seq FROM vacancy_series WHERE isv_park_id = $1 AND at >= $2 AND at < $3 ORDER BY at, seq",
			[]any{"p", 0, 1}, "vacancy_series_park_at"},
		"RecentRecords exit": {"SELECT id FROM exit_records WHERE isv_park_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
			[]any{"p", 10}, "exit_records_park_at"},
		"RecordCounts exit": {"SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, COUNT(*) FROM parks p CROSS JOIN exit_records r WHERE r.isv_park_id = p.isv_park_id AND r.at >= $1 AND r.at < $2 GROUP BY r.isv_park_id, hour",
			[]any{0, 1}, "exit_records_park_at"},
		"VacancyHours": {"SELECT isv_park_id, at - at % 3600000 AS hour, COUNT(*) FROM vacancy_series WHERE at >= $1 AND at < $2 GROUP BY hour, isv_park_id",
			[]any{0, 1}, "vacancy_series_at"},
		"ParkLiveness": {"SELECT seq FROM liveness_events WHERE isv_park_id = $1 ORDER BY at DESC, seq DESC LIMIT $2",
			[]any{"p", 10}, "liveness_events_park_at"},
		"Reservations": {"SELECT book_code FROM reservations WHERE created_at >= $1 AND created_at < $2 ORDER BY created_at DESC, book_code LIMIT $3",
			[]any{0, 1, 10}, "reservations_created_at"},
		"ParksOf": {"SELECT isv_park_id FROM parks WHERE user_id = $1 ORDER BY park_code",
			[]any{"u"}, "parks_user_id_park_code_key"},
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
		if !slices.ContainsFunc(strings.Split(q.index, "|"), func(index string) bool { return strings.Contains(text, index) }) {
			t.Errorf("%s: plan does not use %s:\n%s", name, q.index, text)
		}
	}
}

// TestUpdateCancelledWhileRunning cancels an Update's context between two
// writes: the second fails, Update returns an error and nothing is kept.
func TestUpdateCancelledWhileRunning(t *testing.T) {
	s := openTemp(t)
	ctx, cancel := context.WithCancel(t.Context())
	err := s.Update(ctx, func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "u1"}); err != nil {
			return err
		}
		cancel()
		return tx.PutAccount(platform.Account{UserID: "u2"})
	})
	if err == nil {
		t.Fatal("Update cancelled while running succeeded")
	}
	for _, id := range []string{"u1", "u2"} {
		err := s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Account(id); return err })
		if !platform.IsNotFound(err) {
			t.Errorf("account %s: %v, want not found", id, err)
		}
	}
}

// benchStore opens a store holding one account and one park.
func benchStore(b *testing.B) *Store {
	s := openTemp(b)
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
			Payload:    []byte(`{"id":"` + id + `","plateNo":"粤B12345"}`),
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
	b.SetParallelism(32) // 32 callers per CPU, sharing the pool's connections
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

func BenchmarkView(b *testing.B) {
	s := benchStore(b)
	ctx := context.Background()
	for b.Loop() {
		err := s.View(ctx, func(tx platform.Tx) error { _, err := tx.ParkByID("p1"); return err })
		if err != nil {
			b.Fatal(err)
		}
	}
}

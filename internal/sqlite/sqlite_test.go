package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/storetest"
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
	path := filepath.Join(t.TempDir(), "parkd.db")
	for range 2 {
		s := openAt(t, path, Options{})
		v, err := s.Version(t.Context())
		if err != nil || v != 1 {
			t.Fatalf("Version() = %d, %v; want 1", v, err)
		}
		var rows int
		if err := s.r.QueryRow("SELECT COUNT(*) FROM schema_version").Scan(&rows); err != nil || rows != 1 {
			t.Fatalf("schema_version holds %d rows (%v), want 1", rows, err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
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

package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/parkd/parkd/internal/platform"
)

func txCases() []testCase {
	return []testCase{
		{"View rejects every kind of write", testViewRejectsWrites},
		{"a Tx refuses use after its function returned", testTxAfterReturn},
		{"Update reads its own writes and later transactions see them", testUpdateVisibility},
		{"a failing Update keeps nothing and returns its error", testUpdateAtomic},
		{"Update with a cancelled context writes nothing", testUpdateCancelled},
		{"concurrent Updates: failing ones keep nothing, the rest all commit", testConcurrentUpdates},
	}
}

func testViewRejectsWrites(t *testing.T, s platform.Store) {
	seed(t, s)
	// Something for the deletes to remove.
	putDispatches(t, s, newDispatch("d1", "b1", 1, 1))
	update(t, s, func(tx platform.Tx) error {
		return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: "粤B1", Until: at(60), At: at(1)})
	})
	writes := map[string]func(tx platform.Tx) error{
		"PutAccount":      func(tx platform.Tx) error { return tx.PutAccount(newAccount("u9")) },
		"SetAccountState": func(tx platform.Tx) error { return tx.SetAccountState(platform.LivenessEvent{UserID: u1, At: at(1)}) },
		"PutToken":        func(tx platform.Tx) error { return tx.PutToken(newToken("k9", u1, 1, 1)) },
		"PutPark":         func(tx platform.Tx) error { return tx.PutPark(newPark(u1, "P009", "isv-p9")) },
		"PutRecord":       func(tx platform.Tx) error { return tx.PutRecord(platform.KindEnter, newRecord(p1, "r9", "粤B9", 1)) },
		"AddWarning": func(tx platform.Tx) error {
			return tx.AddWarning(platform.Warning{IsvParkID: p1, Kind: "k", At: at(1)})
		},
		"PutVacancy": func(tx platform.Tx) error { return tx.PutVacancy(newVacancy(p1, 1, 1)) },
		"PutReservation": func(tx platform.Tx) error {
			return tx.PutReservation(newReservation("b9", p1, "粤B9", 1))
		},
		"NextWaitSeq": func(tx platform.Tx) error { _, err := tx.NextWaitSeq(); return err },
		"AddReservationEvent": func(tx platform.Tx) error {
			return tx.AddReservationEvent(platform.ReservationEvent{BookCode: "b9", At: at(1), To: platform.ReservationPending})
		},
		"PutDispatch":    func(tx platform.Tx) error { return tx.PutDispatch(newDispatch("d9", "b9", 1, 1)) },
		"DeleteDispatch": func(tx platform.Tx) error { return tx.DeleteDispatch("d1") },
		"PutAPIKey":      func(tx platform.Tx) error { return tx.PutAPIKey(platform.APIKey{ID: "k9", CreatedAt: at(1)}) },
		"PutBlacklist": func(tx platform.Tx) error {
			return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: "粤B9", At: at(1)})
		},
		"DeleteBlacklist": func(tx platform.Tx) error { return tx.DeleteBlacklist("粤B1") },
	}
	for name, write := range writes {
		err := s.View(t.Context(), write)
		if err == nil {
			t.Errorf("%s in View succeeded", name)
		}
	}
	view(t, s, func(tx platform.Tx) error {
		if _, err := tx.Account("u9"); !platform.IsNotFound(err) {
			t.Errorf("account written in a View: %v", err)
		}
		if _, err := tx.Record(platform.KindEnter, p1, "r9"); !platform.IsNotFound(err) {
			t.Errorf("record written in a View: %v", err)
		}
		if _, err := tx.Reservation("b9"); !platform.IsNotFound(err) {
			t.Errorf("reservation written in a View: %v", err)
		}
		if evs, err := tx.ReservationEvents("b9"); err != nil || len(evs) != 0 {
			t.Errorf("reservation events written in a View: %v, %v", evs, err)
		}
		if _, err := tx.Dispatch("d1"); err != nil {
			t.Errorf("dispatch deleted in a View: %v", err)
		}
		if _, err := tx.Dispatch("d9"); !platform.IsNotFound(err) {
			t.Errorf("dispatch written in a View: %v", err)
		}
		if _, err := tx.APIKey("k9"); !platform.IsNotFound(err) {
			t.Errorf("API key written in a View: %v", err)
		}
		if _, err := tx.Blacklisted("粤B1"); err != nil {
			t.Errorf("blacklist entry deleted in a View: %v", err)
		}
		if _, err := tx.Blacklisted("粤B9"); !platform.IsNotFound(err) {
			t.Errorf("blacklist entry written in a View: %v", err)
		}
		return nil
	})
}

func testTxAfterReturn(t *testing.T, s platform.Store) {
	seed(t, s)
	var kept platform.Tx
	update(t, s, func(tx platform.Tx) error { kept = tx; return nil })
	if err := kept.PutAccount(newAccount("late")); err == nil {
		t.Error("write through an Update's Tx after it returned succeeded")
	}
	if _, err := kept.Account(u1); err == nil {
		t.Error("read through an Update's Tx after it returned succeeded")
	}
	view(t, s, func(tx platform.Tx) error { kept = tx; return nil })
	if _, err := kept.Accounts(); err == nil {
		t.Error("read through a View's Tx after it returned succeeded")
	}
	notFound(t, "account written late", s.View(t.Context(), func(tx platform.Tx) error {
		_, err := tx.Account("late")
		return err
	}))
}

func testUpdateVisibility(t *testing.T, s platform.Store) {
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutAccount(newAccount(u1)); err != nil {
			return err
		}
		a, err := tx.Account(u1)
		if err != nil {
			return fmt.Errorf("own write: %w", err)
		}
		same(t, "own write", a, newAccount(u1))
		return nil
	})
	update(t, s, func(tx platform.Tx) error {
		_, err := tx.Account(u1)
		return err
	})
	same(t, "committed", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }), newAccount(u1))
}

func testUpdateAtomic(t *testing.T, s platform.Store) {
	seed(t, s)
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		if err := tx.PutAccount(newAccount("u9")); err != nil {
			return err
		}
		if err := tx.PutRecord(platform.KindEnter, newRecord(p1, "r9", "粤B9", 1)); err != nil {
			return err
		}
		a := newAccount(u1)
		a.Disabled = true
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return fmt.Errorf("after three writes: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	notFound(t, "new account", s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Account("u9"); return err }))
	notFound(t, "new record", s.View(t.Context(), func(tx platform.Tx) error {
		_, err := tx.Record(platform.KindEnter, p1, "r9")
		return err
	}))
	same(t, "replaced account", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }), newAccount(u1))
}

func testUpdateCancelled(t *testing.T, s platform.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := s.Update(ctx, func(tx platform.Tx) error { return tx.PutAccount(newAccount(u1)) })
	if err == nil {
		t.Fatal("Update with a cancelled context succeeded")
	}
	notFound(t, "account", s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Account(u1); return err }))
}

// testConcurrentUpdates runs many Updates at once; every third fails after
// writing. The failures must keep nothing and every other must commit.
func testConcurrentUpdates(t *testing.T, s platform.Store) {
	seed(t, s)
	const n = 120
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Update(t.Context(), concurrentWrite(i)) })
	}
	wg.Wait()
	for i, err := range errs {
		if fails(i) != (err != nil) {
			t.Errorf("Update %d: error %v, want failure %v", i, err, fails(i))
		}
		if fails(i) && !errors.Is(err, errConcurrent(i)) {
			t.Errorf("Update %d returned %v, want its own error", i, err)
		}
	}
	view(t, s, func(tx platform.Tx) error {
		for i := range n {
			_, errA := tx.Account(concurrentUser(i))
			_, errR := tx.Record(platform.KindEnter, p1, concurrentUser(i))
			if fails(i) && (!platform.IsNotFound(errA) || !platform.IsNotFound(errR)) {
				t.Errorf("failed Update %d kept writes: %v, %v", i, errA, errR)
			}
			if !fails(i) && (errA != nil || errR != nil) {
				t.Errorf("committed Update %d lost writes: %v, %v", i, errA, errR)
			}
		}
		return nil
	})
}

func fails(i int) bool { return i%3 == 1 }

func concurrentUser(i int) string { return fmt.Sprintf("c%03d", i) }

// concurrentErr is the error of failing Update i; errors.Is matches on i.
type concurrentErr int

func (e concurrentErr) Error() string { return fmt.Sprintf("update %d fails", int(e)) }

func errConcurrent(i int) error { return concurrentErr(i) }

func concurrentWrite(i int) func(tx platform.Tx) error {
	return func(tx platform.Tx) error {
		if err := tx.PutAccount(newAccount(concurrentUser(i))); err != nil {
			return err
		}
		if err := tx.PutRecord(platform.KindEnter, newRecord(p1, concurrentUser(i), "粤B1", i)); err != nil {
			return err
		}
		if _, err := tx.Account(concurrentUser(i)); err != nil {
			return fmt.Errorf("own write: %w", err)
		}
		if fails(i) {
			return fmt.Errorf("wrapped: %w", errConcurrent(i))
		}
		return nil
	}
}

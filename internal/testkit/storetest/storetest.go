// Package storetest is the behaviour suite every platform.Store must pass.
// A store package runs it from its tests:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) platform.Store {
//			s, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
//			if err != nil {
//				t.Fatal(err)
//			}
//			return s
//		})
//	}
//
// Beyond platform.Tx's comments the suite pins down these rules: getters
// return an error for which platform.IsNotFound holds; times are kept to
// the millisecond; JSON documents and string lists come back exactly as
// given (nil stays nil); lists are ordered (accounts by user id, parks by
// park code, entrances by code, records by time then id, history, series
// and liveness events oldest first with ties in insertion order, warnings
// newest first); a limit of 0 or less means no limit, and a limit keeps
// the latest items; a park keeps its IsvParkID (KindConflict otherwise);
// a Tx refuses use after its function returned, and writes in View.
// For reservations (platform.ReservationTx) it also checks that an order
// needs its park (KindInvalid otherwise), that every list is ordered as
// documented there down to its ties, that NextWaitSeq grows strictly
// across transactions and past stored WaitSeqs, and that deleting a
// missing dispatch or blacklist entry is not found. For maintenance
// (platform.MaintenanceTx) it checks that a lease is free at the end of
// its term (until == now included) and at once when released, that a
// renewal moves the term either way, that Lock keeps concurrent
// read-modify-writes from losing any, that purges go by time (the At of
// reports, warnings and verifications, the ChangedAt of history) over all
// parks and delete the oldest first, that OldPictures orders ties by key,
// that deleting a missing picture is not found, and that every
// maintenance write, Lock included, fails in a View. For login lock-out
// counts (platform.LoginTx) it checks that a count needs no account, that
// a put replaces the count of its (UserID, Addr), that deleting a missing
// count is no error, that a purge spares a count whose First or
// LockedUntil is not before the bound, and that every write fails in a
// View. For the liveness sweep (platform.LivenessTx) it checks that
// StaleOnlineAccounts leaves out offline accounts and accounts with a token
// seen at or after the cutoff (to the millisecond), gives the latest
// LastSeen of the others (zero without a token), orders them by user id and
// keeps the first limit. For records (platform.RecordPairTx) it checks
// that RecordPair finds neither half, either one alone, or both, with every
// field as stored, and no record of another id or park. For the read side
// (platform.ReadTx) it checks the orders and their ties, limits, hour
// buckets at the edges of hours, half-open ranges to the millisecond and
// the filters of Reservations.
package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Run runs the suite. open must return a new, empty store for each call;
// Run closes it when the subtest ends.
func Run(t *testing.T, open func(t *testing.T) platform.Store) {
	for _, tc := range cases() {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.run(t, s)
		})
	}
}

// testCase is one behaviour, run on a fresh store.
type testCase struct {
	name string
	run  func(t *testing.T, s platform.Store)
}

func cases() []testCase {
	var all []testCase
	for _, group := range [][]testCase{
		accountCases(), tokenCases(), parkCases(), recordCases(), qualityCases(),
		reservationCases(), maintenanceCases(), loginCases(), livenessCases(), readCases(), operatorCases(), auditCases(), txCases(),
		offPeakCases(),
	} {
		all = append(all, group...)
	}
	return all
}

// t0 is the suite's epoch; at(m) is m minutes after it.
var t0 = time.Date(2025, 3, 1, 8, 0, 0, 0, time.UTC)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// update runs fn in s.Update and fails the test when it fails.
func update(t *testing.T, s platform.Store, fn func(tx platform.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// view runs fn in s.View and fails the test when it fails.
func view(t *testing.T, s platform.Store, fn func(tx platform.Tx) error) {
	t.Helper()
	if err := s.View(context.Background(), fn); err != nil {
		t.Fatalf("View: %v", err)
	}
}

// get reads one value in a View.
func get[T any](t *testing.T, s platform.Store, fn func(tx platform.Tx) (T, error)) T {
	t.Helper()
	var v T
	view(t, s, func(tx platform.Tx) (err error) {
		v, err = fn(tx)
		return err
	})
	return v
}

// same fails the test unless got and want are deeply equal once every
// time in them is put in UTC (stores may return another location).
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	g, w := inUTC(got), inUTC(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got  %+v\n want %+v", what, g, w)
	}
}

// notFound fails the test unless err is a not-found error.
func notFound(t *testing.T, what string, err error) {
	t.Helper()
	if !platform.IsNotFound(err) {
		t.Errorf("%s: got error %v, want a not-found error", what, err)
	}
}

// inUTC returns a copy of v with every time.Time put in UTC.
func inUTC(v any) any {
	if v == nil {
		return nil
	}
	c := reflect.New(reflect.TypeOf(v)).Elem()
	c.Set(deepCopy(reflect.ValueOf(v)))
	return c.Interface()
}

var timeType = reflect.TypeFor[time.Time]()

// deepCopy copies the slices and structs of v, converting times to UTC.
func deepCopy(v reflect.Value) reflect.Value {
	switch {
	case v.Type() == timeType:
		return reflect.ValueOf(v.Interface().(time.Time).UTC())
	case v.Kind() == reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			c.Field(i).Set(deepCopy(v.Field(i)))
		}
		return c
	case v.Kind() == reflect.Slice && !v.IsNil():
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(deepCopy(v.Index(i)))
		}
		return c
	}
	return v
}

// Fixtures: accounts u1 and u2; u1 has parks P001 (isv-p1) and P002
// (isv-p2), u2 has P001 (isv-p3).
const (
	u1, u2       = "u1", "u2"
	p1, p2, p3   = "isv-p1", "isv-p2", "isv-p3"
	code1, code2 = "P001", "P002"
)

func newAccount(userID string) platform.Account {
	return platform.Account{
		UserID:        userID,
		PasswordHash:  []byte("$2a$10$hash-of-" + userID),
		CallbackURL:   "https://pl.example/" + userID,
		CallbackToken: "cb-" + userID,
		CreatedAt:     at(0),
		StateSince:    at(0),
	}
}

func newPark(userID, code, id string) platform.Park {
	return platform.Park{
		IsvParkID:        id,
		UserID:           userID,
		ParkCode:         code,
		Name:             "Park " + code,
		AreaCode:         "440305",
		BizStatus:        1,
		Reservable:       true,
		ReservableSpaces: 10,
		TotalSpaces:      120,
		Longitude:        113.934123,
		Latitude:         22.540456,
		Info:             []byte(fmt.Sprintf(`{"parkCode":%q,"totalSpaces":120}`, code)),
		CreatedAt:        at(1),
		UpdatedAt:        at(2),
	}
}

// seed stores the fixture accounts and parks.
func seed(t *testing.T, s platform.Store) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, a := range []platform.Account{newAccount(u1), newAccount(u2)} {
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for _, p := range []platform.Park{newPark(u1, code1, p1), newPark(u1, code2, p2), newPark(u2, code1, p3)} {
			if err := tx.PutPark(p); err != nil {
				return err
			}
		}
		return nil
	})
}

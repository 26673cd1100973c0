package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func loginCases() []testCase {
	return []testCase{
		{"a login failure count round-trips, for unknown userIds too", testLoginFailureRoundTrip},
		{"PutLoginFailure replaces the count of its (UserID, Addr)", testLoginFailureUpsert},
		{"DeleteLoginFailure removes one count; a missing one is no error", testDeleteLoginFailure},
		{"PurgeLoginFailures deletes counts whose First and LockedUntil are both before the bound", testPurgeLoginFailures},
		{"View rejects every login failure write", testViewRejectsLoginWrites},
	}
}

func loginFailure(userID, addr string, count, first, lockedUntil int) platform.LoginFailure {
	f := platform.LoginFailure{UserID: userID, Addr: addr, Count: count, First: at(first)}
	if lockedUntil != 0 {
		f.LockedUntil = at(lockedUntil)
	}
	return f
}

func putLoginFailures(t *testing.T, s platform.Store, fs ...platform.LoginFailure) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, f := range fs {
			if err := tx.PutLoginFailure(f); err != nil {
				return err
			}
		}
		return nil
	})
}

func getLoginFailure(t *testing.T, s platform.Store, userID, addr string) (platform.LoginFailure, error) {
	t.Helper()
	var f platform.LoginFailure
	err := s.View(context.Background(), func(tx platform.Tx) (err error) {
		f, err = tx.LoginFailure(userID, addr)
		return err
	})
	return f, err
}

func testLoginFailureRoundTrip(t *testing.T, s platform.Store) {
	_, err := getLoginFailure(t, s, u1, "10.0.0.1")
	notFound(t, "LoginFailure on an empty store", err)

	// No account is needed: guesses at unknown userIds are counted.
	fs := []platform.LoginFailure{
		{UserID: "nobody", Addr: "10.0.0.1", Count: 3, First: at(0).Add(123 * time.Millisecond)},
		{UserID: "nobody", Addr: "[2001:db8::1]:443", Count: 0, First: at(1), LockedUntil: at(16).Add(7 * time.Millisecond)},
		{UserID: "用户", Addr: "10.0.0.1", Count: 1, First: at(2)},
	}
	putLoginFailures(t, s, fs...)
	for _, want := range fs {
		got, err := getLoginFailure(t, s, want.UserID, want.Addr)
		if err != nil {
			t.Fatalf("LoginFailure(%q, %q): %v", want.UserID, want.Addr, err)
		}
		same(t, "login failure "+want.UserID+" "+want.Addr, got, want)
	}
	_, err = getLoginFailure(t, s, "nobody", "10.0.0.2")
	notFound(t, "LoginFailure of another address", err)
	_, err = getLoginFailure(t, s, u1, "10.0.0.1")
	notFound(t, "LoginFailure of another userId", err)
}

func testLoginFailureUpsert(t *testing.T, s platform.Store) {
	putLoginFailures(t, s, loginFailure(u1, "a", 1, 0, 0), loginFailure(u1, "b", 2, 0, 0))
	want := loginFailure(u1, "a", 0, 5, 20)
	putLoginFailures(t, s, want)
	got, err := getLoginFailure(t, s, u1, "a")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "replaced login failure", got, want)
	// A replacement may clear the lock.
	want = loginFailure(u1, "a", 4, 6, 0)
	putLoginFailures(t, s, want)
	if got, err = getLoginFailure(t, s, u1, "a"); err != nil {
		t.Fatal(err)
	}
	same(t, "login failure replaced again", got, want)
	if got, err = getLoginFailure(t, s, u1, "b"); err != nil {
		t.Fatal(err)
	}
	same(t, "the other address's count", got, loginFailure(u1, "b", 2, 0, 0))
}

func testDeleteLoginFailure(t *testing.T, s platform.Store) {
	putLoginFailures(t, s, loginFailure(u1, "a", 1, 0, 0), loginFailure(u1, "b", 2, 0, 0), loginFailure(u2, "a", 3, 0, 0))
	update(t, s, func(tx platform.Tx) error { return tx.DeleteLoginFailure(u1, "a") })
	update(t, s, func(tx platform.Tx) error { return tx.DeleteLoginFailure(u1, "a") })
	update(t, s, func(tx platform.Tx) error { return tx.DeleteLoginFailure("nobody", "z") })
	_, err := getLoginFailure(t, s, u1, "a")
	notFound(t, "LoginFailure after DeleteLoginFailure", err)
	for _, k := range [][2]string{{u1, "b"}, {u2, "a"}} {
		if _, err := getLoginFailure(t, s, k[0], k[1]); err != nil {
			t.Errorf("LoginFailure(%q, %q) after deleting another: %v", k[0], k[1], err)
		}
	}
}

func testPurgeLoginFailures(t *testing.T, s platform.Store) {
	// name: first, lockedUntil (0: not locked).
	rows := map[string][2]int{
		"a": {1, 0},
		"b": {2, 0},
		"c": {3, 0},
		"d": {3, 20}, // First is old but it is locked until 20
		"e": {8, 0},
		"f": {4, 10},
	}
	for name, r := range rows {
		putLoginFailures(t, s, loginFailure("u-"+name, "10.0.0.1", 1, r[0], r[1]))
	}
	steps := []struct {
		before, limit int
		deleted       int
		left          []string
	}{
		{1, 0, 0, []string{"a", "b", "c", "d", "e", "f"}}, // nothing before the oldest
		{4, 2, 2, []string{"c", "d", "e", "f"}},           // a limit deletes the oldest first
		{4, 0, 1, []string{"d", "e", "f"}},                // d is still locked
		{10, -1, 1, []string{"d", "f"}},                   // e goes; f is locked until 10, not before it
		{11, 1, 1, []string{"d"}},                         // f's lock is over
		{20, 0, 0, []string{"d"}},                         // d is locked until 20
		{21, 1 << 30, 1, nil},
		{1 << 20, 0, 0, nil}, // an empty table
	}
	for _, st := range steps {
		var deleted int
		update(t, s, func(tx platform.Tx) (err error) {
			deleted, err = tx.PurgeLoginFailures(at(st.before), st.limit)
			return err
		})
		if deleted != st.deleted {
			t.Errorf("purge before %d, limit %d: deleted %d, want %d", st.before, st.limit, deleted, st.deleted)
		}
		var left []string
		for name := range rows {
			if _, err := getLoginFailure(t, s, "u-"+name, "10.0.0.1"); err == nil {
				left = append(left, name)
			} else if !platform.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		slices.Sort(left)
		same(t, "counts left after purging", left, st.left)
	}
}

func testViewRejectsLoginWrites(t *testing.T, s platform.Store) {
	f := loginFailure(u1, "a", 1, 0, 0)
	putLoginFailures(t, s, f)
	writes := map[string]func(tx platform.Tx) error{
		"PutLoginFailure new":     func(tx platform.Tx) error { return tx.PutLoginFailure(loginFailure(u2, "a", 1, 0, 0)) },
		"PutLoginFailure replace": func(tx platform.Tx) error { return tx.PutLoginFailure(loginFailure(u1, "a", 4, 2, 30)) },
		"DeleteLoginFailure":      func(tx platform.Tx) error { return tx.DeleteLoginFailure(u1, "a") },
		"PurgeLoginFailures": func(tx platform.Tx) error {
			_, err := tx.PurgeLoginFailures(at(100000), 0)
			return err
		},
	}
	for name, write := range writes {
		if err := s.View(context.Background(), write); err == nil {
			t.Errorf("%s in View succeeded", name)
		}
	}
	got, err := getLoginFailure(t, s, u1, "a")
	if err != nil {
		t.Fatalf("LoginFailure after writes in a View: %v", err)
	}
	same(t, "login failure after writes in a View", got, f)
	_, err = getLoginFailure(t, s, u2, "a")
	notFound(t, "a login failure put in a View", err)
}

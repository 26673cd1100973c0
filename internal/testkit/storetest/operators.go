package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func operatorCases() []testCase {
	return []testCase{
		{"an operator round-trips and PutOperator replaces it by name", testOperatorRoundTrip},
		{"Operators lists every operator by name", testOperatorsByName},
		{"an operator session round-trips and a put replaces it by token hash", testOperatorSessionRoundTrip},
		{"DeleteOperatorSession removes one session; a missing one is no error", testDeleteOperatorSession},
		{"DeleteOperator removes the operator and its sessions; a missing one is ErrNotFound", testDeleteOperator},
		{"DeleteExpiredOperatorSessions deletes sessions expiring at or before now, earliest first", testDeleteExpiredOperatorSessions},
		{"View rejects every operator write", testViewRejectsOperatorWrites},
	}
}

func operatorTx(tx platform.Tx) platform.OperatorTx { return tx.(platform.OperatorTx) }

func putOperators(t *testing.T, s platform.Store, os ...platform.Operator) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, o := range os {
			if err := operatorTx(tx).PutOperator(o); err != nil {
				return err
			}
		}
		return nil
	})
}

func putOperatorSessions(t *testing.T, s platform.Store, ss ...platform.OperatorSession) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, o := range ss {
			if err := operatorTx(tx).PutOperatorSession(o); err != nil {
				return err
			}
		}
		return nil
	})
}

func getOperatorSession(t *testing.T, s platform.Store, hash string) (platform.OperatorSession, error) {
	t.Helper()
	var o platform.OperatorSession
	err := s.View(context.Background(), func(tx platform.Tx) (err error) {
		o, err = operatorTx(tx).OperatorSession(hash)
		return err
	})
	return o, err
}

func operatorSession(hash, name string, created, expires int) platform.OperatorSession {
	return platform.OperatorSession{TokenHash: hash, Name: name, CreatedAt: at(created), ExpiresAt: at(expires)}
}

func testOperatorRoundTrip(t *testing.T, s platform.Store) {
	err := s.View(context.Background(), func(tx platform.Tx) error {
		_, err := operatorTx(tx).Operator("alice")
		return err
	})
	notFound(t, "Operator on an empty store", err)

	want := platform.Operator{Name: "张三", PasswordHash: []byte("$2a$10$hash"), CreatedAt: at(0).Add(321 * time.Millisecond)}
	putOperators(t, s, want, platform.Operator{Name: "alice", PasswordHash: []byte("h-alice"), CreatedAt: at(1)})
	got := get(t, s, func(tx platform.Tx) (platform.Operator, error) { return operatorTx(tx).Operator("张三") })
	same(t, "operator", got, want)

	want.PasswordHash = []byte("$2a$10$new")
	want.CreatedAt = at(5)
	putOperators(t, s, want)
	got = get(t, s, func(tx platform.Tx) (platform.Operator, error) { return operatorTx(tx).Operator("张三") })
	same(t, "replaced operator", got, want)
	got = get(t, s, func(tx platform.Tx) (platform.Operator, error) { return operatorTx(tx).Operator("alice") })
	same(t, "the other operator", got, platform.Operator{Name: "alice", PasswordHash: []byte("h-alice"), CreatedAt: at(1)})
}

func testOperatorsByName(t *testing.T, s platform.Store) {
	none := get(t, s, func(tx platform.Tx) ([]platform.Operator, error) { return operatorTx(tx).Operators() })
	if len(none) != 0 {
		t.Errorf("Operators on an empty store: %v", none)
	}
	names := []string{"bob", "Alice", "张三", "alice", "bob2"}
	for i, n := range names {
		putOperators(t, s, platform.Operator{Name: n, PasswordHash: []byte("h-" + n), CreatedAt: at(i)})
	}
	got := get(t, s, func(tx platform.Tx) ([]platform.Operator, error) { return operatorTx(tx).Operators() })
	var gotNames []string
	for _, o := range got {
		gotNames = append(gotNames, o.Name)
	}
	want := slices.Clone(names)
	slices.Sort(want) // by bytes
	same(t, "operator names", gotNames, want)
}

func testOperatorSessionRoundTrip(t *testing.T, s platform.Store) {
	_, err := getOperatorSession(t, s, "h1")
	notFound(t, "OperatorSession on an empty store", err)

	// No stored operator is needed.
	a := operatorSession("h1", "alice", 0, 720)
	a.ExpiresAt = a.ExpiresAt.Add(9 * time.Millisecond)
	b := operatorSession("h2", "nobody", 1, 2)
	putOperatorSessions(t, s, a, b)
	for _, want := range []platform.OperatorSession{a, b} {
		got, err := getOperatorSession(t, s, want.TokenHash)
		if err != nil {
			t.Fatalf("OperatorSession(%q): %v", want.TokenHash, err)
		}
		same(t, "operator session "+want.TokenHash, got, want)
	}
	// A put replaces the session: the sliding expiry moves it forward.
	a.ExpiresAt = at(800)
	putOperatorSessions(t, s, a)
	got, err := getOperatorSession(t, s, "h1")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "extended session", got, a)
	// An expired session is still returned.
	got, err = getOperatorSession(t, s, "h2")
	if err != nil {
		t.Fatal(err)
	}
	same(t, "expired session", got, b)
}

func testDeleteOperatorSession(t *testing.T, s platform.Store) {
	putOperatorSessions(t, s, operatorSession("h1", "alice", 0, 10), operatorSession("h2", "alice", 0, 10))
	for range 2 {
		update(t, s, func(tx platform.Tx) error { return operatorTx(tx).DeleteOperatorSession("h1") })
	}
	update(t, s, func(tx platform.Tx) error { return operatorTx(tx).DeleteOperatorSession("missing") })
	_, err := getOperatorSession(t, s, "h1")
	notFound(t, "OperatorSession after DeleteOperatorSession", err)
	if _, err := getOperatorSession(t, s, "h2"); err != nil {
		t.Errorf("the other session after deleting one: %v", err)
	}
}

func testDeleteExpiredOperatorSessions(t *testing.T, s platform.Store) {
	expiries := map[string]int{"a": 5, "b": 10, "c": 10, "d": 20, "e": 30}
	for h, exp := range expiries {
		putOperatorSessions(t, s, operatorSession(h, "alice", 0, exp))
	}
	steps := []struct {
		now, limit int
		deleted    int
		left       []string
	}{
		{4, 0, 0, []string{"a", "b", "c", "d", "e"}},
		{5, 0, 1, []string{"b", "c", "d", "e"}}, // expiring at now is expired
		{25, 1, 1, []string{"c", "d", "e"}},     // earliest first, ties by hash
		{25, -1, 2, []string{"e"}},              // no limit
		{29, 1 << 30, 0, []string{"e"}},         // not yet
		{1 << 20, 0, 1, nil},                    // the last
		{1 << 21, 0, 0, nil},                    // an empty table
	}
	for _, st := range steps {
		var deleted int
		update(t, s, func(tx platform.Tx) (err error) {
			deleted, err = operatorTx(tx).DeleteExpiredOperatorSessions(at(st.now), st.limit)
			return err
		})
		if deleted != st.deleted {
			t.Errorf("delete expired at %d, limit %d: deleted %d, want %d", st.now, st.limit, deleted, st.deleted)
		}
		var left []string
		for h := range expiries {
			if _, err := getOperatorSession(t, s, h); err == nil {
				left = append(left, h)
			} else if !platform.IsNotFound(err) {
				t.Fatal(err)
			}
		}
		slices.Sort(left)
		same(t, "sessions left", left, st.left)
	}
}

func testViewRejectsOperatorWrites(t *testing.T, s platform.Store) {
	o := platform.Operator{Name: "alice", PasswordHash: []byte("h"), CreatedAt: at(0)}
	sess := operatorSession("h1", "alice", 0, 10)
	putOperators(t, s, o)
	putOperatorSessions(t, s, sess)
	writes := map[string]func(tx platform.OperatorTx) error{
		"PutOperator new": func(tx platform.OperatorTx) error {
			return tx.PutOperator(platform.Operator{Name: "bob", PasswordHash: []byte("h")})
		},
		"PutOperator replace": func(tx platform.OperatorTx) error {
			return tx.PutOperator(platform.Operator{Name: "alice", PasswordHash: []byte("x")})
		},
		"PutOperatorSession":    func(tx platform.OperatorTx) error { return tx.PutOperatorSession(operatorSession("h2", "bob", 0, 10)) },
		"DeleteOperatorSession": func(tx platform.OperatorTx) error { return tx.DeleteOperatorSession("h1") },
		"DeleteOperator":        func(tx platform.OperatorTx) error { return tx.DeleteOperator("alice") },
		"DeleteExpiredOperatorSessions": func(tx platform.OperatorTx) error {
			_, err := tx.DeleteExpiredOperatorSessions(at(1000), 0)
			return err
		},
	}
	for name, write := range writes {
		if err := s.View(context.Background(), func(tx platform.Tx) error { return write(operatorTx(tx)) }); err == nil {
			t.Errorf("%s in View succeeded", name)
		}
	}
	got := get(t, s, func(tx platform.Tx) (platform.Operator, error) { return operatorTx(tx).Operator("alice") })
	same(t, "operator after writes in a View", got, o)
	gotSess, err := getOperatorSession(t, s, "h1")
	if err != nil {
		t.Fatalf("session after writes in a View: %v", err)
	}
	same(t, "session after writes in a View", gotSess, sess)
	_, err = getOperatorSession(t, s, "h2")
	notFound(t, "a session put in a View", err)
}

func testDeleteOperator(t *testing.T, s platform.Store) {
	putOperators(t, s, platform.Operator{Name: "alice", PasswordHash: []byte("h"), CreatedAt: at(0)},
		platform.Operator{Name: "bob", PasswordHash: []byte("h"), CreatedAt: at(0)})
	putOperatorSessions(t, s, operatorSession("h1", "alice", 0, 10), operatorSession("h2", "alice", 0, 10), operatorSession("h3", "bob", 0, 10))
	update(t, s, func(tx platform.Tx) error { return operatorTx(tx).DeleteOperator("alice") })
	err := s.View(context.Background(), func(tx platform.Tx) error {
		_, err := operatorTx(tx).Operator("alice")
		return err
	})
	notFound(t, "Operator after DeleteOperator", err)
	for _, h := range []string{"h1", "h2"} {
		_, err := getOperatorSession(t, s, h)
		notFound(t, "a session of the removed operator", err)
	}
	if _, err := getOperatorSession(t, s, "h3"); err != nil {
		t.Errorf("the other operator's session: %v", err)
	}
	err = s.Update(context.Background(), func(tx platform.Tx) error { return operatorTx(tx).DeleteOperator("alice") })
	notFound(t, "DeleteOperator of a missing operator", err)
}

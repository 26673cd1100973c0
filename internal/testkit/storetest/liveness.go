package storetest

import (
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func livenessCases() []testCase {
	return []testCase{
		{"StaleOnlineAccounts lists online accounts whose tokens all went quiet, by user id", testStaleOnlineAccounts},
		{"StaleOnlineAccounts keeps the first limit accounts by user id", testStaleOnlineAccountsLimit},
		{"StaleOnlineAccounts compares to the cutoff to the millisecond", testStaleOnlineAccountsCutoff},
	}
}

// putAccounts stores accounts named ids, online or not.
func putAccounts(t *testing.T, s platform.Store, online bool, ids ...string) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, id := range ids {
			a := newAccount(id)
			a.Online = online
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		return nil
	})
}

func staleOnline(t *testing.T, s platform.Store, cutoff time.Time, limit int) []platform.StaleAccount {
	t.Helper()
	return get(t, s, func(tx platform.Tx) ([]platform.StaleAccount, error) {
		return tx.StaleOnlineAccounts(cutoff, limit)
	})
}

func testStaleOnlineAccounts(t *testing.T, s platform.Store) {
	if got := staleOnline(t, s, at(10), 0); len(got) != 0 {
		t.Errorf("on an empty store: %+v, want none", got)
	}
	// Stored out of order: the answer is by user id.
	putAccounts(t, s, true, "stale", "fresh", "none", "mixed", "edge")
	putAccounts(t, s, false, "off-stale", "off-none")
	putTokens(t, s,
		newToken("s1", "stale", 1, 3), newToken("s2", "stale", 2, 7), newToken("s3", "stale", 1, 5),
		newToken("f1", "fresh", 1, 12),
		newToken("m1", "mixed", 1, 2), newToken("m2", "mixed", 1, 10),
		newToken("e1", "edge", 1, 10),
		newToken("o1", "off-stale", 1, 1),
	)
	want := []platform.StaleAccount{
		{UserID: "none"},
		{UserID: "stale", LastSeen: at(7)},
	}
	same(t, "StaleOnlineAccounts(at(10), 0)", staleOnline(t, s, at(10), 0), want)
	same(t, "StaleOnlineAccounts(at(10), -1)", staleOnline(t, s, at(10), -1), want)

	// A later cutoff takes in the accounts last seen at the earlier one.
	want = []platform.StaleAccount{
		{UserID: "edge", LastSeen: at(10)},
		{UserID: "mixed", LastSeen: at(10)},
		{UserID: "none"},
		{UserID: "stale", LastSeen: at(7)},
	}
	same(t, "StaleOnlineAccounts(at(11), 0)", staleOnline(t, s, at(11), 0), want)

	// An account going offline leaves the list; a heartbeat takes it out.
	update(t, s, func(tx platform.Tx) error {
		if err := tx.SetAccountState(platform.LivenessEvent{UserID: "none", At: at(11), Cause: "timeout"}); err != nil {
			return err
		}
		return tx.TouchToken("s1", at(11))
	})
	want = []platform.StaleAccount{
		{UserID: "edge", LastSeen: at(10)},
		{UserID: "mixed", LastSeen: at(10)},
	}
	same(t, "StaleOnlineAccounts after an offline and a heartbeat", staleOnline(t, s, at(11), 0), want)
}

func testStaleOnlineAccountsLimit(t *testing.T, s platform.Store) {
	putAccounts(t, s, true, "u5", "u3", "u1", "u4", "u2")
	putAccounts(t, s, false, "u0")
	putTokens(t, s, newToken("k3", "u3", 1, 20), newToken("k4", "u4", 1, 4))
	same(t, "StaleOnlineAccounts(at(10), 2)", staleOnline(t, s, at(10), 2), []platform.StaleAccount{
		{UserID: "u1"},
		{UserID: "u2"},
	})
	same(t, "StaleOnlineAccounts(at(10), 3)", staleOnline(t, s, at(10), 3), []platform.StaleAccount{
		{UserID: "u1"},
		{UserID: "u2"},
		{UserID: "u4", LastSeen: at(4)},
	})
	same(t, "StaleOnlineAccounts(at(10), 10)", staleOnline(t, s, at(10), 10), []platform.StaleAccount{
		{UserID: "u1"},
		{UserID: "u2"},
		{UserID: "u4", LastSeen: at(4)},
		{UserID: "u5"},
	})
}

func testStaleOnlineAccountsCutoff(t *testing.T, s platform.Store) {
	putAccounts(t, s, true, u1)
	seen := at(5).Add(123 * time.Millisecond)
	putTokens(t, s, platform.Token{Value: "k1", UserID: u1, IssuedAt: at(1), LastSeen: seen})
	for _, tc := range []struct {
		cutoff time.Time
		stale  bool
	}{
		{seen, false},
		{seen.Add(-time.Millisecond), false},
		{seen.Add(time.Microsecond), true},
		{seen.Add(time.Millisecond), true},
	} {
		got := staleOnline(t, s, tc.cutoff, 0)
		if tc.stale {
			same(t, "StaleOnlineAccounts just after LastSeen", got, []platform.StaleAccount{{UserID: u1, LastSeen: seen}})
		} else if len(got) != 0 {
			t.Errorf("StaleOnlineAccounts(%v) = %+v, want none: the token was seen at %v", tc.cutoff, got, seen)
		}
	}
}

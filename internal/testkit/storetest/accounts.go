package storetest

import (
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func accountCases() []testCase {
	return []testCase{
		{"account round trip and replace by user id", testAccountReplace},
		{"Accounts lists every account by user id", testAccountsOrder},
		{"UnavailableAccounts lists the disabled and offline accounts by user id", testUnavailableAccounts},
		{"an account's data key and encryption requirement round-trip", testAccountDataKey},
		{"AccountSettings lists the accounts with a key, a requirement or a role by user id", testAccountSettings},
		{"every getter reports not found", testNotFound},
		{"SetAccountState updates the account and appends to its history", testSetAccountState},
		{"SetAccountState of an unknown account is not found", testSetAccountStateUnknown},
		{"LivenessHistory is oldest first and a limit keeps the latest", testLivenessHistory},
	}
}

func testAccountReplace(t *testing.T, s platform.Store) {
	a := newAccount(u1)
	update(t, s, func(tx platform.Tx) error { return tx.PutAccount(a) })
	same(t, "stored account", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }), a)

	b := a
	b.PasswordHash = []byte("$2a$10$another")
	b.CallbackURL, b.CallbackToken = "", ""
	b.Disabled, b.Online = true, true
	b.StateSince = at(30)
	update(t, s, func(tx platform.Tx) error { return tx.PutAccount(b) })
	same(t, "replaced account", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }), b)
	if n := len(get(t, s, func(tx platform.Tx) ([]platform.Account, error) { return tx.Accounts() })); n != 1 {
		t.Errorf("after a replace, %d accounts, want 1", n)
	}
}

func testAccountDataKey(t *testing.T, s platform.Store) {
	a := newAccount(u1)
	a.DataKey = []byte{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76, 0x54, 0x32, 0x00}
	a.RequireEncryption = true
	b := newAccount(u2) // no key
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return tx.PutAccount(b)
	})
	same(t, "account with a key", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }), a)
	same(t, "account without a key", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u2) }), b)
	same(t, "Accounts", get(t, s, func(tx platform.Tx) ([]platform.Account, error) { return tx.Accounts() }), []platform.Account{a, b})

	// Replacing with another key, then clearing it.
	a.DataKey = []byte("0123456789abcdef")
	a.RequireEncryption = false
	update(t, s, func(tx platform.Tx) error { return tx.PutAccount(a) })
	same(t, "account with a new key", get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }), a)
	a.DataKey = nil
	update(t, s, func(tx platform.Tx) error { return tx.PutAccount(a) })
	got := get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) })
	if got.DataKey != nil || got.RequireEncryption {
		t.Errorf("cleared key reads back as %x (require %v), want nil", got.DataKey, got.RequireEncryption)
	}
	// SetAccountState keeps the key.
	a.DataKey = []byte("fedcba9876543210")
	update(t, s, func(tx platform.Tx) error { return tx.PutAccount(a) })
	update(t, s, func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: u1, Online: true, At: at(9), Cause: "login"})
	})
	if got := get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) }); string(got.DataKey) != "fedcba9876543210" {
		t.Errorf("after SetAccountState the key is %x", got.DataKey)
	}
}

func testAccountsOrder(t *testing.T, s platform.Store) {
	if got := get(t, s, func(tx platform.Tx) ([]platform.Account, error) { return tx.Accounts() }); len(got) != 0 {
		t.Errorf("empty store: %d accounts", len(got))
	}
	ids := []string{"m", "b", "z", "a"}
	update(t, s, func(tx platform.Tx) error {
		for _, id := range ids {
			if err := tx.PutAccount(newAccount(id)); err != nil {
				return err
			}
		}
		return nil
	})
	want := []platform.Account{newAccount("a"), newAccount("b"), newAccount("m"), newAccount("z")}
	same(t, "Accounts", get(t, s, func(tx platform.Tx) ([]platform.Account, error) { return tx.Accounts() }), want)
}

func testNotFound(t *testing.T, s platform.Store) {
	seed(t, s)
	getters := map[string]func(tx platform.Tx) error{
		"Account":     func(tx platform.Tx) error { _, err := tx.Account("nobody"); return err },
		"Token":       func(tx platform.Tx) error { _, err := tx.Token("0123456789abcdef0123456789abcdef"); return err },
		"Park":        func(tx platform.Tx) error { _, err := tx.Park(u1, "P999"); return err },
		"Park other":  func(tx platform.Tx) error { _, err := tx.Park(u2, code2); return err },
		"ParkByID":    func(tx platform.Tx) error { _, err := tx.ParkByID("isv-none"); return err },
		"Entrance":    func(tx platform.Tx) error { _, err := tx.Entrance(p1, "E9"); return err },
		"Record":      func(tx platform.Tx) error { _, err := tx.Record(platform.KindEnter, p1, "r9"); return err },
		"Record exit": func(tx platform.Tx) error { _, err := tx.Record(platform.KindExit, p1, "r9"); return err },
		"Picture":     func(tx platform.Tx) error { _, err := tx.Picture(u1, code1, "pic9"); return err },
		"Vacancy":     func(tx platform.Tx) error { _, err := tx.Vacancy(p1); return err },
		"Reservation": func(tx platform.Tx) error { _, err := tx.Reservation("b9"); return err },
		"Dispatch":    func(tx platform.Tx) error { _, err := tx.Dispatch("d9"); return err },
		"APIKey":      func(tx platform.Tx) error { _, err := tx.APIKey("k9"); return err },
		"Blacklisted": func(tx platform.Tx) error { _, err := tx.Blacklisted("粤B9"); return err },
		"RecordByBookCode": func(tx platform.Tx) error {
			_, err := tx.RecordByBookCode(platform.KindEnter, p1, "bk9")
			return err
		},
	}
	for name, fn := range getters {
		err := s.View(t.Context(), fn)
		notFound(t, name, err)
	}
}

func testSetAccountState(t *testing.T, s platform.Store) {
	seed(t, s)
	e := platform.LivenessEvent{UserID: u1, Online: true, At: at(5), Cause: "login"}
	update(t, s, func(tx platform.Tx) error { return tx.SetAccountState(e) })
	a := get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(u1) })
	if !a.Online || !a.StateSince.Equal(at(5)) {
		t.Errorf("account state: online %v since %v, want true since %v", a.Online, a.StateSince, at(5))
	}
	h := get(t, s, func(tx platform.Tx) ([]platform.LivenessEvent, error) { return tx.LivenessHistory(u1, 0) })
	same(t, "history", h, []platform.LivenessEvent{e})
}

func testSetAccountStateUnknown(t *testing.T, s platform.Store) {
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: "nobody", Online: true, At: at(1)})
	})
	notFound(t, "SetAccountState", err)
}

func testLivenessHistory(t *testing.T, s platform.Store) {
	seed(t, s)
	ev := func(m int, park string, online bool, cause string) platform.LivenessEvent {
		return platform.LivenessEvent{UserID: u1, IsvParkID: park, Online: online, At: at(m), Cause: cause}
	}
	// Stored out of time order; the two at minute 3 keep insertion order.
	events := []platform.LivenessEvent{
		ev(3, "", true, "login"), ev(1, p1, true, "heartbeat"), ev(3, p1, false, "timeout"),
		ev(7, "", false, "timeout"), ev(2, p2, true, "heartbeat"),
	}
	update(t, s, func(tx platform.Tx) error {
		for _, e := range events {
			if err := tx.AddLivenessEvent(e); err != nil {
				return err
			}
		}
		return tx.AddLivenessEvent(platform.LivenessEvent{UserID: u2, Online: true, At: at(4), Cause: "login"})
	})
	ordered := []platform.LivenessEvent{events[1], events[4], events[0], events[2], events[3]}
	history := func(limit int) []platform.LivenessEvent {
		return get(t, s, func(tx platform.Tx) ([]platform.LivenessEvent, error) { return tx.LivenessHistory(u1, limit) })
	}
	same(t, "all events", history(0), ordered)
	same(t, "latest 3", history(3), ordered[2:])
	same(t, "limit above count", history(50), ordered)
	if n := len(get(t, s, func(tx platform.Tx) ([]platform.LivenessEvent, error) { return tx.LivenessHistory("u3", 0) })); n != 0 {
		t.Errorf("history of an account without events: %d events", n)
	}
}

func tokenCases() []testCase {
	return []testCase{
		{"token round trip and TouchToken", testTokenTouch},
		{"TouchToken of an unknown token is not found", testTouchUnknown},
		{"LastSeen is the latest of the account's tokens, zero without any", testLastSeen},
		{"DeleteTokensBefore removes only tokens last seen earlier", testDeleteTokens},
		{"DeleteAccountTokens removes every token of one account only", testDeleteAccountTokens},
	}
}

func newToken(value, userID string, issued, seen int) platform.Token {
	return platform.Token{Value: value, UserID: userID, IssuedAt: at(issued), LastSeen: at(seen)}
}

func putTokens(t *testing.T, s platform.Store, ks ...platform.Token) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, k := range ks {
			if err := tx.PutToken(k); err != nil {
				return err
			}
		}
		return nil
	})
}

func testTokenTouch(t *testing.T, s platform.Store) {
	seed(t, s)
	k := newToken("0123456789abcdef0123456789abcdef", u1, 1, 1)
	putTokens(t, s, k)
	same(t, "stored token", get(t, s, func(tx platform.Tx) (platform.Token, error) { return tx.Token(k.Value) }), k)
	update(t, s, func(tx platform.Tx) error { return tx.TouchToken(k.Value, at(9)) })
	k.LastSeen = at(9)
	same(t, "touched token", get(t, s, func(tx platform.Tx) (platform.Token, error) { return tx.Token(k.Value) }), k)
}

func testTouchUnknown(t *testing.T, s platform.Store) {
	err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.TouchToken("ffffffffffffffffffffffffffffffff", at(1)) })
	notFound(t, "TouchToken", err)
}

func testLastSeen(t *testing.T, s platform.Store) {
	seed(t, s)
	lastSeen := func(userID string) time.Time {
		return get(t, s, func(tx platform.Tx) (time.Time, error) { return tx.LastSeen(userID) })
	}
	if got := lastSeen(u1); !got.IsZero() {
		t.Errorf("LastSeen without tokens = %v, want the zero time", got)
	}
	putTokens(t, s, newToken("a1", u1, 1, 4), newToken("a2", u1, 2, 9), newToken("a3", u1, 3, 6), newToken("b1", u2, 1, 20))
	if got := lastSeen(u1); !got.Equal(at(9)) {
		t.Errorf("LastSeen = %v, want %v", got, at(9))
	}
}

func testDeleteAccountTokens(t *testing.T, s platform.Store) {
	seed(t, s)
	putTokens(t, s, newToken("a1", u1, 1, 4), newToken("a2", u1, 2, 9), newToken("b1", u2, 1, 5))
	var n int
	update(t, s, func(tx platform.Tx) (err error) {
		n, err = tx.DeleteAccountTokens(u1)
		return err
	})
	if n != 2 {
		t.Errorf("DeleteAccountTokens removed %d tokens, want 2", n)
	}
	for value, kept := range map[string]bool{"a1": false, "a2": false, "b1": true} {
		err := s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Token(value); return err })
		if kept && err != nil {
			t.Errorf("token %s: %v, want it kept", value, err)
		}
		if !kept {
			notFound(t, "deleted token "+value, err)
		}
	}
}

func testDeleteTokens(t *testing.T, s platform.Store) {
	seed(t, s)
	putTokens(t, s, newToken("a1", u1, 1, 4), newToken("a2", u1, 2, 9), newToken("b1", u2, 1, 5), newToken("b2", u2, 1, 3))
	var n int
	update(t, s, func(tx platform.Tx) (err error) {
		n, err = tx.DeleteTokensBefore(at(5))
		return err
	})
	if n != 2 {
		t.Errorf("DeleteTokensBefore removed %d tokens, want 2", n)
	}
	for value, kept := range map[string]bool{"a1": false, "a2": true, "b1": true, "b2": false} {
		err := s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Token(value); return err })
		if kept && err != nil {
			t.Errorf("token %s: %v, want it kept", value, err)
		}
		if !kept {
			notFound(t, "deleted token "+value, err)
		}
	}
}

func testUnavailableAccounts(t *testing.T, s platform.Store) {
	unavailable := func() []platform.AccountStatus {
		return get(t, s, func(tx platform.Tx) ([]platform.AccountStatus, error) { return tx.UnavailableAccounts() })
	}
	if got := unavailable(); len(got) != 0 {
		t.Errorf("UnavailableAccounts with no accounts = %v, want none", got)
	}
	update(t, s, func(tx platform.Tx) error {
		for _, a := range []struct {
			id               string
			disabled, online bool
		}{{u2, true, true}, {u1, false, true}, {"u3", true, false}, {"u4", false, false}} {
			acct := newAccount(a.id)
			acct.Disabled, acct.Online = a.disabled, a.online
			if err := tx.PutAccount(acct); err != nil {
				return err
			}
		}
		return nil
	})
	same(t, "UnavailableAccounts", unavailable(), []platform.AccountStatus{
		{UserID: u2, Disabled: true, Online: true}, {UserID: "u3", Disabled: true}, {UserID: "u4"}})
	update(t, s, func(tx platform.Tx) error {
		a, err := tx.Account(u2)
		if err != nil {
			return err
		}
		a.Disabled = false
		return tx.PutAccount(a)
	})
	same(t, "UnavailableAccounts after enabling "+u2, unavailable(), []platform.AccountStatus{
		{UserID: "u3", Disabled: true}, {UserID: "u4"}})
}

func testAccountSettings(t *testing.T, s platform.Store) {
	settings := func() []platform.AccountSettings {
		return get(t, s, func(tx platform.Tx) ([]platform.AccountSettings, error) { return tx.AccountSettings() })
	}
	key := []byte("0123456789abcdef")
	update(t, s, func(tx platform.Tx) error {
		for _, a := range []struct {
			id      string
			key     []byte
			require bool
			role    string
		}{{"u5", nil, false, platform.RoleOffPeak}, {u2, key, true, ""}, {u1, nil, false, ""},
			{"u3", key, false, platform.RolePLMS}, {"u4", nil, false, platform.RolePLMS}} {
			acct := newAccount(a.id)
			acct.DataKey, acct.RequireEncryption, acct.Role = a.key, a.require, a.role
			if err := tx.PutAccount(acct); err != nil {
				return err
			}
		}
		return nil
	})
	same(t, "AccountSettings", settings(), []platform.AccountSettings{
		{UserID: u2, DataKey: key, RequireEncryption: true, Role: ""},
		{UserID: "u3", DataKey: key, Role: platform.RolePLMS},
		{UserID: "u5", Role: platform.RoleOffPeak}})
	update(t, s, func(tx platform.Tx) error {
		a, err := tx.Account(u2)
		if err != nil {
			return err
		}
		a.DataKey, a.RequireEncryption = nil, false
		return tx.PutAccount(a)
	})
	same(t, "AccountSettings after clearing "+u2+"'s key", settings(), []platform.AccountSettings{
		{UserID: "u3", DataKey: key, Role: platform.RolePLMS},
		{UserID: "u5", Role: platform.RoleOffPeak}})
}

package accounts_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// countingStore counts the read transactions made through it.
type countingStore struct {
	platform.Store
	views atomic.Int64
}

func (s *countingStore) View(ctx context.Context, fn func(tx platform.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(ctx, fn)
}

type fixture struct {
	store *countingStore
	now   time.Time
	m     *accounts.Manager
	state *accounts.State
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{store: &countingStore{Store: s}, now: time.Date(2025, 6, 1, 9, 0, 0, 0, protocol.CST)}
	clock := func() time.Time { return f.now }
	f.state = accounts.NewState(f.store, clock, 0)
	f.m = &accounts.Manager{Store: f.store, Now: clock, State: f.state, Cost: bcrypt.MinCost}
	return f
}

// put stores a directly (no bcrypt: fast under -race).
func (f *fixture) put(t *testing.T, a platform.Account) {
	t.Helper()
	a.CreatedAt, a.StateSince = f.now, f.now
	if err := f.store.Update(context.Background(), func(tx platform.Tx) error { return tx.PutAccount(a) }); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) get(t *testing.T, userID string) accounts.Status {
	t.Helper()
	st, err := f.state.Get(context.Background(), userID)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAddAccountRules(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, c := range []struct {
		a    platform.Account
		pw   string
		want string
	}{
		{platform.Account{}, "pw", "user-id is required"},
		{platform.Account{UserID: strings.Repeat("x", 33)}, "pw", "user-id is required"},
		{platform.Account{UserID: "lot1"}, "", "password is required"},
		{platform.Account{UserID: "lot1", CallbackURL: "ftp://x"}, "pw", "callback must be"},
		{platform.Account{UserID: "lot1", CallbackURL: "https://x"}, "pw", "callback-token is required"},
		{platform.Account{UserID: "lot1", Role: "admin"}, "pw", "role must be"},
	} {
		if err := f.m.AddAccount(ctx, c.a, c.pw); err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.a, err, c.want)
		}
	}
	if err := f.m.AddAccount(ctx, platform.Account{UserID: "lot1"}, "pw"); err != nil {
		t.Fatal(err)
	}
	if err := f.m.AddAccount(ctx, platform.Account{UserID: "lot1"}, "pw"); !errors.Is(err, accounts.ErrExists) {
		t.Errorf("adding lot1 again: %v", err)
	}
	var a platform.Account
	_ = f.store.View(ctx, func(tx platform.Tx) (err error) { a, err = tx.Account("lot1"); return err })
	if !accounts.VendorPasswordMatches(a.PasswordHash, protocol.PasswordDigest("pw")) || !a.CreatedAt.Equal(f.now) {
		t.Errorf("stored account %+v: the hash does not match the wire password", a)
	}
}

func TestOperatorNamesAndPasswords(t *testing.T) {
	const good = "Correct horse 7"
	for _, name := range []string{"", " alice", "alice ", "a\tb", strings.Repeat("名", 65), "\xff"} {
		if _, err := accounts.NewOperatorCost(name, good, platform.OperatorWatch, bcrypt.MinCost, time.Now()); err == nil || !strings.HasPrefix(err.Error(), "name ") {
			t.Errorf("name %q: %v, want an error naming name", name, err)
		}
	}
	for _, pw := range []string{"", "Short 1", "Eleven ch 1", "all lower case words", "ALLUPPER12345", "1234567890ab",
		"十二个字的密码啊啊啊啊啊", strings.Repeat("Xx1", 25), "My alice pw 1", "\xffxx Abc 12345"} {
		if _, err := accounts.NewOperatorCost("alice", pw, platform.OperatorWatch, bcrypt.MinCost, time.Now()); err == nil || !strings.HasPrefix(err.Error(), "password ") {
			t.Errorf("password %q: %v, want an error naming password", pw, err)
		}
	}
	if _, err := accounts.NewOperatorCost("alice", good, "root", bcrypt.MinCost, time.Now()); err == nil || !strings.HasPrefix(err.Error(), "role ") {
		t.Errorf("role root: %v", err)
	}
	now := time.Now()
	for _, pw := range []string{"Twelve chars", "twelve chars 1", "十二个字的密码啊啊啊Ab", "TWELVE-CHARS1"} {
		op, err := accounts.NewOperatorCost("张三", pw, platform.OperatorAuditor, bcrypt.MinCost, now)
		if err != nil || op.Name != "张三" || len(op.PasswordHash) == 0 || bytes.Contains(op.PasswordHash, []byte(pw)) ||
			op.Role != platform.OperatorAuditor || !op.MustChangePassword || !op.PasswordChangedAt.Equal(now) {
			t.Errorf("a good operator with %q: %+v, %v", pw, op, err)
		}
		if !accounts.OperatorPasswordMatches(op.PasswordHash, pw) || accounts.OperatorPasswordMatches(op.PasswordHash, pw+"x") {
			t.Error("the operator's password check")
		}
	}
}

func TestAPIKeySecret(t *testing.T) {
	k, secret := accounts.NewAPIKey("app", time.Now())
	id, sec, ok := strings.Cut(secret, ".")
	if !ok || id != k.ID || !accounts.APISecretMatches(k.SecretHash, sec) || accounts.APISecretMatches(k.SecretHash, sec+"0") {
		t.Errorf("key %+v, secret %q", k, secret)
	}
	if bytes.Contains(k.SecretHash, []byte(sec)) {
		t.Error("the secret is stored in the clear")
	}
}

// TestDisableEndsTokensForGood: disabling deletes every token of the
// account and records it offline; enabling brings no token back; and
// the State of the disabling instance knows at once.
func TestDisableEndsTokensForGood(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.put(t, platform.Account{UserID: "lot1"})
	err := f.store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.SetAccountState(platform.LivenessEvent{UserID: "lot1", Online: true, At: f.now, Cause: "login"}); err != nil {
			return err
		}
		return tx.PutToken(platform.Token{Value: "t1", UserID: "lot1", IssuedAt: f.now, LastSeen: f.now})
	})
	if err != nil {
		t.Fatal(err)
	}
	if st := f.get(t, "lot1"); st.Disabled || !st.Online {
		t.Fatalf("before: %+v", st)
	}
	if err := f.m.Disable(ctx, "lot1"); err != nil {
		t.Fatal(err)
	}
	if st := f.get(t, "lot1"); !st.Disabled || st.Online {
		t.Errorf("at once after disable, within the refresh: %+v, want disabled and offline", st)
	}
	if err := f.m.Enable(ctx, "lot1"); err != nil {
		t.Fatal(err)
	}
	err = f.store.View(ctx, func(tx platform.Tx) error { _, err := tx.Token("t1"); return err })
	if !platform.IsNotFound(err) {
		t.Errorf("token after disable and enable: %v, want not found", err)
	}
	if st := f.get(t, "lot1"); st.Disabled || st.Online {
		t.Errorf("after enable: %+v, want enabled and still offline", st)
	}
	if err := f.m.Disable(ctx, "nobody"); !errors.Is(err, accounts.ErrNoAccount) {
		t.Errorf("disable nobody: %v", err)
	}
}

// TestStateOneSharedRead: every account's state comes from one read per
// refresh, however many accounts are asked about; a change made by
// another process shows at the next refresh.
func TestStateOneSharedRead(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	for _, id := range []string{"a", "b", "c"} {
		f.put(t, platform.Account{UserID: id})
	}
	before := f.store.views.Load()
	for range 10 {
		for _, id := range []string{"a", "b", "c", "unknown"} {
			f.get(t, id)
		}
	}
	if n := f.store.views.Load() - before; n != 1 {
		t.Errorf("%d reads for 40 lookups within the refresh, want 1", n)
	}
	other := &accounts.Manager{Store: f.store.Store, Now: func() time.Time { return f.now }} // another process
	if _, err := other.SetKey(ctx, "b", accounts.KeyChange{Key: accounts.NewDataKey(), Require: true}); err != nil {
		t.Fatal(err)
	}
	if st := f.get(t, "b"); st.RequireEncryption {
		t.Errorf("within the refresh another process's change is not seen yet: %+v", st)
	}
	f.now = f.now.Add(accounts.DefaultRefresh)
	if st := f.get(t, "b"); !st.RequireEncryption || len(st.DataKey) != protocol.DataKeySize {
		t.Errorf("after the refresh: %+v, want the key", st)
	}
}

// TestStateOwnReadWins: an account's own read (at its login) stamped
// after the shared read serves it until a newer shared read.
func TestStateOwnReadWins(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.get(t, "lot1")                                                       // the shared read, before the account exists
	f.put(t, platform.Account{UserID: "lot1", Role: platform.RoleOffPeak}) // by another process
	stamp := f.state.Stamp()
	var a platform.Account
	_ = f.store.View(ctx, func(tx platform.Tx) (err error) { a, err = tx.Account("lot1"); return err })
	f.state.Note(a, stamp)
	if st := f.get(t, "lot1"); st.Role != platform.RoleOffPeak {
		t.Errorf("after its own read: role %q, want %q", st.Role, platform.RoleOffPeak)
	}
	f.state.Note(platform.Account{UserID: "lot2", Role: platform.RoleOffPeak}, 0) // older than the shared read: it loses
	if st := f.get(t, "lot2"); st.Role != "" {
		t.Errorf("an own read older than the shared one: role %q", st.Role)
	}
}

// TestStateFreshness: a shared read is good for less than the refresh
// after it, and also for a caller whose time was taken before it (it
// waited for the lock); a clock set back by a whole refresh reads again.
func TestStateFreshness(t *testing.T) {
	f := newFixture(t)
	start := f.now
	f.get(t, "x")
	for _, c := range []struct {
		d     time.Duration
		reads int64
	}{
		{0, 0},
		{accounts.DefaultRefresh - time.Millisecond, 0},
		{-time.Second, 0},
		{-accounts.DefaultRefresh + time.Millisecond, 0},
		{accounts.DefaultRefresh, 1},
	} {
		f.now = start.Add(c.d)
		before := f.store.views.Load()
		f.get(t, "x")
		if n := f.store.views.Load() - before; n != c.reads {
			t.Errorf("at %v after the read: %d reads, want %d", c.d, n, c.reads)
		}
	}
	f.now = start.Add(accounts.DefaultRefresh - accounts.DefaultRefresh - accounts.DefaultRefresh) // set back a whole refresh from the last read
	before := f.store.views.Load()
	f.get(t, "x")
	if n := f.store.views.Load() - before; n != 1 {
		t.Errorf("a clock set back a whole refresh: %d reads, want 1", n)
	}
}

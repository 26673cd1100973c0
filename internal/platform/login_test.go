package platform

import (
	"errors"
	"testing"
	"time"
)

// loginCounts is a LoginTx over a map.
type loginCounts struct {
	m      map[[2]string]LoginFailure
	getErr error
}

func (c *loginCounts) LoginFailure(userID, addr string) (LoginFailure, error) {
	if c.getErr != nil {
		return LoginFailure{}, c.getErr
	}
	f, ok := c.m[[2]string{userID, addr}]
	if !ok {
		return f, ErrNotFound
	}
	return f, nil
}

func (c *loginCounts) PutLoginFailure(f LoginFailure) error {
	c.m[[2]string{f.UserID, f.Addr}] = f
	return nil
}

func (c *loginCounts) DeleteLoginFailure(userID, addr string) error {
	delete(c.m, [2]string{userID, addr})
	return nil
}

func (c *loginCounts) PurgeLoginFailures(time.Time, int) (int, error) { return 0, nil }

func TestLoginLockoutFail(t *testing.T) {
	l := LoginLockout{Failures: 3, Window: 15 * time.Minute, Duration: 5 * time.Minute}
	t0 := time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		stored *LoginFailure
		now    time.Time
		want   LoginFailure
	}{
		{"first failure starts a window", nil, t0,
			LoginFailure{UserID: "u", Addr: "a", Count: 1, First: t0}},
		{"failure within the window counts", &LoginFailure{UserID: "u", Addr: "a", Count: 1, First: t0}, t0.Add(time.Minute),
			LoginFailure{UserID: "u", Addr: "a", Count: 2, First: t0}},
		{"failure after the window starts a fresh one", &LoginFailure{UserID: "u", Addr: "a", Count: 2, First: t0}, t0.Add(16 * time.Minute),
			LoginFailure{UserID: "u", Addr: "a", Count: 1, First: t0.Add(16 * time.Minute)}},
		{"reaching the limit locks and restarts the count", &LoginFailure{UserID: "u", Addr: "a", Count: 2, First: t0}, t0.Add(time.Minute),
			LoginFailure{UserID: "u", Addr: "a", Count: 0, First: t0.Add(time.Minute), LockedUntil: t0.Add(6 * time.Minute)}},
		{"failure while locked is not counted", &LoginFailure{UserID: "u", Addr: "a", First: t0, LockedUntil: t0.Add(5 * time.Minute)}, t0.Add(time.Minute),
			LoginFailure{UserID: "u", Addr: "a", First: t0, LockedUntil: t0.Add(5 * time.Minute)}},
		{"failure after the lock counts afresh", &LoginFailure{UserID: "u", Addr: "a", First: t0, LockedUntil: t0.Add(5 * time.Minute)}, t0.Add(20 * time.Minute),
			LoginFailure{UserID: "u", Addr: "a", Count: 1, First: t0.Add(20 * time.Minute)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &loginCounts{m: map[[2]string]LoginFailure{}}
			if tt.stored != nil {
				c.PutLoginFailure(*tt.stored)
			}
			locked, err := l.Fail(c, "u", "a", tt.now)
			if err != nil {
				t.Fatal(err)
			}
			if want := tt.want.LockedUntil.After(tt.now) && (tt.stored == nil || !tt.stored.LockedUntil.After(tt.now)); locked != want {
				t.Errorf("locked = %v, want %v", locked, want)
			}
			if got := c.m[[2]string{"u", "a"}]; got != tt.want {
				t.Errorf("count = %+v, want %+v", got, tt.want)
			}
			if len(c.m) != 1 {
				t.Errorf("%d counts stored, want 1", len(c.m))
			}
		})
	}
}

func TestLoginLockoutFailReturnsReadError(t *testing.T) {
	boom := errors.New("boom")
	c := &loginCounts{m: map[[2]string]LoginFailure{}, getErr: boom}
	if _, err := (LoginLockout{Failures: 3}).Fail(c, "u", "a", time.Now()); !errors.Is(err, boom) {
		t.Errorf("Fail = %v, want %v", err, boom)
	}
	if len(c.m) != 0 {
		t.Errorf("count stored after a failed read")
	}
}

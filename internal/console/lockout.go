package console

import (
	"context"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The login lock-out: LockoutFailures wrong logins from one address within
// LockoutWindow lock that address out of the console for LockoutDuration,
// whatever name it tries; a success resets its count. The counts live in
// the store (platform.LoginTx, as for vendor logins in internal/session),
// so every instance on one database shares them.

// lockKey names the lock that serialises the read-modify-write of an
// address's count across instances.
func lockKey(addr string) string { return "console-login:" + addr }

// lockedOut reports whether addr is locked out at now.
func (s *Server) lockedOut(ctx context.Context, addr string, now time.Time) (bool, error) {
	var locked bool
	err := s.cfg.Store.View(ctx, func(tx platform.Tx) error {
		f, err := tx.LoginFailure(lockoutUser, addr)
		if platform.IsNotFound(err) {
			return nil
		}
		locked = now.Before(f.LockedUntil)
		return err
	})
	return locked, err
}

// loginFailed counts a failure of addr at now, by the operator name it
// tried, under the console's rule (platform.LoginLockout): a fresh window
// when the last is over, and a lock when the count reaches the limit,
// which it logs.
func (s *Server) loginFailed(ctx context.Context, name, addr string, now time.Time) error {
	var locked bool
	err := s.cfg.Store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.Lock(lockKey(addr)); err != nil {
			return err
		}
		l := platform.LoginLockout{Failures: s.cfg.LockoutFailures, Window: s.cfg.LockoutWindow, Duration: s.cfg.LockoutDuration}
		var err error
		locked, err = l.Fail(tx, lockoutUser, addr, now)
		return err
	})
	if err == nil && locked {
		s.cfg.Log.Warn("console login locked out", "operator", name, "remote", addr,
			"failures", s.cfg.LockoutFailures, "until", now.Add(s.cfg.LockoutDuration))
	}
	return err
}

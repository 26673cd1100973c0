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

// loginFailed counts a failure of addr at now under the console's rule
// (platform.LoginLockout): a fresh window when the last is over, and a
// lock when the count reaches the limit.
func (s *Server) loginFailed(ctx context.Context, addr string, now time.Time) error {
	return s.cfg.Store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.Lock(lockKey(addr)); err != nil {
			return err
		}
		l := platform.LoginLockout{Failures: s.cfg.LockoutFailures, Window: s.cfg.LockoutWindow, Duration: s.cfg.LockoutDuration}
		return l.Fail(tx, lockoutUser, addr, now)
	})
}

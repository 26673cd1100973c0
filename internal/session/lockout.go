package session

import (
	"context"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The login lock-out (docs/protocol.md §5): after LockoutFailures consecutive
// failures of a userId from one address within LockoutWindow, that pair
// is locked for LockoutDuration. A success resets the count. Other
// addresses are unaffected, so guessing from one address cannot lock the
// genuine vendor out. The counts live in the store (platform.LoginTx), so
// every instance on one database shares them: N instances behind a load
// balancer give an attacker no more guesses than one.

// purgeLoginFailuresLimit bounds the counts one sweep deletes.
const purgeLoginFailuresLimit = 1000

// lockLogin serialises, across instances, the transactions that read and
// then change the count of (userID, addr).
func lockLogin(tx platform.Tx, userID, addr string) error {
	return tx.Lock("login:" + userID + "|" + addr)
}

// loginState reads the count of (userID, addr) at now: whether the pair
// is locked, and whether it has a count at all.
func (m *Manager) loginState(ctx context.Context, userID, addr string, now time.Time) (locked, counted bool, err error) {
	err = m.store.Update(ctx, func(tx platform.Tx) error {
		if err := lockLogin(tx, userID, addr); err != nil {
			return err
		}
		f, err := tx.LoginFailure(userID, addr)
		if platform.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return err
		}
		counted = true
		locked = now.Before(f.LockedUntil)
		return nil
	})
	return locked, counted, err
}

// loginFailed records a failure of (userID, addr) at now: it starts a
// fresh window when the last one is over, and locks the pair when the
// count reaches the limit, which it logs. A failure while the pair is
// locked (another instance locked it since loginState) is not counted, as
// a locked login is not checked.
func (m *Manager) loginFailed(ctx context.Context, userID, addr string, now time.Time) error {
	var locked bool
	err := m.store.Update(ctx, func(tx platform.Tx) error {
		if err := lockLogin(tx, userID, addr); err != nil {
			return err
		}
		l := platform.LoginLockout{Failures: m.cfg.LockoutFailures, Window: m.cfg.LockoutWindow, Duration: m.cfg.LockoutDuration}
		var err error
		locked, err = l.Fail(tx, userID, addr, now)
		return err
	})
	if err == nil && locked {
		m.log.Warn("login locked out", "userId", userID, "remote", addr,
			"failures", m.cfg.LockoutFailures, "until", now.Add(m.cfg.LockoutDuration))
	}
	return err
}

// loginSucceeded resets the count of (userID, addr).
func (m *Manager) loginSucceeded(ctx context.Context, userID, addr string) error {
	return m.store.Update(ctx, func(tx platform.Tx) error {
		if err := lockLogin(tx, userID, addr); err != nil {
			return err
		}
		return tx.DeleteLoginFailure(userID, addr)
	})
}

// purgeLoginFailures deletes counts that can no longer matter at now:
// their window is over and they are not locked.
func (m *Manager) purgeLoginFailures(tx platform.Tx, now time.Time) error {
	_, err := tx.PurgeLoginFailures(now.Add(-m.cfg.LockoutWindow), purgeLoginFailuresLimit)
	return err
}

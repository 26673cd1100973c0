package session

import (
	"sync"
	"time"
)

// lockout counts failed logins per (userId, address) (PROTOCOL §5): after
// Failures consecutive failures within Window, the pair is locked for
// Duration. A success resets the count. Other addresses are unaffected, so
// guessing from one address cannot lock the genuine vendor out.
type lockout struct {
	failures int
	window   time.Duration
	duration time.Duration

	mu      sync.Mutex
	entries map[string]*lockEntry
}

type lockEntry struct {
	count       int
	first       time.Time
	lockedUntil time.Time
}

func newLockout(failures int, window, duration time.Duration) *lockout {
	return &lockout{failures: failures, window: window, duration: duration, entries: map[string]*lockEntry{}}
}

func lockKey(userID, addr string) string { return userID + "\x00" + addr }

// locked reports whether the pair is locked at now.
func (l *lockout) locked(userID, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	e := l.entries[lockKey(userID, addr)]
	return e != nil && now.Before(e.lockedUntil)
}

// fail records a failure at now.
func (l *lockout) fail(userID, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	k := lockKey(userID, addr)
	e := l.entries[k]
	if e == nil || now.Sub(e.first) > l.window {
		e = &lockEntry{first: now}
		l.entries[k] = e
	}
	e.count++
	if e.count >= l.failures {
		e.lockedUntil = now.Add(l.duration)
		e.count = 0
		e.first = now
	}
}

// succeed resets the pair.
func (l *lockout) succeed(userID, addr string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.entries, lockKey(userID, addr))
}

// prune forgets entries that can no longer matter, bounding memory.
func (l *lockout) prune(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, e := range l.entries {
		if now.Sub(e.first) > l.window && !now.Before(e.lockedUntil) {
			delete(l.entries, k)
		}
	}
}

// Package ratelimit keeps one token bucket (golang.org/x/time/rate) per
// key, such as a client address or an account, and forgets the buckets of
// keys idle for longer than Idle. It only decides; each caller answers a
// refused request in its own format.
//
//	l := ratelimit.New(10, 0) // 10 requests a second, bursts of 20
//	if ok, wait := l.Allow(addr, time.Now()); !ok {
//		// refuse, telling the client to retry after wait
//	}
package ratelimit

import (
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Idle is how long a key's bucket is kept after its last request; the
// idle buckets are swept at most once per Idle.
const Idle = time.Minute

// Keyed is a set of token buckets, one per key. A nil *Keyed allows
// everything. It is safe for concurrent use.
type Keyed struct {
	rate  rate.Limit
	burst int

	mu      sync.Mutex
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

// New allows perSecond requests per key with bursts of burst (when burst
// is zero or less, twice the rate, at least 1). A zero or negative rate
// turns the limit off: New returns nil.
func New(perSecond float64, burst int) *Keyed {
	if perSecond <= 0 {
		return nil
	}
	if burst <= 0 {
		burst = max(1, int(math.Ceil(2*perSecond)))
	}
	return &Keyed{rate: rate.Limit(perSecond), burst: burst, buckets: map[string]*bucket{}}
}

// Allow takes a token from key's bucket at now; when none is left it
// returns false and how long to wait for one (the refused request takes
// nothing).
func (l *Keyed) Allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > Idle {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > Idle {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.rate, l.burst)}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

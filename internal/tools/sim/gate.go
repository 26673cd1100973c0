package sim

import (
	"sync"
	"time"
)

// dayGate holds the lots at a simulated midnight while the day's duties
// run: the day's records are delivered, then the replenish lists pulled,
// so that a list names only what the platform really lacks (docs/protocol.md
// §5) however slowly the machine or the platform goes. The lots wait as
// they do when the outbox is full.
type dayGate struct {
	mu     sync.Mutex
	at     time.Time     // the midnight held; zero when open
	opened chan struct{} // closed when the gate opens
	moved  chan struct{} // closed, and replaced, when a lot steps while held
}

// hold closes the gate at midnight: events at or after it wait. Holding
// the midnight already held changes nothing.
func (g *dayGate) hold(midnight time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.at.Equal(midnight) {
		return
	}
	g.at, g.opened, g.moved = midnight, make(chan struct{}), make(chan struct{})
}

// open lets the held lots go on.
func (g *dayGate) open() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.at.IsZero() {
		g.at = time.Time{}
		close(g.opened)
	}
}

// pass returns when an event at t may happen: at once before a held
// midnight or when the gate is open, otherwise when it opens. It reports
// false when stop came first.
func (g *dayGate) pass(t time.Time, stop <-chan struct{}) bool {
	g.mu.Lock()
	if g.at.IsZero() || t.Before(g.at) {
		g.mu.Unlock()
		return true
	}
	opened := g.opened
	g.mu.Unlock()
	select {
	case <-opened:
		return true
	case <-stop:
		return false
	}
}

// stepped tells the gate a lot has performed an event, so that a wait for
// every lot to reach midnight looks again.
func (g *dayGate) stepped() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.at.IsZero() {
		close(g.moved)
		g.moved = make(chan struct{})
	}
}

// reached waits until every lot's next event is at or after the held
// midnight; it reports false when stop came first.
func (g *dayGate) reached(lots []*Lot, stop <-chan struct{}) bool {
	for {
		g.mu.Lock()
		at, moved := g.at, g.moved
		g.mu.Unlock()
		all := true
		for _, l := range lots {
			if l.next().Before(at) {
				all = false
				break
			}
		}
		if all {
			return true
		}
		select {
		case <-moved:
		case <-stop:
			return false
		}
	}
}

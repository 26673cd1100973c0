package sim

import (
	"container/heap"
	"context"
	"time"

	"github.com/parkd/parkd/protocol"
)

// ReservationCounts are the reservation outcomes a run counted.
type ReservationCounts struct {
	Accepted  int // answered 0: a space is held
	NoSpace   int // answered 1501
	Repeated  int // answered 1201
	Cancelled int // cancellations that freed a space
	Unknown   int // requests for a park or order the simulator does not have
}

// Reserve implements client.ReservationHandler: it answers from the
// lot's own vacancy. An order is accepted (nil, code 0) and holds a space
// when the lot has a free reservable space (for bookType 1, any free
// space); it is refused with 1501 when it has none, and a bookCode seen
// before is answered 1201, except that operateType 2 updates an order
// still held. A held order's vehicle usually comes (its entry carries the
// bookCode); otherwise the hold lapses after obligatTime.
func (s *Sim) Reserve(ctx context.Context, r protocol.Reservation) error {
	l := s.byCode[r.ParkCode]
	if l == nil {
		s.countReservation(func(c *ReservationCounts) { c.Unknown++ })
		return protocol.FieldErrorf(protocol.CodeNoPark, "parkCode", "(%s is not a lot of this parking system)", r.ParkCode)
	}
	err := l.reserve(r, s.clock.now(), s.platformNow())
	s.countReservation(func(c *ReservationCounts) {
		switch protocol.CodeOf(err) {
		case protocol.CodeOK:
			c.Accepted++
		case protocol.CodeNoReservable:
			c.NoSpace++
		case protocol.CodeBookExists:
			c.Repeated++
		}
	})
	return err
}

// Cancel implements client.ReservationHandler: a held order is cancelled
// and its space freed; an order the lot never had is 1104. Cancelling an
// order again, or one whose vehicle came or whose hold lapsed, is a
// success that changes nothing.
func (s *Sim) Cancel(ctx context.Context, r protocol.CancelReservation) error {
	l := s.byCode[r.ParkCode]
	if l == nil {
		s.countReservation(func(c *ReservationCounts) { c.Unknown++ })
		return protocol.FieldErrorf(protocol.CodeNoPark, "parkCode", "(%s is not a lot of this parking system)", r.ParkCode)
	}
	freed, err := l.cancel(r.BookCode)
	s.countReservation(func(c *ReservationCounts) {
		switch {
		case freed:
			c.Cancelled++
		case err != nil:
			c.Unknown++
		}
	})
	return err
}

func (s *Sim) countReservation(f func(*ReservationCounts)) {
	s.mu.Lock()
	f(&s.resv)
	s.mu.Unlock()
}

// reserve decides an order at simulated time now; platformNow is the
// platform's clock, against which bookTime is read.
func (l *Lot) reserve(r protocol.Reservation, now, platformNow time.Time) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.bookings[r.BookCode]; b != nil {
		if r.OperateType == protocol.OperateChange && b.state == "held" {
			b.plate, b.model, b.color, b.pcolor = protocol.NormalizePlate(r.PlateNo), r.CarModel, r.CarColor, r.PlateColor
			return nil
		}
		return protocol.FieldErrorf(protocol.CodeBookExists, "bookCode", "(%s is already known to the lot)", r.BookCode)
	}
	info := l.spec.info
	free := info.TotalSpaces - len(l.inside) - l.held
	quota := 0
	if info.Reservable == protocol.Yes {
		quota = info.ReservableSpaces - l.held
	}
	if r.BookType == protocol.BookNoCheck {
		quota = free
	}
	if free <= 0 || quota <= 0 {
		return protocol.FieldErrorf(protocol.CodeNoReservable, "parkCode", "(%d free, %d reservable)", max(free, 0), max(quota, 0))
	}
	// The vehicle comes around bookTime (read on the platform's clock,
	// at most two hours ahead; from up to 10 minutes early to half its
	// obligatTime late), or, one time in ten, not at all and the hold
	// lapses after obligatTime.
	lead := min(max(r.BookTime.Time().Sub(platformNow), 0), 2*time.Hour)
	late := min(10*60, max(r.ObligatTime, 0)*30) // seconds
	lead += time.Duration(l.rrng.IntN(10*60+late+1)-10*60) * time.Second
	lead = max(lead, time.Minute)
	b := &booking{code: r.BookCode, plate: protocol.NormalizePlate(r.PlateNo), model: r.CarModel, color: r.CarColor,
		pcolor: r.PlateColor, at: now.Add(lead), show: l.rrng.IntN(10) < 9, state: "held", ordinal: uint64(len(l.bookings))}
	if !b.show {
		b.at = b.at.Add(time.Duration(max(r.ObligatTime, 15)) * time.Minute)
	}
	l.bookings[b.code] = b
	heap.Push(&l.books, b)
	l.held++
	l.changedLocked()
	return nil
}

// cancel frees a held order's space; freed reports whether it did.
func (l *Lot) cancel(bookCode string) (freed bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := l.bookings[bookCode]
	if b == nil {
		return false, protocol.FieldErrorf(protocol.CodeNoReservation, "bookCode", "(%s is not an order of this lot)", bookCode)
	}
	if b.state != "held" {
		return false, nil
	}
	b.state = "cancelled"
	if b.index >= 0 {
		heap.Remove(&l.books, b.index)
	}
	l.held--
	l.changedLocked()
	return true, nil
}

// changedLocked marks the vacancy changed outside the lot's own events
// and wakes its loop to report it.
func (l *Lot) changedLocked() {
	l.dirty = true
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

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
	Changed   int // operateType 2 applied to a held order (rescheduled)
	Cancelled int // cancellations that freed a space
	Unknown   int // requests for a park or order the simulator does not have
}

// Reserve implements client.ReservationHandler: it answers from the
// lot's own vacancy. An order is accepted (nil, code 0) and holds a space
// when the lot has a free reservable space (for bookType 1, any free
// space); it is refused with 1501 when it has none, and a bookCode seen
// before is answered 1201, except that operateType 2 updates an order
// still held and reschedules its vehicle by the new bookTime. A held
// order's vehicle usually comes (its entry, and later its exit, carry the
// bookCode) around bookTime; otherwise the hold lapses at bookTime +
// obligatTime. Both are read on the platform's clock and mapped to the
// simulated clock (see Lot.schedule), so they hold at any Speed. When the
// simulator's own app back end made the order (Config.APIKey), whether the
// vehicle comes is what that user decided when booking.
func (s *Sim) Reserve(ctx context.Context, r protocol.Reservation) error {
	l := s.byCode[r.ParkCode]
	if l == nil {
		s.countReservation(func(c *ReservationCounts) { c.Unknown++ })
		return protocol.FieldErrorf(protocol.CodeNoPark, "parkCode", "(%s is not a lot of this parking system)", r.ParkCode)
	}
	var comes *bool
	if s.booker != nil {
		comes = s.booker.intent(protocol.NormalizePlate(r.PlateNo))
	}
	changed, err := l.reserve(r, s.clock.now(), s.platformNow(), comes)
	s.countReservation(func(c *ReservationCounts) {
		switch protocol.CodeOf(err) {
		case protocol.CodeOK:
			if changed {
				c.Changed++
			} else {
				c.Accepted++
			}
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
// platform's clock, against which bookTime is read. comes, when not nil,
// says whether the vehicle will come; otherwise the lot draws it (nine
// times in ten). changed reports an operateType 2 applied to a held order.
func (l *Lot) reserve(r protocol.Reservation, now, platformNow time.Time, comes *bool) (changed bool, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if b := l.bookings[r.BookCode]; b != nil {
		if r.OperateType == protocol.OperateChange && b.state == "held" {
			b.plate, b.model, b.color, b.pcolor = protocol.NormalizePlate(r.PlateNo), r.CarModel, r.CarColor, r.PlateColor
			b.at = l.schedule(r, now, platformNow, b.show)
			if b.index >= 0 {
				heap.Fix(&l.books, b.index)
			}
			l.changedLocked() // wake the loop: its next event may have moved
			return true, nil
		}
		return false, protocol.FieldErrorf(protocol.CodeBookExists, "bookCode", "(%s is already known to the lot)", r.BookCode)
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
		return false, protocol.FieldErrorf(protocol.CodeNoReservable, "parkCode", "(%d free, %d reservable)", max(free, 0), max(quota, 0))
	}
	show := l.rrng.IntN(10) < 9 // always drawn, so the lot's traffic does not depend on comes
	if comes != nil {
		show = *comes
	}
	b := &booking{code: r.BookCode, plate: protocol.NormalizePlate(r.PlateNo), model: r.CarModel, color: r.CarColor,
		pcolor: r.PlateColor, show: show, state: "held", ordinal: uint64(len(l.bookings))}
	b.at = l.schedule(r, now, platformNow, show)
	l.bookings[b.code] = b
	heap.Push(&l.books, b)
	l.held++
	l.changedLocked()
	return false, nil
}

// schedule returns the simulated time at which the vehicle of order r
// comes (show) or its hold lapses (!show), for an order received at
// simulated time now and platform time platformNow.
//
// The platform reads bookTime and obligatTime on its own clock, which runs
// at real speed, so the moments are placed in real time and mapped to the
// simulated clock: a real second ahead is Speed simulated seconds ahead.
// The vehicle comes around bookTime: from up to ten simulated minutes (at
// most a quarter of the time left) early to ten simulated minutes (at most
// half of obligatTime) late, always before bookTime + obligatTime; a hold
// whose vehicle never comes lapses at bookTime + obligatTime, when the
// platform counts the no-show. At Speed 1 this is the familiar picture; at
// high speeds the vehicle still comes within a second or so of bookTime.
func (l *Lot) schedule(r protocol.Reservation, now, platformNow time.Time, show bool) time.Time {
	speed := l.speed
	if speed <= 0 {
		speed = 1
	}
	lead := r.BookTime.Time().Sub(platformNow) // real time to bookTime
	grace := time.Duration(max(r.ObligatTime, 1)) * time.Minute
	window := time.Duration(float64(10*time.Minute) / speed) // ten simulated minutes, in real time
	early := min(window, max(lead, 0)/4)
	late := min(window, grace/2)
	u := l.rrng.Float64() // always drawn
	due := lead + grace
	if show {
		due = lead - early + time.Duration(u*float64(early+late))
	}
	d := min(float64(max(due, 0))*speed, float64(farAhead)) // no overflow at absurd speeds
	return now.Add(max(time.Duration(d), time.Minute))
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

package reservation

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Entered marks an order arrived when the lot reports an entry carrying
// its bookCode (docs/protocol.md §9), also one expired as a no-show when the
// enterTime lies before bookTime + obligatTime (the record came late). A
// bookCode that names no order of the park, or an order that cannot
// arrive, is stored with the record and flagged, never rejected.
func (s *Service) Entered(tx platform.Tx, p platform.Park, rec platform.Record) error {
	if rec.BookCode == "" {
		return nil
	}
	r, err := s.orderOf(tx, p, rec)
	if err != nil || r == nil {
		return err
	}
	switch r.State {
	case platform.ReservationConfirmed, platform.ReservationPending, platform.ReservationDispatched, platform.ReservationWaitlisted:
		r.EnterID = rec.ID
		if err := dropDispatches(tx, r.BookCode, opReserve, opChange); err != nil {
			return err
		}
		return transition(tx, r, platform.ReservationArrived, rec.ReceivedAt, "entry "+rec.ID)
	case platform.ReservationArrived:
		return nil
	case platform.ReservationExpired:
		if r.NoShow && rec.Time.Before(r.HoldUntil) {
			// The car came in time; the lot reported it late. Not a
			// no-show, and the lot must not be told to cancel.
			r.NoShow, r.EnterID = false, rec.ID
			if err := dropDispatches(tx, r.BookCode, opCancel); err != nil {
				return err
			}
			return transition(tx, r, platform.ReservationArrived, rec.ReceivedAt, "entry "+rec.ID+", reported after the no-show expiry")
		}
	}
	return flag(tx, p, rec, fmt.Sprintf("entry %s cites reservation %s, which is %s", rec.ID, r.BookCode, r.State))
}

// Exited completes an arrived order when the exit carries its bookCode.
func (s *Service) Exited(tx platform.Tx, p platform.Park, rec platform.Record) error {
	if rec.BookCode == "" {
		return nil
	}
	r, err := s.orderOf(tx, p, rec)
	if err != nil || r == nil {
		return err
	}
	switch r.State {
	case platform.ReservationArrived:
		return transition(tx, r, platform.ReservationCompleted, rec.ReceivedAt, "exit "+rec.ID)
	case platform.ReservationConfirmed:
		// The entry is missing (it may still come): complete the order
		// and flag the records for re-reporting.
		r.EnterID = rec.ID
		if err := transition(tx, r, platform.ReservationCompleted, rec.ReceivedAt, "exit "+rec.ID+" without an entry"); err != nil {
			return err
		}
		return flag(tx, p, rec, fmt.Sprintf("exit %s completes reservation %s, which had no entry", rec.ID, r.BookCode))
	case platform.ReservationCompleted:
		return nil
	}
	return flag(tx, p, rec, fmt.Sprintf("exit %s cites reservation %s, which is %s", rec.ID, r.BookCode, r.State))
}

// orderOf loads the order a record cites; nil (and a warning) when the
// park has no such order.
func (s *Service) orderOf(tx platform.Tx, p platform.Park, rec platform.Record) (*platform.Reservation, error) {
	r, err := tx.Reservation(rec.BookCode)
	if platform.IsNotFound(err) || err == nil && r.IsvParkID != p.IsvParkID {
		return nil, flag(tx, p, rec, fmt.Sprintf("record %s cites unknown reservation %s", rec.ID, rec.BookCode))
	}
	if err != nil {
		return nil, err
	}
	if r.PlateNo != rec.PlateNo {
		if err := flag(tx, p, rec, fmt.Sprintf("record %s plate %s differs from reservation %s plate %s", rec.ID, rec.PlateNo, r.BookCode, r.PlateNo)); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

func flag(tx platform.Tx, p platform.Park, rec platform.Record, detail string) error {
	return tx.AddWarning(platform.Warning{IsvParkID: p.IsvParkID, UserID: p.UserID, Kind: "reservation", Detail: detail, At: rec.ReceivedAt})
}

// Vacancy promotes waiting orders when the lot reports free reservable
// spaces (§6.5.1 f): as many as are free, less the orders of the park
// already on their way down, oldest first.
func (s *Service) Vacancy(tx platform.Tx, p platform.Park, v platform.Vacancy) error {
	if v.UnusedReservableStalls <= 0 {
		return nil
	}
	// Two reports of one park on two instances must not promote twice.
	if err := tx.Lock("park:" + p.IsvParkID); err != nil {
		return err
	}
	wait, err := tx.Waitlist(p.IsvParkID)
	if err != nil || len(wait) == 0 {
		return err
	}
	// Oldest order first: orders sent down together join the waitlist in
	// the order the lot's answers come back, not the order they were booked.
	slices.SortStableFunc(wait, func(a, b platform.Reservation) int { return a.CreatedAt.Compare(b.CreatedAt) })
	inFlight, err := s.pendingOf(tx, p, v.At)
	if err != nil {
		return err
	}
	n := min(v.UnusedReservableStalls-inFlight, len(wait))
	for i := 0; i < n; i++ {
		r := wait[i]
		cause := fmt.Sprintf("promoted: %d free reservable spaces reported", v.UnusedReservableStalls)
		if err := transition(tx, &r, platform.ReservationPending, v.At, cause); err != nil {
			return err
		}
		if err := queue(tx, r, opReserve, v.At); err != nil {
			return err
		}
	}
	if n > 0 {
		s.notify()
	}
	return nil
}

// pendingOf counts the park's orders on their way to the lot (pending or
// dispatched) booked around now.
func (s *Service) pendingOf(tx platform.Tx, p platform.Park, now time.Time) (int, error) {
	rs, err := tx.ParkReservations(p.IsvParkID, now.Add(-48*time.Hour), now.Add(s.cfg.MaxAdvance+24*time.Hour))
	n := 0
	for _, r := range rs {
		if r.State == platform.ReservationPending || r.State == platform.ReservationDispatched {
			n++
		}
	}
	return n, err
}

// Sweep expires orders whose time is up: pending or waitlisted at
// overTime, confirmed with no arrival by bookTime + obligatTime (a
// no-show, told to the lot with cancelReservation). Enough no-shows
// blacklist the plate.
func (s *Service) Sweep(ctx context.Context) error {
	now := s.now()
	for {
		n := 0
		err := s.store.Update(ctx, func(tx platform.Tx) error {
			due, err := tx.ReservationsToExpire(now, 200)
			if err != nil {
				return err
			}
			n = len(due)
			for _, r := range due {
				if err := s.expire(tx, r, now); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil || n < 200 {
			if n > 0 {
				s.notify()
			}
			return err
		}
	}
}

func (s *Service) expire(tx platform.Tx, r platform.Reservation, now time.Time) error {
	if err := dropDispatches(tx, r.BookCode, opReserve, opChange); err != nil {
		return err
	}
	if r.State != platform.ReservationConfirmed {
		return transition(tx, &r, platform.ReservationExpired, now, fmt.Sprintf("overTime reached while %s", r.State))
	}
	r.NoShow = true
	if err := transition(tx, &r, platform.ReservationExpired, now, "no-show: no entry by bookTime + obligatTime"); err != nil {
		return err
	}
	if err := queue(tx, r, opCancel, now); err != nil {
		return err
	}
	return s.blacklistRule(tx, r.PlateNo, now)
}

// blacklistRule bars a plate with NoShowLimit no-shows within NoShowWindow.
func (s *Service) blacklistRule(tx platform.Tx, plate string, now time.Time) error {
	if s.cfg.NoShowLimit < 0 {
		return nil
	}
	n, err := tx.NoShows(plate, now.Add(-s.cfg.NoShowWindow))
	if err != nil || n < s.cfg.NoShowLimit {
		return err
	}
	return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: plate, Until: now.Add(s.cfg.BlacklistFor), At: now,
		Reason: fmt.Sprintf("%d no-shows within %s", n, s.cfg.NoShowWindow)})
}

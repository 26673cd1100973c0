package reservation

import (
	"context"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Booking is what the booking API takes to create or change an order.
// Fields mirror table 19; the park is named by its platform id.
type Booking struct {
	ParkID      string               `json:"parkId"` // isvParkId
	PlateNo     string               `json:"plateNo"`
	BookTime    protocol.DateTime    `json:"bookTime"`
	OverTime    protocol.DateTime    `json:"overTime,omitzero"`     // default bookTime + obligatTime
	ObligatTime *int                 `json:"obligatTime,omitempty"` // minutes, default 30
	BookType    *protocol.BookType   `json:"bookType,omitempty"`    // default 0
	SpaceType   *protocol.SpaceType  `json:"spaceType,omitempty"`   // default 0
	CarModel    *protocol.CarModel   `json:"carModel,omitempty"`
	CarColor    *protocol.CarColor   `json:"carColor,omitempty"`
	PlateColor  *protocol.PlateColor `json:"plateColor,omitempty"`
}

// RequiredFields implements protocol.Item.
func (Booking) RequiredFields() []string { return []string{"parkId", "plateNo", "bookTime"} }

// Validate checks the fields as table 19 does.
func (b Booking) Validate() error {
	r := protocol.Reservation{ParkCode: b.ParkID, BookCode: "x", PlateNo: b.PlateNo, BookTime: b.BookTime,
		OverTime: b.BookTime, ObligatTime: 1, OperateType: protocol.OperateBook,
		CarModel: b.CarModel, CarColor: b.CarColor, PlateColor: b.PlateColor}
	if !b.OverTime.IsZero() {
		r.OverTime = b.OverTime
	}
	if b.BookType != nil {
		r.BookType = *b.BookType
	}
	if b.SpaceType != nil {
		r.SpaceType = *b.SpaceType
	}
	if err := r.Validate(); err != nil {
		return renamePark(err)
	}
	if b.ObligatTime != nil && (*b.ObligatTime < 1 || *b.ObligatTime > 24*60) {
		return protocol.FieldErrorf(protocol.CodeRange, "obligatTime", "(must be 1-1440 minutes)")
	}
	return nil
}

// renamePark reports table 19's parkCode as the booking's parkId.
func renamePark(err error) error {
	if pe, ok := err.(*protocol.Error); ok && pe.Path == "parkCode" {
		c := *pe
		c.Path = "parkId"
		return &c
	}
	return err
}

// fill fills r's booking fields from b.
func (s *Service) fill(r *platform.Reservation, b Booking) {
	r.PlateNo = protocol.NormalizePlate(b.PlateNo)
	r.BookTime = b.BookTime.Time()
	r.ObligatTime = s.cfg.DefaultObligat
	if b.ObligatTime != nil {
		r.ObligatTime = *b.ObligatTime
	}
	r.HoldUntil = r.BookTime.Add(time.Duration(r.ObligatTime) * time.Minute)
	r.OverTime = r.HoldUntil
	if !b.OverTime.IsZero() {
		r.OverTime = b.OverTime.Time()
	}
	r.BookType, r.SpaceType = 0, 0
	if b.BookType != nil {
		r.BookType = int(*b.BookType)
	}
	if b.SpaceType != nil {
		r.SpaceType = int(*b.SpaceType)
	}
	r.CarModel, r.CarColor, r.PlateColor = intOf(b.CarModel), intOf(b.CarColor), intOf(b.PlateColor)
}

func intOf[T ~int](p *T) int {
	if p == nil {
		return 0
	}
	return int(*p)
}

// checkTimes applies the time rules of §9: bookTime not in the past, not
// beyond MaxAdvance, before overTime (5004).
func (s *Service) checkTimes(r platform.Reservation, now time.Time) error {
	switch {
	case r.BookTime.Before(now.Truncate(time.Second)):
		return platform.FieldErrorf(platform.KindBookTime, "bookTime", "(%s is in the past)", fmtCST(r.BookTime))
	case r.BookTime.After(now.Add(s.cfg.MaxAdvance)):
		return platform.FieldErrorf(platform.KindBookTime, "bookTime", "(more than %s ahead)", s.cfg.MaxAdvance)
	case !r.OverTime.After(r.BookTime):
		return platform.FieldErrorf(platform.KindBookTime, "overTime", "(must be after bookTime)")
	}
	return nil
}

// Create books an order for clientID after the checks of docs/protocol.md §9, and
// queues its downlink. The checks and the insert are one transaction, so
// two concurrent bookings of one plate cannot both succeed.
func (s *Service) Create(ctx context.Context, clientID string, b Booking) (platform.Reservation, error) {
	if err := b.Validate(); err != nil {
		return platform.Reservation{}, err
	}
	now := s.now()
	r := platform.Reservation{BookCode: platform.NewID(), ClientID: clientID, State: platform.ReservationPending,
		Revision: 1, CreatedAt: now, UpdatedAt: now}
	s.fill(&r, b)
	err := s.store.Update(ctx, func(tx platform.Tx) error {
		p, err := s.bookablePark(tx, b.ParkID)
		if err != nil {
			return err
		}
		r.IsvParkID, r.UserID, r.ParkCode = p.IsvParkID, p.UserID, p.ParkCode
		if err := s.checkTimes(r, now); err != nil {
			return err
		}
		// Two bookings of one plate on two instances must not both pass.
		if err := tx.Lock("plate:" + r.PlateNo); err != nil {
			return err
		}
		if err := s.checkPlate(tx, r.PlateNo, "", now); err != nil {
			return err
		}
		if err := tx.PutReservation(r); err != nil {
			return err
		}
		if err := tx.AddReservationEvent(platform.ReservationEvent{BookCode: r.BookCode, At: now, To: r.State, Cause: "booked"}); err != nil {
			return err
		}
		return queue(tx, r, opReserve, now)
	})
	if err != nil {
		return platform.Reservation{}, err
	}
	s.notify()
	return r, nil
}

// bookablePark checks the park rules of §9: it exists (1101), is enabled
// (1101), takes reservations and has a downlink configured (1501), and
// its vendor is online (1).
func (s *Service) bookablePark(tx platform.Tx, parkID string) (platform.Park, error) {
	p, err := tx.ParkByID(parkID)
	if platform.IsNotFound(err) {
		return p, platform.FieldErrorf(platform.KindParkNotFound, "parkId", "(no park %s)", parkID)
	}
	if err != nil {
		return p, err
	}
	if p.BizStatus != int(protocol.BizEnabled) {
		return p, platform.FieldErrorf(platform.KindParkNotFound, "parkId", "(park %s is disabled)", parkID)
	}
	if !p.Reservable || p.ReservableSpaces <= 0 {
		return p, platform.FieldErrorf(platform.KindNoReservableSpace, "parkId", "(park %s takes no reservations)", parkID)
	}
	acct, err := tx.Account(p.UserID)
	if err != nil {
		return p, err
	}
	if acct.CallbackURL == "" {
		return p, platform.FieldErrorf(platform.KindNoReservableSpace, "parkId", "(park %s has no reservation downlink)", parkID)
	}
	if acct.Disabled || !acct.Online {
		return p, platform.FieldErrorf(platform.KindBusiness, "parkId", "(park %s is offline)", parkID)
	}
	return p, nil
}

// checkPlate refuses a blacklisted plate (5005) and a plate with another
// live order (1200); except names the order being changed.
func (s *Service) checkPlate(tx platform.Tx, plate, except string, now time.Time) error {
	if b, err := tx.Blacklisted(plate); err == nil && now.Before(b.Until) {
		return platform.FieldErrorf(platform.KindBlacklisted, "plateNo", "(%s is blacklisted until %s: %s)", plate, fmtCST(b.Until), b.Reason)
	} else if err != nil && !platform.IsNotFound(err) {
		return err
	}
	rs, err := tx.ReservationsByPlate(plate)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if r.BookCode != except && r.State.Live() {
			return platform.FieldErrorf(platform.KindConflict, "plateNo", "(%s already has a live order)", plate)
		}
	}
	return nil
}

// Get returns an order of clientID with its history.
func (s *Service) Get(ctx context.Context, clientID, bookCode string) (platform.Reservation, []platform.ReservationEvent, error) {
	var r platform.Reservation
	var evs []platform.ReservationEvent
	err := s.store.View(ctx, func(tx platform.Tx) error {
		var err error
		if r, err = ownOrder(tx, clientID, bookCode); err != nil {
			return err
		}
		evs, err = tx.ReservationEvents(bookCode)
		return err
	})
	return r, evs, err
}

// ListByPlate returns clientID's orders for a plate, newest first.
func (s *Service) ListByPlate(ctx context.Context, clientID, plate string) ([]platform.Reservation, error) {
	var out []platform.Reservation
	err := s.store.View(ctx, func(tx platform.Tx) error {
		rs, err := tx.ReservationsByPlate(protocol.NormalizePlate(plate))
		for _, r := range rs {
			if r.ClientID == clientID {
				out = append(out, r)
			}
		}
		return err
	})
	return out, err
}

// ownOrder loads an order of clientID; another client's is 1104.
func ownOrder(tx platform.Tx, clientID, bookCode string) (platform.Reservation, error) {
	r, err := tx.Reservation(bookCode)
	if platform.IsNotFound(err) || err == nil && r.ClientID != clientID {
		return platform.Reservation{}, platform.FieldErrorf(platform.KindNoReservation, "bookCode", "(no reservation %s)", bookCode)
	}
	return r, err
}

// stateError refuses an operation on an order that is no longer open.
func stateError(r platform.Reservation) error {
	switch r.State {
	case platform.ReservationCancelled:
		return platform.FieldErrorf(platform.KindReservationCancelled, "bookCode", "(%s was cancelled)", r.BookCode)
	case platform.ReservationExpired:
		return platform.FieldErrorf(platform.KindReservationExpired, "bookCode", "(%s has expired)", r.BookCode)
	}
	return platform.FieldErrorf(platform.KindBusiness, "bookCode", "(%s is %s)", r.BookCode, r.State)
}

// Change alters an open order (pending, waitlisted or confirmed) and sends
// it down again: with operateType 2 when the lot may hold it (docs/protocol.md §8),
// else as a new order. The park cannot change.
func (s *Service) Change(ctx context.Context, clientID, bookCode string, b Booking) (platform.Reservation, error) {
	if err := b.Validate(); err != nil {
		return platform.Reservation{}, err
	}
	now := s.now()
	var r platform.Reservation
	err := s.store.Update(ctx, func(tx platform.Tx) error {
		var err error
		if r, err = ownOrder(tx, clientID, bookCode); err != nil {
			return err
		}
		if b.ParkID != r.IsvParkID {
			return platform.FieldErrorf(platform.KindInvalid, "parkId", "(the park of a reservation cannot change)")
		}
		if !open(r.State) {
			return stateError(r)
		}
		seen := lotMayHold(tx, r)
		s.fill(&r, b)
		if err := s.checkTimes(r, now); err != nil {
			return err
		}
		if err := tx.Lock("plate:" + r.PlateNo); err != nil {
			return err
		}
		if err := s.checkPlate(tx, r.PlateNo, r.BookCode, now); err != nil {
			return err
		}
		r.Revision++
		if err := transition(tx, &r, platform.ReservationPending, now, "changed by client"); err != nil {
			return err
		}
		if err := dropDispatches(tx, r.BookCode, opReserve, opChange); err != nil {
			return err
		}
		op := opReserve
		if seen {
			op = opChange
		}
		return queue(tx, r, op, now)
	})
	if err != nil {
		return platform.Reservation{}, err
	}
	s.notify()
	return r, nil
}

// Cancel cancels an open order. The lot is told (cancelReservation) only
// when it may hold the order (lotMayHold): an order still pending, never
// sent or never delivered, is cancelled here alone.
func (s *Service) Cancel(ctx context.Context, clientID, bookCode string) (platform.Reservation, error) {
	now := s.now()
	var r platform.Reservation
	err := s.store.Update(ctx, func(tx platform.Tx) error {
		var err error
		if r, err = ownOrder(tx, clientID, bookCode); err != nil {
			return err
		}
		if !open(r.State) {
			return stateError(r)
		}
		tell := lotMayHold(tx, r)
		if err := dropDispatches(tx, r.BookCode, opReserve, opChange); err != nil {
			return err
		}
		if err := transition(tx, &r, platform.ReservationCancelled, now, "cancelled by client"); err != nil {
			return err
		}
		if !tell {
			return nil
		}
		return queue(tx, r, opCancel, now)
	})
	if err != nil {
		return platform.Reservation{}, err
	}
	s.notify()
	return r, nil
}

func fmtCST(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

package platform

import (
	"time"
)

// ReservationState is where an order stands in its life cycle
// (docs/protocol.md §9): pending → dispatched → confirmed | waitlisted →
// (pending → dispatched →) confirmed → arrived → completed, or cancelled,
// expired or rejected. A dispatched order goes back to pending when the
// call provably never reached the lot (no connection could be made).
type ReservationState string

// Reservation states.
const (
	// ReservationPending: accepted by the booking API (or changed, or
	// promoted from the waitlist); the downlink is queued and the lot has
	// not been sent this revision, or every attempt failed before a
	// connection to the lot was made.
	ReservationPending ReservationState = "pending"
	// ReservationDispatched: the downlink call has gone out to the lot
	// (in flight, or its answer was lost and it is being retried): the
	// lot may hold the order, so a cancellation is sent down.
	ReservationDispatched ReservationState = "dispatched"
	// ReservationWaitlisted: the lot answered 1501; the order waits, FIFO
	// per park, for free reservable spaces (§6.5.1 f).
	ReservationWaitlisted ReservationState = "waitlisted"
	// ReservationConfirmed: the lot answered 0 or 1201 and holds a space.
	ReservationConfirmed ReservationState = "confirmed"
	// ReservationArrived: an enterRecord carried the bookCode.
	ReservationArrived ReservationState = "arrived"
	// ReservationCompleted: the exitRecord carried the bookCode.
	ReservationCompleted ReservationState = "completed"
	// ReservationCancelled: cancelled through the booking API.
	ReservationCancelled ReservationState = "cancelled"
	// ReservationExpired: overTime reached while pending or waitlisted, or
	// no arrival by bookTime + obligatTime (a no-show).
	ReservationExpired ReservationState = "expired"
	// ReservationRejected: the lot refused the order with another code.
	ReservationRejected ReservationState = "rejected"
)

// Live reports whether an order in state s still holds (or waits for) a
// space: pending, dispatched, waitlisted, confirmed or arrived.
func (s ReservationState) Live() bool {
	switch s {
	case ReservationPending, ReservationDispatched, ReservationWaitlisted, ReservationConfirmed, ReservationArrived:
		return true
	}
	return false
}

// Reservation is an order of the booking API and the table 19 data it is
// sent down with.
type Reservation struct {
	BookCode    string // 32 lowercase hex, made by the platform
	IsvParkID   string
	UserID      string // the park's vendor account
	ParkCode    string
	PlateNo     string // normalised
	BookTime    time.Time
	OverTime    time.Time
	ObligatTime int       // minutes the space is held from BookTime
	HoldUntil   time.Time // BookTime + ObligatTime: a no-show after it
	BookType    int       // table 19: 0 check vacancy, 1 do not
	SpaceType   int       // 0 ordinary, 1 charging, 2 accessible
	CarModel    int       // 0 when absent
	CarColor    int       // 0 when absent
	PlateColor  int       // 0 when absent
	State       ReservationState
	Revision    int    // 1 when created, +1 per change (sent as operateType 2)
	ClientID    string // id of the API key that created it
	// WaitSeq orders the waitlist (FIFO per park); 0 when not waitlisted.
	WaitSeq int64
	// NoShow is set when the order expired without an arrival.
	NoShow    bool
	EnterID   string // the entry record that marked the arrival
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReservationEvent records one change of an order's state, with its time
// and cause.
type ReservationEvent struct {
	BookCode string
	At       time.Time
	From     ReservationState // "" when created
	To       ReservationState
	Cause    string
}

// Dispatch is a queued downlink call (docs/protocol.md §8): the order to send as
// `reservation` (Op "reservation", operateType 1 or 2 by Revision) or
// `cancelReservation`. It stays queued until the lot answers; network
// failures are retried with backoff until Deadline.
type Dispatch struct {
	ID        string // 32 lowercase hex
	BookCode  string
	Op        string // "reservation" or "cancelReservation"
	Revision  int    // the order's revision when queued
	Attempts  int
	NextAt    time.Time // not before; a sender claims a dispatch by moving it
	Deadline  time.Time // give up then
	LastError string
	CreatedAt time.Time
}

// APIKey authenticates a client of the booking API (the city's app back
// end). Only a hash of the secret is kept.
type APIKey struct {
	ID         string // public part, 16 lowercase hex
	Name       string
	SecretHash []byte // SHA-256 of the secret
	Disabled   bool
	CreatedAt  time.Time
}

// BlacklistEntry bars a plate from booking until a time (code 5005).
type BlacklistEntry struct {
	PlateNo string
	Until   time.Time
	Reason  string
	At      time.Time
}

// ReservationTx is what a transaction can do with reservations, the
// downlink queue, booking API keys and the blacklist. Getters return
// ErrNotFound when nothing matches; writers (NextWaitSeq included) fail in
// a View. Lists are ordered as stated, with ties broken by the key named
// ("then BookCode"), so every store returns the same order. A limit of 0
// or less means all. A reservation needs its park (KindInvalid otherwise);
// events and dispatches may name an order that is not stored. Times
// round-trip to the millisecond and zero times stay zero; a zero deadline
// (OverTime, HoldUntil, NextAt) is simply long past.
type ReservationTx interface {
	PutReservation(r Reservation) error // insert or replace by BookCode; the park must exist
	Reservation(bookCode string) (Reservation, error)
	// ReservationsByPlate returns a plate's orders, newest CreatedAt
	// first, then BookCode.
	ReservationsByPlate(plate string) ([]Reservation, error)
	// Waitlist returns a park's orders in state waitlisted by WaitSeq,
	// then BookCode.
	Waitlist(isvParkID string) ([]Reservation, error)
	// NextWaitSeq returns a number larger than every WaitSeq given so far
	// and every WaitSeq stored by PutReservation: numbers grow strictly
	// across calls, transactions and restarts. It is a write; a number
	// taken by a transaction that fails may be given again.
	NextWaitSeq() (int64, error)
	// ReservationsToExpire returns up to limit orders that are pending,
	// dispatched or waitlisted with OverTime <= now, or confirmed with HoldUntil <= now,
	// by that deadline, then BookCode.
	ReservationsToExpire(now time.Time, limit int) ([]Reservation, error)
	// ParkReservations returns a park's orders, in any state, whose
	// BookTime lies in [from, to), by BookTime, then BookCode.
	ParkReservations(isvParkID string, from, to time.Time) ([]Reservation, error)
	// NoShows counts a plate's orders flagged NoShow and updated at or
	// after since.
	NoShows(plate string, since time.Time) (int, error)
	AddReservationEvent(e ReservationEvent) error // append
	// ReservationEvents returns an order's events oldest first, ties in
	// the order they were added.
	ReservationEvents(bookCode string) ([]ReservationEvent, error)

	PutDispatch(d Dispatch) error   // insert or replace by ID
	DeleteDispatch(id string) error // ErrNotFound when there is no such dispatch
	Dispatch(id string) (Dispatch, error)
	// DueDispatches returns up to limit dispatches with NextAt <= now, by
	// NextAt, then CreatedAt, then ID.
	DueDispatches(now time.Time, limit int) ([]Dispatch, error)
	// DispatchesFor returns the queued dispatches of an order, oldest
	// (CreatedAt) first, then ID.
	DispatchesFor(bookCode string) ([]Dispatch, error)
	// NextDispatchAt returns the earliest NextAt in the queue (zero time
	// when the queue is empty).
	NextDispatchAt() (time.Time, error)
	// CountDispatches returns the queue's length.
	CountDispatches() (int, error)

	// RecordByBookCode returns the park's entry or exit carrying bookCode:
	// when several do, the latest by Time, then ReceivedAt, then ID. An
	// empty bookCode matches no record.
	RecordByBookCode(kind RecordKind, isvParkID, bookCode string) (Record, error)

	PutAPIKey(k APIKey) error // insert or replace by ID
	APIKey(id string) (APIKey, error)
	APIKeys() ([]APIKey, error) // by ID

	PutBlacklist(b BlacklistEntry) error // insert or replace by PlateNo
	// Blacklisted returns the plate's entry whatever its Until: whether
	// it still bars the plate is the caller's decision.
	Blacklisted(plate string) (BlacklistEntry, error)
	DeleteBlacklist(plate string) error // ErrNotFound when the plate has no entry
}

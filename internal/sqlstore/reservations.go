package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Reservations, their events, the downlink queue, booking API keys and the
// plate blacklist (platform.ReservationTx).

var _ platform.ReservationTx = (*Tx)(nil)

const reservationCols = `book_code, isv_park_id, user_id, park_code, plate_no, book_time,
	over_time, obligat_time, hold_until, book_type, space_type, car_model, car_color,
	plate_color, state, revision, client_id, wait_seq, no_show, enter_id, created_at, updated_at`

func scanReservation(s Row) (r platform.Reservation, err error) {
	err = s.Scan(&r.BookCode, &r.IsvParkID, &r.UserID, &r.ParkCode, &r.PlateNo,
		asTime(&r.BookTime), asTime(&r.OverTime), &r.ObligatTime, asTime(&r.HoldUntil),
		&r.BookType, &r.SpaceType, &r.CarModel, &r.CarColor, &r.PlateColor, &r.State,
		&r.Revision, &r.ClientID, &r.WaitSeq, &r.NoShow, &r.EnterID,
		asTime(&r.CreatedAt), asTime(&r.UpdatedAt))
	return r, err
}

// waitSeq is the counter NextWaitSeq takes numbers from.
const waitSeq = "wait_seq"

var (
	putReservation      = upsert("reservations", reservationCols, "book_code", "")
	selectReservation   = define("SELECT " + reservationCols + " FROM reservations WHERE book_code = ?")
	reservationsByPlate = define(`SELECT ` + reservationCols + ` FROM reservations
		WHERE plate_no = ? ORDER BY created_at DESC, book_code`)
	waitlist = define(`SELECT ` + reservationCols + ` FROM reservations
		WHERE isv_park_id = ? AND state = ? ORDER BY wait_seq, book_code`)
	reservationsToExpire = define(`SELECT ` + reservationCols + ` FROM (
			SELECT ` + reservationCols + `, over_time AS deadline FROM reservations
			WHERE state IN (?, ?, ?) AND over_time <= ?
			UNION ALL
			SELECT ` + reservationCols + `, hold_until AS deadline FROM reservations
			WHERE state = ? AND hold_until <= ?
		) AS due ORDER BY deadline, book_code LIMIT ?`)
	parkReservations = define(`SELECT ` + reservationCols + ` FROM reservations
		WHERE isv_park_id = ? AND book_time >= ? AND book_time < ?
		ORDER BY book_time, book_code`)
	noShows = defineFor(func(d Dialect) string {
		return `SELECT COUNT(*) FROM reservations
		WHERE plate_no = ? AND ` + d.True("no_show") + ` AND updated_at >= ?`
	})
)

// PutReservation inserts r or replaces the order with its BookCode. The
// park must exist (KindInvalid otherwise). A WaitSeq beyond the last one
// NextWaitSeq gave raises the counter, so later numbers stay larger.
func (t *Tx) PutReservation(r platform.Reservation) error {
	_, err := t.exec(putReservation, r.BookCode, r.IsvParkID, r.UserID, r.ParkCode, r.PlateNo,
		ms(r.BookTime), ms(r.OverTime), r.ObligatTime, ms(r.HoldUntil), r.BookType, r.SpaceType,
		r.CarModel, r.CarColor, r.PlateColor, string(r.State), r.Revision, r.ClientID,
		r.WaitSeq, r.NoShow, r.EnterID, ms(r.CreatedAt), ms(r.UpdatedAt))
	if err != nil || r.WaitSeq <= 0 {
		return t.wrap("put reservation", err)
	}
	if err := t.lock(true); err != nil {
		return err
	}
	defer t.mu.Unlock()
	return t.wrap("put reservation", t.sql.d.RaiseSeq(t.ctx, t.ex, waitSeq, r.WaitSeq))
}

// Reservation returns the order bookCode.
func (t *Tx) Reservation(bookCode string) (platform.Reservation, error) {
	return getOne(t, scanReservation, selectReservation, bookCode)
}

// ReservationsByPlate returns the plate's orders, newest CreatedAt first
// (ties by BookCode).
func (t *Tx) ReservationsByPlate(plate string) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, reservationsByPlate, plate)
}

// Waitlist returns the park's waitlisted orders by WaitSeq (ties by
// BookCode).
func (t *Tx) Waitlist(isvParkID string) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, waitlist, isvParkID, string(platform.ReservationWaitlisted))
}

// NextWaitSeq takes the next number from the store's counter. It is a
// write: it fails in a View, and a number taken by a transaction that
// fails may be given again.
func (t *Tx) NextWaitSeq() (int64, error) {
	if err := t.lock(true); err != nil {
		return 0, err
	}
	defer t.mu.Unlock()
	n, err := t.sql.d.NextSeq(t.ctx, t.ex, waitSeq)
	return n, t.wrap("next wait seq", err)
}

// ReservationsToExpire returns up to limit orders (all when limit <= 0)
// whose deadline has come: pending, dispatched or waitlisted ones with OverTime <=
// now, confirmed ones with HoldUntil <= now. They come by that deadline,
// then by BookCode.
func (t *Tx) ReservationsToExpire(now time.Time, limit int) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, reservationsToExpire,
		string(platform.ReservationPending), string(platform.ReservationDispatched),
		string(platform.ReservationWaitlisted), ms(now),
		string(platform.ReservationConfirmed), ms(now), limitArg(limit))
}

// ParkReservations returns the park's orders whose BookTime is in
// [from, to), by BookTime (ties by BookCode), whatever their state.
func (t *Tx) ParkReservations(isvParkID string, from, to time.Time) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, parkReservations, isvParkID, ms(from), ms(to))
}

// NoShows counts the plate's orders flagged NoShow whose UpdatedAt is at
// or after since.
func (t *Tx) NoShows(plate string, since time.Time) (int, error) {
	return getOne(t, scanInt, noShows, plate, ms(since))
}

const reservationEventCols = "book_code, at, from_state, to_state, cause"

func scanReservationEvent(s Row) (e platform.ReservationEvent, err error) {
	err = s.Scan(&e.BookCode, asTime(&e.At), &e.From, &e.To, &e.Cause)
	return e, err
}

var (
	addReservationEvent = insert("reservation_events", reservationEventCols)
	reservationEvents   = define(`SELECT ` + reservationEventCols + ` FROM reservation_events
		WHERE book_code = ? ORDER BY at, seq`)
)

// AddReservationEvent appends e to its order's events.
func (t *Tx) AddReservationEvent(e platform.ReservationEvent) error {
	_, err := t.exec(addReservationEvent, e.BookCode, ms(e.At), string(e.From), string(e.To), e.Cause)
	return t.wrap("add reservation event", err)
}

// ReservationEvents returns the order's events oldest first, ties in
// insertion order.
func (t *Tx) ReservationEvents(bookCode string) ([]platform.ReservationEvent, error) {
	return getAll(t, scanReservationEvent, reservationEvents, bookCode)
}

const dispatchCols = "id, book_code, op, revision, attempts, next_at, deadline, last_error, created_at"

func scanDispatch(s Row) (d platform.Dispatch, err error) {
	err = s.Scan(&d.ID, &d.BookCode, &d.Op, &d.Revision, &d.Attempts, asTime(&d.NextAt),
		asTime(&d.Deadline), &d.LastError, asTime(&d.CreatedAt))
	return d, err
}

var (
	putDispatch    = upsert("dispatches", dispatchCols, "id", "")
	deleteDispatch = define("DELETE FROM dispatches WHERE id = ?")
	selectDispatch = define("SELECT " + dispatchCols + " FROM dispatches WHERE id = ?")
	dueDispatches  = define(`SELECT ` + dispatchCols + ` FROM dispatches
		WHERE next_at <= ? ORDER BY next_at, created_at, id LIMIT ?`)
	dispatchesFor = define(`SELECT ` + dispatchCols + ` FROM dispatches
		WHERE book_code = ? ORDER BY created_at, id`)
	nextDispatchAt   = define("SELECT MIN(next_at) FROM dispatches")
	countDispatches  = define("SELECT COUNT(*) FROM dispatches")
	recordByBookCode = defineByKind(func(_ Dialect, table string) string {
		// "book_code <> ''" lets the planner use the partial index on
		// book codes.
		return `SELECT ` + recordCols + ` FROM ` + table + `
		WHERE isv_park_id = ? AND book_code = ? AND book_code <> ''
		ORDER BY at DESC, received_at DESC, id DESC LIMIT 1`
	})
)

// PutDispatch inserts d or replaces the dispatch with its ID.
func (t *Tx) PutDispatch(d platform.Dispatch) error {
	_, err := t.exec(putDispatch, d.ID, d.BookCode, d.Op, d.Revision, d.Attempts, ms(d.NextAt),
		ms(d.Deadline), d.LastError, ms(d.CreatedAt))
	return t.wrap("put dispatch", err)
}

// DeleteDispatch removes the dispatch id; ErrNotFound when there is none.
func (t *Tx) DeleteDispatch(id string) error {
	return t.wrap("delete dispatch", t.execOne(deleteDispatch, id))
}

// Dispatch returns the dispatch id.
func (t *Tx) Dispatch(id string) (platform.Dispatch, error) {
	return getOne(t, scanDispatch, selectDispatch, id)
}

// DueDispatches returns up to limit dispatches (all when limit <= 0) with
// NextAt <= now, by NextAt, then CreatedAt, then ID.
func (t *Tx) DueDispatches(now time.Time, limit int) ([]platform.Dispatch, error) {
	return getAll(t, scanDispatch, dueDispatches, ms(now), limitArg(limit))
}

// DispatchesFor returns the order's queued dispatches by CreatedAt, then
// ID.
func (t *Tx) DispatchesFor(bookCode string) ([]platform.Dispatch, error) {
	return getAll(t, scanDispatch, dispatchesFor, bookCode)
}

// NextDispatchAt returns the earliest NextAt in the queue, or the zero
// time when the queue is empty.
func (t *Tx) NextDispatchAt() (time.Time, error) {
	return getOne(t, scanMaybeTime, nextDispatchAt)
}

// CountDispatches returns the number of queued dispatches.
func (t *Tx) CountDispatches() (int, error) {
	return getOne(t, scanInt, countDispatches)
}

// RecordByBookCode returns the park's record of kind that carries
// bookCode: the latest by Time (then by ReceivedAt, then by ID) when
// several do. An empty bookCode matches nothing.
func (t *Tx) RecordByBookCode(kind platform.RecordKind, isvParkID, bookCode string) (platform.Record, error) {
	q, err := recordByBookCode.of(kind)
	if err != nil {
		return platform.Record{}, err
	}
	return getOne(t, scanRecord, q, isvParkID, bookCode)
}

const apiKeyCols = "id, name, secret_hash, disabled, created_at"

func scanAPIKey(s Row) (k platform.APIKey, err error) {
	err = s.Scan(&k.ID, &k.Name, &k.SecretHash, &k.Disabled, asTime(&k.CreatedAt))
	return k, err
}

var (
	putAPIKey    = upsert("api_keys", apiKeyCols, "id", "")
	selectAPIKey = define("SELECT " + apiKeyCols + " FROM api_keys WHERE id = ?")
	allAPIKeys   = define("SELECT " + apiKeyCols + " FROM api_keys ORDER BY id")
)

// PutAPIKey inserts k or replaces the key with its ID.
func (t *Tx) PutAPIKey(k platform.APIKey) error {
	_, err := t.exec(putAPIKey, k.ID, k.Name, k.SecretHash, k.Disabled, ms(k.CreatedAt))
	return t.wrap("put api key", err)
}

// APIKey returns the key id.
func (t *Tx) APIKey(id string) (platform.APIKey, error) {
	return getOne(t, scanAPIKey, selectAPIKey, id)
}

// APIKeys returns every key by ID.
func (t *Tx) APIKeys() ([]platform.APIKey, error) {
	return getAll(t, scanAPIKey, allAPIKeys)
}

const blacklistCols = "plate_no, until_at, reason, at"

func scanBlacklist(s Row) (b platform.BlacklistEntry, err error) {
	err = s.Scan(&b.PlateNo, asTime(&b.Until), &b.Reason, asTime(&b.At))
	return b, err
}

var (
	putBlacklist    = upsert("blacklist", blacklistCols, "plate_no", "")
	selectBlacklist = define("SELECT " + blacklistCols + " FROM blacklist WHERE plate_no = ?")
	deleteBlacklist = define("DELETE FROM blacklist WHERE plate_no = ?")
)

// PutBlacklist inserts b or replaces the entry with its PlateNo.
func (t *Tx) PutBlacklist(b platform.BlacklistEntry) error {
	_, err := t.exec(putBlacklist, b.PlateNo, ms(b.Until), b.Reason, ms(b.At))
	return t.wrap("put blacklist", err)
}

// Blacklisted returns the plate's blacklist entry, whatever its Until:
// whether it still bars the plate is the caller's decision.
func (t *Tx) Blacklisted(plate string) (platform.BlacklistEntry, error) {
	return getOne(t, scanBlacklist, selectBlacklist, plate)
}

// DeleteBlacklist removes the plate's entry; ErrNotFound when there is
// none.
func (t *Tx) DeleteBlacklist(plate string) error {
	return t.wrap("delete blacklist", t.execOne(deleteBlacklist, plate))
}

package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// Reservations, their events, the downlink queue, booking API keys and the
// plate blacklist (platform.ReservationTx).

var _ platform.ReservationTx = (*tx)(nil)

const reservationCols = `book_code, isv_park_id, user_id, park_code, plate_no, book_time,
	over_time, obligat_time, hold_until, book_type, space_type, car_model, car_color,
	plate_color, state, revision, client_id, wait_seq, no_show, enter_id, created_at, updated_at`

func scanReservation(s pgx.Row) (r platform.Reservation, err error) {
	err = s.Scan(&r.BookCode, &r.IsvParkID, &r.UserID, &r.ParkCode, &r.PlateNo,
		asTime(&r.BookTime), asTime(&r.OverTime), &r.ObligatTime, asTime(&r.HoldUntil),
		&r.BookType, &r.SpaceType, &r.CarModel, &r.CarColor, &r.PlateColor, &r.State,
		&r.Revision, &r.ClientID, &r.WaitSeq, &r.NoShow, &r.EnterID,
		asTime(&r.CreatedAt), asTime(&r.UpdatedAt))
	return r, err
}

// PutReservation inserts r or replaces the order with its BookCode. The
// park must exist (KindInvalid otherwise). A WaitSeq beyond the last one
// NextWaitSeq gave raises the counter, so later numbers stay larger.
func (t *tx) PutReservation(r platform.Reservation) error {
	_, err := t.exec(`INSERT INTO reservations (`+reservationCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22)
		ON CONFLICT (book_code) DO UPDATE SET isv_park_id = excluded.isv_park_id,
			user_id = excluded.user_id, park_code = excluded.park_code,
			plate_no = excluded.plate_no, book_time = excluded.book_time,
			over_time = excluded.over_time, obligat_time = excluded.obligat_time,
			hold_until = excluded.hold_until, book_type = excluded.book_type,
			space_type = excluded.space_type, car_model = excluded.car_model,
			car_color = excluded.car_color, plate_color = excluded.plate_color,
			state = excluded.state, revision = excluded.revision,
			client_id = excluded.client_id, wait_seq = excluded.wait_seq,
			no_show = excluded.no_show, enter_id = excluded.enter_id,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		r.BookCode, r.IsvParkID, r.UserID, r.ParkCode, r.PlateNo, ms(r.BookTime),
		ms(r.OverTime), r.ObligatTime, ms(r.HoldUntil), r.BookType, r.SpaceType,
		r.CarModel, r.CarColor, r.PlateColor, string(r.State), r.Revision, r.ClientID,
		r.WaitSeq, r.NoShow, r.EnterID, ms(r.CreatedAt), ms(r.UpdatedAt))
	if err != nil {
		return wrap("put reservation", err)
	}
	return wrap("put reservation", t.raiseWaitSeq(r.WaitSeq))
}

// maxConsumed bounds the numbers raiseWaitSeq takes one by one to get
// past a stored WaitSeq; for a larger gap it sets the sequence.
const maxConsumed = 4096

// raiseWaitSeq makes the numbers NextWaitSeq gives from now on larger
// than seq. In the common case seq came from NextWaitSeq and one read of
// the sequence shows there is nothing to do. Otherwise, for a small gap,
// it takes the missing numbers with nextval, which never goes back
// whatever other sessions do at the same time; for a large one it calls
// setval, which is not a compare-and-set: numbers other sessions take
// between the read and the setval are lost only if they number more than
// maxConsumed, which the sequence cannot hand out in that moment.
func (t *tx) raiseWaitSeq(seq int64) error {
	if seq <= 0 {
		return nil
	}
	last, err := writeOne(t, scanInt64,
		"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM wait_seq")
	if err != nil || last >= seq {
		return err
	}
	if seq-last <= maxConsumed {
		_, err = t.exec("SELECT nextval('wait_seq') FROM generate_series(1, $1::BIGINT)", seq-last)
		return err
	}
	_, err = t.exec(`SELECT setval('wait_seq', $1::BIGINT) FROM wait_seq
		WHERE (CASE WHEN is_called THEN last_value ELSE last_value - 1 END) < $1::BIGINT`, seq)
	return err
}

// Reservation returns the order bookCode.
func (t *tx) Reservation(bookCode string) (platform.Reservation, error) {
	return getOne(t, scanReservation, "SELECT "+reservationCols+" FROM reservations WHERE book_code = $1",
		bookCode)
}

// ReservationsByPlate returns the plate's orders, newest CreatedAt first
// (ties by BookCode).
func (t *tx) ReservationsByPlate(plate string) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, `SELECT `+reservationCols+` FROM reservations
		WHERE plate_no = $1 ORDER BY created_at DESC, book_code`, plate)
}

// Waitlist returns the park's waitlisted orders by WaitSeq (ties by
// BookCode).
func (t *tx) Waitlist(isvParkID string) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, `SELECT `+reservationCols+` FROM reservations
		WHERE isv_park_id = $1 AND state = $2 ORDER BY wait_seq, book_code`,
		isvParkID, string(platform.ReservationWaitlisted))
}

// NextWaitSeq takes the next number from the store's counter. It is a
// write: it fails in a View, and a number taken by a transaction that
// fails may be given again.
func (t *tx) NextWaitSeq() (int64, error) {
	n, err := writeOne(t, scanInt64, "SELECT nextval('wait_seq')")
	return n, wrap("next wait seq", err)
}

// ReservationsToExpire returns up to limit orders (all when limit <= 0)
// whose deadline has come: pending, dispatched or waitlisted ones with OverTime <=
// now, confirmed ones with HoldUntil <= now. They come by that deadline,
// then by BookCode.
func (t *tx) ReservationsToExpire(now time.Time, limit int) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, `SELECT `+reservationCols+` FROM (
			SELECT `+reservationCols+`, over_time AS deadline FROM reservations
			WHERE state IN ($1, $2, $3) AND over_time <= $4
			UNION ALL
			SELECT `+reservationCols+`, hold_until AS deadline FROM reservations
			WHERE state = $5 AND hold_until <= $6
		) AS due ORDER BY deadline, book_code LIMIT $7`,
		string(platform.ReservationPending), string(platform.ReservationDispatched), string(platform.ReservationWaitlisted), ms(now),
		string(platform.ReservationConfirmed), ms(now), limitArg(limit))
}

// ParkReservations returns the park's orders whose BookTime is in
// [from, to), by BookTime (ties by BookCode), whatever their state.
func (t *tx) ParkReservations(isvParkID string, from, to time.Time) ([]platform.Reservation, error) {
	return getAll(t, scanReservation, `SELECT `+reservationCols+` FROM reservations
		WHERE isv_park_id = $1 AND book_time >= $2 AND book_time < $3
		ORDER BY book_time, book_code`, isvParkID, ms(from), ms(to))
}

// NoShows counts the plate's orders flagged NoShow whose UpdatedAt is at
// or after since.
func (t *tx) NoShows(plate string, since time.Time) (int, error) {
	return getOne(t, scanInt, `SELECT COUNT(*) FROM reservations
		WHERE plate_no = $1 AND no_show AND updated_at >= $2`, plate, ms(since))
}

const reservationEventCols = "book_code, at, from_state, to_state, cause"

func scanReservationEvent(s pgx.Row) (e platform.ReservationEvent, err error) {
	err = s.Scan(&e.BookCode, asTime(&e.At), &e.From, &e.To, &e.Cause)
	return e, err
}

// AddReservationEvent appends e to its order's events.
func (t *tx) AddReservationEvent(e platform.ReservationEvent) error {
	_, err := t.exec(`INSERT INTO reservation_events (`+reservationEventCols+`) VALUES ($1, $2, $3, $4, $5)`,
		e.BookCode, ms(e.At), string(e.From), string(e.To), e.Cause)
	return wrap("add reservation event", err)
}

// ReservationEvents returns the order's events oldest first, ties in
// insertion order.
func (t *tx) ReservationEvents(bookCode string) ([]platform.ReservationEvent, error) {
	return getAll(t, scanReservationEvent, `SELECT `+reservationEventCols+` FROM reservation_events
		WHERE book_code = $1 ORDER BY at, seq`, bookCode)
}

const dispatchCols = "id, book_code, op, revision, attempts, next_at, deadline, last_error, created_at"

func scanDispatch(s pgx.Row) (d platform.Dispatch, err error) {
	err = s.Scan(&d.ID, &d.BookCode, &d.Op, &d.Revision, &d.Attempts, asTime(&d.NextAt),
		asTime(&d.Deadline), &d.LastError, asTime(&d.CreatedAt))
	return d, err
}

// PutDispatch inserts d or replaces the dispatch with its ID.
func (t *tx) PutDispatch(d platform.Dispatch) error {
	_, err := t.exec(`INSERT INTO dispatches (`+dispatchCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
		ON CONFLICT (id) DO UPDATE SET book_code = excluded.book_code, op = excluded.op,
			revision = excluded.revision, attempts = excluded.attempts,
			next_at = excluded.next_at, deadline = excluded.deadline,
			last_error = excluded.last_error, created_at = excluded.created_at`,
		d.ID, d.BookCode, d.Op, d.Revision, d.Attempts, ms(d.NextAt), ms(d.Deadline),
		d.LastError, ms(d.CreatedAt))
	return wrap("put dispatch", err)
}

// DeleteDispatch removes the dispatch id; ErrNotFound when there is none.
func (t *tx) DeleteDispatch(id string) error {
	return wrap("delete dispatch", t.execOne("DELETE FROM dispatches WHERE id = $1", id))
}

// Dispatch returns the dispatch id.
func (t *tx) Dispatch(id string) (platform.Dispatch, error) {
	return getOne(t, scanDispatch, "SELECT "+dispatchCols+" FROM dispatches WHERE id = $1", id)
}

// DueDispatches returns up to limit dispatches (all when limit <= 0) with
// NextAt <= now, by NextAt, then CreatedAt, then ID.
func (t *tx) DueDispatches(now time.Time, limit int) ([]platform.Dispatch, error) {
	return getAll(t, scanDispatch, `SELECT `+dispatchCols+` FROM dispatches
		WHERE next_at <= $1 ORDER BY next_at, created_at, id LIMIT $2`, ms(now), limitArg(limit))
}

// DispatchesFor returns the order's queued dispatches by CreatedAt, then
// ID.
func (t *tx) DispatchesFor(bookCode string) ([]platform.Dispatch, error) {
	return getAll(t, scanDispatch, `SELECT `+dispatchCols+` FROM dispatches
		WHERE book_code = $1 ORDER BY created_at, id`, bookCode)
}

// NextDispatchAt returns the earliest NextAt in the queue, or the zero
// time when the queue is empty.
func (t *tx) NextDispatchAt() (time.Time, error) {
	return getOne(t, scanMaybeTime, "SELECT MIN(next_at) FROM dispatches")
}

// CountDispatches returns the number of queued dispatches.
func (t *tx) CountDispatches() (int, error) {
	return getOne(t, scanInt, "SELECT COUNT(*) FROM dispatches")
}

// RecordByBookCode returns the park's record of kind that carries
// bookCode: the latest by Time (then by ReceivedAt, then by ID) when
// several do. An empty bookCode matches nothing.
func (t *tx) RecordByBookCode(kind platform.RecordKind, isvParkID, bookCode string) (platform.Record, error) {
	table, err := recordTable(kind)
	if err != nil {
		return platform.Record{}, err
	}
	// "book_code <> ''" lets the planner use the partial index on book
	// codes.
	return getOne(t, scanRecord, `SELECT `+recordCols+` FROM `+table+`
		WHERE isv_park_id = $1 AND book_code = $2 AND book_code <> ''
		ORDER BY at DESC, received_at DESC, id DESC LIMIT 1`, isvParkID, bookCode)
}

const apiKeyCols = "id, name, secret_hash, disabled, created_at"

func scanAPIKey(s pgx.Row) (k platform.APIKey, err error) {
	err = s.Scan(&k.ID, &k.Name, &k.SecretHash, &k.Disabled, asTime(&k.CreatedAt))
	return k, err
}

// PutAPIKey inserts k or replaces the key with its ID.
func (t *tx) PutAPIKey(k platform.APIKey) error {
	_, err := t.exec(`INSERT INTO api_keys (`+apiKeyCols+`) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (id) DO UPDATE SET name = excluded.name,
			secret_hash = excluded.secret_hash, disabled = excluded.disabled,
			created_at = excluded.created_at`,
		k.ID, k.Name, k.SecretHash, k.Disabled, ms(k.CreatedAt))
	return wrap("put api key", err)
}

// APIKey returns the key id.
func (t *tx) APIKey(id string) (platform.APIKey, error) {
	return getOne(t, scanAPIKey, "SELECT "+apiKeyCols+" FROM api_keys WHERE id = $1", id)
}

// APIKeys returns every key by ID.
func (t *tx) APIKeys() ([]platform.APIKey, error) {
	return getAll(t, scanAPIKey, "SELECT "+apiKeyCols+" FROM api_keys ORDER BY id")
}

const blacklistCols = "plate_no, until_at, reason, at"

func scanBlacklist(s pgx.Row) (b platform.BlacklistEntry, err error) {
	err = s.Scan(&b.PlateNo, asTime(&b.Until), &b.Reason, asTime(&b.At))
	return b, err
}

// PutBlacklist inserts b or replaces the entry with its PlateNo.
func (t *tx) PutBlacklist(b platform.BlacklistEntry) error {
	_, err := t.exec(`INSERT INTO blacklist (`+blacklistCols+`) VALUES ($1, $2, $3, $4)
		ON CONFLICT (plate_no) DO UPDATE SET until_at = excluded.until_at,
			reason = excluded.reason, at = excluded.at`,
		b.PlateNo, ms(b.Until), b.Reason, ms(b.At))
	return wrap("put blacklist", err)
}

// Blacklisted returns the plate's blacklist entry, whatever its Until:
// whether it still bars the plate is the caller's decision.
func (t *tx) Blacklisted(plate string) (platform.BlacklistEntry, error) {
	return getOne(t, scanBlacklist, "SELECT "+blacklistCols+" FROM blacklist WHERE plate_no = $1", plate)
}

// DeleteBlacklist removes the plate's entry; ErrNotFound when there is
// none.
func (t *tx) DeleteBlacklist(plate string) error {
	return wrap("delete blacklist", t.execOne("DELETE FROM blacklist WHERE plate_no = $1", plate))
}

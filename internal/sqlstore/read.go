package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The read side (platform.ReadTx): whole-city listings and aggregates for
// the public API, the operator console and the statistics. Aggregates are
// computed in SQL, cast where PostgreSQL would widen them (a SUM of
// BIGINT is NUMERIC there); an hour is "at - at % 3600000" on the
// millisecond columns.

var _ platform.ReadTx = (*Tx)(nil)

var (
	allParks          = define("SELECT " + parkCols + " FROM parks ORDER BY isv_park_id")
	liveVacancies     = define("SELECT " + vacancyCols + " FROM vacancy ORDER BY isv_park_id")
	parksChangedSince = define("SELECT " + parkCols + " FROM parks WHERE updated_at >= ? ORDER BY isv_park_id")
	vacanciesSince    = define("SELECT " + vacancyCols + " FROM vacancy WHERE at >= ? ORDER BY isv_park_id")
	recentRecords     = defineByKind(func(_ Dialect, table string) string {
		return "SELECT " + recordCols + " FROM " + table + " WHERE isv_park_id = ? ORDER BY at DESC, id DESC LIMIT ?"
	})
	// Each table is read park by park through its (isv_park_id, at)
	// index: CROSS JOIN keeps parks as SQLite's outer loop, and is an
	// inner join like any other to PostgreSQL's planner. Its arguments
	// are the bounds of the range, twice.
	recordCounts = define(`SELECT isv_park_id, hour, CAST(SUM(entries) AS BIGINT), CAST(SUM(exits) AS BIGINT) FROM (
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, COUNT(*) AS entries, 0 AS exits
			FROM parks p CROSS JOIN enter_records r
			WHERE r.isv_park_id = p.isv_park_id AND r.at >= ? AND r.at < ?
			GROUP BY r.isv_park_id, hour
			UNION ALL
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, 0 AS entries, COUNT(*) AS exits
			FROM parks p CROSS JOIN exit_records r
			WHERE r.isv_park_id = p.isv_park_id AND r.at >= ? AND r.at < ?
			GROUP BY r.isv_park_id, hour
		) AS counts GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`)
	vacancyHours = define(`SELECT isv_park_id, at - at % 3600000 AS hour, COUNT(*),
			CAST(AVG(used_stalls) AS DOUBLE PRECISION), MAX(used_stalls), MIN(unused_stalls)
		FROM vacancy_series WHERE at >= ? AND at < ?
		GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`)
	parkLiveness = define(`SELECT ` + eventCols + ` FROM (
			SELECT seq, ` + eventCols + ` FROM liveness_events WHERE isv_park_id = ?
			ORDER BY at DESC, seq DESC LIMIT ?
		) AS latest ORDER BY at, seq`)
)

// AllParks returns every park of every account, by IsvParkID.
func (t *Tx) AllParks() ([]platform.Park, error) {
	return getAll(t, scanPark, allParks)
}

// LiveVacancies returns the live vacancy of every park that has one, by
// IsvParkID.
func (t *Tx) LiveVacancies() ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, liveVacancies)
}

// ParksChangedSince returns the parks whose UpdatedAt is since or later, by
// IsvParkID, through the parks_updated_at index.
func (t *Tx) ParksChangedSince(since time.Time) ([]platform.Park, error) {
	return getAll(t, scanPark, parksChangedSince, msAbove(since))
}

// VacanciesSince returns the live vacancies whose At is since or later, by
// IsvParkID, through the vacancy_at index.
func (t *Tx) VacanciesSince(since time.Time) ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, vacanciesSince, msAbove(since))
}

// RecentRecords returns the park's latest records of kind, newest Time
// first, then ID descending: the limit latest when limit > 0, else all.
func (t *Tx) RecentRecords(kind platform.RecordKind, isvParkID string, limit int) ([]platform.Record, error) {
	q, err := recentRecords.of(kind)
	if err != nil {
		return nil, err
	}
	return getAll(t, scanRecord, q, isvParkID, limitArg(limit))
}

func scanHourCount(s Row) (c platform.HourCount, err error) {
	err = s.Scan(&c.IsvParkID, asTime(&c.Hour), &c.Entries, &c.Exits)
	return c, err
}

// RecordCounts counts entries by their Time and exits by theirs, per park
// and hour, for times in [from, to), by hour then park.
func (t *Tx) RecordCounts(from, to time.Time) ([]platform.HourCount, error) {
	lo, hi := msAbove(from), msAbove(to)
	return getAll(t, scanHourCount, recordCounts, lo, hi, lo, hi)
}

func scanVacancyHour(s Row) (h platform.VacancyHour, err error) {
	err = s.Scan(&h.IsvParkID, asTime(&h.Hour), &h.Samples, &h.AvgUsed, &h.MaxUsed, &h.MinUnused)
	return h, err
}

// VacancyHours summarises the vacancy series per park and hour for
// reports with At in [from, to), by hour then park.
func (t *Tx) VacancyHours(from, to time.Time) ([]platform.VacancyHour, error) {
	return getAll(t, scanVacancyHour, vacancyHours, msAbove(from), msAbove(to))
}

// ParkLiveness returns the park's latest liveness events (those with its
// IsvParkID), oldest first: the limit latest when limit > 0, else all.
func (t *Tx) ParkLiveness(isvParkID string, limit int) ([]platform.LivenessEvent, error) {
	return getAll(t, scanEvent, parkLiveness, isvParkID, limitArg(limit))
}

// Reservations returns the orders that match f, newest CreatedAt first,
// then BookCode. Only the conditions f sets are in the statement, so the
// planner can pick the index that fits them.
func (t *Tx) Reservations(f platform.ReservationFilter) ([]platform.Reservation, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		where = append(where, cond)
		args = append(args, arg)
	}
	if f.IsvParkID != "" {
		add("isv_park_id = ?", f.IsvParkID)
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if f.Plate != "" {
		add("plate_no = ?", f.Plate)
	}
	if !f.From.IsZero() {
		add("created_at >= ?", msAbove(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < ?", msAbove(f.To))
	}
	return getBuilt(t, scanReservation, "SELECT "+reservationCols+" FROM reservations"+whereClause(where)+
		" ORDER BY created_at DESC, book_code LIMIT ?", append(args, limitArg(f.Limit))...)
}

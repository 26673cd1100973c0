package sqlite

import (
	"strings"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The read side (platform.ReadTx): whole-city listings and aggregates for
// the public API, the operator console and the statistics. Aggregates are
// computed in SQL; an hour is "at - at % 3600000" on the millisecond
// columns.

var _ platform.ReadTx = (*tx)(nil)

// AllParks returns every park of every account, by IsvParkID.
func (t *tx) AllParks() ([]platform.Park, error) {
	return getAll(t, scanPark, "SELECT "+parkCols+" FROM parks ORDER BY isv_park_id")
}

// LiveVacancies returns the live vacancy of every park that has one, by
// IsvParkID.
func (t *tx) LiveVacancies() ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, "SELECT "+vacancyCols+" FROM vacancy ORDER BY isv_park_id")
}

// ParksChangedSince returns the parks whose UpdatedAt is since or later, by
// IsvParkID, through the parks_updated_at index.
func (t *tx) ParksChangedSince(since time.Time) ([]platform.Park, error) {
	return getAll(t, scanPark, "SELECT "+parkCols+" FROM parks WHERE updated_at >= ? ORDER BY isv_park_id",
		msAbove(since))
}

// VacanciesSince returns the live vacancies whose At is since or later, by
// IsvParkID, through the vacancy_at index.
func (t *tx) VacanciesSince(since time.Time) ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, "SELECT "+vacancyCols+" FROM vacancy WHERE at >= ? ORDER BY isv_park_id",
		msAbove(since))
}

// RecentRecords returns the park's latest records of kind, newest Time
// first, then ID descending: the limit latest when limit > 0, else all.
func (t *tx) RecentRecords(kind platform.RecordKind, isvParkID string, limit int) ([]platform.Record, error) {
	table, err := recordTable(kind)
	if err != nil {
		return nil, err
	}
	return getAll(t, scanRecord, `SELECT `+recordCols+` FROM `+table+`
		WHERE isv_park_id = ? ORDER BY at DESC, id DESC`+limitClause(limit), isvParkID)
}

func scanHourCount(s scanner) (c platform.HourCount, err error) {
	err = s.Scan(&c.IsvParkID, asTime(&c.Hour), &c.Entries, &c.Exits)
	return c, err
}

// RecordCounts counts entries by their Time and exits by theirs, per park
// and hour, for times in [from, to), by hour then park. Each table is
// read park by park through its (isv_park_id, at) index: CROSS JOIN keeps
// parks as the outer loop.
func (t *tx) RecordCounts(from, to time.Time) ([]platform.HourCount, error) {
	lo, hi := msAbove(from), msAbove(to)
	return getAll(t, scanHourCount, recordCountsQuery, lo, hi, lo, hi)
}

// recordCountsQuery is RecordCounts' statement; its arguments are the
// bounds of the range, twice.
const recordCountsQuery = `SELECT isv_park_id, hour, SUM(entries), SUM(exits) FROM (
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, COUNT(*) AS entries, 0 AS exits
			FROM parks p CROSS JOIN enter_records r
			WHERE r.isv_park_id = p.isv_park_id AND r.at >= ? AND r.at < ?
			GROUP BY r.isv_park_id, hour
			UNION ALL
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, 0 AS entries, COUNT(*) AS exits
			FROM parks p CROSS JOIN exit_records r
			WHERE r.isv_park_id = p.isv_park_id AND r.at >= ? AND r.at < ?
			GROUP BY r.isv_park_id, hour
		) AS counts GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`

func scanVacancyHour(s scanner) (h platform.VacancyHour, err error) {
	err = s.Scan(&h.IsvParkID, asTime(&h.Hour), &h.Samples, &h.AvgUsed, &h.MaxUsed, &h.MinUnused)
	return h, err
}

// VacancyHours summarises the vacancy series per park and hour for
// reports with At in [from, to), by hour then park.
func (t *tx) VacancyHours(from, to time.Time) ([]platform.VacancyHour, error) {
	return getAll(t, scanVacancyHour, `SELECT isv_park_id, at - at % 3600000 AS hour, COUNT(*),
			AVG(used_stalls), MAX(used_stalls), MIN(unused_stalls)
		FROM vacancy_series WHERE at >= ? AND at < ?
		GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`, msAbove(from), msAbove(to))
}

// ParkLiveness returns the park's latest liveness events (those with its
// IsvParkID), oldest first: the limit latest when limit > 0, else all.
func (t *tx) ParkLiveness(isvParkID string, limit int) ([]platform.LivenessEvent, error) {
	return getAll(t, scanEvent, `SELECT `+eventCols+` FROM (
			SELECT seq, `+eventCols+` FROM liveness_events WHERE isv_park_id = ?
			ORDER BY at DESC, seq DESC`+limitClause(limit)+`
		) AS latest ORDER BY at, seq`, isvParkID)
}

// Reservations returns the orders that match f, newest CreatedAt first,
// then BookCode. Only the conditions f sets are in the statement, so
// SQLite can pick the index that fits them.
func (t *tx) Reservations(f platform.ReservationFilter) ([]platform.Reservation, error) {
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
	query := "SELECT " + reservationCols + " FROM reservations"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += " ORDER BY created_at DESC, book_code" + limitClause(f.Limit)
	return getAll(t, scanReservation, query, args...)
}

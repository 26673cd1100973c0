package postgres

import (
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// The read side (platform.ReadTx): whole-city listings and aggregates for
// the public API, the operator console and the statistics. The statements
// are those of the SQLite store but for the placeholders and casts that
// keep sums and means in BIGINT and DOUBLE PRECISION; an hour is
// "at - at % 3600000" on the millisecond columns.

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
	return getAll(t, scanPark, "SELECT "+parkCols+" FROM parks WHERE updated_at >= $1 ORDER BY isv_park_id",
		msAbove(since))
}

// VacanciesSince returns the live vacancies whose At is since or later, by
// IsvParkID, through the vacancy_at index.
func (t *tx) VacanciesSince(since time.Time) ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, "SELECT "+vacancyCols+" FROM vacancy WHERE at >= $1 ORDER BY isv_park_id",
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
		WHERE isv_park_id = $1 ORDER BY at DESC, id DESC LIMIT $2`, isvParkID, limitArg(limit))
}

func scanHourCount(s pgx.Row) (c platform.HourCount, err error) {
	err = s.Scan(&c.IsvParkID, asTime(&c.Hour), &c.Entries, &c.Exits)
	return c, err
}

// RecordCounts counts entries by their Time and exits by theirs, per park
// and hour, for times in [from, to), by hour then park. Each table is
// read park by park through its (isv_park_id, at) index.
func (t *tx) RecordCounts(from, to time.Time) ([]platform.HourCount, error) {
	return getAll(t, scanHourCount, `SELECT isv_park_id, hour, SUM(entries)::BIGINT, SUM(exits)::BIGINT FROM (
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, COUNT(*) AS entries, 0 AS exits
			FROM parks p JOIN enter_records r
				ON r.isv_park_id = p.isv_park_id AND r.at >= $1 AND r.at < $2
			GROUP BY r.isv_park_id, hour
			UNION ALL
			SELECT r.isv_park_id, r.at - r.at % 3600000 AS hour, 0 AS entries, COUNT(*) AS exits
			FROM parks p JOIN exit_records r
				ON r.isv_park_id = p.isv_park_id AND r.at >= $1 AND r.at < $2
			GROUP BY r.isv_park_id, hour
		) AS counts GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`,
		msAbove(from), msAbove(to))
}

func scanVacancyHour(s pgx.Row) (h platform.VacancyHour, err error) {
	err = s.Scan(&h.IsvParkID, asTime(&h.Hour), &h.Samples, &h.AvgUsed, &h.MaxUsed, &h.MinUnused)
	return h, err
}

// VacancyHours summarises the vacancy series per park and hour for
// reports with At in [from, to), by hour then park.
func (t *tx) VacancyHours(from, to time.Time) ([]platform.VacancyHour, error) {
	return getAll(t, scanVacancyHour, `SELECT isv_park_id, at - at % 3600000 AS hour, COUNT(*),
			AVG(used_stalls)::DOUBLE PRECISION, MAX(used_stalls), MIN(unused_stalls)
		FROM vacancy_series WHERE at >= $1 AND at < $2
		GROUP BY hour, isv_park_id ORDER BY hour, isv_park_id`, msAbove(from), msAbove(to))
}

// ParkLiveness returns the park's latest liveness events (those with its
// IsvParkID), oldest first: the limit latest when limit > 0, else all.
func (t *tx) ParkLiveness(isvParkID string, limit int) ([]platform.LivenessEvent, error) {
	return getAll(t, scanEvent, `SELECT `+eventCols+` FROM (
			SELECT seq, `+eventCols+` FROM liveness_events WHERE isv_park_id = $1
			ORDER BY at DESC, seq DESC LIMIT $2
		) AS latest ORDER BY at, seq`, isvParkID, limitArg(limit))
}

// Reservations returns the orders that match f, newest CreatedAt first,
// then BookCode. Only the conditions f sets are in the statement, so the
// planner can pick the index that fits them.
func (t *tx) Reservations(f platform.ReservationFilter) ([]platform.Reservation, error) {
	var where []string
	var args []any
	add := func(cond string, arg any) {
		args = append(args, arg)
		where = append(where, fmt.Sprintf(cond, len(args)))
	}
	if f.IsvParkID != "" {
		add("isv_park_id = $%d", f.IsvParkID)
	}
	if f.State != "" {
		add("state = $%d", string(f.State))
	}
	if f.Plate != "" {
		add("plate_no = $%d", f.Plate)
	}
	if !f.From.IsZero() {
		add("created_at >= $%d", msAbove(f.From))
	}
	if !f.To.IsZero() {
		add("created_at < $%d", msAbove(f.To))
	}
	query := "SELECT " + reservationCols + " FROM reservations"
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	args = append(args, limitArg(f.Limit))
	query += fmt.Sprintf(" ORDER BY created_at DESC, book_code LIMIT $%d", len(args))
	return getAll(t, scanReservation, query, args...)
}

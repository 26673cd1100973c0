package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// Vacancy, data-quality warnings and hourly verifications.

const vacancyCols = "isv_park_id, info, used_stalls, unused_stalls, unused_reservable_stalls, at"

func scanVacancy(s pgx.Row) (v platform.Vacancy, err error) {
	err = s.Scan(&v.IsvParkID, asRaw(&v.Info), &v.UsedStalls, &v.UnusedStalls,
		&v.UnusedReservableStalls, asTime(&v.At))
	return v, err
}

// PutVacancy replaces the park's live vacancy with v and appends v to the
// park's series.
func (t *tx) PutVacancy(v platform.Vacancy) error {
	args := []any{v.IsvParkID, rawArg(v.Info), v.UsedStalls, v.UnusedStalls,
		v.UnusedReservableStalls, ms(v.At)}
	_, err := t.exec(`INSERT INTO vacancy (`+vacancyCols+`) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (isv_park_id) DO UPDATE SET info = excluded.info,
			used_stalls = excluded.used_stalls, unused_stalls = excluded.unused_stalls,
			unused_reservable_stalls = excluded.unused_reservable_stalls, at = excluded.at`,
		args...)
	if err != nil {
		return wrap("put vacancy", err)
	}
	_, err = t.exec(`INSERT INTO vacancy_series (`+vacancyCols+`) VALUES ($1, $2, $3, $4, $5, $6)`, args...)
	return wrap("put vacancy", err)
}

// Vacancy returns the park's live vacancy.
func (t *tx) Vacancy(isvParkID string) (platform.Vacancy, error) {
	return getOne(t, scanVacancy, "SELECT "+vacancyCols+" FROM vacancy WHERE isv_park_id = $1", isvParkID)
}

// VacancySeries returns the park's vacancy reports whose At is in
// [from, to), oldest first.
func (t *tx) VacancySeries(isvParkID string, from, to time.Time) ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, `SELECT `+vacancyCols+` FROM vacancy_series
		WHERE isv_park_id = $1 AND at >= $2 AND at < $3 ORDER BY at, seq`,
		isvParkID, ms(from), ms(to))
}

const warningCols = "isv_park_id, user_id, kind, detail, at"

func scanWarning(s pgx.Row) (w platform.Warning, err error) {
	err = s.Scan(&w.IsvParkID, &w.UserID, &w.Kind, &w.Detail, asTime(&w.At))
	return w, err
}

// AddWarning appends w to the warnings.
func (t *tx) AddWarning(w platform.Warning) error {
	_, err := t.exec(`INSERT INTO warnings (`+warningCols+`) VALUES ($1, $2, $3, $4, $5)`,
		w.IsvParkID, w.UserID, w.Kind, w.Detail, ms(w.At))
	return wrap("add warning", err)
}

// Warnings returns the park's warnings newest first: the limit latest when
// limit > 0, else all.
func (t *tx) Warnings(isvParkID string, limit int) ([]platform.Warning, error) {
	return getAll(t, scanWarning, `SELECT `+warningCols+` FROM warnings WHERE isv_park_id = $1
		ORDER BY at DESC, seq DESC LIMIT $2`, isvParkID, limitArg(limit))
}

const verificationCols = "isv_park_id, hour, plates, no_entry, missing, used_stalls, at, plate_list"

func scanVerification(s pgx.Row) (v platform.Verification, err error) {
	err = s.Scan(&v.IsvParkID, asTime(&v.Hour), &v.Plates, asStrings(&v.NoEntry),
		asStrings(&v.Missing), &v.UsedStalls, asTime(&v.At), asStrings(&v.PlateList))
	return v, err
}

// PutVerification inserts v or replaces the verification with its
// (IsvParkID, Hour).
func (t *tx) PutVerification(v platform.Verification) error {
	_, err := t.exec(`INSERT INTO verifications (`+verificationCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (isv_park_id, hour) DO UPDATE SET plates = excluded.plates,
			no_entry = excluded.no_entry, missing = excluded.missing,
			used_stalls = excluded.used_stalls, at = excluded.at, plate_list = excluded.plate_list`,
		v.IsvParkID, ms(v.Hour), v.Plates, stringsArg(v.NoEntry), stringsArg(v.Missing),
		v.UsedStalls, ms(v.At), stringsArg(v.PlateList))
	return wrap("put verification", err)
}

// Verifications returns the park's verifications whose Hour is in
// [from, to), by hour.
func (t *tx) Verifications(isvParkID string, from, to time.Time) ([]platform.Verification, error) {
	return getAll(t, scanVerification, `SELECT `+verificationCols+` FROM verifications
		WHERE isv_park_id = $1 AND hour >= $2 AND hour < $3 ORDER BY hour`,
		isvParkID, ms(from), ms(to))
}

package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Vacancy, data-quality warnings and hourly verifications.

const vacancyCols = "isv_park_id, info, used_stalls, unused_stalls, unused_reservable_stalls, at"

func scanVacancy(s Row) (v platform.Vacancy, err error) {
	err = s.Scan(&v.IsvParkID, asRaw(&v.Info), &v.UsedStalls, &v.UnusedStalls,
		&v.UnusedReservableStalls, asTime(&v.At))
	return v, err
}

var (
	putVacancy    = upsert("vacancy", vacancyCols, "isv_park_id", "")
	addVacancy    = insert("vacancy_series", vacancyCols)
	selectVacancy = define("SELECT " + vacancyCols + " FROM vacancy WHERE isv_park_id = ?")
	vacancySeries = define(`SELECT ` + vacancyCols + ` FROM vacancy_series
		WHERE isv_park_id = ? AND at >= ? AND at < ? ORDER BY at, seq`)
)

// PutVacancy replaces the park's live vacancy with v and appends v to the
// park's series.
func (t *Tx) PutVacancy(v platform.Vacancy) error {
	args := []any{v.IsvParkID, rawArg(v.Info), v.UsedStalls, v.UnusedStalls,
		v.UnusedReservableStalls, ms(v.At)}
	if _, err := t.exec(putVacancy, args...); err != nil {
		return t.wrap("put vacancy", err)
	}
	_, err := t.exec(addVacancy, args...)
	return t.wrap("put vacancy", err)
}

// Vacancy returns the park's live vacancy.
func (t *Tx) Vacancy(isvParkID string) (platform.Vacancy, error) {
	return getOne(t, scanVacancy, selectVacancy, isvParkID)
}

// VacancySeries returns the park's vacancy reports whose At is in
// [from, to), oldest first.
func (t *Tx) VacancySeries(isvParkID string, from, to time.Time) ([]platform.Vacancy, error) {
	return getAll(t, scanVacancy, vacancySeries, isvParkID, ms(from), ms(to))
}

const warningCols = "isv_park_id, user_id, kind, detail, at"

func scanWarning(s Row) (w platform.Warning, err error) {
	err = s.Scan(&w.IsvParkID, &w.UserID, &w.Kind, &w.Detail, asTime(&w.At))
	return w, err
}

var (
	addWarning = insert("warnings", warningCols)
	warnings   = define(`SELECT ` + warningCols + ` FROM warnings WHERE isv_park_id = ?
		ORDER BY at DESC, seq DESC LIMIT ?`)
)

// AddWarning appends w to the warnings.
func (t *Tx) AddWarning(w platform.Warning) error {
	_, err := t.exec(addWarning, w.IsvParkID, w.UserID, w.Kind, w.Detail, ms(w.At))
	return t.wrap("add warning", err)
}

// Warnings returns the park's warnings newest first: the limit latest when
// limit > 0, else all.
func (t *Tx) Warnings(isvParkID string, limit int) ([]platform.Warning, error) {
	return getAll(t, scanWarning, warnings, isvParkID, limitArg(limit))
}

const verificationCols = "isv_park_id, hour, plates, no_entry, missing, used_stalls, at, plate_list"

func scanVerification(s Row) (v platform.Verification, err error) {
	err = s.Scan(&v.IsvParkID, asTime(&v.Hour), &v.Plates, asStrings(&v.NoEntry),
		asStrings(&v.Missing), &v.UsedStalls, asTime(&v.At), asStrings(&v.PlateList))
	return v, err
}

var (
	putVerification = upsert("verifications", verificationCols, "isv_park_id, hour", "")
	verifications   = define(`SELECT ` + verificationCols + ` FROM verifications
		WHERE isv_park_id = ? AND hour >= ? AND hour < ? ORDER BY hour`)
)

// PutVerification inserts v or replaces the verification with its
// (IsvParkID, Hour).
func (t *Tx) PutVerification(v platform.Verification) error {
	_, err := t.exec(putVerification, v.IsvParkID, ms(v.Hour), v.Plates, stringsArg(v.NoEntry),
		stringsArg(v.Missing), v.UsedStalls, ms(v.At), stringsArg(v.PlateList))
	return t.wrap("put verification", err)
}

// Verifications returns the park's verifications whose Hour is in
// [from, to), by hour.
func (t *Tx) Verifications(isvParkID string, from, to time.Time) ([]platform.Verification, error) {
	return getAll(t, scanVerification, verifications, isvParkID, ms(from), ms(to))
}

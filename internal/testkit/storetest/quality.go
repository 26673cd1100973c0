package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func qualityCases() []testCase {
	return []testCase{
		{"PutVacancy replaces the live value and appends to the series", testVacancy},
		{"VacancySeries is the park's reports in [from, to), oldest first", testVacancySeries},
		{"Warnings are per park, newest first, and a limit keeps the latest", testWarnings},
		{"verification round trip with its lists and replace by park and hour", testVerification},
		{"Verifications are the park's hours in [from, to), by hour", testVerificationRange},
	}
}

func newVacancy(park string, used, minute int) platform.Vacancy {
	return platform.Vacancy{
		IsvParkID:  park,
		Info:       json.RawMessage(fmt.Sprintf(`{"usedStalls":%d}`, used)),
		UsedStalls: used, UnusedStalls: 120 - used, UnusedReservableStalls: 3,
		At: at(minute),
	}
}

func putVacancies(t *testing.T, s platform.Store, vs ...platform.Vacancy) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, v := range vs {
			if err := tx.PutVacancy(v); err != nil {
				return err
			}
		}
		return nil
	})
}

func testVacancy(t *testing.T, s platform.Store) {
	seed(t, s)
	a, b := newVacancy(p1, 10, 1), newVacancy(p1, 12, 2)
	putVacancies(t, s, a)
	live := func() platform.Vacancy {
		return get(t, s, func(tx platform.Tx) (platform.Vacancy, error) { return tx.Vacancy(p1) })
	}
	same(t, "live vacancy", live(), a)
	putVacancies(t, s, b)
	same(t, "replaced live vacancy", live(), b)
	series := get(t, s, func(tx platform.Tx) ([]platform.Vacancy, error) { return tx.VacancySeries(p1, at(0), at(60)) })
	same(t, "series", series, []platform.Vacancy{a, b})
}

func testVacancySeries(t *testing.T, s platform.Store) {
	seed(t, s)
	v5, v10a, v10b, v15, v20 := newVacancy(p1, 1, 5), newVacancy(p1, 2, 10), newVacancy(p1, 3, 10), newVacancy(p1, 4, 15), newVacancy(p1, 5, 20)
	putVacancies(t, s, v15, v10a, v20, newVacancy(p2, 9, 12), v5, v10b)
	series := func(from, to time.Time) []platform.Vacancy {
		return get(t, s, func(tx platform.Tx) ([]platform.Vacancy, error) { return tx.VacancySeries(p1, from, to) })
	}
	same(t, "series [10, 20)", series(at(10), at(20)), []platform.Vacancy{v10a, v10b, v15})
	same(t, "series [0, 60)", series(at(0), at(60)), []platform.Vacancy{v5, v10a, v10b, v15, v20})
	if got := series(at(21), at(30)); len(got) != 0 {
		t.Errorf("empty range: %d reports", len(got))
	}
	// The live value is the last put, not the latest in time.
	same(t, "live vacancy", get(t, s, func(tx platform.Tx) (platform.Vacancy, error) { return tx.Vacancy(p1) }), v10b)
}

func testWarnings(t *testing.T, s platform.Store) {
	seed(t, s)
	w := func(park, kind string, minute int) platform.Warning {
		return platform.Warning{IsvParkID: park, UserID: u1, Kind: kind, Detail: kind + " detail", At: at(minute)}
	}
	ws := []platform.Warning{
		w(p1, "plate-format", 3), w(p1, "vacancy-totals", 1), w(p1, "small-picture", 3),
		w(p2, "plate-format", 2), w("", "exit-without-entry", 4), w(p1, "exit-without-entry", 2),
	}
	update(t, s, func(tx platform.Tx) error {
		for _, x := range ws {
			if err := tx.AddWarning(x); err != nil {
				return err
			}
		}
		return nil
	})
	warnings := func(park string, limit int) []platform.Warning {
		return get(t, s, func(tx platform.Tx) ([]platform.Warning, error) { return tx.Warnings(park, limit) })
	}
	newestFirst := []platform.Warning{ws[2], ws[0], ws[5], ws[1]}
	same(t, "warnings", warnings(p1, 0), newestFirst)
	same(t, "latest 2", warnings(p1, 2), newestFirst[:2])
	same(t, "warnings of an unknown park", warnings("", 10), []platform.Warning{ws[4]})
}

func newVerification(park string, hour int) platform.Verification {
	return platform.Verification{
		IsvParkID: park, Hour: t0.Add(time.Duration(hour) * time.Hour), Plates: 3,
		NoEntry: []string{"粤B00001"}, Missing: []string{"粤B00002", "粤B00003"},
		UsedStalls: 4, At: t0.Add(time.Duration(hour)*time.Hour + 5*time.Minute),
		PlateList: []string{"粤B00001", "粤B00004", "粤B00005"},
	}
}

func putVerifications(t *testing.T, s platform.Store, vs ...platform.Verification) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, v := range vs {
			if err := tx.PutVerification(v); err != nil {
				return err
			}
		}
		return nil
	})
}

func verifications(t *testing.T, s platform.Store, from, to time.Time) []platform.Verification {
	t.Helper()
	return get(t, s, func(tx platform.Tx) ([]platform.Verification, error) { return tx.Verifications(p1, from, to) })
}

func testVerification(t *testing.T, s platform.Store) {
	seed(t, s)
	v := newVerification(p1, 0)
	putVerifications(t, s, v)
	same(t, "verification", verifications(t, s, t0, at(60)), []platform.Verification{v})

	// Nil and empty lists stay what they were.
	v.Plates, v.NoEntry, v.Missing, v.PlateList, v.UsedStalls = 0, nil, []string{}, nil, -1
	v.At = at(50)
	putVerifications(t, s, v)
	same(t, "replaced verification", verifications(t, s, t0, at(60)), []platform.Verification{v})
}

func testVerificationRange(t *testing.T, s platform.Store) {
	seed(t, s)
	h0, h1, h2, h3 := newVerification(p1, 0), newVerification(p1, 1), newVerification(p1, 2), newVerification(p1, 3)
	putVerifications(t, s, h3, h1, newVerification(p2, 1), h0, h2)
	hour := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Hour) }
	same(t, "hours [1, 3)", verifications(t, s, hour(1), hour(3)), []platform.Verification{h1, h2})
	same(t, "hours [0, 9)", verifications(t, s, hour(0), hour(9)), []platform.Verification{h0, h1, h2, h3})
}

package storetest

import (
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// The read side (platform.ReadTx): whole-city listings and aggregates.

func readCases() []testCase {
	return []testCase{
		{"AllParks and LiveVacancies list every account's parks by IsvParkID", testAllParks},
		{"ParksChangedSince and VacanciesSince list what changed at or after a time by IsvParkID", testChangedSince},
		{"RecentRecords is newest Time first, ties by ID descending, per kind and park, with a limit", testRecentRecords},
		{"RecordCounts buckets entries and exits by park and hour in [from, to)", testRecordCounts},
		{"VacancyHours summarises each park's reports per hour in [from, to)", testVacancyHours},
		{"ParkLiveness is the park's latest events oldest first, ties in insertion order", testParkLiveness},
		{"Reservations filters by park, state, plate and [From, To), newest first, then book code", testReservationFilter},
		{"an empty store lists nothing", testReadEmpty},
	}
}

// read runs fn on the read side of a View.
func read[T any](t *testing.T, s platform.Store, fn func(r platform.ReadTx) (T, error)) T {
	t.Helper()
	return get(t, s, func(tx platform.Tx) (T, error) { return fn(platform.Reader(tx)) })
}

func testAllParks(t *testing.T, s platform.Store) {
	seed(t, s)
	// Stored by account; listed by IsvParkID whatever the account.
	extra := newPark(u2, "A000", "isv-p0")
	update(t, s, func(tx platform.Tx) error { return tx.PutPark(extra) })
	parks := read(t, s, func(r platform.ReadTx) ([]platform.Park, error) { return r.AllParks() })
	same(t, "all parks", parks, []platform.Park{extra, newPark(u1, code1, p1), newPark(u1, code2, p2), newPark(u2, code1, p3)})

	// p2 has no vacancy; p3's live value is its latest report.
	v3, v1 := newVacancy(p3, 40, 5), newVacancy(p1, 10, 1)
	putVacancies(t, s, newVacancy(p3, 30, 2), v3, v1)
	live := read(t, s, func(r platform.ReadTx) ([]platform.Vacancy, error) { return r.LiveVacancies() })
	same(t, "live vacancies", live, []platform.Vacancy{v1, v3})
}

func testChangedSince(t *testing.T, s platform.Store) {
	seed(t, s) // every park updated at at(2)
	later := newPark(u2, code1, p3)
	later.Name, later.UpdatedAt = "renamed", atMs(10, 1)
	extra := newPark(u2, "A000", "isv-p0")
	extra.UpdatedAt = atMs(10, 0)
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutPark(later); err != nil {
			return err
		}
		return tx.PutPark(extra)
	})
	parks := func(since time.Time) []platform.Park {
		return read(t, s, func(r platform.ReadTx) ([]platform.Park, error) { return r.ParksChangedSince(since) })
	}
	same(t, "parks since at(2)", parks(at(2)), []platform.Park{extra, newPark(u1, code1, p1), newPark(u1, code2, p2), later})
	same(t, "parks since at(10)", parks(at(10)), []platform.Park{extra, later})
	// Milliseconds count: the bound is inclusive, a fraction above it is not.
	same(t, "parks since at(10)+1ms", parks(atMs(10, 1)), []platform.Park{later})
	if got := parks(atMs(10, 1).Add(500 * time.Microsecond)); len(got) != 0 {
		t.Errorf("parks since at(10)+1.5ms: %d parks", len(got))
	}
	if got := parks(at(11)); len(got) != 0 {
		t.Errorf("parks since at(11): %d parks", len(got))
	}

	// The live value only: p3's older report is replaced by its latest.
	v3old, v3, v1, v2 := newVacancy(p3, 30, 2), newVacancy(p3, 40, 7), newVacancy(p1, 10, 5), newVacancy(p2, 20, 3)
	putVacancies(t, s, v3old, v2, v3, v1)
	vacancies := func(since time.Time) []platform.Vacancy {
		return read(t, s, func(r platform.ReadTx) ([]platform.Vacancy, error) { return r.VacanciesSince(since) })
	}
	same(t, "vacancies since at(0)", vacancies(at(0)), []platform.Vacancy{v1, v2, v3})
	same(t, "vacancies since at(3)", vacancies(at(3)), []platform.Vacancy{v1, v2, v3})
	same(t, "vacancies since at(5)", vacancies(at(5)), []platform.Vacancy{v1, v3})
	same(t, "vacancies since at(6)", vacancies(at(6)), []platform.Vacancy{v3})
	if got := vacancies(at(8)); len(got) != 0 {
		t.Errorf("vacancies since at(8): %d", len(got))
	}
}

func testRecentRecords(t *testing.T, s platform.Store) {
	seed(t, s)
	// b and c share a time: c (the larger id) comes first.
	a, b, c, d := newRecord(p1, "a", "粤B1", 10), newRecord(p1, "b", "粤B2", 20), newRecord(p1, "c", "粤B3", 20), newRecord(p1, "d", "粤B4", 5)
	putRecords(t, s, platform.KindEnter, b, d, c, a, newRecord(p2, "z", "粤B9", 50))
	exit := newRecord(p1, "x", "粤B5", 60)
	putRecords(t, s, platform.KindExit, exit)
	recent := func(kind platform.RecordKind, park string, limit int) []platform.Record {
		return read(t, s, func(r platform.ReadTx) ([]platform.Record, error) { return r.RecentRecords(kind, park, limit) })
	}
	same(t, "all entries", recent(platform.KindEnter, p1, 0), []platform.Record{c, b, a, d})
	same(t, "latest 2 entries", recent(platform.KindEnter, p1, 2), []platform.Record{c, b})
	same(t, "limit above count", recent(platform.KindEnter, p1, 9), []platform.Record{c, b, a, d})
	same(t, "exits", recent(platform.KindExit, p1, -1), []platform.Record{exit})
	if got := recent(platform.KindExit, p3, 0); len(got) != 0 {
		t.Errorf("park without exits: %d records", len(got))
	}
	err := s.View(t.Context(), func(tx platform.Tx) error {
		_, err := platform.Reader(tx).RecentRecords("parked", p1, 0)
		return err
	})
	if platform.KindOf(err) != platform.KindInvalid {
		t.Errorf("unknown kind: error %v, want KindInvalid", err)
	}
}

// atMs is t0 plus minutes and milliseconds.
func atMs(minutes, millis int) time.Time {
	return at(minutes).Add(time.Duration(millis) * time.Millisecond)
}

func testRecordCounts(t *testing.T, s platform.Store) {
	seed(t, s)
	rec := func(park, id string, minutes, millis int) platform.Record {
		r := newRecord(park, id, "粤B"+id, 0)
		r.Time = atMs(minutes, millis)
		return r
	}
	// t0 is 08:00. Hour 08: p1 has two entries (the last at 08:59:59.999)
	// and one exit; hour 09 starts at 09:00:00.000 exactly. p3 has only an
	// exit in hour 09, p2 only an entry in hour 10. Outside [08:00, 11:00):
	// an entry at 07:59:59.999 and one at 11:00:00.000.
	putRecords(t, s, platform.KindEnter,
		rec(p1, "e1", 0, 0), rec(p1, "e2", 59, 59_999), rec(p1, "e3", 60, 0),
		rec(p2, "e4", 150, 0), rec(p1, "e5", -1, 59_999), rec(p1, "e6", 180, 0))
	putRecords(t, s, platform.KindExit,
		rec(p1, "e1", 30, 0), rec(p3, "x1", 119, 59_999), rec(p1, "e3", 180, 0))
	counts := func(from, to time.Time) []platform.HourCount {
		return read(t, s, func(r platform.ReadTx) ([]platform.HourCount, error) { return r.RecordCounts(from, to) })
	}
	h := func(n int) time.Time { return at(60 * n) }
	same(t, "counts in [08:00, 11:00)", counts(h(0), h(3)), []platform.HourCount{
		{IsvParkID: p1, Hour: h(0), Entries: 2, Exits: 1},
		{IsvParkID: p1, Hour: h(1), Entries: 1},
		{IsvParkID: p3, Hour: h(1), Exits: 1},
		{IsvParkID: p2, Hour: h(2), Entries: 1},
	})
	// The range is of times, not hours: a bound inside an hour cuts it,
	// and a bound a fraction of a millisecond past a record leaves it out.
	same(t, "counts in [08:00:00.000+, 09:00:00.001)", counts(h(0).Add(time.Microsecond), atMs(60, 1)),
		[]platform.HourCount{{IsvParkID: p1, Hour: h(0), Entries: 1, Exits: 1}, {IsvParkID: p1, Hour: h(1), Entries: 1}})
	same(t, "counts in [10:59, 11:00:00.001)", counts(at(179), atMs(180, 1)),
		[]platform.HourCount{{IsvParkID: p1, Hour: h(3), Entries: 1, Exits: 1}})
	if got := counts(h(5), h(6)); len(got) != 0 {
		t.Errorf("empty range: %+v", got)
	}
}

func testVacancyHours(t *testing.T, s platform.Store) {
	seed(t, s)
	vac := func(park string, used, unused, minutes, millis int) platform.Vacancy {
		v := newVacancy(park, used, 0)
		v.UnusedStalls, v.At = unused, atMs(minutes, millis)
		return v
	}
	// Hour 08 of p1: used 10, 15, 20 and 25 (mean 17.5), the last at
	// 08:59:59.999. Hour 09 of p1 starts at 09:00:00.000; p2 reports once
	// at 08:30. A report at 07:59:59.999 and one at 10:00 are outside.
	putVacancies(t, s,
		vac(p1, 20, 100, 20, 0), vac(p1, 10, 110, 0, 0), vac(p1, 25, 95, 59, 59_999),
		vac(p1, 15, 90, 45, 0), vac(p1, 30, 90, 60, 0), vac(p2, 7, 3, 30, 0),
		vac(p1, 99, 0, -1, 59_999), vac(p1, 98, 0, 120, 0))
	hours := func(from, to time.Time) []platform.VacancyHour {
		return read(t, s, func(r platform.ReadTx) ([]platform.VacancyHour, error) { return r.VacancyHours(from, to) })
	}
	same(t, "hours in [08:00, 10:00)", hours(at(0), at(120)), []platform.VacancyHour{
		{IsvParkID: p1, Hour: at(0), Samples: 4, AvgUsed: 17.5, MaxUsed: 25, MinUnused: 90},
		{IsvParkID: p2, Hour: at(0), Samples: 1, AvgUsed: 7, MaxUsed: 7, MinUnused: 3},
		{IsvParkID: p1, Hour: at(60), Samples: 1, AvgUsed: 30, MaxUsed: 30, MinUnused: 90},
	})
	same(t, "hours in [08:20, 08:59:59.999)", hours(at(20), atMs(59, 59_999)), []platform.VacancyHour{
		{IsvParkID: p1, Hour: at(0), Samples: 2, AvgUsed: 17.5, MaxUsed: 20, MinUnused: 90},
		{IsvParkID: p2, Hour: at(0), Samples: 1, AvgUsed: 7, MaxUsed: 7, MinUnused: 3},
	})
	if got := hours(at(200), at(300)); len(got) != 0 {
		t.Errorf("empty range: %+v", got)
	}
}

func testParkLiveness(t *testing.T, s platform.Store) {
	seed(t, s)
	ev := func(user, park string, m int, online bool, cause string) platform.LivenessEvent {
		return platform.LivenessEvent{UserID: user, IsvParkID: park, Online: online, At: at(m), Cause: cause}
	}
	// Stored out of time order; the two at minute 3 keep insertion order.
	events := []platform.LivenessEvent{
		ev(u1, p1, 3, true, "heartbeat"), ev(u1, p1, 1, true, "login"), ev(u1, p1, 3, false, "timeout"),
		ev(u1, p1, 7, true, "heartbeat"),
	}
	update(t, s, func(tx platform.Tx) error {
		for _, e := range append(events, ev(u1, "", 2, true, "login"), ev(u1, p2, 4, true, "heartbeat"), ev(u2, p3, 5, true, "login")) {
			if err := tx.AddLivenessEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	ordered := []platform.LivenessEvent{events[1], events[0], events[2], events[3]}
	liveness := func(park string, limit int) []platform.LivenessEvent {
		return read(t, s, func(r platform.ReadTx) ([]platform.LivenessEvent, error) { return r.ParkLiveness(park, limit) })
	}
	same(t, "all events", liveness(p1, 0), ordered)
	same(t, "latest 2", liveness(p1, 2), ordered[2:])
	same(t, "limit above count", liveness(p1, 10), ordered)
	same(t, "another account's park", liveness(p3, 0), []platform.LivenessEvent{ev(u2, p3, 5, true, "login")})
	if got := liveness("isv-none", 0); len(got) != 0 {
		t.Errorf("unknown park: %d events", len(got))
	}
}

func testReservationFilter(t *testing.T, s platform.Store) {
	seed(t, s)
	res := func(code, park, plate string, state platform.ReservationState, created, millis int) platform.Reservation {
		r := newReservation(code, park, plate, created)
		r.State, r.CreatedAt = state, msAt(created, millis)
		return r
	}
	confirmed, pending := platform.ReservationConfirmed, platform.ReservationPending
	// B1 and B2 share a CreatedAt: B1 (the smaller code) comes first.
	b1, b2 := res("B1", p1, "粤B1", confirmed, 20, 0), res("B2", p2, "粤B2", pending, 20, 0)
	b3, b4 := res("B3", p1, "粤B2", pending, 30, 0), res("B4", p1, "粤B1", confirmed, 10, 0)
	b5 := res("B5", p3, "粤B1", confirmed, 19, 59_999)
	putReservations(t, s, b3, b5, b2, b4, b1)
	list := func(f platform.ReservationFilter) []platform.Reservation {
		return read(t, s, func(r platform.ReadTx) ([]platform.Reservation, error) { return r.Reservations(f) })
	}
	type F = platform.ReservationFilter
	for _, c := range []struct {
		name string
		f    F
		want []platform.Reservation
	}{
		{"all", F{}, []platform.Reservation{b3, b1, b2, b5, b4}},
		{"limit", F{Limit: 3}, []platform.Reservation{b3, b1, b2}},
		{"negative limit", F{Limit: -1}, []platform.Reservation{b3, b1, b2, b5, b4}},
		{"park", F{IsvParkID: p1}, []platform.Reservation{b3, b1, b4}},
		{"state", F{State: pending}, []platform.Reservation{b3, b2}},
		{"plate", F{Plate: "粤B1"}, []platform.Reservation{b1, b5, b4}},
		{"park, state and plate", F{IsvParkID: p1, State: confirmed, Plate: "粤B1"}, []platform.Reservation{b1, b4}},
		{"from, inclusive", F{From: at(20)}, []platform.Reservation{b3, b1, b2}},
		{"to, exclusive", F{To: at(20)}, []platform.Reservation{b5, b4}},
		{"[from, to) to the millisecond", F{From: msAt(19, 59_999), To: msAt(20, 1)}, []platform.Reservation{b1, b2, b5}},
		{"from a fraction past a millisecond", F{From: msAt(19, 59_999).Add(time.Microsecond), To: at(30)}, []platform.Reservation{b1, b2}},
		{"range, plate and limit", F{Plate: "粤B1", From: at(10), To: at(30), Limit: 2}, []platform.Reservation{b1, b5}},
		{"no match", F{State: platform.ReservationExpired}, nil},
		{"unknown park", F{IsvParkID: "isv-none"}, nil},
	} {
		got := list(c.f)
		if len(got) == 0 && len(c.want) == 0 {
			continue
		}
		same(t, c.name, got, c.want)
	}
}

func testReadEmpty(t *testing.T, s platform.Store) {
	view(t, s, func(tx platform.Tx) error {
		r := platform.Reader(tx)
		parks, err := r.AllParks()
		if err != nil || len(parks) != 0 {
			t.Errorf("AllParks: %d, %v", len(parks), err)
		}
		live, err := r.LiveVacancies()
		if err != nil || len(live) != 0 {
			t.Errorf("LiveVacancies: %d, %v", len(live), err)
		}
		counts, err := r.RecordCounts(at(0), at(600))
		if err != nil || len(counts) != 0 {
			t.Errorf("RecordCounts: %d, %v", len(counts), err)
		}
		hours, err := r.VacancyHours(at(0), at(600))
		if err != nil || len(hours) != 0 {
			t.Errorf("VacancyHours: %d, %v", len(hours), err)
		}
		orders, err := r.Reservations(platform.ReservationFilter{})
		if err != nil || len(orders) != 0 {
			t.Errorf("Reservations: %d, %v", len(orders), err)
		}
		return nil
	})
}

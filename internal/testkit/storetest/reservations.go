package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func reservationCases() []testCase {
	return []testCase{
		{"reservation round trip with every field, zero times stay zero, replace by book code", testReservationRoundTrip},
		{"PutReservation of an unknown park fails with KindInvalid and keeps nothing", testReservationNeedsPark},
		{"ReservationsByPlate is newest CreatedAt first, then book code", testReservationsByPlate},
		{"Waitlist is the park's waitlisted orders by WaitSeq, then book code", testWaitlist},
		{"NextWaitSeq grows strictly across calls and transactions", testNextWaitSeq},
		{"NextWaitSeq exceeds every stored WaitSeq", testNextWaitSeqAfterPut},
		{"ReservationsToExpire picks deadlines by state, ordered, with a limit", testReservationsToExpire},
		{"ParkReservations is the park's orders with BookTime in [from, to)", testParkReservations},
		{"NoShows counts a plate's flagged orders updated since a time", testNoShows},
		{"reservation events are per order, oldest first, ties in insertion order", testReservationEvents},
		{"dispatch round trip, replace by id and delete", testDispatchRoundTrip},
		{"DueDispatches is NextAt <= now by NextAt, CreatedAt, ID, with a limit", testDueDispatches},
		{"DispatchesFor, NextDispatchAt and CountDispatches follow the queue", testDispatchQueue},
		{"RecordByBookCode finds the park's latest record of a kind with the code", testRecordByBookCode},
		{"API keys round trip, replace by id and list by id", testAPIKeys},
		{"blacklist round trip, replace by plate and delete", testBlacklist},
		{"a failing Update keeps none of its reservation writes", testReservationAtomic},
	}
}

// msAt is at(minutes) plus some milliseconds: times the stores must keep.
func msAt(minutes, millis int) time.Time {
	return at(minutes).Add(time.Duration(millis) * time.Millisecond)
}

// newReservation returns a confirmed order of park for plate, created at
// minute created and booked 30 minutes later.
func newReservation(bookCode, park, plate string, created int) platform.Reservation {
	return platform.Reservation{
		BookCode:    bookCode,
		IsvParkID:   park,
		UserID:      u1,
		ParkCode:    code1,
		PlateNo:     plate,
		BookTime:    msAt(created+30, 0),
		OverTime:    msAt(created+10, 0),
		ObligatTime: 15,
		HoldUntil:   msAt(created+45, 0),
		BookType:    1,
		SpaceType:   1,
		CarModel:    2,
		CarColor:    3,
		PlateColor:  1,
		State:       platform.ReservationConfirmed,
		Revision:    1,
		ClientID:    "0123456789abcdef",
		CreatedAt:   msAt(created, 0),
		UpdatedAt:   msAt(created, 0),
	}
}

// putReservations stores orders in one Update.
func putReservations(t *testing.T, s platform.Store, rs ...platform.Reservation) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, r := range rs {
			if err := tx.PutReservation(r); err != nil {
				return fmt.Errorf("put %s: %w", r.BookCode, err)
			}
		}
		return nil
	})
}

func getReservation(t *testing.T, s platform.Store, bookCode string) platform.Reservation {
	t.Helper()
	return get(t, s, func(tx platform.Tx) (platform.Reservation, error) { return tx.Reservation(bookCode) })
}

// bookCodes returns the book codes of rs, for short failure messages.
func bookCodes(rs []platform.Reservation) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.BookCode)
	}
	return out
}

func testReservationRoundTrip(t *testing.T, s platform.Store) {
	seed(t, s)
	full := platform.Reservation{
		BookCode: "b0000000000000000000000000000001", IsvParkID: p1, UserID: u1, ParkCode: code1,
		PlateNo: "粤B12345", BookTime: msAt(60, 123), OverTime: msAt(40, 456), ObligatTime: 30,
		HoldUntil: msAt(90, 123), BookType: 1, SpaceType: 2, CarModel: 3, CarColor: 4, PlateColor: 5,
		State: platform.ReservationWaitlisted, Revision: 3, ClientID: "key1", WaitSeq: 1 << 40,
		NoShow: true, EnterID: "enter-1", CreatedAt: msAt(1, 1), UpdatedAt: msAt(2, 999),
	}
	// Only the key, the park, a state and the zero value everywhere else.
	bare := platform.Reservation{BookCode: "b0000000000000000000000000000002", IsvParkID: p2, State: platform.ReservationPending}
	putReservations(t, s, full, bare)
	same(t, "full reservation", getReservation(t, s, full.BookCode), full)
	got := getReservation(t, s, bare.BookCode)
	same(t, "bare reservation", got, bare)
	for name, tm := range map[string]time.Time{"BookTime": got.BookTime, "OverTime": got.OverTime,
		"HoldUntil": got.HoldUntil, "CreatedAt": got.CreatedAt, "UpdatedAt": got.UpdatedAt} {
		if !tm.IsZero() {
			t.Errorf("bare reservation: %s = %v, want the zero time", name, tm)
		}
	}

	// Replacing changes every field but the key.
	r := platform.Reservation{
		BookCode: full.BookCode, IsvParkID: p3, UserID: u2, ParkCode: code2,
		PlateNo: "粤B54321", BookTime: msAt(70, 1), OverTime: msAt(50, 2), ObligatTime: 10,
		HoldUntil: msAt(80, 1), BookType: 0, SpaceType: 0, CarModel: 0, CarColor: 0, PlateColor: 0,
		State: platform.ReservationConfirmed, Revision: 4, ClientID: "key2", WaitSeq: 0,
		NoShow: false, EnterID: "", CreatedAt: msAt(1, 1), UpdatedAt: msAt(5, 5),
	}
	putReservations(t, s, r)
	same(t, "replaced reservation", getReservation(t, s, full.BookCode), r)
	notFound(t, "unknown book code", s.View(t.Context(), func(tx platform.Tx) error {
		_, err := tx.Reservation("b0000000000000000000000000000009")
		return err
	}))
}

func testReservationNeedsPark(t *testing.T, s platform.Store) {
	seed(t, s)
	r := newReservation("b1", "isv-none", "粤B1", 0)
	err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.PutReservation(r) })
	if platform.KindOf(err) != platform.KindInvalid {
		t.Errorf("PutReservation of an unknown park: got %v, want KindInvalid", err)
	}
	notFound(t, "reservation of an unknown park", s.View(t.Context(), func(tx platform.Tx) error {
		_, err := tx.Reservation("b1")
		return err
	}))
}

func testReservationsByPlate(t *testing.T, s platform.Store) {
	seed(t, s)
	a, b, c, d := newReservation("b-a", p1, "粤B1", 5), newReservation("b-b", p2, "粤B1", 9),
		newReservation("b-c", p3, "粤B1", 5), newReservation("b-d", p1, "粤B1", 1)
	d.State = platform.ReservationCompleted
	// a and c tie on CreatedAt; stored in an order that a scan of the
	// (plate, CreatedAt) index backwards would reverse.
	putReservations(t, s, a, c, d, b, newReservation("b-e", p1, "粤B2", 7))
	got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ReservationsByPlate("粤B1") })
	same(t, "orders of 粤B1", bookCodes(got), []string{"b-b", "b-a", "b-c", "b-d"})
	same(t, "orders of 粤B1 in full", got, []platform.Reservation{b, a, c, d})
	if got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ReservationsByPlate("粤B9") }); len(got) != 0 {
		t.Errorf("plate without orders: %v", bookCodes(got))
	}
}

func testWaitlist(t *testing.T, s platform.Store) {
	seed(t, s)
	wait := func(code, park string, seq int64) platform.Reservation {
		r := newReservation(code, park, "粤B"+code, 0)
		r.State, r.WaitSeq = platform.ReservationWaitlisted, seq
		return r
	}
	first, second, tie1, tie2 := wait("w1", p1, 3), wait("w2", p1, 7), wait("w4", p1, 9), wait("w3", p1, 9)
	other := wait("w5", p2, 1)
	// Left the waitlist: its WaitSeq stays but it is no longer listed.
	left := wait("w6", p1, 1)
	left.State = platform.ReservationConfirmed
	putReservations(t, s, tie1, second, other, left, first, tie2, newReservation("w7", p1, "粤B7", 0))
	got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.Waitlist(p1) })
	same(t, "waitlist of p1", bookCodes(got), []string{"w1", "w2", "w3", "w4"})
	same(t, "waitlist of p1 in full", got, []platform.Reservation{first, second, tie2, tie1})
	if got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.Waitlist(p3) }); len(got) != 0 {
		t.Errorf("park without a waitlist: %v", bookCodes(got))
	}
}

// nextWaitSeqs takes n numbers in one Update.
func nextWaitSeqs(t *testing.T, s platform.Store, n int) []int64 {
	t.Helper()
	var out []int64
	update(t, s, func(tx platform.Tx) error {
		for range n {
			seq, err := tx.NextWaitSeq()
			if err != nil {
				return err
			}
			out = append(out, seq)
		}
		return nil
	})
	return out
}

func testNextWaitSeq(t *testing.T, s platform.Store) {
	var all []int64
	all = append(all, nextWaitSeqs(t, s, 3)...)
	all = append(all, nextWaitSeqs(t, s, 1)...)
	// A failing transaction's numbers may come again, but never below
	// those committed.
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		if _, err := tx.NextWaitSeq(); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failing Update returned %v", err)
	}
	all = append(all, nextWaitSeqs(t, s, 2)...)
	for i, n := range all {
		if n <= 0 {
			t.Errorf("NextWaitSeq gave %d, want a positive number", n)
		}
		if i > 0 && n <= all[i-1] {
			t.Errorf("NextWaitSeq gave %v: not strictly increasing", all)
			break
		}
	}
	if err := s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.NextWaitSeq(); return err }); err == nil {
		t.Error("NextWaitSeq in a View succeeded")
	}
}

func testNextWaitSeqAfterPut(t *testing.T, s platform.Store) {
	seed(t, s)
	first := nextWaitSeqs(t, s, 1)[0]
	r := newReservation("b1", p1, "粤B1", 0)
	r.State, r.WaitSeq = platform.ReservationWaitlisted, first+1000
	putReservations(t, s, r)
	if next := nextWaitSeqs(t, s, 1)[0]; next <= r.WaitSeq {
		t.Errorf("NextWaitSeq after storing WaitSeq %d gave %d", r.WaitSeq, next)
	}
	// A smaller stored WaitSeq does not take the counter back.
	r.WaitSeq = 1
	putReservations(t, s, r)
	if next := nextWaitSeqs(t, s, 1)[0]; next <= first+1001 {
		t.Errorf("NextWaitSeq went back to %d", next)
	}
}

func testReservationsToExpire(t *testing.T, s platform.Store) {
	seed(t, s)
	now := at(100)
	order := func(code string, state platform.ReservationState, over, hold int) platform.Reservation {
		r := newReservation(code, p1, "粤B"+code, 0)
		r.State, r.OverTime, r.HoldUntil = state, at(over), at(hold)
		return r
	}
	due := []platform.Reservation{
		order("e1", platform.ReservationPending, 90, 200),     // overTime past
		order("e2", platform.ReservationWaitlisted, 100, 300), // overTime now
		order("e3", platform.ReservationConfirmed, 200, 95),   // hold ended
		order("e4", platform.ReservationConfirmed, 10, 90),    // hold ended, tie with e1
		order("e5", platform.ReservationWaitlisted, 50, 500),  // overTime long past
		order("e0", platform.ReservationPending, 100, 0),      // tie with e2
		order("e6", platform.ReservationDispatched, 95, 500),  // sent, overTime past
	}
	notDue := []platform.Reservation{
		order("n1", platform.ReservationPending, 101, 50),   // holdUntil does not count
		order("n2", platform.ReservationConfirmed, 50, 101), // overTime does not count
		order("n3", platform.ReservationArrived, 10, 10),
		order("n4", platform.ReservationCompleted, 10, 10),
		order("n5", platform.ReservationCancelled, 10, 10),
		order("n6", platform.ReservationExpired, 10, 10),
		order("n7", platform.ReservationRejected, 10, 10),
		order("n8", platform.ReservationWaitlisted, 150, 10),
		order("n9", platform.ReservationDispatched, 101, 10), // holdUntil does not count
	}
	putReservations(t, s, append(notDue, due...)...)
	toExpire := func(limit int) []string {
		rs := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ReservationsToExpire(now, limit) })
		return bookCodes(rs)
	}
	want := []string{"e5", "e1", "e4", "e3", "e6", "e0", "e2"}
	same(t, "all due", toExpire(0), want)
	same(t, "negative limit", toExpire(-1), want)
	same(t, "limit 3", toExpire(3), want[:3])
	same(t, "limit above count", toExpire(50), want)
	got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ReservationsToExpire(now, 1) })
	same(t, "first due in full", got, []platform.Reservation{due[4]})
	if got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ReservationsToExpire(at(5), 0) }); len(got) != 0 {
		t.Errorf("nothing due yet: %v", bookCodes(got))
	}
}

func testParkReservations(t *testing.T, s platform.Store) {
	seed(t, s)
	booked := func(code, park string, minute int, state platform.ReservationState) platform.Reservation {
		r := newReservation(code, park, "粤B"+code, 0)
		r.BookTime, r.State = at(minute), state
		return r
	}
	rs := []platform.Reservation{
		booked("k1", p1, 59, platform.ReservationConfirmed), // before
		booked("k2", p1, 60, platform.ReservationCancelled), // first
		booked("k4", p1, 70, platform.ReservationPending),
		booked("k3", p1, 70, platform.ReservationArrived), // tie with k4
		booked("k5", p1, 89, platform.ReservationExpired),
		booked("k6", p1, 90, platform.ReservationConfirmed), // at the end: out
		booked("k7", p2, 70, platform.ReservationConfirmed), // other park
	}
	putReservations(t, s, rs...)
	got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ParkReservations(p1, at(60), at(90)) })
	same(t, "orders booked in [60, 90)", bookCodes(got), []string{"k2", "k3", "k4", "k5"})
	same(t, "orders in full", got, []platform.Reservation{rs[1], rs[3], rs[2], rs[4]})
	if got := get(t, s, func(tx platform.Tx) ([]platform.Reservation, error) { return tx.ParkReservations(p1, at(0), at(59)) }); len(got) != 0 {
		t.Errorf("empty range: %v", bookCodes(got))
	}
}

func testNoShows(t *testing.T, s platform.Store) {
	seed(t, s)
	noShow := func(code, plate string, updated int, flagged bool) platform.Reservation {
		r := newReservation(code, p1, plate, 0)
		r.State, r.NoShow, r.UpdatedAt = platform.ReservationExpired, flagged, at(updated)
		return r
	}
	putReservations(t, s,
		noShow("s1", "粤B1", 10, true), noShow("s2", "粤B1", 20, true), noShow("s3", "粤B1", 30, true),
		noShow("s4", "粤B1", 40, false), noShow("s5", "粤B2", 40, true))
	count := func(plate string, since time.Time) int {
		return get(t, s, func(tx platform.Tx) (int, error) { return tx.NoShows(plate, since) })
	}
	for _, c := range []struct {
		plate string
		since time.Time
		want  int
	}{
		{"粤B1", time.Time{}, 3},
		{"粤B1", at(20), 2}, // updated exactly at since counts
		{"粤B1", at(21), 1},
		{"粤B1", at(31), 0},
		{"粤B2", at(0), 1},
		{"粤B9", at(0), 0},
	} {
		if got := count(c.plate, c.since); got != c.want {
			t.Errorf("NoShows(%s, %v) = %d, want %d", c.plate, c.since, got, c.want)
		}
	}
}

func testReservationEvents(t *testing.T, s platform.Store) {
	ev := func(code string, minute int, from, to platform.ReservationState, cause string) platform.ReservationEvent {
		return platform.ReservationEvent{BookCode: code, At: msAt(minute, 7), From: from, To: to, Cause: cause}
	}
	events := []platform.ReservationEvent{
		ev("b1", 5, platform.ReservationPending, platform.ReservationConfirmed, "downlink 0"),
		ev("b1", 1, "", platform.ReservationPending, "created"),
		ev("b2", 3, "", platform.ReservationPending, "created"),
		ev("b1", 5, platform.ReservationConfirmed, platform.ReservationCancelled, "api"),
	}
	update(t, s, func(tx platform.Tx) error {
		for _, e := range events {
			if err := tx.AddReservationEvent(e); err != nil {
				return err
			}
		}
		return nil
	})
	update(t, s, func(tx platform.Tx) error {
		return tx.AddReservationEvent(ev("b1", 2, platform.ReservationPending, platform.ReservationPending, "retry"))
	})
	list := func(code string) []platform.ReservationEvent {
		return get(t, s, func(tx platform.Tx) ([]platform.ReservationEvent, error) { return tx.ReservationEvents(code) })
	}
	same(t, "events of b1", list("b1"), []platform.ReservationEvent{
		events[1], ev("b1", 2, platform.ReservationPending, platform.ReservationPending, "retry"), events[0], events[3],
	})
	same(t, "events of b2", list("b2"), []platform.ReservationEvent{events[2]})
	if got := list("b9"); len(got) != 0 {
		t.Errorf("events of an order without any: %v", got)
	}
}

func newDispatch(id, bookCode string, next, created int) platform.Dispatch {
	return platform.Dispatch{
		ID: id, BookCode: bookCode, Op: "reservation", Revision: 1,
		NextAt: at(next), Deadline: at(next + 60), CreatedAt: at(created),
	}
}

// putDispatches stores dispatches in one Update.
func putDispatches(t *testing.T, s platform.Store, ds ...platform.Dispatch) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, d := range ds {
			if err := tx.PutDispatch(d); err != nil {
				return err
			}
		}
		return nil
	})
}

func dispatchIDs(ds []platform.Dispatch) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ID)
	}
	return out
}

func testDispatchRoundTrip(t *testing.T, s platform.Store) {
	d := platform.Dispatch{
		ID: "d0000000000000000000000000000001", BookCode: "b1", Op: "cancelReservation", Revision: 7,
		Attempts: 3, NextAt: msAt(10, 250), Deadline: msAt(70, 500), LastError: "dial tcp: timeout",
		CreatedAt: msAt(1, 1),
	}
	bare := platform.Dispatch{ID: "d0000000000000000000000000000002"}
	putDispatches(t, s, d, bare)
	dispatch := func(id string) platform.Dispatch {
		return get(t, s, func(tx platform.Tx) (platform.Dispatch, error) { return tx.Dispatch(id) })
	}
	same(t, "dispatch", dispatch(d.ID), d)
	same(t, "bare dispatch", dispatch(bare.ID), bare)

	// A sender claims a dispatch by moving it and records the failure.
	d.Attempts, d.NextAt, d.LastError, d.Op, d.Revision = 4, msAt(12, 0), "", "reservation", 8
	d.BookCode, d.Deadline, d.CreatedAt = "b2", msAt(80, 0), msAt(2, 2)
	putDispatches(t, s, d)
	same(t, "replaced dispatch", dispatch(d.ID), d)

	update(t, s, func(tx platform.Tx) error { return tx.DeleteDispatch(d.ID) })
	notFound(t, "deleted dispatch", s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Dispatch(d.ID); return err }))
	notFound(t, "deleting it again", s.Update(t.Context(), func(tx platform.Tx) error { return tx.DeleteDispatch(d.ID) }))
	same(t, "the other dispatch stays", dispatch(bare.ID), bare)
}

func testDueDispatches(t *testing.T, s platform.Store) {
	ds := []platform.Dispatch{
		newDispatch("d5", "b1", 20, 3), // NextAt 20: ties broken by CreatedAt, then ID
		newDispatch("d4", "b2", 20, 1),
		newDispatch("d3", "b3", 20, 3),
		newDispatch("d9", "b4", 5, 9),
		newDispatch("d1", "b5", 21, 0), // not due at 20
		newDispatch("d2", "b6", 40, 0),
	}
	putDispatches(t, s, ds...)
	due := func(now time.Time, limit int) []string {
		return dispatchIDs(get(t, s, func(tx platform.Tx) ([]platform.Dispatch, error) { return tx.DueDispatches(now, limit) }))
	}
	want := []string{"d9", "d4", "d3", "d5"}
	same(t, "due at 20", due(at(20), 0), want)
	same(t, "negative limit", due(at(20), -1), want)
	same(t, "limit 2", due(at(20), 2), want[:2])
	same(t, "due at 100", due(at(100), 0), []string{"d9", "d4", "d3", "d5", "d1", "d2"})
	if got := due(at(4), 0); len(got) != 0 {
		t.Errorf("nothing due yet: %v", got)
	}
	got := get(t, s, func(tx platform.Tx) ([]platform.Dispatch, error) { return tx.DueDispatches(at(5), 0) })
	same(t, "due dispatch in full", got, []platform.Dispatch{ds[3]})
}

func testDispatchQueue(t *testing.T, s platform.Store) {
	nextAt := func() time.Time {
		return get(t, s, func(tx platform.Tx) (time.Time, error) { return tx.NextDispatchAt() })
	}
	count := func() int { return get(t, s, func(tx platform.Tx) (int, error) { return tx.CountDispatches() }) }
	if got := nextAt(); !got.IsZero() {
		t.Errorf("NextDispatchAt of an empty queue = %v, want the zero time", got)
	}
	if n := count(); n != 0 {
		t.Errorf("CountDispatches of an empty queue = %d", n)
	}
	a, b, c := newDispatch("da", "b1", 30, 5), newDispatch("db", "b1", 10, 5), newDispatch("dc", "b1", 50, 2)
	other := newDispatch("dd", "b2", 20, 1)
	other.NextAt = msAt(8, 300)
	putDispatches(t, s, a, b, c, other)
	same(t, "dispatches of b1", get(t, s, func(tx platform.Tx) ([]platform.Dispatch, error) { return tx.DispatchesFor("b1") }),
		[]platform.Dispatch{c, a, b})
	if n := len(get(t, s, func(tx platform.Tx) ([]platform.Dispatch, error) { return tx.DispatchesFor("b9") })); n != 0 {
		t.Errorf("dispatches of an order without any: %d", n)
	}
	same(t, "NextDispatchAt", nextAt(), other.NextAt)
	if n := count(); n != 4 {
		t.Errorf("CountDispatches = %d, want 4", n)
	}
	update(t, s, func(tx platform.Tx) error { return tx.DeleteDispatch(other.ID) })
	same(t, "NextDispatchAt after a delete", nextAt(), b.NextAt)
	if n := count(); n != 3 {
		t.Errorf("CountDispatches after a delete = %d, want 3", n)
	}
}

func testRecordByBookCode(t *testing.T, s platform.Store) {
	seed(t, s)
	booked := func(park, id, bookCode string, minute int) platform.Record {
		r := newRecord(park, id, "粤B1", minute)
		r.BookCode = bookCode
		return r
	}
	enter := booked(p1, "r1", "bk1", 10)
	// The same code on a later entry (a re-entry) and on entries without a
	// code or in another park.
	later := booked(p1, "r2", "bk1", 20)
	putRecords(t, s, platform.KindEnter, enter, later, booked(p1, "r3", "", 30), booked(p2, "r4", "bk1", 40),
		booked(p1, "r5", "bk2", 50))
	exit := booked(p1, "r1", "bk1", 15)
	putRecords(t, s, platform.KindExit, exit)
	find := func(kind platform.RecordKind, park, code string) (platform.Record, error) {
		var r platform.Record
		err := s.View(t.Context(), func(tx platform.Tx) (err error) {
			r, err = tx.RecordByBookCode(kind, park, code)
			return err
		})
		return r, err
	}
	got, err := find(platform.KindEnter, p1, "bk1")
	if err != nil {
		t.Fatalf("entry with bk1: %v", err)
	}
	same(t, "latest entry with bk1", got, later)
	got, err = find(platform.KindExit, p1, "bk1")
	if err != nil {
		t.Fatalf("exit with bk1: %v", err)
	}
	same(t, "exit with bk1", got, exit)
	got, err = find(platform.KindEnter, p2, "bk1")
	if err != nil {
		t.Fatalf("entry with bk1 in p2: %v", err)
	}
	same(t, "entry with bk1 in p2", got, booked(p2, "r4", "bk1", 40))
	for name, q := range map[string]struct {
		kind       platform.RecordKind
		park, code string
	}{
		"exit with bk2":   {platform.KindExit, p1, "bk2"},
		"unknown code":    {platform.KindEnter, p1, "bk9"},
		"other park":      {platform.KindEnter, p3, "bk1"},
		"empty book code": {platform.KindEnter, p1, ""},
	} {
		_, err := find(q.kind, q.park, q.code)
		notFound(t, name, err)
	}
}

func testAPIKeys(t *testing.T, s platform.Store) {
	if got := get(t, s, func(tx platform.Tx) ([]platform.APIKey, error) { return tx.APIKeys() }); len(got) != 0 {
		t.Errorf("empty store: %d API keys", len(got))
	}
	key := func(id, name string, disabled bool) platform.APIKey {
		return platform.APIKey{ID: id, Name: name, SecretHash: []byte("sha256-of-" + id), Disabled: disabled, CreatedAt: msAt(3, 33)}
	}
	keys := []platform.APIKey{key("c000000000000003", "city app", false), key("a000000000000001", "test", true), key("b000000000000002", "ops", false)}
	update(t, s, func(tx platform.Tx) error {
		for _, k := range keys {
			if err := tx.PutAPIKey(k); err != nil {
				return err
			}
		}
		return nil
	})
	apiKey := func(id string) platform.APIKey {
		return get(t, s, func(tx platform.Tx) (platform.APIKey, error) { return tx.APIKey(id) })
	}
	same(t, "API key", apiKey(keys[0].ID), keys[0])
	k := keys[1]
	k.Name, k.SecretHash, k.Disabled, k.CreatedAt = "renamed", []byte{0, 1, 2, 0xff}, false, msAt(9, 9)
	update(t, s, func(tx platform.Tx) error { return tx.PutAPIKey(k) })
	same(t, "replaced API key", apiKey(k.ID), k)
	same(t, "APIKeys", get(t, s, func(tx platform.Tx) ([]platform.APIKey, error) { return tx.APIKeys() }),
		[]platform.APIKey{k, keys[2], keys[0]})
	notFound(t, "unknown API key", s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.APIKey("ffffffffffffffff"); return err }))
}

func testBlacklist(t *testing.T, s platform.Store) {
	a := platform.BlacklistEntry{PlateNo: "粤B1", Until: msAt(1440, 500), Reason: "3 no-shows", At: msAt(10, 1)}
	b := platform.BlacklistEntry{PlateNo: "粤B2", Until: at(100), At: at(11)}
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutBlacklist(a); err != nil {
			return err
		}
		return tx.PutBlacklist(b)
	})
	entry := func(plate string) platform.BlacklistEntry {
		return get(t, s, func(tx platform.Tx) (platform.BlacklistEntry, error) { return tx.Blacklisted(plate) })
	}
	same(t, "entry", entry(a.PlateNo), a)
	a.Until, a.Reason, a.At = msAt(2880, 0), "operator", msAt(20, 2)
	update(t, s, func(tx platform.Tx) error { return tx.PutBlacklist(a) })
	same(t, "replaced entry", entry(a.PlateNo), a)

	update(t, s, func(tx platform.Tx) error { return tx.DeleteBlacklist(a.PlateNo) })
	notFound(t, "deleted entry", s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Blacklisted(a.PlateNo); return err }))
	notFound(t, "deleting it again", s.Update(t.Context(), func(tx platform.Tx) error { return tx.DeleteBlacklist(a.PlateNo) }))
	same(t, "the other entry stays", entry(b.PlateNo), b)
}

func testReservationAtomic(t *testing.T, s platform.Store) {
	seed(t, s)
	putDispatches(t, s, newDispatch("d1", "b0", 1, 1))
	putBlacklist := platform.BlacklistEntry{PlateNo: "粤B0", Until: at(60), At: at(1)}
	update(t, s, func(tx platform.Tx) error { return tx.PutBlacklist(putBlacklist) })
	boom := errors.New("boom")
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		steps := []func() error{
			func() error { return tx.PutReservation(newReservation("b1", p1, "粤B1", 0)) },
			func() error {
				return tx.AddReservationEvent(platform.ReservationEvent{BookCode: "b1", At: at(0), To: platform.ReservationPending})
			},
			func() error { return tx.PutDispatch(newDispatch("d2", "b1", 1, 1)) },
			func() error { return tx.DeleteDispatch("d1") },
			func() error { return tx.PutAPIKey(platform.APIKey{ID: "k1", CreatedAt: at(0)}) },
			func() error { return tx.DeleteBlacklist("粤B0") },
			func() error { return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: "粤B1", At: at(0)}) },
		}
		for i, step := range steps {
			if err := step(); err != nil {
				return fmt.Errorf("step %d: %w", i, err)
			}
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Update returned %v, want the function's error", err)
	}
	view(t, s, func(tx platform.Tx) error {
		_, err := tx.Reservation("b1")
		notFound(t, "reservation", err)
		if evs, err := tx.ReservationEvents("b1"); err != nil || len(evs) != 0 {
			t.Errorf("events kept: %v, %v", evs, err)
		}
		_, err = tx.Dispatch("d2")
		notFound(t, "new dispatch", err)
		if _, err := tx.Dispatch("d1"); err != nil {
			t.Errorf("deleted dispatch: %v, want it kept", err)
		}
		_, err = tx.APIKey("k1")
		notFound(t, "API key", err)
		if _, err := tx.Blacklisted("粤B0"); err != nil {
			t.Errorf("deleted blacklist entry: %v, want it kept", err)
		}
		_, err = tx.Blacklisted("粤B1")
		notFound(t, "blacklist entry", err)
		return nil
	})
}

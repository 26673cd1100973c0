package reservation_test

import (
	"encoding/json"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/protocol"
)

// docs/protocol.md §8: the order goes down as table 19 to the vendor's
// callback, with its token and the envelope's sign.
func TestDownlinkSendsTheOrderToTheLot(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	r := e.book(t, plate)
	if n := e.deliver(t); n != 1 {
		t.Fatalf("delivered %d, want 1", n)
	}
	calls := e.lot.taken()
	if len(calls) != 1 {
		t.Fatalf("%d calls", len(calls))
	}
	c := calls[0]
	if c.path != protocol.ReservationCode.Path() || c.auth != lotToken || c.req.Sign != protocol.Sign(c.req.Data) ||
		c.req.Timestamp != protocol.Millis(fixture.Epoch) {
		t.Fatalf("call %s auth %q sign %q timestamp %d", c.path, c.auth, c.req.Sign, c.req.Timestamp)
	}
	var items []protocol.Reservation
	if err := json.Unmarshal(c.req.Data, &items); err != nil || len(items) != 1 {
		t.Fatalf("data %s: %v", c.req.Data, err)
	}
	it := items[0]
	if it.ParkCode != "P001" || it.BookCode != r.BookCode || it.PlateNo != plate || it.OperateType != protocol.OperateBook ||
		it.ObligatTime != 30 || !it.BookTime.Time().Equal(r.BookTime) || !it.OverTime.Time().Equal(r.OverTime) {
		t.Fatalf("item %+v", it)
	}
	if ds := e.dispatches(t, r.BookCode); len(ds) != 0 {
		t.Fatalf("an answered dispatch stays queued: %+v", ds)
	}
}

// docs/protocol.md §8: the lot's answer moves the pending order: 0 and
// 1201 confirm it, 1501 waitlists it, any other code rejects it.
func TestLotAnswerMovesThePendingOrder(t *testing.T) {
	tests := []struct {
		name string
		code protocol.Code
		want platform.ReservationState
	}{
		{"0 confirms", protocol.CodeOK, platform.ReservationConfirmed},
		{"1201 (the lot holds it already) confirms", protocol.CodeBookExists, platform.ReservationConfirmed},
		{"1501 waitlists", protocol.CodeNoReservable, platform.ReservationWaitlisted},
		{"1101 rejects", protocol.CodeNoPark, platform.ReservationRejected},
		{"1 rejects", protocol.CodeBusiness, platform.ReservationRejected},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			e.lot.answering(tt.code)
			r := e.book(t, plate)
			e.deliver(t)
			got := e.order(t, r.BookCode)
			if got.State != tt.want || (got.WaitSeq > 0) != (tt.want == platform.ReservationWaitlisted) {
				t.Fatalf("state %s wait seq %d, want %s", got.State, got.WaitSeq, tt.want)
			}
			evs := e.events(t, r.BookCode)
			// The order was dispatched when the call was claimed (docs/protocol.md §9).
			if last := evs[len(evs)-1]; last.From != platform.ReservationDispatched || last.To != tt.want {
				t.Fatalf("last event %+v", last)
			}
			if ds := e.dispatches(t, r.BookCode); len(ds) != 0 {
				t.Fatalf("dispatches left: %+v", ds)
			}
		})
	}
}

// docs/protocol.md §8: a lot that cannot be reached is tried again with a
// growing, jittered backoff between RetryMin and RetryMax, until the
// order's overTime; then the pending order expires.
func TestUnreachableLotIsRetriedWithBackoffUntilOverTime(t *testing.T) {
	e := newEnv(t, reservation.Config{RetryMin: 10 * time.Second, RetryMax: 40 * time.Second})
	e.lot.answering(-1)
	r := e.book(t, plate)
	for attempt, wait := 1, 10*time.Second; attempt <= 5; attempt, wait = attempt+1, min(2*wait, 40*time.Second) {
		if n := e.deliver(t); n != 1 {
			t.Fatalf("attempt %d: delivered %d", attempt, n)
		}
		ds := e.dispatches(t, r.BookCode)
		if len(ds) != 1 || ds[0].Attempts != attempt || ds[0].LastError == "" {
			t.Fatalf("attempt %d: dispatches %+v", attempt, ds)
		}
		now := e.clock.Now()
		if d := ds[0].NextAt.Sub(now); d < wait/2 || d > wait {
			t.Fatalf("attempt %d: next in %s, want between %s and %s", attempt, d, wait/2, wait)
		}
		e.clock.Set(ds[0].NextAt.Add(-time.Millisecond))
		if n := e.deliver(t); n != 0 {
			t.Fatalf("attempt %d: sent again %d before its time", attempt, n)
		}
		e.clock.Set(ds[0].NextAt)
	}
	// The lot answered (not an envelope): it may hold the order, so the
	// order stays dispatched while it is retried.
	if got := e.order(t, r.BookCode); got.State != platform.ReservationDispatched {
		t.Fatalf("state %s while retrying", got.State)
	}
	if calls := e.lot.taken(); len(calls) != 5 {
		t.Fatalf("the lot got %d calls, want 5", len(calls))
	}
	// The last retry is never after the deadline; at it the order expires.
	e.clock.Set(r.OverTime.Add(-time.Second))
	e.deliver(t)
	ds := e.dispatches(t, r.BookCode)
	if len(ds) != 1 || ds[0].NextAt.After(r.OverTime) {
		t.Fatalf("dispatch near the deadline: %+v", ds)
	}
	e.clock.Set(r.OverTime)
	e.deliver(t)
	got := e.order(t, r.BookCode)
	if got.State != platform.ReservationExpired || got.NoShow {
		t.Fatalf("at overTime: %+v", got)
	}
	if evs := e.events(t, r.BookCode); !strings.HasPrefix(evs[len(evs)-1].Cause, "lot unreachable until overTime") {
		t.Fatalf("last event %+v", evs[len(evs)-1])
	}
	if ds := e.dispatches(t, r.BookCode); len(ds) != 0 {
		t.Fatalf("dispatches left after the deadline: %+v", ds)
	}
}

// An answer to a revision the client has since changed moves nothing:
// the changed order goes down again (operateType 2: the lot may hold the
// first) and only its own answer counts.
func TestAnswerToAnEarlierRevisionIsIgnored(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	r := e.book(t, plate)
	changed := e.booking(plate)
	changed.BookTime = fixture.DateTime(fixture.Epoch.Add(2 * time.Hour))
	var changedOnce atomic.Bool
	e.lot.mu.Lock()
	e.lot.answer = func(string) protocol.Code {
		if !changedOnce.CompareAndSwap(false, true) {
			return -1 // the change finds the lot down
		}
		// The client changes the order while the lot confirms revision 1.
		if _, err := e.svc.Change(ctx, app, r.BookCode, changed); err != nil {
			t.Errorf("change while the lot answers: %v", err)
		}
		return protocol.CodeOK
	}
	e.lot.mu.Unlock()
	e.deliver(t)
	calls := e.lot.taken()
	if len(calls) != 2 {
		t.Fatalf("%d calls, want revision 1 and the change", len(calls))
	}
	var second []protocol.Reservation
	if err := json.Unmarshal(calls[1].req.Data, &second); err != nil || second[0].OperateType != protocol.OperateChange {
		t.Fatalf("second call %s: %v", calls[1].req.Data, err)
	}
	got := e.order(t, r.BookCode)
	if got.State != platform.ReservationDispatched || got.Revision != 2 {
		t.Fatalf("order %s revision %d: revision 1's answer moved it", got.State, got.Revision)
	}
	if ds := e.dispatches(t, r.BookCode); len(ds) != 1 || ds[0].Revision != 2 || ds[0].Attempts != 1 {
		t.Fatalf("dispatches %+v, want revision 2 being retried", ds)
	}
}

// Change sends a changed order as a new one (operateType 1) while the lot
// has never seen it, and as a change (operateType 2) once it may hold it.
func TestChangeSendsTheOrderAgain(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *env) platform.Reservation
		op      string
		operate protocol.OperateType
	}{
		{"a pending order never sent goes down as new", func(t *testing.T, e *env) platform.Reservation { return e.book(t, plate) },
			"reservation", protocol.OperateBook},
		{"a confirmed order goes down as a change", func(t *testing.T, e *env) platform.Reservation { return e.confirmed(t, plate) },
			"reservation", protocol.OperateChange},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			r := tt.prepare(t, e)
			b := e.booking(plate)
			b.BookTime = fixture.DateTime(fixture.Epoch.Add(2 * time.Hour))
			got, err := e.svc.Change(ctx, app, r.BookCode, b)
			if err != nil {
				t.Fatal(err)
			}
			if got.Revision != 2 || got.State != platform.ReservationPending || !got.HoldUntil.Equal(fixture.Epoch.Add(150*time.Minute)) {
				t.Fatalf("changed order %+v", got)
			}
			if ds := e.dispatches(t, r.BookCode); len(ds) != 1 || ds[0].Revision != 2 {
				t.Fatalf("dispatches %+v, want one of revision 2", ds)
			}
			e.deliver(t)
			calls := e.lot.taken()
			var items []protocol.Reservation
			if len(calls) != 1 || calls[0].path != protocol.ReservationCode.Path() || json.Unmarshal(calls[0].req.Data, &items) != nil ||
				items[0].OperateType != tt.operate || !items[0].BookTime.Time().Equal(fixture.Epoch.Add(2*time.Hour)) {
				t.Fatalf("calls %+v", calls)
			}
		})
	}
}

func TestChangeRefusals(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *env, r platform.Reservation, b *reservation.Booking)
		kind    platform.Kind
		field   string
	}{
		{"another park is 1007", func(t *testing.T, e *env, r platform.Reservation, b *reservation.Booking) {
			b.ParkID = fixture.Park(t, e.up, vendor, fixture.ParkInfo("P002")).IsvParkID
		}, platform.KindInvalid, "parkId"},
		{"a cancelled order is 1401", func(t *testing.T, e *env, r platform.Reservation, b *reservation.Booking) {
			if _, err := e.svc.Cancel(ctx, app, r.BookCode); err != nil {
				t.Fatal(err)
			}
		}, platform.KindReservationCancelled, "bookCode"},
		{"an expired order is 1301", func(t *testing.T, e *env, r platform.Reservation, b *reservation.Booking) {
			e.clock.Set(r.OverTime)
			e.sweep(t)
			e.clock.Set(fixture.Epoch)
		}, platform.KindReservationExpired, "bookCode"},
		{"an arrived order is 1", func(t *testing.T, e *env, r platform.Reservation, b *reservation.Booking) {
			e.enter(t, 1, plate, r.BookCode, fixture.Epoch)
		}, platform.KindBusiness, "bookCode"},
		{"a bookTime in the past is 5004", func(t *testing.T, e *env, r platform.Reservation, b *reservation.Booking) {
			b.BookTime = fixture.DateTime(fixture.Epoch.Add(-time.Minute))
		}, platform.KindBookTime, "bookTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			r := e.book(t, plate)
			b := e.booking(plate)
			tt.prepare(t, e, r, &b)
			before := e.order(t, r.BookCode)
			_, err := e.svc.Change(ctx, app, r.BookCode, b)
			wantKind(t, err, tt.kind, tt.field)
			if after := e.order(t, r.BookCode); after.Revision != before.Revision || after.State != before.State {
				t.Fatalf("a refused change moved the order: %+v", after)
			}
		})
	}
}

// docs/protocol.md §8: cancelling tells the lot (cancelReservation) only
// when it may hold the order; a second cancel is 1401.
func TestCancelTellsTheLotOnlyWhenItMayHoldTheOrder(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *env) platform.Reservation
		tell    bool
	}{
		{"a pending order never sent", func(t *testing.T, e *env) platform.Reservation { return e.book(t, plate) }, false},
		{"a confirmed order", func(t *testing.T, e *env) platform.Reservation { return e.confirmed(t, plate) }, true},
		{"a pending order the lot may have received", func(t *testing.T, e *env) platform.Reservation {
			e.lot.answering(-1)
			r := e.book(t, plate)
			e.deliver(t)
			e.lot.taken()
			e.lot.answering(protocol.CodeOK)
			return r
		}, true},
		{"a waitlisted order (the lot refused it)", func(t *testing.T, e *env) platform.Reservation {
			e.lot.answering(protocol.CodeNoReservable)
			r := e.book(t, plate)
			e.deliver(t)
			e.lot.taken()
			e.lot.answering(protocol.CodeOK)
			return r
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			r := tt.prepare(t, e)
			got, err := e.svc.Cancel(ctx, app, r.BookCode)
			if err != nil || got.State != platform.ReservationCancelled {
				t.Fatalf("cancel: %+v, %v", got, err)
			}
			ds := e.dispatches(t, r.BookCode)
			if tt.tell != (len(ds) == 1 && ds[0].Op == "cancelReservation") || !tt.tell && len(ds) != 0 {
				t.Fatalf("dispatches %+v, tell the lot %v", ds, tt.tell)
			}
			if tt.tell && !ds[0].Deadline.Equal(maxTime(r.OverTime, fixture.Epoch.Add(time.Hour))) {
				t.Fatalf("cancel deadline %s", ds[0].Deadline)
			}
			e.deliver(t)
			calls := e.lot.taken()
			if !tt.tell {
				if len(calls) != 0 {
					t.Fatalf("the lot was told: %+v", calls)
				}
			} else {
				var items []protocol.CancelReservation
				if len(calls) != 1 || calls[0].path != protocol.CancelCode.Path() || json.Unmarshal(calls[0].req.Data, &items) != nil ||
					items[0].BookCode != r.BookCode || items[0].ParkCode != "P001" {
					t.Fatalf("calls %+v", calls)
				}
			}
			_, err = e.svc.Cancel(ctx, app, r.BookCode)
			wantKind(t, err, platform.KindReservationCancelled, "bookCode")
		})
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/openapi"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// TestReservationCancelledWhileTheLotIsOfflineSendsNothing: the lot's
// downlink server is not listening when an order is booked, so every
// attempt fails before a connection is made; the order is cancelled, and
// when the lot comes back it receives nothing, no cancelReservation
// (which it would answer 1104, docs/protocol.md §8).
func TestReservationCancelledWhileTheLotIsOfflineSendsNothing(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	setCallback(t, e.srv, bookVendor, "http://"+testserver.FreeAddr(t), lotToken)
	v := e.book(t, e.order("粤B67001", "2024-01-01 09:00:00"))
	for attempt := 1; attempt <= 2; attempt++ {
		if n := e.deliver(t); n != 1 {
			t.Fatalf("attempt %d: DeliverDue sent %d, want 1", attempt, n)
		}
		got := e.wantState(t, v.BookCode, platform.ReservationPending)
		last := causes(got)[len(causes(got))-1]
		if !strings.HasPrefix(last, "dispatched>pending: not delivered: ") || !strings.Contains(last, "connection refused") {
			t.Errorf("attempt %d: last step %q, want dispatched>pending: not delivered (connection refused)", attempt, last)
		}
		e.srv.Clock.Set(e.dispatchesOf(t, v.BookCode)[0].NextAt)
	}
	status, resp := e.cancel(t, e.key, v.BookCode)
	if got := oneView(t, status, http.StatusOK, resp); got.State != string(platform.ReservationCancelled) {
		t.Fatalf("state %s, want cancelled", got.State)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches queued after cancelling an order the lot never received, want 0", n)
	}
	// The lot is back.
	setCallback(t, e.srv, bookVendor, e.lot.URL(), lotToken)
	if n := e.deliver(t); n != 0 {
		t.Errorf("DeliverDue sent %d to the lot that never had the order, want 0", n)
	}
	if calls := e.lot.allCalls(); len(calls) != 0 {
		t.Errorf("lot received %+v", calls)
	}
	if bodies := e.lot.rawBodies(); len(bodies) != 0 {
		t.Errorf("lot received %d requests", len(bodies))
	}
}

// TestReservationCancelledAfterALostAnswerTellsTheLot: the lot read the
// order and the connection dropped before its answer came back, so the
// order is dispatched (the lot may hold it) and its cancellation is sent
// down.
func TestReservationCancelledAfterALostAnswerTellsTheLot(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	e.lot.dropFirst(1)
	v := e.book(t, e.order("粤B67002", "2024-01-01 09:00:00"))
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want 1", n)
	}
	e.wantState(t, v.BookCode, platform.ReservationDispatched)
	status, resp := e.cancel(t, e.key, v.BookCode)
	oneView(t, status, http.StatusOK, resp)
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want the cancelReservation", n)
	}
	if cancels := e.lot.callsOf(protocol.CancelCode, v.BookCode); len(cancels) != 1 {
		t.Errorf("lot cancellations %+v, want 1", cancels)
	}
	if n := e.lot.deliveries(v.BookCode); n != 0 {
		t.Errorf("the cancelled order was delivered %d times after its cancellation", n)
	}
}

// TestReservationStatesFollowTheLifeCycle reads an order through the
// booking API at each step of docs/protocol.md §9 (pending, dispatched,
// confirmed, arrived, completed; waitlisted and cancelled on others) and
// checks each reported state is one the OpenAPI document lists.
func TestReservationStatesFollowTheLifeCycle(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	var seen []string
	see := func(code string, want platform.ReservationState) {
		t.Helper()
		seen = append(seen, e.wantState(t, code, want).State)
	}
	e.lot.dropFirst(1)
	v := e.book(t, e.order("粤B67003", "2024-01-01 09:00:00"))
	see(v.BookCode, platform.ReservationPending)
	e.deliver(t) // read by the lot, answer lost
	see(v.BookCode, platform.ReservationDispatched)
	e.srv.Clock.Set(e.dispatchesOf(t, v.BookCode)[0].NextAt)
	e.deliver(t)
	see(v.BookCode, platform.ReservationConfirmed)

	// A second order finds the lot full: waitlisted, then cancelled.
	w := e.book(t, e.order("粤B67004", "2024-01-01 09:00:00"))
	e.deliver(t)
	see(w.BookCode, platform.ReservationWaitlisted)
	status, resp := e.cancel(t, e.key, w.BookCode)
	oneView(t, status, http.StatusOK, resp)
	see(w.BookCode, platform.ReservationCancelled)

	e.at(t, "2024-01-01 08:58:00")
	in := enter(t, parkA, recordID(1), "粤B67003", "2024-01-01 08:57:30")
	in.BookCode = v.BookCode
	if _, err := e.vendor.EnterRecord(t.Context(), in); err != nil {
		t.Fatal(err)
	}
	see(v.BookCode, platform.ReservationArrived)
	e.at(t, "2024-01-01 10:01:00")
	out := exit(t, parkA, recordID(1), "粤B67003", "2024-01-01 10:00:00")
	out.BookCode = v.BookCode
	if _, err := e.vendor.ExitRecord(t.Context(), out); err != nil {
		t.Fatal(err)
	}
	see(v.BookCode, platform.ReservationCompleted)

	enum := reservationStateEnum(t)
	for _, s := range seen {
		if !slices.Contains(enum, s) {
			t.Errorf("the API reported state %q, which the OpenAPI document does not list (%v)", s, enum)
		}
	}
	for _, s := range []platform.ReservationState{platform.ReservationPending, platform.ReservationDispatched,
		platform.ReservationWaitlisted, platform.ReservationConfirmed, platform.ReservationArrived,
		platform.ReservationCompleted, platform.ReservationCancelled, platform.ReservationExpired, platform.ReservationRejected} {
		if !slices.Contains(enum, string(s)) {
			t.Errorf("the OpenAPI document does not list state %q", s)
		}
	}
}

// reservationStateEnum returns the states the OpenAPI document lists for
// ReservationView.state.
func reservationStateEnum(t *testing.T) []string {
	t.Helper()
	doc, err := openapi.Get()
	if err != nil {
		t.Fatal(err)
	}
	var enum []string
	path := []string{"components", "schemas", "ReservationView", "properties", "state", "enum"}
	var node any = doc.Tree
	for _, k := range path {
		m, ok := node.(map[string]any)
		if !ok {
			t.Fatalf("OpenAPI document: no %s", strings.Join(path, "."))
		}
		node = m[k]
	}
	list, _ := node.([]any)
	for _, s := range list {
		enum = append(enum, s.(string))
	}
	if len(enum) == 0 {
		t.Fatalf("OpenAPI document: no enum at %s", strings.Join(path, "."))
	}
	return enum
}

package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/protocol"
)

// The reservation tests drive the engine by hand (NoBackground, DeliverDue
// and Sweep on the manual clock), except
// TestReservationDispatchedByTheBackgroundEngine. The test clock starts at
// 2024-01-01 08:00:00 CST.

func TestReservationConfirmedArrivedCompleted(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 5})
	ctx := context.Background()
	v := e.book(t, e.order("粤b12345", "2024-01-01 09:00:00", "overTime", "2024-01-01 10:00:00", "obligatTime", 15))
	code := v.BookCode
	if v.ParkID != e.isv || v.ParkCode != parkA || v.PlateNo != "粤B12345" || v.BookTime != "2024-01-01 09:00:00" ||
		v.OverTime != "2024-01-01 10:00:00" || v.ObligatTime != 15 || v.Revision != 1 {
		t.Errorf("booked %+v", v)
	}
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want 1", n)
	}
	e.wantState(t, code, platform.ReservationConfirmed)
	if e.queued(t) != 0 {
		t.Errorf("%d dispatches queued after the lot's answer, want 0", e.queued(t))
	}

	// The lot got one table 19 item, with the standard's field names and
	// DateTime format, the downlink token, and a valid sign.
	bodies := e.lot.rawBodies()
	if len(bodies) != 1 {
		t.Fatalf("lot received %d requests, want 1", len(bodies))
	}
	b := bodies[0]
	if b.Path != "/dataReceive/v1/reservation" || b.Authorization != lotToken {
		t.Errorf("request to %s with authorization %q", b.Path, b.Authorization)
	}
	var env protocol.Request
	if err := json.Unmarshal(b.Body, &env); err != nil {
		t.Fatalf("downlink body: %v: %s", err, b.Body)
	}
	if !protocol.Verify(env.Data, env.Sign) || env.Version != protocol.Version || env.Timestamp != now(e.srv) {
		t.Errorf("envelope sign %s version %q timestamp %d", env.Sign, env.Version, env.Timestamp)
	}
	var items []map[string]any
	if err := json.Unmarshal(env.Data, &items); err != nil || len(items) != 1 {
		t.Fatalf("downlink data %s: %v", env.Data, err)
	}
	want := map[string]any{"parkCode": parkA, "bookCode": code, "plateNo": "粤B12345",
		"bookTime": "2024-01-01 09:00:00", "overTime": "2024-01-01 10:00:00", "obligatTime": 15.0,
		"bookType": 0.0, "spaceType": 0.0, "operateType": 1.0}
	if !reflect.DeepEqual(items[0], want) {
		t.Errorf("table 19 item\n got %v\nwant %v", items[0], want)
	}
	if calls := e.lot.allCalls(); len(calls) != 1 || calls[0].Answer != protocol.CodeOK || !e.lot.holds(code) {
		t.Errorf("lot calls %+v", calls)
	}

	// Arrival and completion come from the lot's records, sent with the SDK.
	e.at(t, "2024-01-01 08:58:00")
	in := enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 08:57:30")
	in.BookCode = code
	if _, err := e.vendor.EnterRecord(ctx, in); err != nil {
		t.Fatalf("enterRecord: %v", err)
	}
	e.wantState(t, code, platform.ReservationArrived)
	e.at(t, "2024-01-01 10:31:00")
	out := exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 10:30:00")
	out.BookCode = code
	if _, err := e.vendor.ExitRecord(ctx, out); err != nil {
		t.Fatalf("exitRecord: %v", err)
	}
	got := e.wantState(t, code, platform.ReservationCompleted)
	wantHistory := []string{
		">pending: booked",
		"pending>dispatched: sent to the lot (attempt 1)",
		"dispatched>confirmed: lot answered 0",
		"confirmed>arrived: entry " + recordID(1),
		"arrived>completed: exit " + recordID(1),
	}
	if !slices.Equal(causes(got), wantHistory) {
		t.Errorf("history\n got %q\nwant %q", causes(got), wantHistory)
	}
	if at := got.History[3].At; at != "2024-01-01 08:58:00" {
		t.Errorf("arrival recorded at %s, want 2024-01-01 08:58:00", at)
	}

	// The plate's orders, listed for this API client.
	status, resp := e.call(t, http.MethodGet, "/api/v1/reservations?plateNo="+url.QueryEscape("粤B12345"), e.key, nil)
	if status != http.StatusOK {
		t.Errorf("list: HTTP %d", status)
	}
	wantOK(t, resp)
	if list := decode[struct{ BookCode, State string }](t, resp); len(list) != 1 || list[0].BookCode != code || list[0].State != "completed" {
		t.Errorf("list %s", resp.Data)
	}
}

// TestBookingRefused: every check of docs/protocol.md §9 and of the booking body
// refuses with its code and HTTP status, and stores nothing.
func TestBookingRefused(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 5})
	ctx := context.Background()

	disabled := parkInfo(parkB)
	disabled.BizStatus = protocol.BizDisabled
	isvDisabled := sdkPark(t, e.vendor, disabled)
	closed := parkInfo("c1b2c3d4e5f60718293a4b5c6d7e8f90")
	closed.Reservable, closed.ReservableSpaces, closed.TotalReservableCharingSpaces = protocol.No, 0, 0
	isvClosed := sdkPark(t, e.vendor, closed)

	// A second vendor goes offline: its token expires and the sweeper
	// notices, while the first keeps beating.
	const offVendor = "offvendor"
	addAccount(t, e.srv, offVendor)
	setCallback(t, e.srv, offVendor, e.lot.URL(), lotToken)
	isvOffline := sdkPark(t, sdkClient(t, e.srv, offVendor), parkInfo(parkA))
	e.srv.Clock.Advance(60 * time.Second)
	if err := e.vendor.Heartbeat(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv.Clock.Advance(40 * time.Second)
	if err := e.srv.Sessions.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	view(t, e.srv, func(tx platform.Tx) error {
		off, err := tx.Account(offVendor)
		if err == nil && off.Online {
			t.Fatalf("%s still online after its token expired", offVendor)
		}
		return err
	})

	live := e.book(t, e.order("粤B50007", "2024-01-01 09:00:00"))
	update(t, e.srv, func(tx platform.Tx) error {
		return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: "粤B50008", Until: e.srv.Clock.Now().Add(24 * time.Hour),
			At: e.srv.Clock.Now(), Reason: "operator"})
	})

	tests := []struct {
		name   string
		body   map[string]any
		key    string // "" means the test's key
		code   protocol.Code
		status int
		path   string // the field the message names
	}{
		{"unknown park", e.order("粤B50001", "2024-01-01 09:00:00", "parkId", "0123456789abcdef0123456789abcdef"), "", protocol.CodeNoPark, http.StatusNotFound, "parkId"},
		{"disabled park", e.order("粤B50002", "2024-01-01 09:00:00", "parkId", isvDisabled), "", protocol.CodeNoPark, http.StatusNotFound, "parkId"},
		{"park not reservable", e.order("粤B50003", "2024-01-01 09:00:00", "parkId", isvClosed), "", protocol.CodeNoReservable, http.StatusUnprocessableEntity, "parkId"},
		{"vendor offline", e.order("粤B50004", "2024-01-01 09:00:00", "parkId", isvOffline), "", protocol.CodeBusiness, http.StatusUnprocessableEntity, "offline"},
		{"bookTime in the past", e.order("粤B50005", "2024-01-01 08:01:39"), "", protocol.CodeBookTime, http.StatusUnprocessableEntity, "bookTime"},
		{"overTime before bookTime", e.order("粤B50006", "2024-01-01 09:00:00", "overTime", "2024-01-01 08:59:59"), "", protocol.CodeBookTime, http.StatusUnprocessableEntity, "overTime"},
		{"plate with a live reservation", e.order("粤B50007", "2024-01-01 12:00:00"), "", protocol.CodeExists, http.StatusConflict, "plateNo"},
		{"blacklisted plate", e.order("粤B50008", "2024-01-01 09:00:00"), "", protocol.CodeBlacklist, http.StatusUnprocessableEntity, "plateNo"},
		{"bad API key", e.order("粤B50009", "2024-01-01 09:00:00"), strings.Split(e.key, ".")[0] + ".wrong", protocol.CodeToken, http.StatusUnauthorized, "API key"},
		{"missing plateNo", map[string]any{"parkId": e.isv, "bookTime": "2024-01-01 09:00:00"}, "", protocol.CodeParam, http.StatusBadRequest, "plateNo"},
		{"plateNo of 21 characters", e.order("粤B"+strings.Repeat("1", 19), "2024-01-01 09:00:00"), "", protocol.CodeTooLong, http.StatusBadRequest, "plateNo"},
		{"spaceType 3", e.order("粤B50012", "2024-01-01 09:00:00", "spaceType", 3), "", protocol.CodeRange, http.StatusBadRequest, "spaceType"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plate, _ := tc.body["plateNo"].(string)
			plate = protocol.NormalizePlate(plate)
			before, queuedBefore := len(e.plateOrders(t, plate)), e.queued(t)
			key := tc.key
			if key == "" {
				key = e.key
			}
			status, resp := e.call(t, http.MethodPost, "/api/v1/reservations", key, tc.body)
			wantCode(t, resp, tc.code, tc.path)
			if status != tc.status {
				t.Errorf("HTTP %d, want %d", status, tc.status)
			}
			if n := len(e.plateOrders(t, plate)); n != before {
				t.Errorf("plate %q has %d orders, had %d", plate, n, before)
			}
			if n := e.queued(t); n != queuedBefore {
				t.Errorf("%d dispatches queued, were %d", n, queuedBefore)
			}
		})
	}
	// Only the one accepted order ever goes down.
	if n := e.deliver(t); n != 1 {
		t.Errorf("DeliverDue sent %d, want 1", n)
	}
	for _, c := range e.lot.allCalls() {
		if c.BookCode != live.BookCode {
			t.Errorf("lot received %s %s", c.Op, c.BookCode)
		}
	}
}

func TestWaitlistPromotesOldestFirst(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 0})
	var codes []string
	for i := range 3 {
		v := e.book(t, e.order(plateOf(30001+i), "2024-01-01 10:00:00"))
		codes = append(codes, v.BookCode)
		e.srv.Clock.Advance(time.Second)
	}
	// One delivery round sends the three together, so the lot's 1501
	// answers come back in any order; promotion must still follow the
	// booking order.
	if n := e.deliver(t); n != 3 {
		t.Fatalf("DeliverDue sent %d, want 3", n)
	}
	for _, c := range codes {
		e.wantState(t, c, platform.ReservationWaitlisted)
		if calls := e.lot.callsOf(protocol.ReservationCode, c); len(calls) != 1 || calls[0].Answer != protocol.CodeNoReservable {
			t.Errorf("lot calls for %s: %+v", c, calls)
		}
	}
	if e.queued(t) != 0 {
		t.Errorf("%d dispatches queued for waitlisted orders", e.queued(t))
	}

	// No free reservable space reported: nobody moves.
	e.space(t, 0)
	if n := e.deliver(t); n != 0 {
		t.Errorf("DeliverDue sent %d after a report of 0 free, want 0", n)
	}

	// Two free: the two oldest go down again and are confirmed.
	e.lot.setFree(2)
	e.space(t, 2)
	for i, c := range codes {
		want := platform.ReservationPending
		if i == 2 {
			want = platform.ReservationWaitlisted
		}
		e.wantState(t, c, want)
	}
	if n := e.deliver(t); n != 2 {
		t.Fatalf("DeliverDue sent %d after 2 free, want 2", n)
	}
	for i, c := range codes[:2] {
		v := e.wantState(t, c, platform.ReservationConfirmed)
		want := []string{">pending: booked", "pending>dispatched: sent to the lot (attempt 1)",
			"dispatched>waitlisted: lot answered 1501: waitlisted",
			"waitlisted>pending: promoted: 2 free reservable spaces reported",
			"pending>dispatched: sent to the lot (attempt 1)", "dispatched>confirmed: lot answered 0"}
		if !slices.Equal(causes(v), want) {
			t.Errorf("order %d history\n got %q\nwant %q", i, causes(v), want)
		}
		if n := e.lot.deliveries(c); n != 2 {
			t.Errorf("order %d reached the lot %d times, want 2", i, n)
		}
	}
	e.wantState(t, codes[2], platform.ReservationWaitlisted)

	// One more free: the third follows.
	e.lot.setFree(1)
	e.space(t, 1)
	e.wantState(t, codes[2], platform.ReservationPending)
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d after 1 free, want 1", n)
	}
	e.wantState(t, codes[2], platform.ReservationConfirmed)
	if e.lot.freeSpaces() != 0 {
		t.Errorf("lot has %d free spaces, want 0", e.lot.freeSpaces())
	}
}

func TestReservationExpiresWhileWaiting(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 0})
	waiting := e.book(t, e.order("粤B60001", "2024-01-01 09:00:00", "obligatTime", 30))
	e.deliver(t)
	e.wantState(t, waiting.BookCode, platform.ReservationWaitlisted)
	// Booked, never delivered: pending with its dispatch queued.
	queuedOrder := e.book(t, e.order("粤B60002", "2024-01-01 09:00:00", "overTime", "2024-01-01 09:45:00"))

	e.at(t, "2024-01-01 09:29:59")
	e.sweep(t)
	e.wantState(t, waiting.BookCode, platform.ReservationWaitlisted)
	e.at(t, "2024-01-01 09:30:00") // overTime = bookTime + obligatTime
	e.sweep(t)
	v := e.wantState(t, waiting.BookCode, platform.ReservationExpired)
	if c := causes(v); c[len(c)-1] != "waitlisted>expired: overTime reached while waitlisted" {
		t.Errorf("history %q", c)
	}
	e.wantState(t, queuedOrder.BookCode, platform.ReservationPending)

	e.at(t, "2024-01-01 09:45:00")
	e.sweep(t)
	v = e.wantState(t, queuedOrder.BookCode, platform.ReservationExpired)
	if c := causes(v); c[len(c)-1] != "pending>expired: overTime reached while pending" {
		t.Errorf("history %q", c)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches left, want 0", n)
	}
	if n := e.deliver(t); n != 0 {
		t.Errorf("DeliverDue sent %d, want 0", n)
	}
	if n := e.lot.deliveries(queuedOrder.BookCode); n != 0 {
		t.Errorf("the expired order reached the lot %d times", n)
	}
	if e.stored(t, waiting.BookCode).NoShow || e.stored(t, queuedOrder.BookCode).NoShow {
		t.Error("an order that was never confirmed is flagged as a no-show")
	}
}

func TestNoShowExpiresAndCancelsAtTheLot(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	v := e.confirm(t, e.order("粤B61001", "2024-01-01 09:00:00", "obligatTime", 30, "overTime", "2024-01-01 12:00:00"))
	if e.lot.freeSpaces() != 0 {
		t.Fatalf("lot has %d free spaces after confirming, want 0", e.lot.freeSpaces())
	}
	e.at(t, "2024-01-01 09:29:59")
	e.sweep(t)
	e.wantState(t, v.BookCode, platform.ReservationConfirmed)

	e.at(t, "2024-01-01 09:30:00") // bookTime + obligatTime
	e.sweep(t)
	got := e.wantState(t, v.BookCode, platform.ReservationExpired)
	if c := causes(got); c[len(c)-1] != "confirmed>expired: no-show: no entry by bookTime + obligatTime" {
		t.Errorf("history %q", c)
	}
	if !e.stored(t, v.BookCode).NoShow {
		t.Error("order not flagged as a no-show")
	}
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want the cancelReservation", n)
	}
	cancels := e.lot.callsOf(protocol.CancelCode, v.BookCode)
	if len(cancels) != 1 || cancels[0].Answer != protocol.CodeOK {
		t.Errorf("lot cancellations %+v", cancels)
	}
	if e.lot.holds(v.BookCode) || e.lot.freeSpaces() != 1 {
		t.Errorf("lot still holds the no-show (free %d)", e.lot.freeSpaces())
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches left, want 0", n)
	}
}

// TestNoShowsBlacklistThePlate: NoShowLimit no-shows of a plate within
// NoShowWindow (3 in 30 days by default) make its next booking 5005.
func TestNoShowsBlacklistThePlate(t *testing.T) {
	tests := []struct {
		name        string
		limit       int
		every       time.Duration // between no-shows
		blacklisted bool
	}{
		{"three within 30 days", 0, 5 * 24 * time.Hour, true},
		{"three spread over more than 30 days", 0, 16 * 24 * time.Hour, false},
		{"rule off with NoShowLimit -1", -1, 5 * 24 * time.Hour, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := startBooking(t, bookingOptions{free: 1, reservation: reservation.Config{NoShowLimit: tc.limit}})
			const plate = "粤B62001"
			for i := range 3 {
				if i > 0 {
					e.srv.Clock.Advance(tc.every)
				}
				bt := e.srv.Clock.Now().Add(time.Hour)
				v := e.confirm(t, e.order(plate, dtText(bt), "obligatTime", 30))
				e.srv.Clock.Set(bt.Add(30 * time.Minute))
				e.sweep(t)
				if r := e.stored(t, v.BookCode); r.State != platform.ReservationExpired || !r.NoShow {
					t.Fatalf("no-show %d: %s, NoShow %t", i+1, r.State, r.NoShow)
				}
				e.deliver(t) // the cancelReservation frees the lot's space
			}
			body := e.order(plate, dtText(e.srv.Clock.Now().Add(time.Hour)))
			status, resp := e.call(t, http.MethodPost, "/api/v1/reservations", e.key, body)
			if !tc.blacklisted {
				oneView(t, status, http.StatusCreated, resp)
				return
			}
			wantCode(t, resp, protocol.CodeBlacklist, "plateNo", plate)
			if status != http.StatusUnprocessableEntity {
				t.Errorf("HTTP %d, want 422", status)
			}
			if n := len(e.plateOrders(t, plate)); n != 3 {
				t.Errorf("plate has %d orders, want the 3 no-shows", n)
			}
			view(t, e.srv, func(tx platform.Tx) error {
				b, err := tx.Blacklisted(plate)
				if err == nil && !b.Until.Equal(b.At.Add(30*24*time.Hour)) {
					t.Errorf("blacklisted from %s until %s, want 30 days", b.At, b.Until)
				}
				return err
			})
		})
	}
}

func TestReservationCancelledBeforeDeliveryNeverReachesTheLot(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	v := e.book(t, e.order("粤B63001", "2024-01-01 09:00:00"))
	status, resp := e.cancel(t, e.key, v.BookCode)
	got := oneView(t, status, http.StatusOK, resp)
	if got.State != string(platform.ReservationCancelled) {
		t.Errorf("state %s, want cancelled", got.State)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches queued after cancelling an undelivered order, want 0", n)
	}
	if n := e.deliver(t); n != 0 {
		t.Errorf("DeliverDue sent %d, want 0", n)
	}
	if calls := e.lot.allCalls(); len(calls) != 0 {
		t.Errorf("lot received %+v", calls)
	}
	v = e.wantState(t, v.BookCode, platform.ReservationCancelled)
	if want := []string{">pending: booked", "pending>cancelled: cancelled by client"}; !slices.Equal(causes(v), want) {
		t.Errorf("history %q, want %q", causes(v), want)
	}
}

func TestReservationCancelledAfterConfirmationFreesTheLot(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	v := e.confirm(t, e.order("粤B63002", "2024-01-01 09:00:00"))
	if e.lot.freeSpaces() != 0 {
		t.Fatalf("lot has %d free spaces, want 0", e.lot.freeSpaces())
	}
	status, resp := e.cancel(t, e.key, v.BookCode)
	oneView(t, status, http.StatusOK, resp)
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want the cancelReservation", n)
	}
	if cancels := e.lot.callsOf(protocol.CancelCode, v.BookCode); len(cancels) != 1 || cancels[0].Answer != protocol.CodeOK {
		t.Errorf("lot cancellations %+v", cancels)
	}
	if e.lot.holds(v.BookCode) || e.lot.freeSpaces() != 1 {
		t.Errorf("lot still holds the order (free %d)", e.lot.freeSpaces())
	}
	e.wantState(t, v.BookCode, platform.ReservationCancelled)
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches left, want 0", n)
	}
	// The space is free for the next booking.
	e.confirm(t, e.order("粤B63003", "2024-01-01 09:00:00"))
}

func TestReservationCancelRefused(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 0})
	cancelled := e.book(t, e.order("粤B64001", "2024-01-01 09:00:00"))
	if status, resp := e.cancel(t, e.key, cancelled.BookCode); status != http.StatusOK {
		t.Fatalf("cancel: HTTP %d %s", status, resp.Message)
	}
	expired := e.book(t, e.order("粤B64002", "2024-01-01 09:00:00"))
	foreign := e.book(t, e.order("粤B64003", "2024-01-01 12:00:00"))
	e.deliver(t)
	e.at(t, "2024-01-01 09:30:00")
	e.sweep(t)
	e.wantState(t, expired.BookCode, platform.ReservationExpired)
	other := addAPIKey(t, e.srv, "other app")

	tests := []struct {
		name     string
		key      string
		bookCode string
		code     protocol.Code
		status   int
	}{
		{"cancelled order", e.key, cancelled.BookCode, protocol.CodeBookCancelled, http.StatusGone},
		{"expired order", e.key, expired.BookCode, protocol.CodeBookExpired, http.StatusGone},
		{"another client's order", other, foreign.BookCode, protocol.CodeNoReservation, http.StatusNotFound},
		{"unknown order", e.key, "0123456789abcdef0123456789abcdef", protocol.CodeNoReservation, http.StatusNotFound},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, resp := e.cancel(t, tc.key, tc.bookCode)
			wantCode(t, resp, tc.code, "bookCode")
			if status != tc.status {
				t.Errorf("HTTP %d, want %d", status, tc.status)
			}
		})
	}
	// The other client cannot read the order either, and it is untouched.
	_, resp := e.call(t, http.MethodGet, "/api/v1/reservations/"+foreign.BookCode, other, nil)
	wantCode(t, resp, protocol.CodeNoReservation, "bookCode")
	e.wantState(t, foreign.BookCode, platform.ReservationWaitlisted)
}

func TestReservationChangeResentWithOperateType2(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	v := e.confirm(t, e.order("粤B65001", "2024-01-01 09:00:00", "overTime", "2024-01-01 10:00:00"))
	status, resp := e.call(t, http.MethodPatch, "/api/v1/reservations/"+v.BookCode, e.key,
		e.order("粤B65001", "2024-01-01 11:00:00", "overTime", "2024-01-01 12:00:00", "obligatTime", 20))
	changed := oneView(t, status, http.StatusOK, resp)
	if changed.BookCode != v.BookCode || changed.Revision != 2 || changed.State != "pending" ||
		changed.BookTime != "2024-01-01 11:00:00" || changed.ObligatTime != 20 {
		t.Errorf("changed %+v", changed)
	}
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want 1", n)
	}
	got := e.wantState(t, v.BookCode, platform.ReservationConfirmed)
	calls := e.lot.callsOf(protocol.ReservationCode, v.BookCode)
	if len(calls) != 2 {
		t.Fatalf("lot received %d reservation items, want 2", len(calls))
	}
	c := calls[1]
	if c.OperateType != protocol.OperateChange || c.Answer != protocol.CodeOK || c.Item.BookTime.String() != "2024-01-01 11:00:00" ||
		c.Item.OverTime.String() != "2024-01-01 12:00:00" || c.Item.ObligatTime != 20 {
		t.Errorf("change sent as %+v", c)
	}
	if calls[0].OperateType != protocol.OperateBook {
		t.Errorf("first item has operateType %d, want 1", calls[0].OperateType)
	}
	if e.lot.freeSpaces() != 0 {
		t.Errorf("lot has %d free spaces: the change took a second one", e.lot.freeSpaces())
	}
	want := []string{">pending: booked", "pending>dispatched: sent to the lot (attempt 1)", "dispatched>confirmed: lot answered 0",
		"confirmed>pending: changed by client", "pending>dispatched: sent to the lot (attempt 1)", "dispatched>confirmed: lot answered 0"}
	if !slices.Equal(causes(got), want) {
		t.Errorf("history\n got %q\nwant %q", causes(got), want)
	}
}

// TestReservationDispatchRetriedUntilTheLotAnswers: the lot drops the
// first three connections; each failure is retried after a backoff that
// doubles from RetryMin (with jitter down to half), and the fourth attempt
// reaches the lot, once.
func TestReservationDispatchRetriedUntilTheLotAnswers(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	e.lot.dropFirst(3)
	v := e.book(t, e.order("粤B66001", "2024-01-01 09:00:00", "overTime", "2024-01-01 10:00:00"))
	cfg := e.srv.Reservations.Config()
	for attempt := 1; attempt <= 3; attempt++ {
		if n := e.deliver(t); n != 1 {
			t.Fatalf("attempt %d: DeliverDue sent %d, want 1", attempt, n)
		}
		ds := e.dispatchesOf(t, v.BookCode)
		if len(ds) != 1 || ds[0].Attempts != attempt || ds[0].LastError == "" {
			t.Fatalf("attempt %d: queue %+v", attempt, ds)
		}
		backoff := min(cfg.RetryMin<<(attempt-1), cfg.RetryMax)
		if wait := ds[0].NextAt.Sub(e.srv.Clock.Now()); wait < backoff/2 || wait > backoff {
			t.Errorf("attempt %d: next in %s, want %s-%s", attempt, wait, backoff/2, backoff)
		}
		// The lot read the order and dropped the connection: it may hold
		// it, so the order stays dispatched while it is retried.
		e.wantState(t, v.BookCode, platform.ReservationDispatched)
		if n := e.deliver(t); n != 0 {
			t.Errorf("attempt %d: DeliverDue sent %d before the backoff passed", attempt, n)
		}
		e.srv.Clock.Set(ds[0].NextAt)
	}
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want 1", n)
	}
	e.wantState(t, v.BookCode, platform.ReservationConfirmed)
	if n := e.lot.droppedCount(); n != 3 {
		t.Errorf("lot dropped %d connections, want 3", n)
	}
	if n := e.lot.deliveries(v.BookCode); n != 1 {
		t.Errorf("lot received the order %d times, want 1", n)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches left, want 0", n)
	}
	e.srv.Clock.Advance(time.Hour)
	if n := e.deliver(t); n != 0 || e.lot.deliveries(v.BookCode) != 1 {
		t.Errorf("later DeliverDue sent %d; lot has the order %d times", n, e.lot.deliveries(v.BookCode))
	}
}

func TestReservationExpiresWhenTheLotIsUnreachableUntilOverTime(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	e.lot.setDown(true)
	v := e.book(t, e.order("粤B66002", "2024-01-01 08:01:00", "obligatTime", 5)) // overTime 08:06
	overTime := cst(t, "2024-01-01 08:06:00")
	attempts := 0
	for ; attempts < 100; attempts++ {
		if n := e.deliver(t); n != 1 {
			t.Fatalf("attempt %d: DeliverDue sent %d, want 1", attempts+1, n)
		}
		ds := e.dispatchesOf(t, v.BookCode)
		if len(ds) == 0 {
			break
		}
		if ds[0].NextAt.After(overTime) {
			t.Fatalf("retry scheduled at %s, after overTime", dtText(ds[0].NextAt))
		}
		e.srv.Clock.Set(ds[0].NextAt)
	}
	got := e.wantState(t, v.BookCode, platform.ReservationExpired)
	if c := causes(got); !strings.HasPrefix(c[len(c)-1], "dispatched>expired: lot unreachable until overTime") {
		t.Errorf("history %q", c)
	}
	if !e.srv.Clock.Now().Equal(overTime) {
		t.Errorf("gave up at %s, want at overTime", dtText(e.srv.Clock.Now()))
	}
	if attempts < 3 || e.lot.droppedCount() != attempts+1 {
		t.Errorf("%d attempts, lot dropped %d connections", attempts+1, e.lot.droppedCount())
	}
	if n := e.lot.deliveries(v.BookCode); n != 0 {
		t.Errorf("lot received the order %d times", n)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches left, want 0", n)
	}
}

// TestReservationDispatchedByTheBackgroundEngine: with the engine running
// on its own, a booking reaches the lot and is confirmed, and a
// cancellation is delivered, without the test driving the queue.
func TestReservationDispatchedByTheBackgroundEngine(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1, background: true})
	v := e.book(t, e.order("粤B67001", "2024-01-01 09:00:00"))
	waitUntil(t, 10*time.Second, "the order confirmed", func() bool {
		return e.get(t, v.BookCode).State == string(platform.ReservationConfirmed)
	})
	if n := e.lot.deliveries(v.BookCode); n != 1 {
		t.Errorf("lot received the order %d times, want 1", n)
	}
	if status, resp := e.cancel(t, e.key, v.BookCode); status != http.StatusOK {
		t.Fatalf("cancel: HTTP %d %s", status, resp.Message)
	}
	waitUntil(t, 10*time.Second, "the cancellation at the lot", func() bool { return !e.lot.holds(v.BookCode) })
	waitUntil(t, 10*time.Second, "an empty queue", func() bool { return e.queued(t) == 0 })
}

// TestReplenishListsReservationGaps: the replenish list of a day built
// from a scripted mix of records, plate lists and orders (docs/protocol.md §5).
func TestReplenishListsReservationGaps(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 10})
	ctx := context.Background()
	order := func(plate string) string {
		return e.confirm(t, e.order(plate, "2024-01-01 09:00:00")).BookCode
	}
	good := order("粤B20001")     // enters and leaves with its bookCode: not listed
	noExit := order("粤B20002")   // enters, no exit, absent from the last list: listed
	inside := order("粤B20003")   // enters, no exit, in the last list: not listed
	noEntry := order("粤B20004")  // no entry, in the 11:00 list: listed
	exitOnly := order("粤B20005") // exit with its bookCode, no entry: listed
	order("粤B20010")             // no entry, in no list (a no-show): not listed
	// Enters after the day's last list, no exit: not listed.
	late := e.confirm(t, e.order("粤B20011", "2024-01-01 23:15:00")).BookCode

	booked := func(r protocol.EnterRecord, code string) protocol.EnterRecord { r.BookCode = code; return r }
	bookedExit := func(r protocol.ExitRecord, code string) protocol.ExitRecord { r.BookCode = code; return r }
	e.at(t, "2024-01-01 09:10:00")
	if _, err := e.vendor.EnterRecord(ctx,
		booked(enter(t, parkA, recordID(1), "粤B20001", "2024-01-01 09:05:00"), good),
		booked(enter(t, parkA, recordID(2), "粤B20002", "2024-01-01 09:06:00"), noExit),
		booked(enter(t, parkA, recordID(3), "粤B20003", "2024-01-01 09:07:00"), inside),
		enter(t, parkA, recordID(7), "粤B20007", "2024-01-01 09:08:00"), // a visit: enters and leaves
		enter(t, parkA, recordID(8), "粤B20008", "2024-01-01 09:09:00"), // a visitor still inside, in the lists
	); err != nil {
		t.Fatalf("enterRecord: %v", err)
	}
	e.at(t, "2024-01-01 10:30:00")
	if _, err := e.vendor.ExitRecord(ctx,
		bookedExit(exit(t, parkA, recordID(1), "粤B20001", "2024-01-01 10:00:00"), good),
		bookedExit(exit(t, parkA, recordID(5), "粤B20005", "2024-01-01 10:20:00"), exitOnly),
		exit(t, parkA, recordID(6), "粤B20006", "2024-01-01 10:25:00"), // no entry, no reservation: listed
		exit(t, parkA, recordID(7), "粤B20007", "2024-01-01 10:15:00"),
		exit(t, parkA, recordID(9), "粤B20009", "2023-12-31 23:00:00"), // no entry, the day before
	); err != nil {
		t.Fatalf("exitRecord: %v", err)
	}
	for _, c := range []struct{ at, plates string }{
		{"2024-01-01 11:00:00", "粤B20002,粤B20003,粤B20004,粤B20008"},
		{"2024-01-01 23:00:00", "粤B20003,粤B20008"},
	} {
		e.at(t, c.at)
		if _, err := e.vendor.ParkCarInfo(ctx, protocol.ParkCarInfo{ParkCode: parkA, PlateNoList: c.plates}); err != nil {
			t.Fatalf("parkCarInfo at %s: %v", c.at, err)
		}
	}
	e.at(t, "2024-01-01 23:40:00")
	if _, err := e.vendor.EnterRecord(ctx, booked(enter(t, parkA, recordID(11), "粤B20011", "2024-01-01 23:30:00"), late)); err != nil {
		t.Fatalf("enterRecord: %v", err)
	}
	e.wantState(t, late, platform.ReservationArrived)
	e.wantState(t, good, platform.ReservationCompleted)
	e.wantState(t, noExit, platform.ReservationArrived)
	e.wantState(t, noEntry, platform.ReservationConfirmed)
	e.wantState(t, exitOnly, platform.ReservationCompleted)

	e.at(t, "2024-01-02 08:00:00")
	page := func(n int) (protocol.ReplenishResponse, error) {
		return e.vendor.ReplenishCarInfo(ctx, protocol.ReplenishRequest{ParkCode: parkA,
			QueryDate: date(t, "2024-01-01"), CurrentPage: n, PageSize: 2})
	}
	want := [][]string{{"粤B20002", "粤B20004"}, {"粤B20005", "粤B20006"}}
	for i, w := range want {
		got, err := page(i + 1)
		if err != nil {
			t.Fatalf("page %d: %v", i+1, err)
		}
		if !slices.Equal(got.PlateNoList, w) || got.Total != 4 {
			t.Errorf("page %d: %q total %d, want %q total 4", i+1, got.PlateNoList, got.Total, w)
		}
	}
	if _, err := page(3); client.CodeOf(err) != protocol.CodeNoPage {
		t.Errorf("page 3: %v, want 1107", err)
	}
	all, err := e.vendor.ReplenishAll(ctx, parkA, cst(t, "2024-01-01 00:00:00"))
	if err != nil || !slices.Equal(all, slices.Concat(want...)) {
		t.Errorf("ReplenishAll: %q %v", all, err)
	}
	prev, err := e.vendor.ReplenishCarInfo(ctx, protocol.ReplenishRequest{ParkCode: parkA,
		QueryDate: date(t, "2023-12-31"), CurrentPage: 1, PageSize: 2})
	if err != nil || !slices.Equal(prev.PlateNoList, []string{"粤B20009"}) || prev.Total != 1 {
		t.Errorf("the day before: %+v %v", prev, err)
	}
}

// dtText formats an instant as a CST DateTime.
func dtText(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

// waitUntil polls cond until it holds, failing the test after d.
func waitUntil(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within %s", what, d)
		}
		<-time.After(10 * time.Millisecond)
	}
}

// TestReservationChangedTwiceBeforeDeliverySentAsChange: a confirmed
// order changed twice before the first change went down is still sent as
// a change (operateType 2) with the latest times: the lot holds it.
func TestReservationChangedTwiceBeforeDeliverySentAsChange(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	v := e.confirm(t, e.order("粤B65002", "2024-01-01 09:00:00"))
	for _, bt := range []string{"2024-01-01 10:00:00", "2024-01-01 11:00:00"} {
		status, resp := e.call(t, http.MethodPatch, "/api/v1/reservations/"+v.BookCode, e.key, e.order("粤B65002", bt))
		oneView(t, status, http.StatusOK, resp)
	}
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want 1", n)
	}
	e.wantState(t, v.BookCode, platform.ReservationConfirmed)
	calls := e.lot.callsOf(protocol.ReservationCode, v.BookCode)
	if len(calls) != 2 || calls[1].OperateType != protocol.OperateChange || calls[1].Answer != protocol.CodeOK {
		t.Fatalf("lot calls %+v, want the change as operateType 2", calls)
	}
	e.lot.mu.Lock()
	held := e.lot.held[v.BookCode]
	e.lot.mu.Unlock()
	if held.BookTime.String() != "2024-01-01 11:00:00" {
		t.Errorf("lot holds the order for %s, want 2024-01-01 11:00:00", held.BookTime)
	}
}

// TestReservationChangedThenCancelledBeforeDeliveryTellsTheLot: a
// confirmed order, changed and then cancelled before the change went down,
// is still held by the lot, so the lot is told.
func TestReservationChangedThenCancelledBeforeDeliveryTellsTheLot(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 1})
	v := e.confirm(t, e.order("粤B65003", "2024-01-01 09:00:00"))
	status, resp := e.call(t, http.MethodPatch, "/api/v1/reservations/"+v.BookCode, e.key, e.order("粤B65003", "2024-01-01 10:00:00"))
	oneView(t, status, http.StatusOK, resp)
	if status, resp := e.cancel(t, e.key, v.BookCode); status != http.StatusOK {
		t.Fatalf("cancel: HTTP %d %s", status, resp.Message)
	}
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want the cancelReservation", n)
	}
	if cancels := e.lot.callsOf(protocol.CancelCode, v.BookCode); len(cancels) != 1 || cancels[0].Answer != protocol.CodeOK {
		t.Errorf("lot cancellations %+v", cancels)
	}
	if e.lot.holds(v.BookCode) || e.lot.freeSpaces() != 1 {
		t.Errorf("lot still holds the cancelled order (free %d)", e.lot.freeSpaces())
	}
}

// TestReservationChangeOfWaitlistedOrderSentAsNewOrder: the lot refused a
// waitlisted order (1501), so a change of it goes down as a new order
// (operateType 1), not as a change of an order the lot does not hold.
func TestReservationChangeOfWaitlistedOrderSentAsNewOrder(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 0})
	v := e.book(t, e.order("粤B65004", "2024-01-01 09:00:00"))
	e.deliver(t)
	e.wantState(t, v.BookCode, platform.ReservationWaitlisted)
	e.lot.setFree(1)
	status, resp := e.call(t, http.MethodPatch, "/api/v1/reservations/"+v.BookCode, e.key, e.order("粤B65004", "2024-01-01 10:00:00"))
	oneView(t, status, http.StatusOK, resp)
	if n := e.deliver(t); n != 1 {
		t.Fatalf("DeliverDue sent %d, want 1", n)
	}
	calls := e.lot.callsOf(protocol.ReservationCode, v.BookCode)
	if len(calls) != 2 || calls[1].OperateType != protocol.OperateBook {
		t.Errorf("lot calls %+v, want the changed order as operateType 1", calls)
	}
	e.wantState(t, v.BookCode, platform.ReservationConfirmed)
}

// TestNoShowUndoneByAnEntryReportedLate: an entry whose enterTime lies
// before bookTime + obligatTime proves the car came in time, even when the
// lot reports it after the sweep expired the order as a no-show (a lot's
// outbox may hold records through an outage): the order is arrived, not a
// no-show, and the lot is not told to cancel it.
func TestNoShowUndoneByAnEntryReportedLate(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 2})
	ctx := context.Background()
	v := e.confirm(t, e.order("粤B61002", "2024-01-01 09:00:00", "obligatTime", 30))
	e.at(t, "2024-01-01 09:30:00")
	e.sweep(t)
	e.wantState(t, v.BookCode, platform.ReservationExpired)

	e.at(t, "2024-01-01 09:31:00")
	in := enter(t, parkA, recordID(1), "粤B61002", "2024-01-01 09:20:00")
	in.BookCode = v.BookCode
	if _, err := e.vendor.EnterRecord(ctx, in); err != nil {
		t.Fatalf("enterRecord: %v", err)
	}
	got := e.wantState(t, v.BookCode, platform.ReservationArrived)
	if c := causes(got); !strings.HasPrefix(c[len(c)-1], "expired>arrived: entry "+recordID(1)) {
		t.Errorf("history %q", c)
	}
	if e.stored(t, v.BookCode).NoShow {
		t.Error("order still flagged as a no-show")
	}
	if n := e.deliver(t); n != 0 || len(e.lot.callsOf(protocol.CancelCode, v.BookCode)) != 0 {
		t.Errorf("DeliverDue sent %d; the lot was told to cancel an order whose car is inside", n)
	}
	if n := e.queued(t); n != 0 {
		t.Errorf("%d dispatches left, want 0", n)
	}

	// An entry after the hold ended does not undo a no-show.
	late := e.confirm(t, e.order("粤B61003", "2024-01-01 10:00:00", "obligatTime", 30))
	e.at(t, "2024-01-01 10:30:00")
	e.sweep(t)
	e.at(t, "2024-01-01 10:41:00")
	in = enter(t, parkA, recordID(2), "粤B61003", "2024-01-01 10:40:00")
	in.BookCode = late.BookCode
	if _, err := e.vendor.EnterRecord(ctx, in); err != nil {
		t.Fatalf("enterRecord: %v", err)
	}
	e.wantState(t, late.BookCode, platform.ReservationExpired)
	if !e.stored(t, late.BookCode).NoShow {
		t.Error("a late arrival is no longer a no-show")
	}
}

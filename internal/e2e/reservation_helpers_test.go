package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// The booking tests' vendor: its account has a downlink callback (the
// test lot) with this token.
const (
	bookVendor = "bookvendor"
	lotToken   = "lot-downlink-token-0123456789abcdef"
)

// lotCall is one downlink item the lot's ReservationHandler saw, with the
// code it answered.
type lotCall struct {
	Op          protocol.Interface // reservation or cancelReservation
	BookCode    string
	OperateType protocol.OperateType // 0 for a cancellation
	Item        protocol.Reservation // the reservation item as decoded
	Answer      protocol.Code
}

// lotBody is one downlink request as it reached the lot's server, before
// the client.Receiver parsed it.
type lotBody struct {
	Path          string
	Authorization string
	Body          []byte
}

// testLot is the parking system's side of the downlink: an httptest
// server running a client.Receiver whose ReservationHandler answers from
// the lot's own count of free reservable spaces and remembers the orders
// it holds. It counts every call, and can fail calls at the transport
// level (the connection is hijacked and closed before any answer).
type testLot struct {
	srv  *httptest.Server
	recv *client.Receiver

	mu       sync.Mutex
	free     int
	held     map[string]protocol.Reservation
	calls    []lotCall
	bodies   []lotBody
	dropNext int  // the next dropNext requests fail at the transport level
	down     bool // every request fails at the transport level
	dropped  int  // requests failed so far
}

// newLot returns a lot with free reservable spaces, not yet listening.
func newLot(free int) *testLot {
	l := &testLot{free: free, held: map[string]protocol.Reservation{}}
	l.recv = &client.Receiver{Token: lotToken, Handler: l}
	return l
}

// startLot starts a lot with free reservable spaces on a loopback port,
// closed when the test ends.
func startLot(t testing.TB, free int) *testLot {
	t.Helper()
	l := newLot(free)
	l.srv = httptest.NewServer(l)
	t.Cleanup(l.srv.Close)
	return l
}

// URL is the lot's downlink base URL.
func (l *testLot) URL() string { return l.srv.URL }

// ServeHTTP fails the request at the transport level when the lot is
// down, else keeps the raw body and hands it to the Receiver.
func (l *testLot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l.mu.Lock()
	drop := l.down || l.dropNext > 0
	if drop {
		l.dropped++
		if l.dropNext > 0 {
			l.dropNext--
		}
	}
	l.mu.Unlock()
	if drop {
		if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
			conn.Close()
		}
		return
	}
	body, _ := io.ReadAll(r.Body)
	l.mu.Lock()
	l.bodies = append(l.bodies, lotBody{Path: r.URL.Path, Authorization: r.Header.Get("Authorization"), Body: body})
	l.mu.Unlock()
	r.Body = io.NopCloser(bytes.NewReader(body))
	l.recv.ServeHTTP(w, r)
}

// Reserve implements client.ReservationHandler: a new order takes a free
// space (0) or finds none (1501); an order already held is 1201; a change
// (operateType 2) updates a held order (0) or names none (1104).
func (l *testLot) Reserve(_ context.Context, r protocol.Reservation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, held := l.held[r.BookCode]
	var err *protocol.Error
	switch {
	case r.OperateType == protocol.OperateChange && !held:
		err = protocol.Errorf(protocol.CodeNoReservation, "no order %s", r.BookCode)
	case r.OperateType == protocol.OperateChange:
		l.held[r.BookCode] = r
	case held:
		err = protocol.Errorf(protocol.CodeBookExists, "order %s already held", r.BookCode)
	case l.free <= 0:
		err = protocol.Errorf(protocol.CodeNoReservable, "no free reservable space")
	default:
		l.free--
		l.held[r.BookCode] = r
	}
	c := lotCall{Op: protocol.ReservationCode, BookCode: r.BookCode, OperateType: r.OperateType, Item: r}
	if err != nil {
		c.Answer = err.Code
		l.calls = append(l.calls, c)
		return err
	}
	l.calls = append(l.calls, c)
	return nil
}

// Cancel implements client.ReservationHandler: a held order is dropped and
// its space freed (0); an unknown one is 1104.
func (l *testLot) Cancel(_ context.Context, r protocol.CancelReservation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := lotCall{Op: protocol.CancelCode, BookCode: r.BookCode}
	if _, ok := l.held[r.BookCode]; !ok {
		c.Answer = protocol.CodeNoReservation
		l.calls = append(l.calls, c)
		return protocol.Errorf(protocol.CodeNoReservation, "no order %s", r.BookCode)
	}
	delete(l.held, r.BookCode)
	l.free++
	l.calls = append(l.calls, c)
	return nil
}

// setFree sets the lot's free reservable spaces.
func (l *testLot) setFree(n int) {
	l.mu.Lock()
	l.free = n
	l.mu.Unlock()
}

// freeSpaces returns the lot's free reservable spaces.
func (l *testLot) freeSpaces() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.free
}

// setDown makes every request fail at the transport level, or none.
func (l *testLot) setDown(down bool) {
	l.mu.Lock()
	l.down = down
	l.mu.Unlock()
}

// dropFirst makes the next n requests fail at the transport level.
func (l *testLot) dropFirst(n int) {
	l.mu.Lock()
	l.dropNext = n
	l.mu.Unlock()
}

// droppedCount returns how many requests failed at the transport level.
func (l *testLot) droppedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.dropped
}

// allCalls returns a copy of the calls the handler saw.
func (l *testLot) allCalls() []lotCall {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]lotCall(nil), l.calls...)
}

// rawBodies returns a copy of the request bodies the lot received.
func (l *testLot) rawBodies() []lotBody {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]lotBody(nil), l.bodies...)
}

// callsOf returns the calls of op for bookCode.
func (l *testLot) callsOf(op protocol.Interface, bookCode string) []lotCall {
	var out []lotCall
	for _, c := range l.allCalls() {
		if c.Op == op && c.BookCode == bookCode {
			out = append(out, c)
		}
	}
	return out
}

// deliveries counts the reservation items the handler saw for bookCode.
func (l *testLot) deliveries(bookCode string) int {
	return len(l.callsOf(protocol.ReservationCode, bookCode))
}

// holds reports whether the lot holds a space for bookCode.
func (l *testLot) holds(bookCode string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.held[bookCode]
	return ok
}

// bookingEnv is the set-up of a reservation test: a parkd, a lot behind
// the vendor's downlink callback, the vendor logged in with the SDK and a
// reservable park (parkA), and a booking API key.
type bookingEnv struct {
	srv    *testserver.Server
	lot    *testLot
	vendor *client.Client
	isv    string // isvParkId of parkA
	key    string // booking API key, "ID.SECRET"
}

// bookingOptions tune startBooking.
type bookingOptions struct {
	// background runs the reservation engine on its own; otherwise the
	// test drives it with deliver and sweep.
	background  bool
	reservation reservation.Config
	free        int // the lot's free reservable spaces
}

// startBooking sets up a bookingEnv.
func startBooking(t *testing.T, opt bookingOptions) *bookingEnv {
	t.Helper()
	lot := startLot(t, opt.free)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	srv := testserver.Start(t, testserver.Options{Config: server.Config{
		NoBackground:   !opt.background,
		Reservation:    opt.reservation,
		DownlinkClient: &http.Client{Timeout: 5 * time.Second, Transport: tr},
	}})
	e := &bookingEnv{srv: srv, lot: lot}
	addAccount(t, srv, bookVendor)
	setCallback(t, srv, bookVendor, lot.URL(), lotToken)
	e.vendor = sdkClient(t, srv, bookVendor)
	e.isv = sdkPark(t, e.vendor, parkInfo(parkA))
	e.key = addAPIKey(t, srv, "city app")
	return e
}

// setCallback gives an account its downlink callback, as `parkd account
// add --callback URL --callback-token TOKEN` does.
func setCallback(t testing.TB, srv *testserver.Server, userID, url, token string) {
	t.Helper()
	update(t, srv, func(tx platform.Tx) error {
		a, err := tx.Account(userID)
		if err != nil {
			return err
		}
		a.CallbackURL, a.CallbackToken = url, token
		return tx.PutAccount(a)
	})
}

// sdkClient returns an SDK client of userID, logged in, on the server's
// clock.
func sdkClient(t testing.TB, srv *testserver.Server, userID string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: srv.URL, UserID: userID, Password: password,
		HTTPClient: srv.Client, Now: srv.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(context.Background()); err != nil {
		t.Fatalf("login %s: %v", userID, err)
	}
	return c
}

// sdkPark reports a park through the SDK and returns its isvParkId.
func sdkPark(t testing.TB, c *client.Client, p protocol.ParkInfo) string {
	t.Helper()
	out, err := c.ParkInfo(context.Background(), p)
	if err != nil || len(out) != 1 || !hex32.MatchString(out[0].IsvParkID) {
		t.Fatalf("parkInfo %s: %v %+v", p.ParkCode, err, out)
	}
	return out[0].IsvParkID
}

// addAPIKey stores a booking API key as `parkd apikey add` does and
// returns it as "ID.SECRET".
func addAPIKey(t testing.TB, srv *testserver.Server, name string) string {
	t.Helper()
	k, secret := accounts.NewAPIKey(name, srv.Clock.Now())
	update(t, srv, func(tx platform.Tx) error { return tx.PutAPIKey(k) })
	return secret
}

// order returns a booking API body for parkA: plate, bookTime (CST) and
// extra fields.
func (e *bookingEnv) order(plate, bookTime string, extra ...any) map[string]any {
	m := map[string]any{"parkId": e.isv, "plateNo": plate, "bookTime": bookTime}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i].(string)] = extra[i+1]
	}
	return m
}

// call sends a booking API request with key and returns the HTTP status
// and the response envelope.
func (e *bookingEnv) call(t testing.TB, method, path, key string, body any) (int, protocol.Response) {
	t.Helper()
	var b []byte
	if body != nil {
		b = mustJSON(t, body)
	}
	auth := ""
	if key != "" {
		auth = "Bearer " + key
	}
	status, raw := e.srv.Do(t, method, path, auth, "application/json", b, nil)
	var resp protocol.Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("%s %s: HTTP %d, not an envelope: %v: %s", method, path, status, err, raw)
	}
	return status, resp
}

// view decodes the one order of a successful answer.
func oneView(t testing.TB, status, want int, resp protocol.Response) api.ReservationView {
	t.Helper()
	wantOK(t, resp)
	if status != want {
		t.Errorf("HTTP %d, want %d", status, want)
	}
	vs := decode[api.ReservationView](t, resp)
	if len(vs) != 1 {
		t.Fatalf("data %s, want one order", resp.Data)
	}
	return vs[0]
}

// book creates an order and returns it (HTTP 201, state pending).
func (e *bookingEnv) book(t testing.TB, body map[string]any) api.ReservationView {
	t.Helper()
	status, resp := e.call(t, http.MethodPost, "/api/v1/reservations", e.key, body)
	v := oneView(t, status, http.StatusCreated, resp)
	if v.State != string(platform.ReservationPending) || !hex32.MatchString(v.BookCode) {
		t.Fatalf("booked %+v, want a pending order with a 32-hex bookCode", v)
	}
	return v
}

// get returns an order with its history.
func (e *bookingEnv) get(t testing.TB, bookCode string) api.ReservationView {
	t.Helper()
	status, resp := e.call(t, http.MethodGet, "/api/v1/reservations/"+bookCode, e.key, nil)
	return oneView(t, status, http.StatusOK, resp)
}

// wantState fails the test unless the order is in state.
func (e *bookingEnv) wantState(t testing.TB, bookCode string, state platform.ReservationState) api.ReservationView {
	t.Helper()
	v := e.get(t, bookCode)
	if v.State != string(state) {
		t.Fatalf("order %s (%s) is %s, want %s; history %+v", bookCode, v.PlateNo, v.State, state, v.History)
	}
	return v
}

// cancel cancels an order with key and returns the answer.
func (e *bookingEnv) cancel(t testing.TB, key, bookCode string) (int, protocol.Response) {
	t.Helper()
	return e.call(t, http.MethodDelete, "/api/v1/reservations/"+bookCode, key, nil)
}

// deliver sends every due dispatch once and returns how many were due.
func (e *bookingEnv) deliver(t testing.TB) int {
	t.Helper()
	n, err := e.srv.Reservations.DeliverDue(context.Background())
	if err != nil {
		t.Fatalf("DeliverDue: %v", err)
	}
	return n
}

// sweep runs the expiry sweep.
func (e *bookingEnv) sweep(t testing.TB) {
	t.Helper()
	if err := e.srv.Reservations.Sweep(context.Background()); err != nil {
		t.Fatalf("Sweep: %v", err)
	}
}

// queued returns the length of the downlink queue.
func (e *bookingEnv) queued(t testing.TB) int {
	t.Helper()
	var n int
	view(t, e.srv, func(tx platform.Tx) error {
		var err error
		n, err = tx.CountDispatches()
		return err
	})
	return n
}

// dispatchesOf returns an order's queued dispatches.
func (e *bookingEnv) dispatchesOf(t testing.TB, bookCode string) []platform.Dispatch {
	t.Helper()
	var ds []platform.Dispatch
	view(t, e.srv, func(tx platform.Tx) error {
		var err error
		ds, err = tx.DispatchesFor(bookCode)
		return err
	})
	return ds
}

// stored returns an order as the store keeps it.
func (e *bookingEnv) stored(t testing.TB, bookCode string) platform.Reservation {
	t.Helper()
	var r platform.Reservation
	view(t, e.srv, func(tx platform.Tx) error {
		var err error
		r, err = tx.Reservation(bookCode)
		return err
	})
	return r
}

// plateOrders returns the stored orders of a plate.
func (e *bookingEnv) plateOrders(t testing.TB, plate string) []platform.Reservation {
	t.Helper()
	var rs []platform.Reservation
	view(t, e.srv, func(tx platform.Tx) error {
		var err error
		rs, err = tx.ReservationsByPlate(plate)
		return err
	})
	return rs
}

// confirm books an order and delivers it; the lot must accept it.
func (e *bookingEnv) confirm(t testing.TB, body map[string]any) api.ReservationView {
	t.Helper()
	v := e.book(t, body)
	e.deliver(t)
	return e.wantState(t, v.BookCode, platform.ReservationConfirmed)
}

// space reports the park's vacancy through the SDK with free reservable
// spaces.
func (e *bookingEnv) space(t testing.TB, freeReservable int) {
	t.Helper()
	it := space(parkA, 50)
	it.UnusedReservableStalls = freeReservable
	if _, err := e.vendor.ParkSpaceInfo(context.Background(), it); err != nil {
		t.Fatalf("parkSpaceInfo: %v", err)
	}
}

// at sets the server clock to a CST DateTime.
func (e *bookingEnv) at(t testing.TB, s string) { e.srv.Clock.Set(cst(t, s)) }

// causes returns the history of a view as "from>to: cause" lines.
func causes(v api.ReservationView) []string {
	out := make([]string, len(v.History))
	for i, h := range v.History {
		out[i] = fmt.Sprintf("%s>%s: %s", h.From, h.To, h.Cause)
	}
	return out
}

// plateOf returns a distinct valid plate for n.
func plateOf(n int) string { return fmt.Sprintf("粤B%05d", n) }

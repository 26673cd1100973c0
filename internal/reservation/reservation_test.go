package reservation_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/internal/uplink"
	"github.com/parkd/parkd/protocol"
)

const (
	vendor    = "szpark001"
	app       = "app-key-1" // the booking API client
	otherApp  = "app-key-2"
	lotToken  = "downlink-secret"
	plate     = "粤B12345"
	photo     = "00000000000000000000000000000009"
	recordGap = time.Minute
)

var ctx = context.Background()

// call is one downlink request the lot received.
type call struct {
	path, auth string
	req        protocol.Request
}

// lot is a parking system's downlink receiver (docs/protocol.md §8): it
// records every call and answers with the code answer gives, or with a
// failure that is not an envelope when answer returns -1.
type lot struct {
	mu     sync.Mutex
	calls  []call
	answer func(path string) protocol.Code
}

func (l *lot) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var req protocol.Request
	_ = json.Unmarshal(body, &req)
	l.mu.Lock()
	l.calls = append(l.calls, call{r.URL.Path, r.Header.Get("Authorization"), req})
	answer := l.answer
	l.mu.Unlock()
	code := protocol.CodeOK
	if answer != nil {
		code = answer(r.URL.Path)
	}
	if code < 0 {
		http.Error(w, "lot down", http.StatusBadGateway)
		return
	}
	json.NewEncoder(w).Encode(protocol.Response{Code: code, Data: json.RawMessage("[]")})
}

// answering makes the lot answer every call with code.
func (l *lot) answering(code protocol.Code) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.answer = func(string) protocol.Code { return code }
}

// taken returns the calls received since the last taken.
func (l *lot) taken() []call {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.calls
	l.calls = nil
	return c
}

// env is the reservation engine on an in-process SQLite store and a
// manual clock, wired into the uplink service as parkd wires it, with one
// reservable park whose vendor is online and has a downlink.
type env struct {
	st    platform.Store
	clock *fixture.Clock
	svc   *reservation.Service
	up    *uplink.Service
	lot   *lot
	park  platform.Park
}

func newEnv(t *testing.T, cfg reservation.Config) *env {
	t.Helper()
	e := &env{st: fixture.Store(t), clock: fixture.NewClock(fixture.Epoch), lot: &lot{}}
	srv := httptest.NewServer(e.lot)
	t.Cleanup(srv.Close)
	e.svc = reservation.New(e.st, e.clock.Now, cfg, srv.Client(), slog.New(slog.DiscardHandler))
	e.up = &uplink.Service{Store: e.st, Blobs: fixture.Blobs(t), Now: e.clock.Now, Regions: protocol.Shenzhen, Reservations: e.svc}
	fixture.Account(t, e.st, platform.Account{UserID: vendor, Online: true, CallbackURL: srv.URL + "/", CallbackToken: lotToken})
	e.park = fixture.Park(t, e.up, vendor, fixture.ParkInfo("P001"))
	return e
}

// booking is an order for plate at the park, due an hour from now.
func (e *env) booking(plate string) reservation.Booking {
	return reservation.Booking{ParkID: e.park.IsvParkID, PlateNo: plate, BookTime: fixture.DateTime(e.clock.Now().Add(time.Hour))}
}

// book creates an order, failing the test on an error.
func (e *env) book(t *testing.T, plate string) platform.Reservation {
	t.Helper()
	r, err := e.svc.Create(ctx, app, e.booking(plate))
	if err != nil {
		t.Fatalf("booking %s: %v", plate, err)
	}
	return r
}

// deliver sends every due dispatch once, as the dispatcher would.
func (e *env) deliver(t *testing.T) int {
	t.Helper()
	n, err := e.svc.DeliverDue(ctx)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// confirmed books an order and has the lot confirm it.
func (e *env) confirmed(t *testing.T, plate string) platform.Reservation {
	t.Helper()
	r := e.book(t, plate)
	e.deliver(t)
	e.lot.taken()
	if got := e.order(t, r.BookCode); got.State != platform.ReservationConfirmed {
		t.Fatalf("order %s is %s after the lot answered 0", r.BookCode, got.State)
	}
	return e.order(t, r.BookCode)
}

// order returns an order as stored.
func (e *env) order(t *testing.T, bookCode string) platform.Reservation {
	t.Helper()
	var r platform.Reservation
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		r, err = tx.Reservation(bookCode)
		return err
	})
	return r
}

// dispatches returns an order's queued downlink calls.
func (e *env) dispatches(t *testing.T, bookCode string) []platform.Dispatch {
	t.Helper()
	var ds []platform.Dispatch
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		ds, err = tx.DispatchesFor(bookCode)
		return err
	})
	return ds
}

// events returns an order's history.
func (e *env) events(t *testing.T, bookCode string) []platform.ReservationEvent {
	t.Helper()
	var evs []platform.ReservationEvent
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		evs, err = tx.ReservationEvents(bookCode)
		return err
	})
	return evs
}

// enter reports the n-th entry of the park through the uplink service.
func (e *env) enter(t *testing.T, n int, plate, bookCode string, at time.Time) {
	t.Helper()
	rec := protocol.EnterRecord{ParkCode: "P001", ID: fixture.RecordID(n), PlateNo: plate, EnterTime: fixture.DateTime(at),
		EntryCarPhotoID: photo, EntranceCode: "GATE01", BookCode: bookCode}
	if _, err := e.up.EnterRecord(ctx, vendor, []protocol.EnterRecord{rec}); err != nil {
		t.Fatal(err)
	}
}

// exit reports the n-th exit of the park through the uplink service.
func (e *env) exit(t *testing.T, n int, plate, bookCode string, at time.Time) {
	t.Helper()
	rec := protocol.ExitRecord{ParkCode: "P001", ID: fixture.RecordID(n), PlateNo: plate, LeaveTime: fixture.DateTime(at),
		ExitCarPhotoID: photo, ExitCode: "GATE02", BookCode: bookCode}
	if _, err := e.up.ExitRecord(ctx, vendor, []protocol.ExitRecord{rec}); err != nil {
		t.Fatal(err)
	}
}

// vacancy reports the park's vacancy with free reservable spaces.
func (e *env) vacancy(t *testing.T, freeReservable int) {
	t.Helper()
	v := protocol.ParkSpaceInfo{ParkCode: "P001", UsedStalls: 50, UnusedStalls: 50, UnusedReservableStalls: freeReservable}
	if _, err := e.up.ParkSpaceInfo(ctx, vendor, []protocol.ParkSpaceInfo{v}); err != nil {
		t.Fatal(err)
	}
}

func (e *env) sweep(t *testing.T) {
	t.Helper()
	if err := e.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
}

// wantKind fails unless err is a platform error of kind k on field.
func wantKind(t *testing.T, err error, k platform.Kind, field string) {
	t.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != k || pe.Field != field {
		t.Fatalf("error %v, want kind %d on %q", err, k, field)
	}
}

// warnings returns the park's reservation warnings.
func (e *env) warnings(t *testing.T) []platform.Warning {
	t.Helper()
	return fixture.WarningsOf(t, e.st, e.park.IsvParkID, "reservation")
}

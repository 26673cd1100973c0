package reservation_test

import (
	"errors"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/protocol"
)

// docs/protocol.md §9: a booking that passes the checks is stored pending
// with its hold (bookTime + obligatTime), its history and a queued
// downlink; nothing is sent in the booking's own transaction.
func TestCreateStoresAPendingOrderAndQueuesItsDownlink(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	b := e.booking(" 粤b12345 ")
	r, err := e.svc.Create(ctx, app, b)
	if err != nil {
		t.Fatal(err)
	}
	got := e.order(t, r.BookCode)
	bookTime := fixture.Epoch.Add(time.Hour)
	if got.State != platform.ReservationPending || got.Revision != 1 || got.PlateNo != plate || got.ClientID != app ||
		got.IsvParkID != e.park.IsvParkID || got.UserID != vendor || got.ParkCode != "P001" || got.ObligatTime != 30 ||
		!got.BookTime.Equal(bookTime) || !got.HoldUntil.Equal(bookTime.Add(30*time.Minute)) || !got.OverTime.Equal(got.HoldUntil) {
		t.Fatalf("stored order %+v", got)
	}
	if evs := e.events(t, r.BookCode); len(evs) != 1 || evs[0].To != platform.ReservationPending || evs[0].Cause != "booked" {
		t.Fatalf("events %+v", evs)
	}
	ds := e.dispatches(t, r.BookCode)
	if len(ds) != 1 || ds[0].Op != "reservation" || ds[0].Attempts != 0 || !ds[0].NextAt.Equal(fixture.Epoch) || !ds[0].Deadline.Equal(got.OverTime) {
		t.Fatalf("dispatches %+v", ds)
	}
	if calls := e.lot.taken(); len(calls) != 0 {
		t.Fatalf("the booking itself called the lot %d times", len(calls))
	}
}

// An obligatTime and an overTime given with the booking are kept.
func TestCreateKeepsTheGivenObligatAndOverTime(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	b := e.booking(plate)
	ob := 15
	b.ObligatTime = &ob
	b.OverTime = fixture.DateTime(fixture.Epoch.Add(3 * time.Hour))
	r, err := e.svc.Create(ctx, app, b)
	if err != nil {
		t.Fatal(err)
	}
	if !r.HoldUntil.Equal(fixture.Epoch.Add(75*time.Minute)) || !r.OverTime.Equal(fixture.Epoch.Add(3*time.Hour)) {
		t.Fatalf("hold until %s, overTime %s", r.HoldUntil, r.OverTime)
	}
}

// docs/protocol.md §9: the refusals of the booking API, each with its
// code (the kind maps to it in one table) on its field, and nothing
// stored.
func TestCreateRefusals(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, e *env, b *reservation.Booking)
		kind  platform.Kind
		code  protocol.Code // for the table 19 checks, which answer protocol codes
		field string
	}{
		{"a park that does not exist is 1101", func(t *testing.T, e *env, b *reservation.Booking) {
			b.ParkID = "ffffffffffffffffffffffffffffffff"
		}, platform.KindParkNotFound, 0, "parkId"},
		{"a disabled park is 1101", func(t *testing.T, e *env, b *reservation.Booking) {
			info := fixture.ParkInfo("P001")
			info.BizStatus = protocol.BizDisabled
			fixture.Park(t, e.up, vendor, info)
		}, platform.KindParkNotFound, 0, "parkId"},
		{"a park that takes no reservations is 1501", func(t *testing.T, e *env, b *reservation.Booking) {
			info := fixture.ParkInfo("P001")
			info.Reservable, info.ReservableSpaces, info.TotalReservableCharingSpaces = protocol.No, 0, 0
			fixture.Park(t, e.up, vendor, info)
		}, platform.KindNoReservableSpace, 0, "parkId"},
		{"a park with no reservable spaces is 1501", func(t *testing.T, e *env, b *reservation.Booking) {
			info := fixture.ParkInfo("P001")
			info.ReservableSpaces, info.TotalReservableCharingSpaces = 0, 0
			fixture.Park(t, e.up, vendor, info)
		}, platform.KindNoReservableSpace, 0, "parkId"},
		{"a vendor with no downlink is 1501", func(t *testing.T, e *env, b *reservation.Booking) {
			fixture.Account(t, e.st, platform.Account{UserID: vendor, Online: true})
		}, platform.KindNoReservableSpace, 0, "parkId"},
		{"a vendor offline is 1", func(t *testing.T, e *env, b *reservation.Booking) {
			fixture.Account(t, e.st, platform.Account{UserID: vendor, Online: false, CallbackURL: "http://127.0.0.1:1/"})
		}, platform.KindBusiness, 0, "parkId"},
		{"a vendor disabled is 1", func(t *testing.T, e *env, b *reservation.Booking) {
			fixture.Account(t, e.st, platform.Account{UserID: vendor, Online: true, Disabled: true, CallbackURL: "http://127.0.0.1:1/"})
		}, platform.KindBusiness, 0, "parkId"},
		{"a bookTime in the past is 5004", func(t *testing.T, e *env, b *reservation.Booking) {
			b.BookTime = fixture.DateTime(fixture.Epoch.Add(-time.Second))
		}, platform.KindBookTime, 0, "bookTime"},
		{"a bookTime beyond MaxAdvance is 5004", func(t *testing.T, e *env, b *reservation.Booking) {
			b.BookTime = fixture.DateTime(fixture.Epoch.Add(7*24*time.Hour + time.Second))
		}, platform.KindBookTime, 0, "bookTime"},
		{"an overTime not after bookTime is 5004", func(t *testing.T, e *env, b *reservation.Booking) {
			b.OverTime = b.BookTime
		}, platform.KindBookTime, 0, "overTime"},
		{"a blacklisted plate is 5005", func(t *testing.T, e *env, b *reservation.Booking) {
			fixture.Update(t, e.st, func(tx platform.Tx) error {
				return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: plate, Until: fixture.Epoch.Add(time.Hour), Reason: "test", At: fixture.Epoch})
			})
		}, platform.KindBlacklisted, 0, "plateNo"},
		{"a plate with a live order is 1200", func(t *testing.T, e *env, b *reservation.Booking) {
			e.book(t, plate)
		}, platform.KindConflict, 0, "plateNo"},
		{"an obligatTime over a day is 1007", func(t *testing.T, e *env, b *reservation.Booking) {
			ob := 24*60 + 1
			b.ObligatTime = &ob
		}, 0, protocol.CodeRange, "obligatTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			b := e.booking(plate)
			tt.setup(t, e, &b)
			before := e.ordersOf(t, plate)
			_, err := e.svc.Create(ctx, app, b)
			if tt.code != 0 {
				var pe *protocol.Error
				if !errors.As(err, &pe) || pe.Code != tt.code || pe.Path != tt.field {
					t.Fatalf("error %v, want code %d on %s", err, tt.code, tt.field)
				}
			} else {
				wantKind(t, err, tt.kind, tt.field)
			}
			if after := e.ordersOf(t, plate); len(after) != len(before) {
				t.Fatalf("a refused booking was stored: %d orders, were %d", len(after), len(before))
			}
		})
	}
}

// A blacklisting ends at its Until; an order that is no longer live does
// not block the plate.
func TestCreateAcceptsAPlateWhoseBarIsOver(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	fixture.Update(t, e.st, func(tx platform.Tx) error {
		return tx.PutBlacklist(platform.BlacklistEntry{PlateNo: plate, Until: fixture.Epoch, Reason: "test", At: fixture.Epoch.Add(-time.Hour)})
	})
	r := e.book(t, plate)
	if _, err := e.svc.Cancel(ctx, app, r.BookCode); err != nil {
		t.Fatal(err)
	}
	e.book(t, plate)
}

func (e *env) ordersOf(t *testing.T, plate string) []platform.Reservation {
	t.Helper()
	var rs []platform.Reservation
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		rs, err = tx.ReservationsByPlate(plate)
		return err
	})
	return rs
}

// A client sees and changes only its own orders: another's is 1104.
func TestAnotherClientsOrderIsNotFound(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	r := e.book(t, plate)
	_, _, err := e.svc.Get(ctx, otherApp, r.BookCode)
	wantKind(t, err, platform.KindNoReservation, "bookCode")
	_, err = e.svc.Cancel(ctx, otherApp, r.BookCode)
	wantKind(t, err, platform.KindNoReservation, "bookCode")
	_, err = e.svc.Change(ctx, otherApp, r.BookCode, e.booking(plate))
	wantKind(t, err, platform.KindNoReservation, "bookCode")
	if rs, err := e.svc.ListByPlate(ctx, otherApp, plate); err != nil || len(rs) != 0 {
		t.Fatalf("another client lists %d orders, %v", len(rs), err)
	}
	if got := e.order(t, r.BookCode); got.State != platform.ReservationPending {
		t.Fatalf("another client's calls moved the order to %s", got.State)
	}
	got, evs, err := e.svc.Get(ctx, app, r.BookCode)
	if err != nil || got.BookCode != r.BookCode || len(evs) != 1 {
		t.Fatalf("own order: %+v, %d events, %v", got, len(evs), err)
	}
}

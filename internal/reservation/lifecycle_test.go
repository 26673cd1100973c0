package reservation_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/protocol"
)

// docs/protocol.md §9: an entry carrying the bookCode marks the order
// arrived (from confirmed, pending or waitlisted) and stops its downlink;
// the exit carrying it completes the order.
func TestArrivalAndCompletionFollowTheRecords(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, e *env) platform.Reservation
	}{
		{"a confirmed order", func(t *testing.T, e *env) platform.Reservation { return e.confirmed(t, plate) }},
		{"a pending order (the answer is still on its way)", func(t *testing.T, e *env) platform.Reservation { return e.book(t, plate) }},
		{"a waitlisted order (the lot let it in anyway)", func(t *testing.T, e *env) platform.Reservation {
			e.lot.answering(protocol.CodeNoReservable)
			r := e.book(t, plate)
			e.deliver(t)
			return r
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			r := tt.prepare(t, e)
			e.clock.Advance(recordGap)
			e.enter(t, 1, plate, r.BookCode, e.clock.Now())
			got := e.order(t, r.BookCode)
			if got.State != platform.ReservationArrived || got.EnterID != fixture.RecordID(1) || got.WaitSeq != 0 {
				t.Fatalf("after the entry: %+v", got)
			}
			if ds := e.dispatches(t, r.BookCode); len(ds) != 0 {
				t.Fatalf("an arrived order is still queued: %+v", ds)
			}
			e.enter(t, 1, plate, r.BookCode, e.clock.Now()) // re-sent: nothing changes
			e.clock.Advance(time.Hour)
			e.exit(t, 1, plate, r.BookCode, e.clock.Now())
			if got := e.order(t, r.BookCode); got.State != platform.ReservationCompleted {
				t.Fatalf("after the exit: %s", got.State)
			}
			evs := e.events(t, r.BookCode)
			if last := evs[len(evs)-1]; last.From != platform.ReservationArrived || last.To != platform.ReservationCompleted || last.Cause != "exit "+fixture.RecordID(1) {
				t.Fatalf("last event %+v", last)
			}
			if ws := e.warnings(t); len(ws) != 0 {
				t.Fatalf("a clean visit is flagged: %+v", ws)
			}
		})
	}
}

// An exit with the bookCode of a confirmed order whose entry is missing
// completes it and flags the records for re-reporting.
func TestExitWithoutEntryCompletesAConfirmedOrderAndFlagsIt(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	r := e.confirmed(t, plate)
	e.exit(t, 1, plate, r.BookCode, e.clock.Now())
	if got := e.order(t, r.BookCode); got.State != platform.ReservationCompleted {
		t.Fatalf("state %s", got.State)
	}
	if ws := e.warnings(t); len(ws) != 1 || !strings.Contains(ws[0].Detail, "had no entry") {
		t.Fatalf("warnings %+v", ws)
	}
}

// Records are never refused for their bookCode: one that names no order
// of the park, an order in the wrong state, or another plate is stored
// and flagged.
func TestRecordsCitingAnOddOrderAreStoredAndFlagged(t *testing.T) {
	tests := []struct {
		name   string
		send   func(t *testing.T, e *env, r platform.Reservation)
		detail string
	}{
		{"an unknown bookCode", func(t *testing.T, e *env, r platform.Reservation) {
			e.enter(t, 1, plate, "ffffffffffffffffffffffffffffffff", e.clock.Now())
		}, "cites unknown reservation"},
		{"another park's order", func(t *testing.T, e *env, r platform.Reservation) {
			fixture.Park(t, e.up, vendor, fixture.ParkInfo("P002"))
			rec := protocol.EnterRecord{ParkCode: "P002", ID: fixture.RecordID(1), PlateNo: plate, EnterTime: fixture.DateTime(e.clock.Now()),
				EntryCarPhotoID: photo, EntranceCode: "GATE01", BookCode: r.BookCode}
			if _, err := e.up.EnterRecord(ctx, vendor, []protocol.EnterRecord{rec}); err != nil {
				t.Fatal(err)
			}
		}, "cites unknown reservation"},
		{"a cancelled order", func(t *testing.T, e *env, r platform.Reservation) {
			if _, err := e.svc.Cancel(ctx, app, r.BookCode); err != nil {
				t.Fatal(err)
			}
			e.enter(t, 1, plate, r.BookCode, e.clock.Now())
		}, "which is cancelled"},
		{"another plate", func(t *testing.T, e *env, r platform.Reservation) {
			e.enter(t, 1, "粤B99999", r.BookCode, e.clock.Now())
		}, "differs from reservation"},
		{"an exit of an order that never arrived", func(t *testing.T, e *env, r platform.Reservation) {
			if _, err := e.svc.Cancel(ctx, app, r.BookCode); err != nil {
				t.Fatal(err)
			}
			e.exit(t, 1, plate, r.BookCode, e.clock.Now())
		}, "which is cancelled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{})
			r := e.confirmed(t, plate)
			tt.send(t, e, r)
			var ws []platform.Warning
			for _, code := range []string{"P001", "P002"} {
				var p platform.Park
				fixture.View(t, e.st, func(tx platform.Tx) error {
					p, _ = tx.Park(vendor, code)
					return nil
				})
				if p.IsvParkID != "" {
					ws = append(ws, fixture.WarningsOf(t, e.st, p.IsvParkID, "reservation")...)
				}
			}
			if len(ws) != 1 || !strings.Contains(ws[0].Detail, tt.detail) {
				t.Fatalf("warnings %+v, want one saying %q", ws, tt.detail)
			}
		})
	}
}

// docs/protocol.md §9: a confirmed order with no arrival by bookTime +
// obligatTime is a no-show: it expires and the lot is told to cancel. A
// pending or waitlisted order expires at overTime, with nothing to tell.
func TestSweepExpiresOrdersAtTheirDeadline(t *testing.T) {
	tests := []struct {
		name     string
		prepare  func(t *testing.T, e *env) platform.Reservation
		deadline func(r platform.Reservation) time.Time
		noShow   bool
	}{
		{"a confirmed order at bookTime + obligatTime is a no-show", func(t *testing.T, e *env) platform.Reservation { return e.confirmed(t, plate) },
			func(r platform.Reservation) time.Time { return r.HoldUntil }, true},
		{"a pending order at overTime", func(t *testing.T, e *env) platform.Reservation {
			b := e.booking(plate)
			b.OverTime = fixture.DateTime(fixture.Epoch.Add(3 * time.Hour))
			r, err := e.svc.Create(ctx, app, b)
			if err != nil {
				t.Fatal(err)
			}
			return r
		}, func(r platform.Reservation) time.Time { return r.OverTime }, false},
		{"a waitlisted order at overTime", func(t *testing.T, e *env) platform.Reservation {
			e.lot.answering(protocol.CodeNoReservable)
			r := e.book(t, plate)
			e.deliver(t)
			return r
		}, func(r platform.Reservation) time.Time { return r.OverTime }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{NoShowLimit: -1})
			r := tt.prepare(t, e)
			before := e.order(t, r.BookCode).State
			e.clock.Set(tt.deadline(r).Add(-time.Second))
			e.sweep(t)
			if got := e.order(t, r.BookCode); got.State != before {
				t.Fatalf("a second before the deadline: %s, was %s", got.State, before)
			}
			e.clock.Set(tt.deadline(r))
			e.sweep(t)
			got := e.order(t, r.BookCode)
			if got.State != platform.ReservationExpired || got.NoShow != tt.noShow {
				t.Fatalf("at the deadline: state %s no-show %v", got.State, got.NoShow)
			}
			ds := e.dispatches(t, r.BookCode)
			if tt.noShow != (len(ds) == 1 && ds[0].Op == "cancelReservation") || !tt.noShow && len(ds) != 0 {
				t.Fatalf("dispatches %+v", ds)
			}
		})
	}
}

// An entry reported after the no-show expiry whose enterTime lies before
// bookTime + obligatTime means the car came in time: the order is arrived
// after all and the lot is not told to cancel. A later enterTime does not
// revive it.
func TestLateReportedEntryRevivesANoShowOnlyWhenTheCarCameInTime(t *testing.T) {
	tests := []struct {
		name    string
		enterAt func(r platform.Reservation) time.Time
		want    platform.ReservationState
	}{
		{"entered before the hold ended", func(r platform.Reservation) time.Time { return r.HoldUntil.Add(-time.Second) }, platform.ReservationArrived},
		{"entered after the hold ended", func(r platform.Reservation) time.Time { return r.HoldUntil }, platform.ReservationExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, reservation.Config{NoShowLimit: -1})
			r := e.confirmed(t, plate)
			e.clock.Set(r.HoldUntil)
			e.sweep(t)
			e.clock.Advance(time.Minute)
			e.enter(t, 1, plate, r.BookCode, tt.enterAt(r))
			got := e.order(t, r.BookCode)
			if got.State != tt.want {
				t.Fatalf("state %s, want %s", got.State, tt.want)
			}
			ds := e.dispatches(t, r.BookCode)
			if tt.want == platform.ReservationArrived && (got.NoShow || len(ds) != 0) {
				t.Fatalf("revived order: no-show %v, dispatches %+v", got.NoShow, ds)
			}
			if tt.want == platform.ReservationExpired && (!got.NoShow || len(ds) != 1 || len(e.warnings(t)) != 1) {
				t.Fatalf("expired order: no-show %v, dispatches %+v, warnings %+v", got.NoShow, ds, e.warnings(t))
			}
		})
	}
}

// docs/protocol.md §9: NoShowLimit no-shows within NoShowWindow blacklist
// the plate for BlacklistFor (5005 on booking); older no-shows do not
// count, and a negative limit turns the rule off.
func TestNoShowsBlacklistThePlate(t *testing.T) {
	tests := []struct {
		name        string
		cfg         reservation.Config
		gap         time.Duration // between the no-shows
		blacklisted bool
	}{
		{"two no-shows within the window", reservation.Config{NoShowLimit: 2, NoShowWindow: 24 * time.Hour, BlacklistFor: 48 * time.Hour}, 2 * time.Hour, true},
		{"two no-shows further apart than the window", reservation.Config{NoShowLimit: 2, NoShowWindow: time.Hour, BlacklistFor: 48 * time.Hour}, 2 * time.Hour, false},
		{"the rule turned off", reservation.Config{NoShowLimit: -1}, 2 * time.Hour, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.cfg)
			for i := range 2 {
				if i > 0 {
					e.clock.Advance(tt.gap)
				}
				r := e.confirmed(t, plate)
				e.clock.Set(r.HoldUntil)
				e.sweep(t)
			}
			var entry platform.BlacklistEntry
			var err error
			fixture.View(t, e.st, func(tx platform.Tx) error {
				entry, err = tx.Blacklisted(plate)
				return nil
			})
			if (err == nil) != tt.blacklisted {
				t.Fatalf("blacklisted: %+v, %v; want %v", entry, err, tt.blacklisted)
			}
			_, err = e.svc.Create(ctx, app, e.booking(plate))
			if !tt.blacklisted {
				if err != nil {
					t.Fatalf("booking a plate not barred: %v", err)
				}
				return
			}
			if !entry.Until.Equal(e.clock.Now().Add(tt.cfg.BlacklistFor)) {
				t.Fatalf("barred until %s", entry.Until)
			}
			wantKind(t, err, platform.KindBlacklisted, "plateNo")
			e.clock.Set(entry.Until)
			if _, err := e.svc.Create(ctx, app, e.booking(plate)); err != nil {
				t.Fatalf("booking when the bar is over: %v", err)
			}
		})
	}
}

// docs/protocol.md §9 (§6.5.1 f): waitlisted orders are promoted, oldest
// booking first, when the lot reports free reservable spaces: as many as
// are free, less the park's orders already on their way down.
func TestVacancyPromotesTheWaitlistOldestFirst(t *testing.T) {
	e := newEnv(t, reservation.Config{})
	e.lot.answering(protocol.CodeNoReservable)
	plates := []string{"粤B10001", "粤B10002", "粤B10003"}
	var codes []string
	for _, p := range plates {
		codes = append(codes, e.book(t, p).BookCode)
		e.clock.Advance(time.Second)
	}
	e.deliver(t) // the answers come back in any order
	e.lot.taken()
	for _, c := range codes {
		if got := e.order(t, c); got.State != platform.ReservationWaitlisted {
			t.Fatalf("order %s is %s", c, got.State)
		}
	}
	states := func() []platform.ReservationState {
		var out []platform.ReservationState
		for _, c := range codes {
			out = append(out, e.order(t, c).State)
		}
		return out
	}
	w, p := platform.ReservationWaitlisted, platform.ReservationPending

	e.vacancy(t, 0)
	if got := states(); !slices.Equal(got, []platform.ReservationState{w, w, w}) {
		t.Fatalf("no free space promoted: %v", got)
	}
	e.vacancy(t, 2)
	if got := states(); !slices.Equal(got, []platform.ReservationState{p, p, w}) {
		t.Fatalf("two free spaces: %v, want the two oldest pending", got)
	}
	for _, c := range codes[:2] {
		if ds := e.dispatches(t, c); len(ds) != 1 || ds[0].Op != "reservation" {
			t.Fatalf("promoted order %s: dispatches %+v", c, ds)
		}
	}
	e.vacancy(t, 2) // the two promoted are on their way: nothing more
	if got := states(); !slices.Equal(got, []platform.ReservationState{p, p, w}) {
		t.Fatalf("again two free spaces with two in flight: %v", got)
	}
	e.lot.answering(protocol.CodeOK)
	e.deliver(t)
	e.vacancy(t, 1)
	if got := states(); got[2] != p {
		t.Fatalf("one free space once the others are confirmed: %v", got)
	}
}

// docs/protocol.md §5: the replenish list adds reservation-linked plates:
// an order's car entered with no exit by the day's end while absent from
// the day's last plate list, and a plate in a list of the day while its
// order has no entry.
func TestReplenishListAddsReservationLinkedPlates(t *testing.T) {
	e := newEnv(t, reservation.Config{NoShowLimit: -1})
	gone := e.confirmed(t, "粤B20001")    // entered, not in the last list, no exit
	inside := e.confirmed(t, "粤B20002")  // entered, in the last list
	noEntry := e.confirmed(t, "粤B20003") // in a list, never entered
	left := e.confirmed(t, "粤B20004")    // entered and left
	e.clock.Set(fixture.Epoch.Add(time.Hour))
	e.enter(t, 1, "粤B20001", gone.BookCode, e.clock.Now())
	e.enter(t, 2, "粤B20002", inside.BookCode, e.clock.Now())
	e.enter(t, 4, "粤B20004", left.BookCode, e.clock.Now())
	e.exit(t, 4, "粤B20004", left.BookCode, e.clock.Now().Add(time.Minute))
	_ = noEntry
	e.clock.Advance(time.Hour)
	list := protocol.ParkCarInfo{ParkCode: "P001", PlateNoList: "粤B20002,粤B20003"}
	if _, err := e.up.ParkCarInfo(ctx, vendor, []protocol.ParkCarInfo{list}); err != nil {
		t.Fatal(err)
	}
	out, err := e.up.ReplenishCarInfo(ctx, vendor, []protocol.ReplenishRequest{{ParkCode: "P001",
		QueryDate: protocol.NewDate(fixture.Epoch), CurrentPage: 1, PageSize: 50}})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"粤B20001", "粤B20003"}; !slices.Equal(out[0].PlateNoList, want) {
		t.Fatalf("replenish list %v, want %v", out[0].PlateNoList, want)
	}
}

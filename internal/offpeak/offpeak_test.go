package offpeak_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/offpeak"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/internal/uplink"
	"github.com/parkd/parkd/protocol"
)

// The accounts of these tests: vendor reports the parks; op1 and op2 are
// off-peak platforms (docs/offpeak.md §1).
const (
	vendor = "szpark001"
	op1    = "OP001"
	op2    = "OP002"
	permit = "深停许字2024第001号"
)

var ctx = context.Background()

// env is the off-peak service on an in-process SQLite store and a manual
// clock, with two parks: P001 with its own permitNo, and P002 and P003
// sharing one.
type env struct {
	st     platform.Store
	clock  *fixture.Clock
	svc    *offpeak.Service
	p1, p2 platform.Park
}

func newEnv(t *testing.T) *env {
	t.Helper()
	e := &env{st: fixture.Store(t), clock: fixture.NewClock(fixture.Epoch)}
	e.svc = &offpeak.Service{Store: e.st, Now: e.clock.Now}
	up := &uplink.Service{Store: e.st, Blobs: fixture.Blobs(t), Now: e.clock.Now, Regions: protocol.Shenzhen}
	fixture.Account(t, e.st, platform.Account{UserID: vendor, Online: true})
	for _, id := range []string{op1, op2} {
		fixture.Account(t, e.st, platform.Account{UserID: id, Online: true, Role: platform.RoleOffPeak})
	}
	info := fixture.ParkInfo("P001")
	info.PermitNo = permit
	e.p1 = fixture.Park(t, up, vendor, info)
	for _, code := range []string{"P002", "P003"} {
		info := fixture.ParkInfo(code)
		info.PermitNo = "深停许字2024第002号"
		p := fixture.Park(t, up, vendor, info)
		if code == "P002" {
			e.p2 = p
		}
	}
	return e
}

// pkg is a night package at park isvParkID.
func pkg(isvParkID, packageNo string, status protocol.PackageStatus) protocol.OffPeakPackage {
	return protocol.OffPeakPackage{IsvParkID: isvParkID, ProviderCode: "SP0001", PackageNo: packageNo, PackageName: "夜间包月",
		PackageType: protocol.PackageMonthly, Price: protocol.Cents(30000), Status: status,
		StartTime: protocol.MustTime("19:00:00"), EndTime: protocol.MustTime("08:00:00")}
}

// order is an order for package PKG1 at park isvParkID.
func order(isvParkID, orderNo string, status protocol.OrderStatus, at time.Time) protocol.OffPeakOrder {
	return protocol.OffPeakOrder{IsvParkID: isvParkID, OrderNo: orderNo, PackageNo: "PKG1", PlateNo: "粤B12345",
		Amount: protocol.Cents(30000), Status: status, OrderTime: fixture.DateTime(at)}
}

func (e *env) packages(t *testing.T, userID string, items ...protocol.OffPeakPackage) []protocol.OffPeakPackageResponse {
	t.Helper()
	out, err := e.svc.Packages(ctx, userID, items)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *env) orders(t *testing.T, userID string, items ...protocol.OffPeakOrder) {
	t.Helper()
	if _, err := e.svc.Orders(ctx, userID, items); err != nil {
		t.Fatal(err)
	}
}

func (e *env) storedPackage(t *testing.T, userID, isvParkID, packageNo string) (platform.OffPeakPackage, error) {
	t.Helper()
	var p platform.OffPeakPackage
	var err error
	fixture.View(t, e.st, func(tx platform.Tx) error {
		p, err = tx.OffPeakPackage(userID, isvParkID, packageNo)
		return nil
	})
	return p, err
}

func (e *env) history(t *testing.T, object, isvParkID, key string) []platform.HistoryEntry {
	t.Helper()
	var hs []platform.HistoryEntry
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		hs, err = tx.History(object, isvParkID, key)
		return err
	})
	return hs
}

// wantKind fails unless err is a platform error of kind k on field.
func wantKind(t *testing.T, err error, k platform.Kind, field string) {
	t.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != k || pe.Field != field {
		t.Fatalf("error %v, want kind %d on %q", err, k, field)
	}
}

// docs/offpeak.md §3: a park is named by its isvParkId or by the permitNo
// it reported; each way that names no single park is 1101 on the field
// at fault.
func TestParkReference(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name  string
		ref   protocol.ParkRef
		want  string // the isvParkId stored; "" when refused
		field string
	}{
		{"by isvParkId", protocol.ParkRef{IsvParkID: e.p1.IsvParkID}, e.p1.IsvParkID, ""},
		{"by permitNo", protocol.ParkRef{PermitNo: permit}, e.p1.IsvParkID, ""},
		{"by both, naming the same park", protocol.ParkRef{IsvParkID: e.p1.IsvParkID, PermitNo: permit}, e.p1.IsvParkID, ""},
		{"an isvParkId of no park is 1101", protocol.ParkRef{IsvParkID: "ffffffffffffffffffffffffffffffff"}, "", "data[0].isvParkId"},
		{"a permitNo no park reported is 1101", protocol.ParkRef{PermitNo: "深停许字1999第999号"}, "", "data[0].permitNo"},
		{"a permitNo several parks reported is 1101", protocol.ParkRef{PermitNo: "深停许字2024第002号"}, "", "data[0].permitNo"},
		{"a permitNo of another park than the isvParkId is 1101", protocol.ParkRef{IsvParkID: e.p2.IsvParkID, PermitNo: permit}, "", "data[0].permitNo"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := pkg("", "PKG"+string(rune('A'+i)), protocol.PackageOnSale)
			it.IsvParkID, it.PermitNo = tt.ref.IsvParkID, tt.ref.PermitNo
			out, err := e.svc.Packages(ctx, op1, []protocol.OffPeakPackage{it})
			if tt.want == "" {
				wantKind(t, err, platform.KindParkNotFound, tt.field)
				return
			}
			if err != nil || out[0].IsvParkID != tt.want || out[0].PackageNo != it.PackageNo || out[0].Status != protocol.PackageOnSale {
				t.Fatalf("answer %+v, %v", out, err)
			}
			if _, err := e.storedPackage(t, op1, tt.want, it.PackageNo); err != nil {
				t.Fatalf("not stored at the park: %v", err)
			}
		})
	}
}

// docs/offpeak.md §4: an identical re-send stores nothing new; a changed
// package replaces the stored one and the old version goes to history.
func TestPackageIsIdempotentAndKeepsItsHistory(t *testing.T) {
	e := newEnv(t)
	it := pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOffSale)
	e.packages(t, op1, it)
	e.clock.Advance(time.Minute)
	e.packages(t, op1, it)
	if hs := e.history(t, "offpeakPackage", e.p1.IsvParkID, op1+"/PKG1"); len(hs) != 0 {
		t.Fatalf("an identical re-send kept %d versions", len(hs))
	}
	got, _ := e.storedPackage(t, op1, e.p1.IsvParkID, "PKG1")
	if !got.UpdatedAt.Equal(fixture.Epoch) {
		t.Fatalf("an identical re-send updated the package at %s", got.UpdatedAt)
	}
	it.Price = protocol.Cents(25050)
	e.packages(t, op1, it)
	got, _ = e.storedPackage(t, op1, e.p1.IsvParkID, "PKG1")
	if got.PriceCents != 25050 || !got.CreatedAt.Equal(fixture.Epoch) || !got.UpdatedAt.Equal(e.clock.Now()) {
		t.Fatalf("changed package %+v", got)
	}
	if hs := e.history(t, "offpeakPackage", e.p1.IsvParkID, op1+"/PKG1"); len(hs) != 1 {
		t.Fatalf("a change kept %d versions, want 1", len(hs))
	}
}

// docs/offpeak.md §4: a package is keyed by platform, park and number:
// another platform's PKG1 is another package, which the first cannot
// change, put on sale, or sell orders for (1100 on packageNo).
func TestPlatformsSeeOnlyTheirOwnPackages(t *testing.T) {
	e := newEnv(t)
	e.packages(t, op1, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOffSale))
	e.packages(t, op2, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOnSale))
	a, errA := e.storedPackage(t, op1, e.p1.IsvParkID, "PKG1")
	b, errB := e.storedPackage(t, op2, e.p1.IsvParkID, "PKG1")
	if errA != nil || errB != nil || a.OnSale || !b.OnSale {
		t.Fatalf("op1's %+v (%v), op2's %+v (%v)", a, errA, b, errB)
	}
	tests := []struct {
		name string
		send func() error
	}{
		{"offPeakPackageStatus of a package only another platform has", func() error {
			_, err := e.svc.PackageStatus(ctx, op1, []protocol.OffPeakPackageStatus{
				{IsvParkID: e.p1.IsvParkID, PackageNo: "PKG1", Status: protocol.PackageOnSale},
				{IsvParkID: e.p1.IsvParkID, PackageNo: "PKG2", Status: protocol.PackageOnSale}})
			return err
		}},
		{"offPeakPackageStatus of a package at another park", func() error {
			_, err := e.svc.PackageStatus(ctx, op1, []protocol.OffPeakPackageStatus{
				{IsvParkID: e.p1.IsvParkID, PackageNo: "PKG1", Status: protocol.PackageOnSale},
				{IsvParkID: e.p2.IsvParkID, PackageNo: "PKG1", Status: protocol.PackageOnSale}})
			return err
		}},
		{"offPeakOrder for another platform's package", func() error {
			e.packages(t, op2, pkg(e.p2.IsvParkID, "PKG1", protocol.PackageOnSale))
			_, err := e.svc.Orders(ctx, op1, []protocol.OffPeakOrder{
				order(e.p1.IsvParkID, "ORD1", protocol.OrderPaid, fixture.Epoch),
				order(e.p2.IsvParkID, "ORD2", protocol.OrderPaid, fixture.Epoch)})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, tt.send(), platform.KindNotFound, "data[1].packageNo")
		})
	}
	// The batches were refused whole: op1's package is still off sale and
	// it has no order.
	if a, _ := e.storedPackage(t, op1, e.p1.IsvParkID, "PKG1"); a.OnSale {
		t.Fatal("a refused batch put op1's package on sale")
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		if _, err := tx.OffPeakOrder(op1, "ORD1"); !platform.IsNotFound(err) {
			t.Errorf("a refused batch stored an order: %v", err)
		}
		return nil
	})
}

// docs/offpeak.md §6: offPeakPackageStatus puts a package on sale or
// takes it off; the status it already has changes nothing.
func TestPackageStatusPutsOnAndOffSale(t *testing.T) {
	e := newEnv(t)
	e.packages(t, op1, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOffSale))
	set := func(s protocol.PackageStatus) {
		t.Helper()
		out, err := e.svc.PackageStatus(ctx, op1, []protocol.OffPeakPackageStatus{{PermitNo: permit, PackageNo: "PKG1", Status: s}})
		if err != nil || out[0].IsvParkID != e.p1.IsvParkID || out[0].Status != s {
			t.Fatalf("status %d: %+v, %v", s, out, err)
		}
	}
	key := op1 + "/PKG1"
	set(protocol.PackageOnSale)
	if got, _ := e.storedPackage(t, op1, e.p1.IsvParkID, "PKG1"); !got.OnSale || got.PriceCents != 30000 || got.Name != "夜间包月" {
		t.Fatalf("on sale: %+v", got)
	}
	set(protocol.PackageOnSale)
	if hs := e.history(t, "offpeakPackage", e.p1.IsvParkID, key); len(hs) != 1 {
		t.Fatalf("the same status twice kept %d versions, want 1", len(hs))
	}
	set(protocol.PackageOffSale)
	if got, _ := e.storedPackage(t, op1, e.p1.IsvParkID, "PKG1"); got.OnSale {
		t.Fatal("still on sale")
	}
}

// docs/offpeak.md §4, §7: an order is keyed by platform and number; each
// change of status is kept as an event (the first from -1), a changed
// order keeps the old version in history, an identical one changes
// nothing; plates are normalised.
func TestOrderKeepsItsStatusEvents(t *testing.T) {
	e := newEnv(t)
	e.packages(t, op1, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOnSale))
	placed := fixture.Epoch.Add(2 * time.Hour)
	it := order(e.p1.IsvParkID, "ORD1", protocol.OrderUnpaid, placed)
	it.PlateNo = " 粤b12345 "
	steps := []struct {
		status protocol.OrderStatus
		amount int64
	}{{protocol.OrderUnpaid, 30000}, {protocol.OrderUnpaid, 30000}, {protocol.OrderPaid, 30000}, {protocol.OrderPaid, 28000}, {protocol.OrderRefunded, 28000}}
	for _, s := range steps {
		it.Status, it.Amount = s.status, protocol.Cents(s.amount)
		e.orders(t, op1, it)
		e.clock.Advance(time.Minute)
	}
	var o platform.OffPeakOrder
	var evs []platform.OffPeakOrderEvent
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		if o, err = tx.OffPeakOrder(op1, "ORD1"); err != nil {
			return err
		}
		evs, err = tx.OffPeakOrderEvents(op1, "ORD1")
		return err
	})
	if o.PlateNo != "粤B12345" || o.Status != int(protocol.OrderRefunded) || o.AmountCents != 28000 || o.Day != "2024-01-01" ||
		o.IsvParkID != e.p1.IsvParkID || !o.CreatedAt.Equal(fixture.Epoch) {
		t.Fatalf("stored order %+v", o)
	}
	var moves [][2]int
	for _, ev := range evs {
		moves = append(moves, [2]int{ev.From, ev.To})
	}
	if want := [][2]int{{-1, 0}, {0, 1}, {1, 4}}; !slices.Equal(moves, want) {
		t.Fatalf("status events %v, want %v", moves, want)
	}
	if hs := e.history(t, "offpeakOrder", e.p1.IsvParkID, op1+"/ORD1"); len(hs) != 3 {
		t.Fatalf("%d versions in history, want 3 (the identical re-send keeps none)", len(hs))
	}
}

// An order may name a package taken off sale: orders may arrive late.
func TestOrderForAPackageOffSaleIsStored(t *testing.T) {
	e := newEnv(t)
	e.packages(t, op1, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOffSale))
	e.orders(t, op1, order(e.p1.IsvParkID, "ORD1", protocol.OrderPaid, fixture.Epoch))
}

// docs/offpeak.md §4: the public API lists the packages on sale at a park,
// of every platform; none on sale is no list at all.
func TestOnSaleListsEveryPlatformsPackagesOnSale(t *testing.T) {
	e := newEnv(t)
	e.packages(t, op1, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOnSale), pkg(e.p1.IsvParkID, "PKG2", protocol.PackageOffSale))
	e.packages(t, op2, pkg(e.p1.IsvParkID, "PKG3", protocol.PackageOnSale), pkg(e.p2.IsvParkID, "PKG4", protocol.PackageOnSale))
	got, err := e.svc.OnSale(ctx, e.p1.IsvParkID)
	if err != nil {
		t.Fatal(err)
	}
	var nos []string
	for _, p := range got {
		nos = append(nos, p.PackageNo)
		if p.Price.Cents() != 30000 || p.StartTime != "19:00:00" || p.EndTime != "08:00:00" || p.ProviderCode != "SP0001" {
			t.Errorf("public package %+v", p)
		}
	}
	if !slices.Equal(nos, []string{"PKG1", "PKG3"}) {
		t.Fatalf("on sale at P001: %v, want PKG1 and PKG3", nos)
	}
	if _, err := e.svc.PackageStatus(ctx, op1, []protocol.OffPeakPackageStatus{{IsvParkID: e.p1.IsvParkID, PackageNo: "PKG1", Status: protocol.PackageOffSale}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PackageStatus(ctx, op2, []protocol.OffPeakPackageStatus{{IsvParkID: e.p1.IsvParkID, PackageNo: "PKG3", Status: protocol.PackageOffSale}}); err != nil {
		t.Fatal(err)
	}
	if v, err := e.svc.PublicPackages(ctx, e.p1.IsvParkID); err != nil || v != nil {
		t.Fatalf("a park with none on sale: %v, %v; want no field", v, err)
	}
}

// docs/offpeak.md §9: the console lists packages and orders per park and
// platform, and sums each CST day's orders (paid: paid or completed).
func TestConsoleListsAndDailyTotals(t *testing.T) {
	e := newEnv(t)
	e.packages(t, op1, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOnSale))
	e.packages(t, op2, pkg(e.p1.IsvParkID, "PKG1", protocol.PackageOnSale), pkg(e.p2.IsvParkID, "PKG1", protocol.PackageOnSale))
	day := fixture.Epoch // 2024-01-01 08:00 CST
	e.orders(t, op1, order(e.p1.IsvParkID, "A1", protocol.OrderPaid, day), order(e.p1.IsvParkID, "A2", protocol.OrderUnpaid, day.Add(time.Hour)))
	e.orders(t, op2, order(e.p1.IsvParkID, "B1", protocol.OrderCompleted, day.Add(2*time.Hour)),
		order(e.p2.IsvParkID, "B2", protocol.OrderPaid, day.Add(3*time.Hour)),
		order(e.p2.IsvParkID, "B3", protocol.OrderPaid, day.Add(16*time.Hour))) // 2024-01-02 00:00 CST

	if ps, err := e.svc.ListPackages(ctx, e.p1.IsvParkID, ""); err != nil || len(ps) != 2 || ps[0].UserID != op1 || ps[1].UserID != op2 {
		t.Fatalf("packages at P001: %+v, %v", ps, err)
	}
	if ps, err := e.svc.ListPackages(ctx, "", op2); err != nil || len(ps) != 2 {
		t.Fatalf("packages of op2: %+v, %v", ps, err)
	}
	os, err := e.svc.ListOrders(ctx, "", "", "2024-01-01")
	if err != nil {
		t.Fatal(err)
	}
	var nos []string
	for _, o := range os {
		nos = append(nos, o.OrderNo)
		if len(o.Events) != 1 || o.Events[0].From != -1 || o.Events[0].To != o.Status {
			t.Errorf("order %s events %+v", o.OrderNo, o.Events)
		}
	}
	if !slices.Equal(nos, []string{"B2", "B1", "A2", "A1"}) {
		t.Fatalf("orders of the day %v, want newest first", nos)
	}

	d, err := e.svc.DailyTotals(ctx, "2024-01-01")
	if err != nil {
		t.Fatal(err)
	}
	if d.Total.Orders != 4 || d.Total.Paid != 3 || d.Total.Amount.Cents() != 90000 {
		t.Fatalf("total %+v", d.Total)
	}
	if len(d.Parks) != 2 || d.Parks[0].Orders+d.Parks[1].Orders != 4 {
		t.Fatalf("per park %+v", d.Parks)
	}
	want := map[string][3]int64{op1: {2, 1, 30000}, op2: {2, 2, 60000}}
	for _, p := range d.Platforms {
		if w := want[p.UserID]; p.Orders != int(w[0]) || p.Paid != int(w[1]) || p.Amount.Cents() != w[2] {
			t.Errorf("platform %s: %+v, want %v", p.UserID, p, w)
		}
	}
	if len(d.Rows) != 3 {
		t.Fatalf("rows %+v, want op1@P001, op2@P001, op2@P002", d.Rows)
	}
}

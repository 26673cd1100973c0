package client_test

import (
	"context"
	"testing"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

const offPeakUser = "offpeak01"

// offPeakClient adds an off-peak account to ts and returns a client of it.
func offPeakClient(t *testing.T, ts *testserver.Server) *client.Client {
	t.Helper()
	ts.AddAccount(t, offPeakUser, password)
	err := ts.Store.Update(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account(offPeakUser)
		if err != nil {
			return err
		}
		a.Role = platform.RoleOffPeak
		return tx.PutAccount(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(client.Config{BaseURL: ts.URL, UserID: offPeakUser, Password: password, HTTPClient: ts.Client, Now: ts.Clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// reportedPark reports parkA for the test's parking system and returns its
// isvParkId.
func reportedPark(t *testing.T, ts *testserver.Server) string {
	t.Helper()
	out, err := newClient(t, ts).ParkInfo(context.Background(), parkInfo(parkA))
	if err != nil {
		t.Fatal(err)
	}
	return out[0].IsvParkID
}

func offPeakPackage(isv string) protocol.OffPeakPackage {
	return protocol.OffPeakPackage{IsvParkID: isv, ProviderCode: "SP1", PackageNo: "N1", PackageType: protocol.PackageMonthly,
		Price: protocol.Cents(30000), Status: protocol.PackageOffSale,
		StartTime: protocol.MustTime("19:00:00"), EndTime: protocol.MustTime("08:00:00")}
}

func TestOffPeakCallsReportPackagesAndOrders(t *testing.T) {
	ts := startPlatform(t, false)
	isv := reportedPark(t, ts)
	c := offPeakClient(t, ts)
	ctx := context.Background()

	got, err := c.OffPeakPackage(ctx, offPeakPackage(isv))
	if err != nil || len(got) != 1 || got[0] != (protocol.OffPeakPackageResponse{IsvParkID: isv, PackageNo: "N1", Status: 0}) {
		t.Fatalf("OffPeakPackage = %+v, %v", got, err)
	}
	got, err = c.OffPeakPackageStatus(ctx, protocol.OffPeakPackageStatus{IsvParkID: isv, PackageNo: "N1", Status: protocol.PackageOnSale})
	if err != nil || len(got) != 1 || got[0].Status != protocol.PackageOnSale {
		t.Fatalf("OffPeakPackageStatus = %+v, %v", got, err)
	}
	o := protocol.OffPeakOrder{IsvParkID: isv, OrderNo: "O1", PackageNo: "N1", PlateNo: "粤B12345",
		Amount: protocol.Cents(30000), Status: protocol.OrderPaid, OrderTime: protocol.NewDateTime(ts.Clock.Now())}
	orders, err := c.OffPeakOrder(ctx, o)
	if err != nil || len(orders) != 1 || orders[0] != (protocol.OffPeakOrderResponse{OrderNo: "O1", Status: protocol.OrderPaid}) {
		t.Fatalf("OffPeakOrder = %+v, %v", orders, err)
	}
	// A package the platform does not have: 1100, a typed error.
	_, err = c.OffPeakPackageStatus(ctx, protocol.OffPeakPackageStatus{IsvParkID: isv, PackageNo: "N9", Status: protocol.PackageOnSale})
	if client.CodeOf(err) != protocol.CodeNoObject {
		t.Errorf("unknown package: %v, want code 1100", err)
	}
	// The parking system's client may not call them.
	if _, err := newClient(t, ts).OffPeakPackage(ctx, offPeakPackage(isv)); client.CodeOf(err) != protocol.CodeBusiness {
		t.Errorf("parking system calling offPeakPackage: %v, want code 1", err)
	}
}

func TestOffPeakOutboxSendsAPackageBeforeItsOrders(t *testing.T) {
	ts := startPlatform(t, false)
	isv := reportedPark(t, ts)
	c := offPeakClient(t, ts)
	o := openOutbox(t, client.OutboxConfig{Dir: t.TempDir(), Client: c})
	if err := o.OffPeakPackage(offPeakPackage(isv)); err != nil {
		t.Fatal(err)
	}
	if err := o.OffPeakPackageStatus(protocol.OffPeakPackageStatus{IsvParkID: isv, PackageNo: "N1", Status: protocol.PackageOnSale}); err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{"O1", "O2"} {
		err := o.OffPeakOrder(protocol.OffPeakOrder{IsvParkID: isv, OrderNo: no, PackageNo: "N1", PlateNo: "粤B12345",
			Amount: protocol.Cents(30000), Status: protocol.OrderPaid, OrderTime: protocol.NewDateTime(ts.Clock.Now())})
		if err != nil {
			t.Fatal(err)
		}
	}
	// An item the SDK can check is refused before it is queued.
	bad := offPeakPackage(isv)
	bad.Price = protocol.Decimal{}
	if err := o.OffPeakPackage(bad); protocol.CodeOf(err) != protocol.CodeParam {
		t.Errorf("package without price queued: %v", err)
	}
	if err := o.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if r := o.Rejected(); len(r) != 0 {
		t.Fatalf("rejected %+v", r)
	}
	err := ts.Store.View(context.Background(), func(tx platform.Tx) error {
		p, err := tx.OffPeakPackage(offPeakUser, isv, "N1")
		if err != nil {
			return err
		}
		orders, err := tx.OffPeakOrders(platform.OffPeakFilter{UserID: offPeakUser})
		if err != nil {
			return err
		}
		if !p.OnSale || len(orders) != 2 {
			t.Errorf("package %+v, %d orders", p, len(orders))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/parkd/parkd/internal/openapi"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// Off-peak parking (docs/offpeak.md): off-peak platform accounts report
// packages and orders for any park of the city.

const (
	offPeakA = "offpeakA"
	offPeakB = "offpeakB"
	permitA  = "深停许字2024第001号"
)

// offPeakAccount adds an account with the off-peak role and logs it in.
func offPeakAccount(t testing.TB, srv *testserver.Server, userID string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(protocol.PasswordDigest(password)), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	update(t, srv, func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: userID, PasswordHash: hash, CreatedAt: srv.Clock.Now(), Role: platform.RoleOffPeak})
	})
	return srv.Login(t, userID, password)
}

// offPeakPark registers a vendor's park with permitA and returns its
// isvParkId and the vendor's token.
func offPeakPark(t *testing.T, srv *testserver.Server) (isv, vendorToken string) {
	t.Helper()
	vendorToken = vendor(t, srv, vendorA)
	p := parkInfo(parkA)
	p.PermitNo = permitA
	resp := srv.Post(t, protocol.ParkInfoCode, vendorToken, []protocol.ParkInfo{p})
	wantOK(t, resp)
	return decode[protocol.ParkInfoResponse](t, resp)[0].IsvParkID, vendorToken
}

func nightPackage(t testing.TB, no string, status protocol.PackageStatus) protocol.OffPeakPackage {
	t.Helper()
	price, err := protocol.ParseDecimal("300.5")
	if err != nil {
		t.Fatal(err)
	}
	spaces := 30
	return protocol.OffPeakPackage{PermitNo: permitA, ProviderCode: "SP0001", PackageNo: no, PackageName: "夜间包月",
		PackageType: protocol.PackageMonthly, Price: price, Status: status,
		StartTime: protocol.MustTime("19:00:00"), EndTime: protocol.MustTime("08:00:00"), Spaces: &spaces}
}

func order(t testing.TB, isv, no, pkg string, status protocol.OrderStatus) protocol.OffPeakOrder {
	return protocol.OffPeakOrder{IsvParkID: isv, OrderNo: no, PackageNo: pkg, PlateNo: " 粤b12345 ",
		Amount: protocol.Cents(30050), Status: status, OrderTime: dt(t, "2024-01-01 23:30:00")}
}

// publicPackages returns the packages of the park's public detail (nil
// when the detail lists none).
func publicPackages(t *testing.T, srv *testserver.Server, isv string) []map[string]any {
	t.Helper()
	resp, err := srv.Client.Get(srv.URL + "/api/v1/public/parks/" + isv)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("public detail of %s: HTTP %d %s", isv, resp.StatusCode, raw)
	}
	for _, secret := range []string{"粤B12345", offPeakA, "orderNo"} {
		if strings.Contains(string(raw), secret) {
			t.Errorf("public detail shows %q: %s", secret, raw)
		}
	}
	var d map[string]json.RawMessage
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("public detail: %v: %s", err, raw)
	}
	pk, ok := d["packages"]
	if !ok {
		return nil // none on sale: the field is left out
	}
	var out []map[string]any
	if err := json.Unmarshal(pk, &out); err != nil || len(out) == 0 {
		t.Fatalf("public detail packages %s: %v", pk, err)
	}
	return out
}

func offPeakPackageOf(t *testing.T, srv *testserver.Server, userID, isv, no string) (platform.OffPeakPackage, bool) {
	t.Helper()
	var p platform.OffPeakPackage
	var found bool
	view(t, srv, func(tx platform.Tx) error {
		var err error
		p, err = tx.OffPeakPackage(userID, isv, no)
		if platform.IsNotFound(err) {
			return nil
		}
		found = err == nil
		return err
	})
	return p, found
}

func orderEvents(t *testing.T, srv *testserver.Server, userID, no string) []platform.OffPeakOrderEvent {
	t.Helper()
	var ev []platform.OffPeakOrderEvent
	view(t, srv, func(tx platform.Tx) (err error) {
		ev, err = tx.OffPeakOrderEvents(userID, no)
		return err
	})
	return ev
}

func TestOffPeakPlatformSellsAndWithdrawsAPackageAndReportsOrders(t *testing.T) {
	srv := start(t)
	isv, _ := offPeakPark(t, srv)
	tok := offPeakAccount(t, srv, offPeakA)
	wantOK(t, srv.Post(t, protocol.HeartBeats, tok, []protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(srv.Clock.Now())}}))
	if err := srv.Public.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}

	// Created off sale, named by permit number: the answer gives the park's id.
	created := srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{nightPackage(t, "N1", protocol.PackageOffSale)})
	wantData(t, created, `[{"isvParkId":"`+isv+`","packageNo":"N1","status":0}]`)
	if got := publicPackages(t, srv, isv); len(got) != 0 {
		t.Errorf("a package off sale is public: %v", got)
	}
	// An identical re-send, now by isvParkId, stores nothing new.
	again := nightPackage(t, "N1", protocol.PackageOffSale)
	again.PermitNo, again.IsvParkID = "", isv
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{again}))
	if h := history(t, srv, "offpeakPackage", isv, offPeakA+"/N1"); len(h) != 0 {
		t.Errorf("identical re-send made history: %d entries", len(h))
	}

	// Put on sale: the public detail lists it, with price and hours.
	wantData(t, srv.Post(t, protocol.OffPeakPackageStatusCode, tok,
		[]protocol.OffPeakPackageStatus{{IsvParkID: isv, PackageNo: "N1", Status: protocol.PackageOnSale}}),
		`[{"isvParkId":"`+isv+`","packageNo":"N1","status":1}]`)
	pub := publicPackages(t, srv, isv)
	if len(pub) != 1 || pub[0]["packageNo"] != "N1" || pub[0]["price"] != 300.5 || pub[0]["startTime"] != "19:00:00" ||
		pub[0]["endTime"] != "08:00:00" || pub[0]["providerCode"] != "SP0001" || pub[0]["packageType"] != 3.0 {
		t.Errorf("public packages %v", pub)
	}
	p, ok := offPeakPackageOf(t, srv, offPeakA, isv, "N1")
	if !ok || !p.OnSale || p.PriceCents != 30050 {
		t.Errorf("stored package %+v", p)
	}
	if h := history(t, srv, "offpeakPackage", isv, offPeakA+"/N1"); len(h) != 1 || !strings.Contains(string(h[0].Old), `"status":0`) {
		t.Errorf("history after going on sale: %+v", h)
	}

	// Orders: created unpaid, then paid; a re-send changes nothing.
	wantData(t, srv.Post(t, protocol.OffPeakOrderCode, tok, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderUnpaid)}),
		`[{"orderNo":"O1","status":0}]`)
	paid := order(t, isv, "O1", "N1", protocol.OrderPaid)
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, tok, []protocol.OffPeakOrder{paid}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, tok, []protocol.OffPeakOrder{paid}))
	ev := orderEvents(t, srv, offPeakA, "O1")
	if len(ev) != 2 || ev[0].From != -1 || ev[0].To != 0 || ev[1].From != 0 || ev[1].To != 1 {
		t.Errorf("order events %+v", ev)
	}
	view(t, srv, func(tx platform.Tx) error {
		o, err := tx.OffPeakOrder(offPeakA, "O1")
		if err != nil {
			return err
		}
		if o.PlateNo != "粤B12345" || o.AmountCents != 30050 || o.Status != 1 || o.Day != "2024-01-01" || o.IsvParkID != isv {
			t.Errorf("stored order %+v", o)
		}
		return nil
	})

	// Withdrawn: the public detail hides it at once.
	wantOK(t, srv.Post(t, protocol.OffPeakPackageStatusCode, tok,
		[]protocol.OffPeakPackageStatus{{PermitNo: permitA, PackageNo: "N1", Status: protocol.PackageOffSale}}))
	if got := publicPackages(t, srv, isv); len(got) != 0 {
		t.Errorf("a withdrawn package is public: %v", got)
	}
}

func TestOffPeakRolesKeepToTheirInterfaces(t *testing.T) {
	srv := start(t)
	isv, vendorTok := offPeakPark(t, srv)
	tok := offPeakAccount(t, srv, offPeakA)

	wantCode(t, srv.Post(t, protocol.OffPeakPackageCode, vendorTok, []protocol.OffPeakPackage{nightPackage(t, "N1", protocol.PackageOnSale)}),
		protocol.CodeBusiness, "authorization", "plms", "offPeakPackage")
	wantCode(t, srv.Post(t, protocol.OffPeakOrderCode, vendorTok, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderPaid)}),
		protocol.CodeBusiness, "authorization", "offPeakOrder")
	wantCode(t, srv.Post(t, protocol.ParkInfoCode, tok, []protocol.ParkInfo{parkInfo(parkB)}),
		protocol.CodeBusiness, "authorization", "offpeak", "parkInfo")
	wantCode(t, srv.Post(t, protocol.EnterRecordCode, tok, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 08:00:00")}),
		protocol.CodeBusiness, "authorization", "enterRecord")
	resp := postPicture(t, srv, tok, pictureFields(srv, parkA, photoID, testJPEG(t)), testJPEG(t))
	wantCode(t, resp, protocol.CodeBusiness, "authorization", "picture")
	// Both roles heartbeat; nothing was stored by the refused calls.
	for _, k := range []string{tok, vendorTok} {
		wantOK(t, srv.Post(t, protocol.HeartBeats, k, []protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(srv.Clock.Now())}}))
	}
	if _, found := offPeakPackageOf(t, srv, vendorA, isv, "N1"); found {
		t.Error("a parking system's package was stored")
	}
	view(t, srv, func(tx platform.Tx) error {
		if parks, err := tx.ParksOf(offPeakA); err != nil || len(parks) != 0 {
			t.Errorf("off-peak account's parks: %v %v", parks, err)
		}
		return nil
	})
}

func TestOffPeakPlatformsSeeOnlyTheirOwnPackagesAndOrders(t *testing.T) {
	srv := start(t)
	isv, _ := offPeakPark(t, srv)
	a := offPeakAccount(t, srv, offPeakA)
	b := offPeakAccount(t, srv, offPeakB)
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, a, []protocol.OffPeakPackage{nightPackage(t, "N1", protocol.PackageOnSale)}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, a, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderPaid)}))

	// B cannot change A's package nor order against it: no such object.
	wantCode(t, srv.Post(t, protocol.OffPeakPackageStatusCode, b,
		[]protocol.OffPeakPackageStatus{{IsvParkID: isv, PackageNo: "N1", Status: protocol.PackageOffSale}}),
		protocol.CodeNoObject, "data[0].packageNo")
	wantCode(t, srv.Post(t, protocol.OffPeakOrderCode, b, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderRefunded)}),
		protocol.CodeNoObject, "data[0].packageNo")
	if p, _ := offPeakPackageOf(t, srv, offPeakA, isv, "N1"); !p.OnSale {
		t.Error("B took A's package off sale")
	}

	// B's own package of the same number is another package, and its
	// order of the same number another order.
	cheap := nightPackage(t, "N1", protocol.PackageOffSale)
	cheap.Price = protocol.Cents(100)
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, b, []protocol.OffPeakPackage{cheap}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, b, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderCancelled)}))
	pa, _ := offPeakPackageOf(t, srv, offPeakA, isv, "N1")
	pb, _ := offPeakPackageOf(t, srv, offPeakB, isv, "N1")
	if pa.PriceCents != 30050 || !pa.OnSale || pb.PriceCents != 100 || pb.OnSale {
		t.Errorf("A's package %+v, B's %+v", pa, pb)
	}
	view(t, srv, func(tx platform.Tx) error {
		oa, err := tx.OffPeakOrder(offPeakA, "O1")
		if err != nil {
			return err
		}
		ob, err := tx.OffPeakOrder(offPeakB, "O1")
		if err != nil {
			return err
		}
		if oa.Status != 1 || ob.Status != 3 {
			t.Errorf("A's order status %d, B's %d", oa.Status, ob.Status)
		}
		return nil
	})
	// The public detail shows A's package on sale, not B's off sale.
	if err := srv.Public.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if pub := publicPackages(t, srv, isv); len(pub) != 1 || pub[0]["price"] != 300.5 {
		t.Errorf("public packages %v", pub)
	}
}

func TestOffPeakRefusesBadItemsAndStoresNothingOfTheBatch(t *testing.T) {
	srv := start(t)
	isv, _ := offPeakPark(t, srv)
	tok := offPeakAccount(t, srv, offPeakA)
	good := nightPackage(t, "N1", protocol.PackageOnSale)
	tests := []struct {
		name  string
		price string
		code  protocol.Code
		parts []string
	}{
		{"three places", "12.345", protocol.CodeRange, []string{"data[1].price", "2 places"}},
		{"negative", "-1.00", protocol.CodeRange, []string{"data[1].price", "negative"}},
		{"a string", `"12.50"`, protocol.CodeType, []string{"data[1].price"}},
		{"an exponent", "1e3", protocol.CodeType, []string{"data[1].price"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var m map[string]any
			if err := json.Unmarshal(mustJSON(t, nightPackage(t, "N2", protocol.PackageOnSale)), &m); err != nil {
				t.Fatal(err)
			}
			m["price"] = json.RawMessage(tc.price)
			data := mustJSON(t, []any{good, m})
			wantCode(t, postData(t, srv, protocol.OffPeakPackageCode, tok, data), tc.code, tc.parts...)
			if _, found := offPeakPackageOf(t, srv, offPeakA, isv, "N1"); found {
				t.Fatal("the good item of a refused batch was stored")
			}
		})
	}

	// Parks that do not exist are 1101 on the field that names them, and
	// a refused item anywhere in the batch stores nothing.
	noPark := nightPackage(t, "N2", protocol.PackageOnSale)
	noPark.PermitNo = "深停许字9999"
	wantCode(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{good, noPark}),
		protocol.CodeNoPark, "data[1].permitNo")
	noPark.PermitNo, noPark.IsvParkID = "", "ffffffffffffffffffffffffffffffff"
	wantCode(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{good, noPark}),
		protocol.CodeNoPark, "data[1].isvParkId")
	mismatch := nightPackage(t, "N2", protocol.PackageOnSale)
	mismatch.IsvParkID, mismatch.PermitNo = isv, "深停许字9999"
	wantCode(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{mismatch}),
		protocol.CodeNoPark, "data[0].permitNo")
	if _, found := offPeakPackageOf(t, srv, offPeakA, isv, "N1"); found {
		t.Fatal("the good item of a refused batch was stored")
	}

	// An order of a package that does not exist: 1100, and the batch's
	// first order is not kept either.
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{good}))
	wantCode(t, srv.Post(t, protocol.OffPeakOrderCode, tok, []protocol.OffPeakOrder{
		order(t, isv, "O1", "N1", protocol.OrderPaid), order(t, isv, "O2", "N9", protocol.OrderPaid)}),
		protocol.CodeNoObject, "data[1].packageNo")
	if ev := orderEvents(t, srv, offPeakA, "O1"); len(ev) != 0 {
		t.Errorf("order of a refused batch kept events %+v", ev)
	}
	view(t, srv, func(tx platform.Tx) error {
		if _, err := tx.OffPeakOrder(offPeakA, "O1"); !platform.IsNotFound(err) {
			t.Errorf("order of a refused batch: %v", err)
		}
		return nil
	})
	// A permit that two parks reported names neither: the platform is
	// asked for isvParkId, which still works.
	other := parkInfo(parkB)
	other.PermitNo = permitA
	wantOK(t, srv.Post(t, protocol.ParkInfoCode, vendor(t, srv, vendorB), []protocol.ParkInfo{other}))
	wantCode(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{good}),
		protocol.CodeNoPark, "data[0].permitNo", "isvParkId")
	byID := good
	byID.PermitNo, byID.IsvParkID = "", isv
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{byID}))

	// A missing park reference is 4 naming isvParkId.
	bare := order(t, "", "O3", "N1", protocol.OrderPaid)
	wantCode(t, srv.Post(t, protocol.OffPeakOrderCode, tok, []protocol.OffPeakOrder{bare}), protocol.CodeParam, "data[0].isvParkId")
}

// offPeakConsole signs an operator in and returns a GET of the console's
// JSON API that decodes into v and returns the HTTP status.
func offPeakConsole(t *testing.T, srv *testserver.Server) func(path string, v any) int {
	t.Helper()
	hc := offPeakOperator(t, srv)
	return func(path string, v any) int {
		t.Helper()
		resp, err := hc.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		raw, _ := io.ReadAll(resp.Body)
		if err := json.Unmarshal(raw, v); err != nil {
			t.Fatalf("GET %s: %v: %s", path, err, raw)
		}
		return resp.StatusCode
	}
}

// offPeakOperator signs an operator in and returns its HTTP client.
func offPeakOperator(t *testing.T, srv *testserver.Server) *http.Client {
	t.Helper()
	srv.AddOperator(t, "offpeak-operator", "Correct horse battery 9")
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: srv.Client.Transport, Jar: jar}
	resp, err := hc.Post(srv.URL+"/console/api/login", "application/json",
		strings.NewReader(`{"name":"offpeak-operator","password":"Correct horse battery 9"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console login: HTTP %d", resp.StatusCode)
	}
	return hc
}

func TestConsoleListsOffPeakPackagesOrdersAndDailyTotals(t *testing.T) {
	srv := start(t)
	isv, _ := offPeakPark(t, srv)
	a := offPeakAccount(t, srv, offPeakA)
	b := offPeakAccount(t, srv, offPeakB)
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, a, []protocol.OffPeakPackage{nightPackage(t, "N1", protocol.PackageOnSale)}))
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, b, []protocol.OffPeakPackage{nightPackage(t, "N2", protocol.PackageOffSale)}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, a, []protocol.OffPeakOrder{
		order(t, isv, "O1", "N1", protocol.OrderUnpaid), order(t, isv, "O2", "N1", protocol.OrderCancelled)}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, a, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderPaid)}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, b, []protocol.OffPeakOrder{order(t, isv, "O9", "N2", protocol.OrderCompleted)}))
	get := offPeakConsole(t, srv)

	var pk struct {
		Packages []struct {
			UserID, PackageNo string
			Price             float64
			OnSale            bool
		}
	}
	if st := get("/console/api/offpeak/packages?parkId="+isv, &pk); st != 200 || len(pk.Packages) != 2 ||
		pk.Packages[0].UserID != offPeakA || !pk.Packages[0].OnSale || pk.Packages[0].Price != 300.5 ||
		pk.Packages[1].UserID != offPeakB || pk.Packages[1].OnSale {
		t.Errorf("packages of the park: %d %+v", st, pk)
	}
	if get("/console/api/offpeak/packages?userId="+offPeakB, &pk); len(pk.Packages) != 1 || pk.Packages[0].PackageNo != "N2" {
		t.Errorf("packages of B: %+v", pk)
	}

	var od struct {
		Orders []struct {
			UserID, OrderNo, PlateNo string
			Status                   int
			Events                   []struct{ From, To int }
		}
	}
	if st := get("/console/api/offpeak/orders?userId="+offPeakA+"&date=2024-01-01", &od); st != 200 || len(od.Orders) != 2 {
		t.Fatalf("orders of A: %d %+v", st, od)
	}
	for _, o := range od.Orders {
		if o.OrderNo == "O1" && (o.Status != 1 || len(o.Events) != 2 || o.PlateNo != "粤B12345") {
			t.Errorf("order O1 %+v", o)
		}
	}
	if get("/console/api/offpeak/orders?parkId="+isv+"&date=2024-01-02", &od); len(od.Orders) != 0 {
		t.Errorf("orders of another day: %+v", od)
	}

	var daily struct {
		Date      string
		Parks     []map[string]any
		Platforms []map[string]any
		Total     map[string]any
	}
	if st := get("/console/api/offpeak/daily?date=2024-01-01", &daily); st != 200 || daily.Date != "2024-01-01" {
		t.Fatalf("daily: %d %+v", st, daily)
	}
	// A: O1 paid and O2 cancelled; B: O9 completed. Amounts count paid and
	// completed orders only.
	if len(daily.Parks) != 1 || daily.Parks[0]["orders"] != 3.0 || daily.Parks[0]["paid"] != 2.0 || daily.Parks[0]["amount"] != 601.0 {
		t.Errorf("per park %+v", daily.Parks)
	}
	if len(daily.Platforms) != 2 || daily.Platforms[0]["userId"] != offPeakA || daily.Platforms[0]["orders"] != 2.0 ||
		daily.Platforms[0]["amount"] != 300.5 || daily.Platforms[1]["amount"] != 300.5 {
		t.Errorf("per platform %+v", daily.Platforms)
	}
	var bad map[string]string
	if st := get("/console/api/offpeak/daily?date=2024-13-01", &bad); st != 400 || !strings.Contains(bad["error"], "date") {
		t.Errorf("bad date: %d %v", st, bad)
	}
}

// TestConsoleOffPeakAnswersMatchTheOpenAPIDocument checks real answers of
// the off-peak routes against internal/openapi/offpeak.yaml.
func TestConsoleOffPeakAnswersMatchTheOpenAPIDocument(t *testing.T) {
	d, err := openapi.Get()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON)
	if err != nil {
		t.Fatal(err)
	}
	srv := start(t)
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	isv, _ := offPeakPark(t, srv)
	tok := offPeakAccount(t, srv, offPeakA)
	wantOK(t, srv.Post(t, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{nightPackage(t, "N1", protocol.PackageOnSale)}))
	wantOK(t, srv.Post(t, protocol.OffPeakOrderCode, tok, []protocol.OffPeakOrder{order(t, isv, "O1", "N1", protocol.OrderPaid)}))
	hc := offPeakOperator(t, srv)
	for _, tc := range []struct {
		path string
		want int
	}{
		{"/console/api/offpeak/packages", 200},
		{"/console/api/offpeak/packages?parkId=" + isv + "&userId=" + offPeakA, 200},
		{"/console/api/offpeak/packages?parkId=" + strings.Repeat("x", 33), 400},
		{"/console/api/offpeak/orders?date=2024-01-01", 200},
		{"/console/api/offpeak/orders?date=yesterday", 400},
		{"/console/api/offpeak/daily?date=2024-01-01", 200},
		{"/console/api/offpeak/daily", 200},
	} {
		req, err := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s is not in the document: %v", tc.path, err)
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("%s: HTTP %d, want %d: %s", tc.path, resp.StatusCode, tc.want, raw)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(raw)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s does not match the document: %v\n%.400s", tc.path, err, raw)
		}
	}
	// Each off-peak interface has its own operation in the document.
	for _, code := range protocol.OffPeak {
		req, err := http.NewRequest(http.MethodPost, srv.URL+code.Path(), nil)
		if err != nil {
			t.Fatal(err)
		}
		route, _, err := router.FindRoute(req)
		if err != nil || route.Operation.OperationID != string(code) {
			t.Errorf("POST %s: route %v, %v", code.Path(), route, err)
		}
	}
}

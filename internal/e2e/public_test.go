package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parkd/parkd/internal/openapi"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/public"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// pubGet fetches a public route over HTTPS and returns the status, the
// body and the response headers.
func pubGet(t testing.TB, srv *testserver.Server, path string, header ...string) (int, []byte, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, raw, resp.Header
}

// pubJSON fetches a public route, wants 200 and decodes the body.
func pubJSON[T any](t testing.TB, srv *testserver.Server, path string) T {
	t.Helper()
	status, raw, _ := pubGet(t, srv, path)
	if status != http.StatusOK {
		t.Fatalf("GET %s: HTTP %d %s", path, status, raw)
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, raw)
	}
	return v
}

type pubParks struct {
	Parks []public.ParkSummary `json:"parks"`
}

func pubIDs(ps []public.ParkSummary) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.IsvParkID
	}
	return out
}

// refreshPublic rebuilds the server's public snapshot now.
func refreshPublic(t testing.TB, srv *testserver.Server) {
	t.Helper()
	if err := srv.Public.Refresh(context.Background()); err != nil {
		t.Fatalf("public refresh: %v", err)
	}
}

// parkAt returns parkInfo(code) named name at (lng, lat) in area.
func parkAt(code, name, area string, lng, lat float64) protocol.ParkInfo {
	p := parkInfo(code)
	p.ParkName, p.AreaCode, p.Longitude, p.Latitude = name, area, lng, lat
	p.ChargeDesc = "首小时 5 元，之后每小时 3 元"
	return p
}

func TestPublicAPIThroughTheServer(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true}})
	tokenA := vendor(t, srv, vendorA)
	tokenB := vendor(t, srv, vendorB)
	const park1, park2, park3, park4 = "pub00000000000000000000000000001", "pub00000000000000000000000000002",
		"pub00000000000000000000000000003", "pub00000000000000000000000000004"
	// Park 1 at the query point, park 2 about 1.1 km north (Futian), park
	// 3 in Nanshan; park 4 is reported disabled (bizStatus 0).
	off := parkAt(park4, "停用停车场", "440304", 114.0600, 22.5500)
	off.BizStatus = protocol.BizDisabled
	resp := srv.Post(t, protocol.ParkInfoCode, tokenA, []protocol.ParkInfo{
		parkAt(park1, "福田一号停车场", "440304", 114.0600, 22.5500),
		parkAt(park2, "福田二号停车场", "440304", 114.0600, 22.5600),
		parkAt(park3, "南山停车场", "440305", 113.9300, 22.5300), off})
	wantOK(t, resp)
	ids := decode[protocol.ParkInfoResponse](t, resp)
	isv1, isv2, isv3, isv4 := ids[0].IsvParkID, ids[1].IsvParkID, ids[2].IsvParkID, ids[3].IsvParkID
	isvB := registerPark(t, srv, tokenB, parkB)
	wantOK(t, srv.Post(t, protocol.EntranceExitCode, tokenA, []protocol.EntranceExitInfo{
		entrance(park1, "GATE01", "北门"), entrance(park1, "GATE02", "南门")}))
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, tokenA, []protocol.ParkSpaceInfo{space(park1, 30)}))
	refreshPublic(t, srv)

	// Nearby: nearest first with distances. vendorB's park (parkInfo's
	// default place) is about 800 m away, park 2 1112 m.
	got := pubJSON[pubParks](t, srv, "/api/v1/public/parks?lng=114.06&lat=22.55&radius=500").Parks
	if !slices.Equal(pubIDs(got), []string{isv1}) || *got[0].Distance != 0 {
		t.Errorf("radius 500: %v", pubIDs(got))
	}
	got = pubJSON[pubParks](t, srv, "/api/v1/public/parks?lng=114.06&lat=22.55&radius=1111").Parks
	if !slices.Equal(pubIDs(got), []string{isv1, isvB}) {
		t.Errorf("radius 1111: %v", pubIDs(got))
	}
	got = pubJSON[pubParks](t, srv, "/api/v1/public/parks?lng=114.06&lat=22.55&radius=3000").Parks
	if !slices.Equal(pubIDs(got), []string{isv1, isvB, isv2}) || *got[2].Distance != 1112 {
		t.Errorf("radius 3000: %v (last at %v m)", pubIDs(got), *got[len(got)-1].Distance)
	}
	// District: by name; vendorB's park (parkInfo's default, Futian) too.
	got = pubJSON[pubParks](t, srv, "/api/v1/public/parks?district=440304").Parks
	wantDistrict := []string{isv1, isv2, isvB}
	names := map[string]string{isv1: "福田一号停车场", isv2: "福田二号停车场", isvB: "福田中心停车场"}
	slices.SortFunc(wantDistrict, func(a, b string) int { return strings.Compare(names[a], names[b]) })
	if !slices.Equal(pubIDs(got), wantDistrict) {
		t.Errorf("district 440304: %v, want %v", pubIDs(got), wantDistrict)
	}
	if got := pubJSON[pubParks](t, srv, "/api/v1/public/parks?district=440305").Parks; !slices.Equal(pubIDs(got), []string{isv3}) {
		t.Errorf("district 440305: %v", pubIDs(got))
	}

	// Detail: the park, its vacancy and its entrances.
	d := pubJSON[public.Park](t, srv, "/api/v1/public/parks/"+isv1)
	if d.Name != "福田一号停车场" || d.Address != "深圳市福田区福华路1号" || d.AreaCode != "440304" || d.District != "福田区" ||
		d.Lng != 114.06 || d.Lat != 22.55 || d.TotalSpaces != 100 || *d.FreeSpaces != 70 ||
		*d.VacancyAt != "2024-01-01T08:00:00+08:00" || !d.Reservable || d.ReservableSpaces != 20 ||
		*d.FreeReservableSpaces != 5 || *d.ChargingSpaces != 10 || *d.FreeChargingSpaces != 9 ||
		d.Tariff != "首小时 5 元，之后每小时 3 元" || d.BizStatus != 1 || !d.Online || len(d.BusinessHours) != 1 ||
		d.BusinessHours[0] != (public.Hours{Type: 1, TypeName: "全天", StartTime: "00:00:00", EndTime: "23:59:59"}) {
		t.Errorf("detail %+v", d)
	}
	wantEntrances := []public.Entrance{
		{Code: "GATE01", Name: "北门", Type: 3, TypeName: "出入口", Status: 1, Lng: 114.058, Lat: 22.5432},
		{Code: "GATE02", Name: "南门", Type: 3, TypeName: "出入口", Status: 1, Lng: 114.058, Lat: 22.5432}}
	if !slices.Equal(d.Entrances, wantEntrances) {
		t.Errorf("entrances %+v", d.Entrances)
	}
	if status, raw, _ := pubGet(t, srv, "/api/v1/public/parks/"+isv4); status != http.StatusNotFound {
		t.Errorf("bizStatus 0 park: HTTP %d %s", status, raw)
	}
	if status, raw, _ := pubGet(t, srv, "/api/v1/public/parks/ffffffffffffffffffffffffffffffff"); status != http.StatusNotFound ||
		!strings.Contains(string(raw), `"error":"isvParkId`) {
		t.Errorf("unknown park: HTTP %d %s", status, raw)
	}

	// Districts and city.
	ds := pubJSON[struct{ Districts []public.District }](t, srv, "/api/v1/public/districts").Districts
	if len(ds) != len(protocol.Shenzhen) {
		t.Fatalf("%d districts", len(ds))
	}
	for _, dd := range ds {
		switch dd.AreaCode {
		case "440304":
			if dd != (public.District{AreaCode: "440304", Name: "福田区", Parks: 3, TotalSpaces: 300, FreeSpaces: 70}) {
				t.Errorf("Futian %+v", dd)
			}
		case "440305":
			if dd.Parks != 1 || dd.FreeSpaces != 0 {
				t.Errorf("Nanshan %+v", dd)
			}
		}
	}
	c := pubJSON[map[string]any](t, srv, "/api/v1/public/city")
	if c["name"] != "深圳市" || c["zoom"] != 11.0 || c["center"] == nil || c["bounds"] == nil || c["regions"] == nil {
		t.Errorf("city %v", c)
	}

	// A disabled vendor's parks leave every answer at the next refresh.
	update(t, srv, func(tx platform.Tx) error {
		a, err := tx.Account(vendorB)
		if err != nil {
			return err
		}
		a.Disabled = true
		return tx.PutAccount(a)
	})
	refreshPublic(t, srv)
	if status, _, _ := pubGet(t, srv, "/api/v1/public/parks/"+isvB); status != http.StatusNotFound {
		t.Errorf("disabled vendor's park: HTTP %d", status)
	}
	got = pubJSON[pubParks](t, srv, "/api/v1/public/parks?district=440304").Parks
	if slices.Contains(pubIDs(got), isvB) {
		t.Errorf("disabled vendor's park listed: %v", pubIDs(got))
	}
	got = pubJSON[pubParks](t, srv, "/api/v1/public/parks?lng=114.0579&lat=22.5431&radius=200").Parks
	if slices.Contains(pubIDs(got), isvB) {
		t.Errorf("disabled vendor's park nearby: %v", pubIDs(got))
	}
}

func TestPublicBadParametersETagAnd304(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true}})
	token := vendor(t, srv, vendorA)
	isv := registerPark(t, srv, token, parkA)
	refreshPublic(t, srv)
	for _, c := range []struct{ query, param string }{
		{"lat=22.55", "lng"}, {"lng=114&lat=x", "lat"}, {"lng=114&lat=22&radius=30000", "radius"},
		{"lng=114&lat=22&limit=500", "limit"}, {"district=110101", "district"},
	} {
		status, raw, h := pubGet(t, srv, "/api/v1/public/parks?"+c.query)
		var e struct{ Error string }
		if status != http.StatusBadRequest || json.Unmarshal(raw, &e) != nil || !strings.HasPrefix(e.Error, c.param+":") ||
			!strings.HasPrefix(h.Get("Content-Type"), "application/json") {
			t.Errorf("?%s: HTTP %d %s, want 400 naming %s", c.query, status, raw, c.param)
		}
	}

	path := "/api/v1/public/parks/" + isv
	status, body, h := pubGet(t, srv, path)
	etag := h.Get("ETag")
	if status != http.StatusOK || etag == "" || strings.HasPrefix(etag, "W/") || h.Get("Cache-Control") != "public, max-age=5" {
		t.Fatalf("HTTP %d, ETag %q, Cache-Control %q", status, etag, h.Get("Cache-Control"))
	}
	status, raw, h2 := pubGet(t, srv, path, "If-None-Match", etag)
	if status != http.StatusNotModified || len(raw) != 0 || h2.Get("ETag") != etag {
		t.Errorf("If-None-Match: HTTP %d, %d bytes, ETag %q", status, len(raw), h2.Get("ETag"))
	}
	// New vacancy: a new ETag once the snapshot is rebuilt.
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 10)}))
	refreshPublic(t, srv)
	status, body2, h3 := pubGet(t, srv, path, "If-None-Match", etag)
	if status != http.StatusOK || h3.Get("ETag") == etag || string(body2) == string(body) ||
		!strings.Contains(string(body2), `"freeSpaces":90`) {
		t.Errorf("after new vacancy: HTTP %d, ETag %q (was %q): %s", status, h3.Get("ETag"), etag, body2)
	}
}

func TestPublicRateLimitPerAddress(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true,
		Public: public.Config{Rate: 2}}}) // burst 4
	for i := range 4 {
		if status, raw, _ := pubGet(t, srv, "/api/v1/public/city"); status != http.StatusOK {
			t.Fatalf("request %d: HTTP %d %s", i, status, raw)
		}
	}
	status, raw, h := pubGet(t, srv, "/api/v1/public/city")
	if status != http.StatusTooManyRequests || h.Get("Retry-After") != "1" ||
		!strings.HasPrefix(h.Get("Content-Type"), "application/json") || !strings.Contains(string(raw), `"error":"rate limit`) {
		t.Errorf("over the limit: HTTP %d, Retry-After %q, %s", status, h.Get("Retry-After"), raw)
	}
	// The uplink API is not counted against the public limit.
	if resp := srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest("nobody", password)}); resp.Code != protocol.CodeLogin {
		t.Errorf("login while the public limit is spent: code %d", resp.Code)
	}
}

// Nothing a vendor reports about vehicles reaches a public answer: seed
// entries, exits, a plate list and reservations with plates, then read
// every public route.
func TestPublicAnswersHoldNoVehicleData(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 5})
	srv := e.srv
	token := srv.Login(t, bookVendor, password)
	wantOK(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{entrance(parkA, "GATE01", "北门")}))
	plates := []string{"粤B12345", "粤BD67890", "粤A1234学"}
	var bookCodes []string
	for i, plate := range plates[:2] {
		v := e.book(t, e.order(plate, fmt.Sprintf("2024-01-01 09:%02d:00", i), "overTime", "2024-01-01 10:00:00"))
		bookCodes = append(bookCodes, v.BookCode)
	}
	e.deliver(t)
	var records []string
	for i, plate := range plates {
		id := recordID(900 + i)
		records = append(records, id)
		in := enter(t, parkA, id, plate, "2024-01-01 08:00:00")
		if i < len(bookCodes) {
			in.BookCode = bookCodes[i]
		}
		wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{in}))
	}
	out := exit(t, parkA, records[0], plates[0], "2024-01-01 08:00:00")
	out.BookCode = bookCodes[0]
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{out}))
	wantOK(t, srv.Post(t, protocol.ParkCarInfoCode, token, []protocol.ParkCarInfo{{ParkCode: parkA,
		PlateNoList: strings.Join(plates[1:], ",")}}))
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 2)}))
	refreshPublic(t, srv)

	secrets := []string{photoID}
	for _, p := range plates {
		secrets = append(secrets, p, strings.TrimPrefix(p, "粤"))
	}
	secrets = append(append(secrets, records...), bookCodes...)
	paths := []string{"/api/v1/public/parks?lng=114.0579&lat=22.5431&radius=3000&limit=200",
		"/api/v1/public/parks?district=440304", "/api/v1/public/parks/" + e.isv,
		"/api/v1/public/districts", "/api/v1/public/city"}
	for _, path := range paths {
		status, raw, _ := pubGet(t, srv, path)
		if status != http.StatusOK {
			t.Fatalf("GET %s: HTTP %d %s", path, status, raw)
		}
		for _, s := range secrets {
			if strings.Contains(string(raw), s) {
				t.Errorf("GET %s holds %q: %s", path, s, raw)
			}
		}
	}
	if _, raw, _ := pubGet(t, srv, "/api/v1/public/parks/"+e.isv); !strings.Contains(string(raw), `"freeSpaces":98`) {
		t.Errorf("the detail does not show the park's vacancy: %s", raw)
	}
}

// Two instances on one PostgreSQL database each build their own snapshot:
// what a vendor reports through one shows in the other's public answers,
// byte for byte the same, with the same ETag.
func TestPublicTwoInstancesOnPostgres(t *testing.T) {
	_, env := multiSetup(t, false)
	start := func() *testserver.Server {
		return testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true, DB: env.dsn,
			Pictures: env.pictures}})
	}
	a, b := start(), start() // both clocks stand at testserver.Epoch
	token := vendor(t, a, vendorA)
	isv := registerPark(t, a, token, parkA)
	wantOK(t, a.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{entrance(parkA, "GATE01", "北门")}))
	wantOK(t, a.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 25)}))
	refreshPublic(t, a)
	refreshPublic(t, b)
	for _, path := range []string{"/api/v1/public/parks/" + isv, "/api/v1/public/parks?lng=114.0579&lat=22.5431",
		"/api/v1/public/parks?district=440304", "/api/v1/public/districts"} {
		sa, ra, ha := pubGet(t, a, path)
		sb, rb, hb := pubGet(t, b, path)
		if sa != http.StatusOK || sb != http.StatusOK || string(ra) != string(rb) || ha.Get("ETag") != hb.Get("ETag") {
			t.Errorf("GET %s: HTTP %d and %d, ETag %s and %s\n%s\n%s", path, sa, sb, ha.Get("ETag"), hb.Get("ETag"), ra, rb)
		}
	}
	d := pubJSON[public.Park](t, b, "/api/v1/public/parks/"+isv)
	if *d.FreeSpaces != 75 || len(d.Entrances) != 1 || d.Entrances[0].Name != "北门" {
		t.Errorf("instance b's detail %+v", d)
	}
}

// publicDoc is the OpenAPI document of base.yaml and public.yaml alone,
// so that other fragments do not bear on the public routes' check.
func publicDoc(t *testing.T) *openapi3.T {
	t.Helper()
	fsys := fstest.MapFS{}
	for _, name := range []string{"base.yaml", "public.yaml"} {
		b, err := os.ReadFile(filepath.Join("..", "openapi", name))
		if err != nil {
			t.Fatal(err)
		}
		fsys[name] = &fstest.MapFile{Data: b}
	}
	d, err := openapi.Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("public.yaml: %v", err)
	}
	return doc
}

// Every public answer, errors included, matches public.yaml.
func TestPublicAnswersMatchTheOpenAPIDocument(t *testing.T) {
	doc := publicDoc(t)
	srv := testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true, Public: public.Config{Rate: -1}}})
	// A second server whose limit (1/s, burst 2) the test exhausts.
	limited := testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true, Public: public.Config{Rate: 1}}})
	doc.Servers = openapi3.Servers{{URL: srv.URL}, {URL: limited.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	token := vendor(t, srv, vendorA)
	isv := registerPark(t, srv, token, parkA)
	wantOK(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{entrance(parkA, "GATE01", "北门")}))
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 25)}))
	refreshPublic(t, srv)
	check := func(srv *testserver.Server, path string, want int, header ...string) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("GET %s: not in public.yaml: %v", path, err)
		}
		status, raw, h := pubGet(t, srv, path, header...)
		if status != want {
			t.Fatalf("GET %s: HTTP %d, want %d: %s", path, status, want, raw)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 status, Header: h, Body: io.NopCloser(bytes.NewReader(raw)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("GET %s: the answer does not match public.yaml: %v\n%s", path, err, raw)
		}
	}
	check(srv, "/api/v1/public/parks?lng=114.0579&lat=22.5431&radius=2000", http.StatusOK)
	check(srv, "/api/v1/public/parks?district=440304", http.StatusOK)
	check(srv, "/api/v1/public/parks/"+isv, http.StatusOK)
	check(srv, "/api/v1/public/districts", http.StatusOK)
	check(srv, "/api/v1/public/city", http.StatusOK)
	check(srv, "/api/v1/public/parks?lng=114&lat=95", http.StatusBadRequest)
	check(srv, "/api/v1/public/parks/"+strings.Repeat("f", 32), http.StatusNotFound)
	_, _, h := pubGet(t, srv, "/api/v1/public/city")
	check(srv, "/api/v1/public/city", http.StatusNotModified, "If-None-Match", h.Get("ETag"))
	check(limited, "/api/v1/public/city", http.StatusOK)
	check(limited, "/api/v1/public/city", http.StatusOK)
	check(limited, "/api/v1/public/city", http.StatusTooManyRequests)
}

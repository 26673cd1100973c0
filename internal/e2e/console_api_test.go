package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/parkd/parkd/internal/console"
	"github.com/parkd/parkd/internal/openapi"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// The operator console's JSON API (docs/console-api.md) over HTTPS on the
// real server.

const (
	conOperator = "城市运营"
	conPassword = "Correct horse battery 9"
)

// conClient is a browser of the console: a cookie jar over the server's
// transport.
type conClient struct {
	srv *testserver.Server
	hc  *http.Client
}

func newConClient(t testing.TB, srv *testserver.Server) *conClient {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	hc := &http.Client{Transport: srv.Client.Transport, Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &conClient{srv: srv, hc: hc}
}

// conLogin adds the test operator and signs in.
func conLogin(t testing.TB, srv *testserver.Server) *conClient {
	t.Helper()
	srv.AddOperator(t, conOperator, conPassword)
	c := newConClient(t, srv)
	if st, b := c.login(t, conOperator, conPassword); st != 200 {
		t.Fatalf("console login: %d %s", st, b)
	}
	return c
}

func (c *conClient) do(t testing.TB, method, path, contentType, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, c.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func (c *conClient) login(t testing.TB, name, password string) (int, []byte) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	resp, b := c.do(t, "POST", "/console/api/login", "application/json", string(body))
	return resp.StatusCode, b
}

// get fetches path and decodes its JSON answer into v, failing unless
// the status is 200.
func (c *conClient) get(t testing.TB, path string, v any) {
	t.Helper()
	resp, b := c.do(t, "GET", path, "", "")
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v: %s", path, err, b)
	}
}

// wantError fails unless GET path answers status with an error naming
// part.
func (c *conClient) wantError(t testing.TB, path string, status int, part string) {
	t.Helper()
	resp, b := c.do(t, "GET", path, "", "")
	var e struct{ Error string }
	if resp.StatusCode != status || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, part) {
		t.Errorf("GET %s: %d %s; want %d naming %q", path, resp.StatusCode, b, status, part)
	}
}

// consoleRoutes are the operator routes with a sample path each.
var consoleRoutes = []string{
	"POST /console/api/logout", "GET /console/api/me", "GET /console/api/overview", "GET /console/api/parks",
	"GET /console/api/parks/" + parkA, "GET /console/api/pictures/" + parkA + "/" + photoID,
	"GET /console/api/vendors", "GET /console/api/reservations", "GET /console/api/reservations/" + parkA,
	"GET /console/api/waitlists", "GET /console/api/stats", "GET /console/api/stats.csv",
	"GET /console/api/events", "GET /console/api/unknown",
}

func TestConsoleSignInAndOut(t *testing.T) {
	srv := start(t)
	srv.AddOperator(t, conOperator, conPassword)
	c := newConClient(t, srv)

	if st, b := c.login(t, conOperator, "wrong password"); st != 401 || !strings.Contains(string(b), "wrong name or password") {
		t.Fatalf("wrong password: %d %s", st, b)
	}
	for _, route := range consoleRoutes {
		method, path, _ := strings.Cut(route, " ")
		resp, b := c.do(t, method, path, "application/json", "{}")
		if resp.StatusCode != 401 || string(b) != `{"error":"login required"}` {
			t.Errorf("%s without a session: %d %s", route, resp.StatusCode, b)
		}
	}

	resp, b := c.do(t, "POST", "/console/api/login", "application/json",
		`{"name":"`+conOperator+`","password":"`+conPassword+`"}`)
	if resp.StatusCode != 200 || string(b) != `{"name":"`+conOperator+`","role":"admin","passwordChangeRequired":false}` {
		t.Fatalf("login: %d %s", resp.StatusCode, b)
	}
	cookie := resp.Cookies()[0]
	if cookie.Name != console.CookieName || !cookie.HttpOnly || !cookie.Secure || cookie.SameSite != http.SameSiteStrictMode {
		t.Errorf("cookie %+v: want %s, HttpOnly, Secure over HTTPS, SameSite=Strict", cookie, console.CookieName)
	}
	var me struct{ Name string }
	c.get(t, "/console/api/me", &me)
	if me.Name != conOperator {
		t.Errorf("me: %q", me.Name)
	}
	// A form post (what another site could send) is refused.
	if resp, _ := c.do(t, "POST", "/console/api/logout", "application/x-www-form-urlencoded", ""); resp.StatusCode != 415 {
		t.Errorf("logout as a form: %d, want 415", resp.StatusCode)
	}
	if resp, _ := c.do(t, "POST", "/console/api/logout", "application/json", ""); resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	// The old cookie, replayed, no longer works.
	stale := newConClient(t, srv)
	req, _ := http.NewRequest("GET", srv.URL+"/console/api/me", nil)
	req.AddCookie(&http.Cookie{Name: console.CookieName, Value: cookie.Value})
	r2, err := stale.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != 401 {
		t.Errorf("me with the cookie of a closed session: %d", r2.StatusCode)
	}
	view(t, srv, func(tx platform.Tx) error {
		if _, err := tx.OperatorSession(cookie.Value); !platform.IsNotFound(err) {
			t.Errorf("a session is stored under its token: %v", err)
		}
		return nil
	})
}

func TestConsoleLockOut(t *testing.T) {
	srv := start(t)
	srv.AddOperator(t, conOperator, conPassword)
	c := newConClient(t, srv)
	for i := range 5 {
		if st, _ := c.login(t, conOperator, fmt.Sprintf("guess %d", i)); st != 401 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	st, b := c.login(t, conOperator, conPassword)
	if st != 401 || !strings.Contains(string(b), "too many failed logins") {
		t.Fatalf("the right password while locked out: %d %s", st, b)
	}
	srv.Clock.Advance(15 * time.Minute)
	if st, b := c.login(t, conOperator, conPassword); st != 200 {
		t.Fatalf("after the lock: %d %s", st, b)
	}
}

func TestConsolePageAndRedirect(t *testing.T) {
	srv := start(t)
	c := newConClient(t, srv)
	resp, _ := c.do(t, "GET", "/", "", "")
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ := c.do(t, "GET", "/no/such/page", "", ""); resp.StatusCode != 404 {
		t.Errorf("GET /no/such/page: %d", resp.StatusCode)
	}
	resp, b := c.do(t, "GET", "/console/", "", "")
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("<html")) || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Fatalf("GET /console/: %d %v", resp.StatusCode, resp.Header)
	}
	i := bytes.Index(b, []byte("app.js?v="))
	if i < 0 {
		t.Fatalf("index.html cites no versioned app.js")
	}
	src := string(b[i:])
	src = src[:strings.IndexAny(src, `"'`)]
	resp, js := c.do(t, "GET", "/console/"+src, "", "")
	if resp.StatusCode != 200 || len(js) == 0 || !strings.Contains(resp.Header.Get("Cache-Control"), "max-age=31536000") {
		t.Errorf("GET /console/%s: %d %v", src, resp.StatusCode, resp.Header)
	}
}

// conCity seeds two vendors: vendorA online with park A (福田 440304,
// 100 spaces) and park B (南山 440305, 200 spaces), vendorB offline with
// park C (福田, 50 spaces, no vacancy). The server clock is 08:00 CST.
func conCity(t *testing.T) (srv *testserver.Server, token string, isv map[string]string) {
	t.Helper()
	srv = start(t)
	token = vendor(t, srv, vendorA)
	isv = map[string]string{}
	pa := parkInfo(parkA)
	pa.ParkName = "Futian Central 福田中心"
	pb := parkInfo(parkB)
	pb.ParkName, pb.AreaCode, pb.TotalSpaces, pb.Longitude, pb.Latitude = "Nanshan Bay 南山湾", "440305", 200, 113.93, 22.52
	pb.ReservableSpaces = 10
	isv["A"] = conPark(t, srv, token, pa)
	isv["B"] = conPark(t, srv, token, pb)
	tokenB := vendor(t, srv, vendorB)
	pc := parkInfo("c1b2c3d4e5f60718293a4b5c6d7e8f90")
	pc.ParkName, pc.TotalSpaces, pc.ReservableSpaces = "Civic Hall 市民中心", 50, 5
	isv["C"] = conPark(t, srv, tokenB, pc)
	update(t, srv, func(tx platform.Tx) error {
		return tx.SetAccountState(platform.LivenessEvent{UserID: vendorB, Online: false, At: srv.Clock.Now(), Cause: "timeout"})
	})
	// Vacancy: A 30 used of 100, B 190 used of 200.
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 30)}))
	sb := protocol.ParkSpaceInfo{ParkCode: parkB, UsedStalls: 190, UnusedStalls: 10, UnusedReservableStalls: 2,
		UsedCharingStalls: 1, UnusedCharingStalls: 9}
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{sb}))
	// Today (CST) A has 3 entries and 1 exit, B 1 entry; yesterday's do
	// not count.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(1), "粤B10001", "2023-12-31 23:50:00"),
		enter(t, parkA, recordID(2), "粤B10002", "2024-01-01 00:10:00"),
		enter(t, parkA, recordID(3), "粤B10003", "2024-01-01 07:00:00"),
		enter(t, parkA, recordID(4), "粤B10004", "2024-01-01 07:30:00"),
		enter(t, parkB, recordID(5), "粤B10005", "2024-01-01 07:40:00"),
	}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{
		exit(t, parkA, recordID(1), "粤B10001", "2024-01-01 07:45:00"),
	}))
	return srv, token, isv
}

func conPark(t *testing.T, srv *testserver.Server, token string, p protocol.ParkInfo) string {
	t.Helper()
	resp := srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{p})
	wantOK(t, resp)
	return decode[protocol.ParkInfoResponse](t, resp)[0].IsvParkID
}

type conTotals struct {
	Parks, ParksOnline, ParksOffline, TotalSpaces, FreeSpaces, EntriesToday, ExitsToday, Accounts, AccountsOnline int
}

type conDistrict struct {
	AreaCode, Name                                                        string
	Parks, ParksOnline, TotalSpaces, FreeSpaces, EntriesToday, ExitsToday int
}

type conOverview struct {
	At   string
	City struct {
		Name    string
		Regions map[string]string
		Zoom    int
	}
	Totals    conTotals
	Districts []conDistrict
	Parks     []struct {
		IsvParkID, Name, AreaCode string
		Lng, Lat                  float64
		TotalSpaces, FreeSpaces   int
		Occupancy                 *float64
		Online                    bool
	}
}

func TestConsoleOverview(t *testing.T) {
	srv, _, isv := conCity(t)
	c := conLogin(t, srv)
	var ov conOverview
	c.get(t, "/console/api/overview", &ov)
	if ov.At != "2024-01-01T08:00:00+08:00" {
		t.Errorf("at %q", ov.At)
	}
	want := conTotals{Parks: 3, ParksOnline: 2, ParksOffline: 1, TotalSpaces: 350, FreeSpaces: 80,
		EntriesToday: 4, ExitsToday: 1, Accounts: 2, AccountsOnline: 1}
	if ov.Totals != want {
		t.Errorf("totals\n got  %+v\n want %+v", ov.Totals, want)
	}
	if ov.City.Name != "深圳市" || len(ov.City.Regions) != 10 || ov.City.Zoom == 0 {
		t.Errorf("city %+v", ov.City)
	}
	if len(ov.Districts) != 10 || !slices.IsSortedFunc(ov.Districts, func(a, b conDistrict) int { return strings.Compare(a.AreaCode, b.AreaCode) }) {
		t.Fatalf("districts %+v: want the 10 regions in code order", ov.Districts)
	}
	byCode := map[string]conDistrict{}
	for _, d := range ov.Districts {
		byCode[d.AreaCode] = d
	}
	wantD := map[string]conDistrict{
		"440304": {AreaCode: "440304", Name: "福田区", Parks: 2, ParksOnline: 1, TotalSpaces: 150, FreeSpaces: 70, EntriesToday: 3, ExitsToday: 1},
		"440305": {AreaCode: "440305", Name: "南山区", Parks: 1, ParksOnline: 1, TotalSpaces: 200, FreeSpaces: 10, EntriesToday: 1},
		"440303": {AreaCode: "440303", Name: "罗湖区"},
	}
	for code, w := range wantD {
		if byCode[code] != w {
			t.Errorf("district %s\n got  %+v\n want %+v", code, byCode[code], w)
		}
	}
	occ := map[string]*float64{}
	for _, p := range ov.Parks {
		occ[p.IsvParkID] = p.Occupancy
	}
	if len(ov.Parks) != 3 || occ[isv["A"]] == nil || *occ[isv["A"]] != 0.3 || *occ[isv["B"]] != 0.95 || occ[isv["C"]] != nil {
		t.Errorf("map parks %+v: want occupancy 0.3, 0.95 and null", ov.Parks)
	}

	// The overview is computed at most every 2 s: a new entry shows
	// after the clock moves on; one of an earlier hour, reported late,
	// within a minute.
	token := srv.Login(t, vendorA, password)
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkB, recordID(6), "粤B10006", "2024-01-01 08:00:00")}))
	c.get(t, "/console/api/overview", &ov)
	if ov.Totals.EntriesToday != 4 {
		t.Errorf("entries within 2 s: %d, want the cached 4", ov.Totals.EntriesToday)
	}
	srv.Clock.Advance(2 * time.Second)
	c.get(t, "/console/api/overview", &ov)
	if ov.Totals.EntriesToday != 5 {
		t.Errorf("entries after 2 s: %d, want 5", ov.Totals.EntriesToday)
	}
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkB, recordID(7), "粤B10007", "2024-01-01 06:00:00")}))
	srv.Clock.Advance(time.Minute)
	c.get(t, "/console/api/overview", &ov)
	if ov.Totals.EntriesToday != 6 || ov.Totals.ExitsToday != 1 {
		t.Errorf("entries a minute after a late one: %d (exits %d), want 6 (1)", ov.Totals.EntriesToday, ov.Totals.ExitsToday)
	}
}

type conParkItem struct {
	IsvParkID, ParkCode, UserID, Name, AreaCode, District string
	TotalSpaces, FreeSpaces, BizStatus                    int
	Occupancy                                             *float64
	Online, Reservable                                    bool
	UpdatedAt                                             string
}

func TestConsoleParkSearch(t *testing.T) {
	srv, _, isv := conCity(t)
	c := conLogin(t, srv)
	names := func(query string) []string {
		t.Helper()
		var out struct{ Parks []conParkItem }
		c.get(t, "/console/api/parks"+query, &out)
		var ns []string
		for _, p := range out.Parks {
			ns = append(ns, p.Name)
		}
		return ns
	}
	cases := map[string][]string{
		"":                                 {"Civic Hall 市民中心", "Futian Central 福田中心", "Nanshan Bay 南山湾"},
		"?q=futian":                        {"Futian Central 福田中心"},
		"?q=%E5%8D%97%E5%B1%B1":            {"Nanshan Bay 南山湾"}, // 南山
		"?q=" + strings.ToUpper(parkB[:6]): {"Nanshan Bay 南山湾"}, // parkCode, any case
		"?q=" + isv["C"][4:12]:             {"Civic Hall 市民中心"},
		"?district=440304":                 {"Civic Hall 市民中心", "Futian Central 福田中心"},
		"?district=440305&online=true":     {"Nanshan Bay 南山湾"},
		"?online=false":                    {"Civic Hall 市民中心"},
		"?userId=" + vendorA:               {"Futian Central 福田中心", "Nanshan Bay 南山湾"},
		"?q=nothing":                       nil,
	}
	for q, want := range cases {
		if got := names(q); !slices.Equal(got, want) {
			t.Errorf("parks%s: %q, want %q", q, got, want)
		}
	}
	var out struct{ Parks []conParkItem }
	c.get(t, "/console/api/parks?q=futian", &out)
	p := out.Parks[0]
	if p.IsvParkID != isv["A"] || p.ParkCode != parkA || p.UserID != vendorA || p.District != "福田区" || p.TotalSpaces != 100 ||
		p.FreeSpaces != 70 || *p.Occupancy != 0.3 || !p.Online || p.BizStatus != 1 || !p.Reservable || p.UpdatedAt != "2024-01-01T08:00:00+08:00" {
		t.Errorf("park A: %+v", p)
	}
	c.wantError(t, "/console/api/parks?district=110101", 400, "district")
	c.wantError(t, "/console/api/parks?online=maybe", 400, "online")
}

func TestConsoleParkDetail(t *testing.T) {
	srv, token, isv := conCity(t)
	jpg := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, jpg), jpg))
	wantOK(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{entrance(parkA, "GATE01", "北门")}))
	// An exit without its entry, citing a photo that never arrives.
	ex := exit(t, parkA, recordID(9), "粤B10009", "2024-01-01 07:50:00")
	ex.ExitCarPhotoID = "99998888777766665555444433332222"
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{ex}))
	srv.Clock.Advance(10 * time.Minute)
	token = srv.Login(t, vendorA, password)
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 40)}))
	wantOK(t, srv.Post(t, protocol.ParkCarInfoCode, token, []protocol.ParkCarInfo{{ParkCode: parkA, PlateNoList: "粤B10003,粤X99999"}}))

	c := conLogin(t, srv)
	var pg struct {
		Park struct {
			conParkItem
			Lng, Lat float64
			Info     json.RawMessage
		}
		Vacancy *struct {
			UsedStalls, UnusedStalls, UnusedReservableStalls int
			At                                               string
		}
		Series []struct {
			At           string
			Used, Unused int
		}
		Entrances []struct {
			ID, Code string
			Info     json.RawMessage
		}
		Entries, Exits []struct {
			ID, PlateNo, Time, BookCode, Photo string
			NoEntry                            bool
		}
		Verifications []struct {
			Hour             string
			Plates           int
			NoEntry, Missing []string
			UsedStalls       int
		}
		Warnings []struct{ Kind, Detail, At string }
		Liveness []struct {
			Online    bool
			At, Cause string
		}
	}
	c.get(t, "/console/api/parks/"+isv["A"], &pg)
	if pg.Park.IsvParkID != isv["A"] || pg.Park.Lng != 114.0579 || pg.Park.Lat != 22.5431 || !bytes.Contains(pg.Park.Info, []byte(`"parkName":"Futian Central 福田中心"`)) {
		t.Errorf("park %+v", pg.Park)
	}
	if pg.Vacancy == nil || pg.Vacancy.UsedStalls != 40 || pg.Vacancy.UnusedStalls != 60 || pg.Vacancy.At != "2024-01-01T08:10:00+08:00" {
		t.Errorf("vacancy %+v", pg.Vacancy)
	}
	if len(pg.Series) != 2 || pg.Series[0].Used != 30 || pg.Series[1].Used != 40 || pg.Series[1].Unused != 60 {
		t.Errorf("series %+v: want 30 then 40 used", pg.Series)
	}
	if len(pg.Entrances) != 1 || pg.Entrances[0].Code != "GATE01" || !hex32.MatchString(pg.Entrances[0].ID) {
		t.Errorf("entrances %+v", pg.Entrances)
	}
	var entryIDs []string
	for _, e := range pg.Entries {
		entryIDs = append(entryIDs, e.ID)
	}
	if !slices.Equal(entryIDs, []string{recordID(4), recordID(3), recordID(2), recordID(1)}) {
		t.Errorf("entries %q: want newest first", entryIDs)
	}
	photoPath := "/console/api/pictures/" + isv["A"] + "/" + photoID
	if e := pg.Entries[0]; e.PlateNo != "粤B10004" || e.Time != "2024-01-01T07:30:00+08:00" || e.Photo != photoPath || e.NoEntry {
		t.Errorf("latest entry %+v", e)
	}
	if len(pg.Exits) != 2 || pg.Exits[0].ID != recordID(9) || !pg.Exits[0].NoEntry || pg.Exits[0].Photo != "" ||
		pg.Exits[1].ID != recordID(1) || pg.Exits[1].NoEntry || pg.Exits[1].Photo != photoPath {
		t.Errorf("exits %+v: want the exit without entry (no photo) first", pg.Exits)
	}
	if len(pg.Verifications) != 1 || pg.Verifications[0].Hour != "2024-01-01T08:00:00+08:00" || pg.Verifications[0].Plates != 2 ||
		!slices.Equal(pg.Verifications[0].NoEntry, []string{"粤X99999"}) || !slices.Contains(pg.Verifications[0].Missing, "粤B10004") {
		t.Errorf("verifications %+v", pg.Verifications)
	}
	if !slices.ContainsFunc(pg.Warnings, func(w struct{ Kind, Detail, At string }) bool { return w.Kind == "exit-without-entry" }) {
		t.Errorf("warnings %+v: want an exit-without-entry", pg.Warnings)
	}
	if pg.Liveness == nil {
		t.Errorf("liveness is null, want a list")
	}

	// The photo URL answers the JPEG bytes.
	resp, b := c.do(t, "GET", photoPath, "", "")
	if resp.StatusCode != 200 || !bytes.Equal(b, jpg) || resp.Header.Get("Content-Type") != "image/jpeg" {
		t.Errorf("photo: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(b))
	}
	c.wantError(t, "/console/api/parks/"+strings.Repeat("0", 32), 404, "no park")
	c.wantError(t, "/console/api/pictures/"+isv["A"]+"/"+ex.ExitCarPhotoID, 404, "no picture")
	// Another account's park does not lend its pictures.
	c.wantError(t, "/console/api/pictures/"+isv["C"]+"/"+photoID, 404, "no picture")
}

func TestConsoleVendorCodes(t *testing.T) {
	srv, token, _ := conCity(t)
	// Three refused requests: a bad plate colour (1007) twice and a
	// missing field (4).
	bad := enter(t, parkA, recordID(20), "粤B20000", "2024-01-01 07:55:00")
	wantCode(t, postData(t, srv, protocol.EnterRecordCode, token, editItem(t, bad, func(m map[string]any) { m["plateColor"] = 99 })), protocol.CodeRange)
	wantCode(t, postData(t, srv, protocol.EnterRecordCode, token, editItem(t, bad, func(m map[string]any) { m["plateColor"] = 98 })), protocol.CodeRange)
	wantCode(t, postData(t, srv, protocol.EnterRecordCode, token, editItem(t, bad, func(m map[string]any) { delete(m, "plateNo") })), protocol.CodeParam)
	c := conLogin(t, srv)
	var out struct {
		Vendors []struct {
			UserID, Role, StateSince, LastHeartbeat string
			Online, Disabled                        bool
			Parks                                   int
			Requests                                int64
			Codes                                   map[string]int64
			ErrorRate                               float64
		}
	}
	c.get(t, "/console/api/vendors", &out)
	if len(out.Vendors) != 2 || out.Vendors[0].UserID != vendorA || out.Vendors[1].UserID != vendorB {
		t.Fatalf("vendors %+v", out.Vendors)
	}
	a, b := out.Vendors[0], out.Vendors[1]
	if !a.Online || a.Parks != 2 || a.Role != "plms" || a.LastHeartbeat != "2024-01-01T08:00:00+08:00" {
		t.Errorf("vendorA %+v", a)
	}
	if a.Codes["1007"] != 2 || a.Codes["4"] != 1 || a.Codes["0"] < 5 {
		t.Errorf("vendorA codes %v: want 1007×2, 4×1 and the accepted ones", a.Codes)
	}
	var sum int64
	for _, n := range a.Codes {
		sum += n
	}
	if a.Requests != sum || math.Abs(a.ErrorRate-3/float64(sum)) > 1e-9 {
		t.Errorf("vendorA requests %d error rate %v, codes %v", a.Requests, a.ErrorRate, a.Codes)
	}
	if b.Online || b.Parks != 1 || b.Codes["1007"] != 0 {
		t.Errorf("vendorB %+v", b)
	}
}

type conReservation struct {
	BookCode, IsvParkID, ParkName, PlateNo, State, BookTime, OverTime, HoldUntil, CreatedAt, UpdatedAt string
	WaitSeq                                                                                            int64
	NoShow                                                                                             bool
}

func TestConsoleReservations(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 2})
	first := e.book(t, e.order("粤B30001", "2024-01-01 10:00:00"))
	e.deliver(t)
	e.srv.Clock.Advance(time.Second)
	second := e.book(t, e.order("粤B30002", "2024-01-01 10:00:00"))
	e.deliver(t)
	e.srv.Clock.Advance(time.Second)
	e.lot.setFree(0)
	e.srv.Clock.Advance(time.Second)
	third := e.book(t, e.order("粤B30003", "2024-01-01 11:00:00"))
	c := conLogin(t, e.srv)

	// Before delivery the third order is pending with its dispatch queued.
	var one struct {
		Reservation conReservation
		Events      []struct{ At, From, To, Cause string }
		Dispatches  []struct {
			Op, NextAt, LastError string
			Attempts              int
		}
	}
	c.get(t, "/console/api/reservations/"+third.BookCode, &one)
	if one.Reservation.State != "pending" || len(one.Dispatches) != 1 || one.Dispatches[0].Op != "reservation" {
		t.Errorf("pending order %+v", one)
	}
	e.deliver(t)

	codes := func(query string) []string {
		t.Helper()
		var out struct{ Reservations []conReservation }
		c.get(t, "/console/api/reservations"+query, &out)
		var cs []string
		for _, r := range out.Reservations {
			cs = append(cs, r.BookCode)
		}
		return cs
	}
	states := map[string]string{}
	var all struct{ Reservations []conReservation }
	c.get(t, "/console/api/reservations", &all)
	for _, r := range all.Reservations {
		states[r.BookCode] = r.State
		if r.ParkName != "福田中心停车场" || r.IsvParkID != e.isv {
			t.Errorf("order %+v: want parkA's name", r)
		}
	}
	if got := codes(""); !slices.Equal(got, []string{third.BookCode, second.BookCode, first.BookCode}) {
		t.Errorf("orders %q: want newest first", got)
	}
	if got := codes("?state=waitlisted"); !slices.Equal(got, []string{third.BookCode}) {
		t.Errorf("waitlisted %q (states %v)", got, states)
	}
	if got := codes("?plate=%E7%B2%A4b30002"); !slices.Equal(got, []string{second.BookCode}) {
		t.Errorf("by plate %q", got)
	}
	if got := codes("?parkId=" + e.isv + "&limit=1"); !slices.Equal(got, []string{third.BookCode}) {
		t.Errorf("by park, limit 1: %q", got)
	}
	if got := codes("?parkId=" + strings.Repeat("0", 32)); got != nil {
		t.Errorf("another park: %q", got)
	}
	c.wantError(t, "/console/api/reservations?state=lost", 400, "state")
	c.wantError(t, "/console/api/reservations?limit=-1", 400, "limit")

	c.get(t, "/console/api/reservations/"+first.BookCode, &one)
	var steps []string
	for _, ev := range one.Events {
		steps = append(steps, ev.From+">"+ev.To)
	}
	if one.Reservation.State != "confirmed" || !slices.Equal(steps, []string{">pending", "pending>dispatched", "dispatched>confirmed"}) || len(one.Dispatches) != 0 {
		t.Errorf("confirmed order %+v, steps %q", one.Reservation, steps)
	}
	if one.Reservation.BookTime != "2024-01-01T10:00:00+08:00" || one.Events[0].At != "2024-01-01T08:00:00+08:00" {
		t.Errorf("times %+v %+v", one.Reservation, one.Events[0])
	}
	c.wantError(t, "/console/api/reservations/"+strings.Repeat("0", 32), 404, "no reservation")

	var wl struct {
		Waitlists []struct {
			IsvParkID, ParkName string
			Orders              []conReservation
		}
	}
	c.get(t, "/console/api/waitlists", &wl)
	if len(wl.Waitlists) != 1 || wl.Waitlists[0].IsvParkID != e.isv || len(wl.Waitlists[0].Orders) != 1 ||
		wl.Waitlists[0].Orders[0].BookCode != third.BookCode || wl.Waitlists[0].Orders[0].WaitSeq == 0 {
		t.Errorf("waitlists %+v", wl)
	}
}

// TestConsoleStats checks a small day by hand: park A (福田, 100 spaces)
// and park B (南山, 200 spaces).
//
//	09:xx  A: entries 2, vacancy used 20 and 40 (mean 30, max 40)
//	       B: entries 1, vacancy used 100
//	10:xx  A: entries 1, exits 1, vacancy used 60
func TestConsoleStats(t *testing.T) {
	clock := testserver.NewClock(time.Date(2024, 1, 1, 9, 10, 0, 0, protocol.CST))
	srv := testserver.Start(t, testserver.Options{Clock: clock})
	token := vendor(t, srv, vendorA)
	pa := parkInfo(parkA)
	pb := parkInfo(parkB)
	pb.AreaCode, pb.TotalSpaces = "440305", 200
	conPark(t, srv, token, pa)
	conPark(t, srv, token, pb)
	spaceB := protocol.ParkSpaceInfo{ParkCode: parkB, UsedStalls: 100, UnusedStalls: 100, UnusedReservableStalls: 5, UsedCharingStalls: 1, UnusedCharingStalls: 9}
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 20), spaceB}))
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(1), "粤B40001", "2024-01-01 09:01:00"),
		enter(t, parkA, recordID(2), "粤B40002", "2024-01-01 09:05:00"),
		enter(t, parkB, recordID(3), "粤B40003", "2024-01-01 09:09:00"),
	}))
	clock.Set(time.Date(2024, 1, 1, 9, 40, 0, 0, protocol.CST))
	token = srv.Login(t, vendorA, password)
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 40)}))
	clock.Set(time.Date(2024, 1, 1, 10, 20, 0, 0, protocol.CST))
	token = srv.Login(t, vendorA, password)
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 60)}))
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(4), "粤B40004", "2024-01-01 10:10:00")}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B40001", "2024-01-01 10:15:00")}))

	c := conLogin(t, srv)
	type hd struct {
		AreaCode, Name                       string
		Entries, Exits                       int
		AvgOccupancy, MaxOccupancy, Turnover float64
	}
	var st struct {
		Date  string
		Hours []struct {
			Hour      int
			Districts []hd
		}
		Districts []struct {
			AreaCode, Name                        string
			Entries, Exits, PeakHour              int
			AvgOccupancy, PeakOccupancy, Turnover float64
		}
		Peak struct {
			Hour      int
			Occupancy float64
		}
	}
	c.get(t, "/console/api/stats?date=2024-01-01", &st)
	if st.Date != "2024-01-01" || len(st.Hours) != 24 || len(st.Districts) != 10 {
		t.Fatalf("stats: date %s, %d hours, %d districts", st.Date, len(st.Hours), len(st.Districts))
	}
	cell := func(hour int, code string) hd {
		for _, d := range st.Hours[hour].Districts {
			if d.AreaCode == code {
				return d
			}
		}
		t.Fatalf("hour %d has no district %s", hour, code)
		return hd{}
	}
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }
	checks := []struct {
		hour int
		code string
		want hd
	}{
		{9, "440304", hd{"440304", "福田区", 2, 0, 0.30, 0.40, 0.02}},
		{10, "440304", hd{"440304", "福田区", 1, 1, 0.60, 0.60, 0.01}},
		{9, "440305", hd{"440305", "南山区", 1, 0, 0.50, 0.50, 0.005}},
		{10, "440305", hd{"440305", "南山区", 0, 0, 0, 0, 0}},
		{8, "440304", hd{"440304", "福田区", 0, 0, 0, 0, 0}},
	}
	for _, ch := range checks {
		g, w := cell(ch.hour, ch.code), ch.want
		if g.AreaCode != w.AreaCode || g.Name != w.Name || g.Entries != w.Entries || g.Exits != w.Exits ||
			!near(g.AvgOccupancy, w.AvgOccupancy) || !near(g.MaxOccupancy, w.MaxOccupancy) || !near(g.Turnover, w.Turnover) {
			t.Errorf("hour %d %s\n got  %+v\n want %+v", ch.hour, ch.code, g, w)
		}
	}
	for _, d := range st.Districts {
		switch d.AreaCode {
		case "440304":
			if d.Entries != 3 || d.Exits != 1 || !near(d.AvgOccupancy, 0.45) || d.PeakHour != 10 || !near(d.PeakOccupancy, 0.6) || !near(d.Turnover, 0.03) {
				t.Errorf("福田 day %+v", d)
			}
		case "440305":
			if d.Entries != 1 || d.Exits != 0 || !near(d.AvgOccupancy, 0.5) || d.PeakHour != 9 || !near(d.PeakOccupancy, 0.5) || !near(d.Turnover, 0.005) {
				t.Errorf("南山 day %+v", d)
			}
		}
	}
	// The city: hour 9 (30 + 100) / 300, hour 10 60 / 100 (only A reported).
	if st.Peak.Hour != 10 || !near(st.Peak.Occupancy, 0.6) {
		t.Errorf("peak %+v", st.Peak)
	}

	resp, b := c.do(t, "GET", "/console/api/stats.csv?date=2024-01-01", "", "")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Disposition") != `attachment; filename="parkd-stats-2024-01-01.csv"` ||
		!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("stats.csv: %d %v", resp.StatusCode, resp.Header)
	}
	lines, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(lines[0], ",") != "date,hour,areaCode,district,entries,exits,avgOccupancy,maxOccupancy,turnover" || len(lines) != 1+24*10 {
		t.Fatalf("csv header %q, %d lines", lines[0], len(lines))
	}
	for _, want := range []string{"2024-01-01,9,440304,福田区,2,0,0.3000,0.4000,0.0200", "2024-01-01,10,440304,福田区,1,1,0.6000,0.6000,0.0100",
		"2024-01-01,9,440305,南山区,1,0,0.5000,0.5000,0.0050", "2024-01-01,0,440303,罗湖区,0,0,0.0000,0.0000,0.0000"} {
		if !bytes.Contains(b, []byte(want+"\n")) {
			t.Errorf("csv lacks %s", want)
		}
	}
	// Another day is all zeros; today is the default.
	c.get(t, "/console/api/stats?date=2023-12-31", &st)
	if st.Date != "2023-12-31" || st.Districts[1].Entries != 0 || st.Peak.Occupancy != 0 {
		t.Errorf("the day before: %+v", st.Districts)
	}
	c.get(t, "/console/api/stats", &st)
	if st.Date != "2024-01-01" {
		t.Errorf("default date %s", st.Date)
	}
	c.wantError(t, "/console/api/stats?date=2024-13-01", 400, "date")
	c.wantError(t, "/console/api/stats.csv?date=yesterday", 400, "date")
}

func TestConsoleEventStream(t *testing.T) {
	srv, _, _ := conCity(t)
	c := conLogin(t, srv)
	req, err := http.NewRequest("GET", srv.URL+"/console/api/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %v", resp.StatusCode, resp.Header)
	}
	sc := bufio.NewScanner(resp.Body)
	var event, data string
	for sc.Scan() && (event == "" || data == "") {
		line := sc.Text()
		if v, ok := strings.CutPrefix(line, "event: "); ok {
			event = v
		}
		if v, ok := strings.CutPrefix(line, "data: "); ok {
			data = v
		}
	}
	if event != "overview" {
		t.Fatalf("first event %q (%v)", event, sc.Err())
	}
	var got struct {
		At string
		conTotals
	}
	if err := json.Unmarshal([]byte(data), &got); err != nil {
		t.Fatalf("data %s: %v", data, err)
	}
	if got.At != "2024-01-01T08:00:00+08:00" || got.Parks != 3 || got.EntriesToday != 4 || got.FreeSpaces != 80 {
		t.Errorf("overview event %s", data)
	}
}

// TestConsoleAnswersMatchTheOpenAPIDocument checks real answers of every
// JSON route against internal/openapi/console.yaml.
func TestConsoleAnswersMatchTheOpenAPIDocument(t *testing.T) {
	d, err := openapi.Get()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON)
	if err != nil {
		t.Fatal(err)
	}
	srv, token, isv := conCity(t)
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	jpg := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, jpg), jpg))
	c := conLogin(t, srv)
	check := func(method, path, body string, want int) {
		t.Helper()
		req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		route, params, err := router.FindRoute(req)
		if err != nil {
			t.Fatalf("%s %s is not in the document: %v", method, path, err)
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d: %s", method, path, resp.StatusCode, want, raw)
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
			Status:                 resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(raw)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s %s does not match the document: %v\n%.400s", method, path, err, raw)
		}
	}
	check("GET", "/console/api/me", "", 200)
	check("GET", "/console/api/overview", "", 200)
	check("GET", "/console/api/parks?district=440304", "", 200)
	check("GET", "/console/api/parks?online=maybe", "", 400)
	check("GET", "/console/api/parks/"+isv["A"], "", 200)
	check("GET", "/console/api/parks/"+isv["C"], "", 200)
	check("GET", "/console/api/parks/nothing", "", 404)
	check("GET", "/console/api/pictures/"+isv["A"]+"/"+photoID, "", 200)
	check("GET", "/console/api/vendors", "", 200)
	check("GET", "/console/api/reservations?limit=5", "", 200)
	check("GET", "/console/api/reservations/nothing", "", 404)
	check("GET", "/console/api/waitlists", "", 200)
	check("GET", "/console/api/stats?date=2024-01-01", "", 200)
	check("GET", "/console/api/stats.csv", "", 200)
	check("POST", "/console/api/logout", "{}", 204)
	check("GET", "/console/api/overview", "", 401)
	check("POST", "/console/api/login", `{"name":"x","password":"y"}`, 401)
}

// TestConsoleEventStreamEndsOnShutdown: an open stream does not hold up a
// graceful shutdown (which would fail after its 10 s grace).
func TestConsoleEventStreamEndsOnShutdown(t *testing.T) {
	clock := testserver.NewClock(testserver.Epoch)
	srv, err := server.New(server.Config{Addr: "127.0.0.1:0", DataDir: t.TempDir(), PlainHTTP: true, NoBackground: true},
		clock.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	ts := &testserver.Server{Server: srv, Clock: clock, URL: srv.URL(), Client: &http.Client{Transport: &http.Transport{}}}
	c := conLogin(t, ts)
	resp, err := c.hc.Get(srv.URL() + "/console/api/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	if err != nil || line != "event: overview\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	if err := srv.Close(); err != nil {
		t.Fatalf("Close with an open event stream: %v", err)
	}
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		t.Errorf("the stream did not end cleanly: %v", err)
	}
}

// TestConsoleSessionsAcrossInstancesOnPostgres: two instances on one
// PostgreSQL database share operators, sessions and the lock-out.
func TestConsoleSessionsAcrossInstancesOnPostgres(t *testing.T) {
	_, env := multiSetup(t, false)
	start := func() *testserver.Server {
		return testserver.Start(t, testserver.Options{Config: server.Config{NoBackground: true, DB: env.dsn, Pictures: env.pictures}})
	}
	a, b := start(), start()
	a.AddOperator(t, conOperator, conPassword)
	ca := newConClient(t, a)
	if st, body := ca.login(t, conOperator, conPassword); st != 200 {
		t.Fatalf("login on a: %d %s", st, body)
	}
	// The cookie of a's session, sent to b.
	u, _ := url.Parse(a.URL + "/console/")
	cb := newConClient(t, b)
	ub, _ := url.Parse(b.URL + "/console/")
	cb.hc.Jar.SetCookies(ub, ca.hc.Jar.Cookies(u))
	var me struct{ Name string }
	cb.get(t, "/console/api/me", &me)
	if me.Name != conOperator {
		t.Errorf("me on b: %q", me.Name)
	}
	// Logging out on b ends the session on a too.
	if resp, _ := cb.do(t, "POST", "/console/api/logout", "application/json", "{}"); resp.StatusCode != 204 {
		t.Fatalf("logout on b: %d", resp.StatusCode)
	}
	if resp, _ := ca.do(t, "GET", "/console/api/me", "", ""); resp.StatusCode != 401 {
		t.Errorf("me on a after logout on b: %d", resp.StatusCode)
	}
	// Failures on a and b add up to one lock-out.
	for i := range 5 {
		c := []*conClient{ca, cb}[i%2]
		if st, _ := c.login(t, conOperator, fmt.Sprintf("guess %d", i)); st != 401 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	for _, c := range []*conClient{ca, cb} {
		if st, body := c.login(t, conOperator, conPassword); st != 401 || !strings.Contains(string(body), "too many failed logins") {
			t.Errorf("the right password after 5 failures across instances: %d %s", st, body)
		}
	}
}

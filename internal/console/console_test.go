package console

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// clock is a settable clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// alicePW is the password of the harness's admin, alice.
const alicePW = "Correct horse 7"

// harness is a console over a real SQLite store, served by httptest.
type harness struct {
	store platform.Store
	clock *clock
	con   *Server
	srv   *httptest.Server
}

// routes are the console's routes as internal/server/routes.go lists
// them.
func routes(s *Server) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	mux.HandleFunc("/console/", s.ServePage)
	mux.HandleFunc("POST /console/api/login", s.ServeLogin)
	mux.HandleFunc("POST /console/api/logout", s.Authed(s.ServeLogout))
	mux.HandleFunc("GET /console/api/me", s.Authed(s.ServeMe))
	mux.HandleFunc("POST /console/api/password", s.Authed(s.ServePassword))
	mux.HandleFunc("GET /console/api/overview", s.Authed(s.ServeOverview))
	mux.HandleFunc("GET /console/api/parks", s.Authed(s.ServeParks))
	mux.HandleFunc("GET /console/api/parks/{isvParkId}", s.Authed(s.ServePark))
	mux.HandleFunc("GET /console/api/pictures/{isvParkId}/{pictureId}", s.Authed(s.ServePicture))
	mux.HandleFunc("GET /console/api/vendors", s.Authed(s.ServeVendors))
	mux.HandleFunc("GET /console/api/reservations", s.Authed(s.ServeReservations))
	mux.HandleFunc("GET /console/api/reservations/{bookCode}", s.Authed(s.ServeReservation))
	mux.HandleFunc("GET /console/api/waitlists", s.Authed(s.ServeWaitlists))
	mux.HandleFunc("GET /console/api/stats", s.Authed(s.ServeStats))
	mux.HandleFunc("GET /console/api/stats.csv", s.Authed(s.ServeStatsCSV))
	mux.HandleFunc("GET /console/api/events", s.Authed(s.ServeEvents))
	mux.HandleFunc("GET /console/api/offpeak/packages", s.Authed(s.ServeOffPeakPackages))
	mux.HandleFunc("GET /console/api/offpeak/orders", s.Authed(s.ServeOffPeakOrders))
	mux.HandleFunc("GET /console/api/offpeak/daily", s.Authed(s.ServeOffPeakDaily))
	mux.HandleFunc("GET /console/api/audit", s.Authed(s.ServeAudit))
	mux.HandleFunc("GET /console/api/audit.csv", s.Authed(s.ServeAuditCSV))
	mux.HandleFunc("/console/api/", s.Authed(s.ServeNoRoute))
	return mux
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	c := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, protocol.CST)}
	con := New(Config{Store: store, Now: c.now})
	srv := httptest.NewServer(routes(con))
	t.Cleanup(srv.Close)
	op, err := accounts.NewOperatorCost("alice", alicePW, platform.OperatorAdmin, bcrypt.MinCost, c.now())
	if err != nil {
		t.Fatal(err)
	}
	op.MustChangePassword = false
	if err := store.Update(context.Background(), func(tx platform.Tx) error { return tx.PutOperator(op) }); err != nil {
		t.Fatal(err)
	}
	return &harness{store: store, clock: c, con: con, srv: srv}
}

// do sends a request with an optional cookie and returns the answer.
func (h *harness) do(t *testing.T, method, path, contentType, body, cookie string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: CookieName, Value: cookie})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// login signs in and returns the session cookie's value.
func (h *harness) login(t *testing.T, name, password string) (int, string, []byte) {
	t.Helper()
	body, _ := json.Marshal(loginRequest{Name: name, Password: password})
	resp, b := h.do(t, "POST", "/console/api/login", "application/json", string(body), "")
	for _, c := range resp.Cookies() {
		if c.Name == CookieName {
			return resp.StatusCode, c.Value, b
		}
	}
	return resp.StatusCode, "", b
}

const aliceMe = `{"name":"alice","role":"admin","passwordChangeRequired":false}`

func TestLoginSetsAStrictHttpOnlyCookieAndStoresOnlyTheTokenHash(t *testing.T) {
	h := newHarness(t)
	body, _ := json.Marshal(loginRequest{Name: "alice", Password: alicePW})
	resp, b := h.do(t, "POST", "/console/api/login", "application/json; charset=utf-8", string(body), "")
	if resp.StatusCode != 200 || string(b) != aliceMe {
		t.Fatalf("login: %d %s", resp.StatusCode, b)
	}
	var c *http.Cookie
	for _, x := range resp.Cookies() {
		if x.Name == CookieName {
			c = x
		}
	}
	if c == nil || !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Secure || c.Path != "/console/" {
		t.Fatalf("cookie %+v: want HttpOnly, SameSite=Strict, not Secure over plain HTTP, path /console/", c)
	}
	raw, err := decodeToken(c.Value)
	if err != nil || len(raw) != 32 {
		t.Fatalf("token %q: %d bytes, %v; want 32 random bytes", c.Value, len(raw), err)
	}
	err = h.store.View(context.Background(), func(tx platform.Tx) error {
		if _, err := tx.OperatorSession(c.Value); !platform.IsNotFound(err) {
			t.Errorf("the token itself is a stored key: %v", err)
		}
		s, err := tx.OperatorSession(tokenHash(c.Value))
		if err != nil {
			return err
		}
		if s.Name != "alice" || !s.ExpiresAt.Equal(h.clock.now().Add(12*time.Hour)) {
			t.Errorf("stored session %+v: want alice expiring in 12 h", s)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, b = h.do(t, "GET", "/console/api/me", "", "", c.Value)
	if resp.StatusCode != 200 || string(b) != aliceMe {
		t.Errorf("me: %d %s", resp.StatusCode, b)
	}
}

func TestLoginRefusals(t *testing.T) {
	h := newHarness(t)
	cases := []struct {
		name, contentType, body string
		status                  int
		errPart                 string
	}{
		{"no content type", "", `{"name":"alice","password":"` + alicePW + `"}`, 415, "Content-Type"},
		{"form post", "application/x-www-form-urlencoded", `name=alice`, 415, "Content-Type"},
		{"not JSON", "application/json", `name=alice`, 400, "body"},
		{"no name", "application/json", `{"password":"x"}`, 400, "name"},
		{"no password", "application/json", `{"name":"alice"}`, 400, "password"},
		{"too large", "application/json", `{"name":"` + strings.Repeat("a", 5000) + `"}`, 400, "body"},
		{"wrong password", "application/json", `{"name":"alice","password":"wrong horse"}`, 401, "wrong name or password"},
		{"unknown name", "application/json", `{"name":"bob","password":"` + alicePW + `"}`, 401, "wrong name or password"},
	}
	for _, tc := range cases {
		resp, b := h.do(t, "POST", "/console/api/login", tc.contentType, tc.body, "")
		var e errorBody
		if resp.StatusCode != tc.status || json.Unmarshal(b, &e) != nil || !strings.Contains(e.Error, tc.errPart) {
			t.Errorf("%s: %d %s; want %d naming %q", tc.name, resp.StatusCode, b, tc.status, tc.errPart)
		}
		if len(resp.Cookies()) != 0 {
			t.Errorf("%s: set a cookie", tc.name)
		}
	}
}

func TestLockOutAfterRepeatedFailuresFromOneAddress(t *testing.T) {
	h := newHarness(t)
	for i := range 4 {
		if st, _, _ := h.login(t, "alice", "wrong"+string(rune('a'+i))); st != 401 {
			t.Fatalf("failure %d: %d", i+1, st)
		}
	}
	// Four failures: the right password still works, and resets the count.
	if st, c, _ := h.login(t, "alice", alicePW); st != 200 || c == "" {
		t.Fatalf("login after 4 failures: %d", st)
	}
	// Failures count per address, whatever the name.
	h.login(t, "bob", "guess")
	for i := range 4 {
		h.login(t, "alice", "guess"+string(rune('a'+i)))
	}
	st, c, b := h.login(t, "alice", alicePW)
	if st != 401 || c != "" || !strings.Contains(string(b), "too many failed logins") {
		t.Fatalf("login while locked out: %d %s", st, b)
	}
	h.clock.advance(15*time.Minute - time.Second)
	if st, _, _ := h.login(t, "alice", alicePW); st != 401 {
		t.Fatalf("login 1 s before the lock ends: %d", st)
	}
	h.clock.advance(time.Second)
	if st, c, _ := h.login(t, "alice", alicePW); st != 200 || c == "" {
		t.Fatalf("login when the lock is over: %d", st)
	}
}

func TestSessionsEndWhenIdleAndAfter12Hours(t *testing.T) {
	h := newHarness(t)
	_, c, _ := h.login(t, "alice", alicePW)
	me := func() int {
		resp, _ := h.do(t, "GET", "/console/api/me", "", "", c)
		return resp.StatusCode
	}
	// Used every 29 minutes, the session lives on until 12 h after
	// sign-in, whatever its use.
	for i := 1; i*29 < 12*60; i++ {
		h.clock.advance(29 * time.Minute)
		if st := me(); st != 200 {
			t.Fatalf("me after %d min: %d", i*29, st)
		}
	}
	h.clock.advance(12*time.Hour - 24*29*time.Minute)
	if st := me(); st != 401 {
		t.Fatalf("me 12 h after sign-in: %d, want 401", st)
	}
	// Unused for 30 minutes, a session ends.
	_, c, _ = h.login(t, "alice", alicePW)
	h.clock.advance(29*time.Minute + 59*time.Second)
	if st := me(); st != 200 {
		t.Fatalf("me after 29:59 unused: %d", st)
	}
	h.clock.advance(30 * time.Minute)
	if st := me(); st != 401 {
		t.Fatalf("me after 30 min unused: %d, want 401", st)
	}
}

func TestLogoutEndsTheSession(t *testing.T) {
	h := newHarness(t)
	_, c, _ := h.login(t, "alice", alicePW)
	_, other, _ := h.login(t, "alice", alicePW)
	if resp, b := h.do(t, "POST", "/console/api/logout", "text/plain", "", c); resp.StatusCode != 415 {
		t.Fatalf("logout without JSON: %d %s", resp.StatusCode, b)
	}
	resp, _ := h.do(t, "POST", "/console/api/logout", "application/json", "{}", c)
	if resp.StatusCode != 204 {
		t.Fatalf("logout: %d", resp.StatusCode)
	}
	if cs := resp.Cookies(); len(cs) != 1 || cs[0].MaxAge >= 0 {
		t.Errorf("logout cookies %v: want the cookie cleared", cs)
	}
	if resp, _ := h.do(t, "GET", "/console/api/me", "", "", c); resp.StatusCode != 401 {
		t.Errorf("me after logout: %d", resp.StatusCode)
	}
	if resp, _ := h.do(t, "GET", "/console/api/me", "", "", other); resp.StatusCode != 200 {
		t.Errorf("another session after logout: %d", resp.StatusCode)
	}
}

func TestEveryAPIRouteButLoginNeedsASession(t *testing.T) {
	h := newHarness(t)
	routes := []string{"POST /console/api/logout", "GET /console/api/me", "GET /console/api/overview",
		"GET /console/api/parks", "GET /console/api/parks/p1", "GET /console/api/pictures/p1/x",
		"GET /console/api/vendors", "GET /console/api/reservations", "GET /console/api/reservations/b1",
		"GET /console/api/waitlists", "GET /console/api/stats", "GET /console/api/stats.csv",
		"GET /console/api/events", "GET /console/api/nothing", "DELETE /console/api/me"}
	for _, route := range routes {
		method, path, _ := strings.Cut(route, " ")
		for _, cookie := range []string{"", "not-a-session"} {
			resp, b := h.do(t, method, path, "application/json", "{}", cookie)
			if resp.StatusCode != 401 || string(b) != `{"error":"login required"}` {
				t.Errorf("%s with cookie %q: %d %s", route, cookie, resp.StatusCode, b)
			}
		}
	}
}

func TestUnknownAPIPathIs404ForASignedInOperator(t *testing.T) {
	h := newHarness(t)
	_, c, _ := h.login(t, "alice", alicePW)
	resp, b := h.do(t, "GET", "/console/api/nothing", "", "", c)
	if resp.StatusCode != 404 || !strings.Contains(string(b), "/console/api/nothing") {
		t.Errorf("unknown route: %d %s", resp.StatusCode, b)
	}
}

func TestRootRedirectsToTheConsoleAndOtherPathsStay404(t *testing.T) {
	h := newHarness(t)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(h.srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "/console/" {
		t.Errorf("GET /: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = client.Get(h.srv.URL + "/elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 404 {
		t.Errorf("GET /elsewhere: %d", resp.StatusCode)
	}
}

func TestPageCitesVersionedAssetsCachedForAYear(t *testing.T) {
	files := fstest.MapFS{
		"index.html": {Data: []byte(`<link href="app.css"><script src='app.js'></script><p>app.js</p>`)},
		"app.js":     {Data: []byte("console.log(1)")},
		"app.css":    {Data: []byte("body{}")},
	}
	p := newPage(files)
	js, css := p.assets["app.js"].version, p.assets["app.css"].version
	want := `<link href="app.css?v=` + css + `"><script src='app.js?v=` + js + `'></script><p>app.js</p>`
	if string(p.index) != want {
		t.Fatalf("index:\n got  %s\n want %s", p.index, want)
	}
	get := func(path string, header http.Header) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", path, nil)
		for k, v := range header {
			r.Header[k] = v
		}
		w := httptest.NewRecorder()
		p.serve(w, r)
		return w
	}
	w := get("/console/", nil)
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" || w.Body.String() != want ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("index: %d %v", w.Code, w.Header())
	}
	w = get("/console/app.js?v="+js, nil)
	if w.Code != 200 || w.Body.String() != "console.log(1)" || !strings.Contains(w.Header().Get("Cache-Control"), "max-age=31536000") ||
		!strings.Contains(w.Header().Get("Content-Type"), "javascript") {
		t.Errorf("versioned asset: %d %v", w.Code, w.Header())
	}
	w = get("/console/app.js?v=old", nil)
	if w.Code != 200 || w.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("asset of another version: %d %v", w.Code, w.Header())
	}
	w = get("/console/app.css", http.Header{"If-None-Match": {`"` + css + `"`}})
	if w.Code != 304 {
		t.Errorf("asset with a matching ETag: %d", w.Code)
	}
	if w = get("/console/missing.js", nil); w.Code != 404 {
		t.Errorf("missing asset: %d", w.Code)
	}
}

func TestTheEmbeddedPageIsServed(t *testing.T) {
	p := newPage(Assets())
	if !bytes.Contains(p.index, []byte("<html")) {
		t.Fatalf("embedded index.html: %.80s", p.index)
	}
}

func TestMaskPlate(t *testing.T) {
	for plate, want := range map[string]string{
		"粤B12380": "粤B·***80", "粤BD12345": "粤B·****45", "粤B1234学": "粤B·***4学", "ABC123": "AB·**23",
		"粤B123": "粤B·*23", "粤B12": "****", "": "",
	} {
		if got := MaskPlate(plate); got != want {
			t.Errorf("MaskPlate(%q) = %q, want %q", plate, got, want)
		}
	}
	for text, want := range map[string]string{
		"exit r1 (XYZ-1) has no entry":                                     "exit r1 (XY·*-1) has no entry",
		"plate 12AB fits no known format":                                  "plate **** fits no known format",
		"record r1 plate 粤B10001 differs from reservation b plate 粤B10002": "record r1 plate 粤B·***01 differs from reservation b plate 粤B·***02",
		"entered with 粤B10001 at gate 1":                                   "entered with 粤B·***01 at gate 1",
		"plate list has 3 vehicles, usedStalls is 4":                       "plate list has 3 vehicles, usedStalls is 4",
	} {
		if got := maskText(text); got != want {
			t.Errorf("maskText(%q) = %q, want %q", text, got, want)
		}
	}
}

func TestTimesAreCSTOrNull(t *testing.T) {
	b, _ := json.Marshal(struct {
		A, B jsonTime
	}{jsonTime(time.Date(2025, 6, 1, 1, 2, 3, 0, time.UTC)), jsonTime{}})
	if string(b) != `{"A":"2025-06-01T09:02:03+08:00","B":null}` {
		t.Errorf("times: %s", b)
	}
}

func TestVendorCodesAndErrorRate(t *testing.T) {
	a := platform.Account{UserID: "v1", Online: true}
	v := vendorOf(a, time.Time{}, 3, map[string]int64{"0": 6, "1005": 1, "1007": 1})
	if v.Requests != 8 || v.ErrorRate != 0.25 || v.Codes["1005"] != 1 || v.Role != "plms" || v.Parks != 3 {
		t.Errorf("vendor: %+v", v)
	}
	v = vendorOf(a, time.Time{}, 0, nil)
	if v.Requests != 0 || v.ErrorRate != 0 || v.Codes == nil {
		t.Errorf("vendor without answers: %+v", v)
	}
}

func TestPhotoIDFromPayload(t *testing.T) {
	cases := map[string]string{
		`{"entryCarPhotoId":"ph1","plateNo":"粤B12345"}`: "ph1",
		`{"plateNo":"粤B12345"}`:                         "",
		`{"entryCarPhotoId":7}`:                         "",
		`not json`:                                      "",
	}
	for payload, want := range cases {
		if got := photoID(json.RawMessage(payload), "entryCarPhotoId"); got != want {
			t.Errorf("photoID(%s) = %q, want %q", payload, got, want)
		}
	}
}

func TestParkFilterNamesTheBadParameter(t *testing.T) {
	s := New(Config{City: city.Shenzhen()})
	for q, param := range map[string]string{"district=110101": "district", "online=yes": "online", "online=1": "online"} {
		vals, _ := urlValues(q)
		if _, err := s.parseParkFilter(vals); err == nil || !strings.HasPrefix(err.Error(), param) {
			t.Errorf("%s: %v, want an error naming %s", q, err, param)
		}
	}
}

func TestReservationFilterNamesTheBadParameter(t *testing.T) {
	for q, param := range map[string]string{"state=lost": "state", "limit=0": "limit", "limit=x": "limit", "limit=5001": "limit"} {
		vals, _ := urlValues(q)
		if _, err := parseReservationFilter(vals); err == nil || !strings.HasPrefix(err.Error(), param) {
			t.Errorf("%s: %v, want an error naming %s", q, err, param)
		}
	}
	vals, _ := urlValues("state=waitlisted&plate=粤b 12345&parkId=p1")
	f, err := parseReservationFilter(vals)
	if err != nil || f.State != platform.ReservationWaitlisted || f.Plate != protocol.NormalizePlate("粤b 12345") || f.Limit != 200 || f.IsvParkID != "p1" {
		t.Errorf("filter %+v, %v", f, err)
	}
}

func TestWaitlistsGroupByParkInWaitingOrder(t *testing.T) {
	rs := []platform.Reservation{
		{BookCode: "b3", IsvParkID: "p2", WaitSeq: 9},
		{BookCode: "b1", IsvParkID: "p1", WaitSeq: 5},
		{BookCode: "b2", IsvParkID: "p2", WaitSeq: 3},
		{BookCode: "b0", IsvParkID: "p1", WaitSeq: 7},
	}
	names := &parkNames{names: map[string]string{"p1": "Zeta", "p2": "Alpha"}}
	lists, err := waitlistsOf(names, rs)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, l := range lists {
		s := l.ParkName + ":"
		for _, o := range l.Orders {
			s += " " + o.BookCode
		}
		got = append(got, s)
	}
	if strings.Join(got, "|") != "Alpha: b2 b3|Zeta: b1 b0" {
		t.Errorf("waitlists: %v", got)
	}
}

func urlValues(q string) (map[string][]string, error) { return url.ParseQuery(q) }

func decodeToken(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

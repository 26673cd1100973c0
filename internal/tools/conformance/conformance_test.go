package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// The account of every test platform, and the downlink token of every
// test receiver.
const (
	testUser     = "parkcheck01"
	testPassword = "Parking@2024"
	testToken    = "downlink-token-0123456789abcdef"
)

// startParkd starts a real parkd over HTTPS, with the test account, whose
// clock is stopped at the time the test starts.
func startParkd(t *testing.T) *testserver.Server {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Clock: testserver.NewClock(time.Now())})
	srv.AddAccount(t, testUser, testPassword)
	return srv
}

// brokenParkd serves a real parkd's API through a middleware that breaks
// it, over plain HTTP.
func brokenParkd(t *testing.T, breakIt func(inner http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	srv := startParkd(t)
	ts := httptest.NewServer(breakIt(srv.Handler()))
	t.Cleanup(ts.Close)
	return ts
}

// platformOf returns the checker of the platform at url, reached through hc.
func platformOf(t *testing.T, url string, hc *http.Client, parkCode string) *Platform {
	t.Helper()
	p, err := NewPlatform(PlatformConfig{URL: url, UserID: testUser, Password: testPassword, HTTPClient: hc, ParkCode: parkCode})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// failures returns the ids of the failed checks, logging the text report
// when any failed.
func failures(t *testing.T, rep *Report) []string {
	t.Helper()
	if !rep.OK() {
		var b bytes.Buffer
		_ = rep.WriteText(&b)
		t.Log("\n" + b.String())
	}
	return rep.FailedIDs()
}

// wantFailed fails the test unless exactly the checks ids failed.
func wantFailed(t *testing.T, rep *Report, ids ...string) {
	t.Helper()
	got := failures(t, rep)
	slices.Sort(got)
	slices.Sort(ids)
	if !slices.Equal(got, ids) {
		t.Fatalf("failed checks %v, want exactly %v", got, ids)
	}
	if rep.OK() != (len(ids) == 0) || rep.Failed != len(ids) || rep.Passed != len(rep.Results)-len(ids)-rep.Skipped {
		t.Fatalf("report counts: %s, OK %v, for %d failures", rep.Summary(), rep.OK(), len(ids))
	}
	for _, id := range ids {
		res, _ := rep.Result(id)
		if res.Reason == "" || len(res.Exchanges) == 0 {
			t.Errorf("%s failed without a reason or exchanges: %+v", id, res)
		}
	}
}

func TestPlatformChecksPassAgainstParkd(t *testing.T) {
	srv := startParkd(t)
	// Twice against the same platform: each run uses fresh ids and parks.
	// Each run locks its own expendable account out (login.lockout).
	for run := range 2 {
		lockout := fmt.Sprintf("lockout%d", run)
		srv.AddAccount(t, lockout, testPassword)
		p, err := NewPlatform(PlatformConfig{URL: srv.URL, UserID: testUser, Password: testPassword, HTTPClient: srv.Client,
			LockoutUserID: lockout, LockoutPassword: testPassword})
		if err != nil {
			t.Fatal(err)
		}
		rep := p.Run(context.Background(), PlatformChecks())
		wantFailed(t, rep)
		if rep.Passed != len(PlatformChecks()) || rep.Summary() != "57 passed, 0 failed" {
			t.Fatalf("run %d: %s", run+1, rep.Summary())
		}
		if c := rep.Cleanup; c == nil || c.Error != "" || len(c.Closed) < 3 {
			t.Fatalf("run %d: cleanup %+v", run+1, c)
		}
	}
}

func TestPlatformChecksFollowTheClockOfAPlatformThatIsOff(t *testing.T) {
	// parkd's clock reads 2024-01-01: only the clock check may notice, as
	// every other request is stamped with the platform's time learnt from
	// heartBeats (table 5), inside its window (§2).
	srv := testserver.Start(t, testserver.Options{})
	srv.AddAccount(t, testUser, testPassword)
	rep := platformOf(t, srv.URL, srv.Client, "").Run(context.Background(), PlatformChecks())
	wantFailed(t, rep, "heartbeat.clock")
	res, _ := rep.Result("heartbeat.clock")
	if !strings.Contains(res.Reason, "2024-01-01 08:00:00") {
		t.Errorf("reason %q does not show the platform's time", res.Reason)
	}
}

func TestPlatformBadPasswordCheckNeverLocksTheAccount(t *testing.T) {
	srv := startParkd(t)
	bad, _ := Select(PlatformChecks(), `^login\.bad-password$`)
	for range 6 { // §5: five failures in a row would lock the account
		wantFailed(t, platformOf(t, srv.URL, srv.Client, "").Run(context.Background(), bad))
	}
	ok, _ := Select(PlatformChecks(), `^login\.ok$`)
	wantFailed(t, platformOf(t, srv.URL, srv.Client, "").Run(context.Background(), ok))
}

func TestPlatformChecksWithExistingPark(t *testing.T) {
	srv := startParkd(t)
	tok := srv.Login(t, testUser, testPassword)
	park := newID()
	resp := srv.Post(t, protocol.ParkInfoCode, tok, []any{parkItem(park)})
	if resp.Code != protocol.CodeOK {
		t.Fatalf("registering the park: %d %s", resp.Code, resp.Message)
	}
	checks, err := Select(PlatformChecks(), `^(enter|exit|batch|picture|parkspace|parkcar|replenish|plate)\.`)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		rep := platformOf(t, srv.URL, srv.Client, park).Run(context.Background(), checks)
		wantFailed(t, rep)
	}
}

func TestPlatformSetupFailureFailsDependentChecks(t *testing.T) {
	srv := startParkd(t)
	p, err := NewPlatform(PlatformConfig{URL: srv.URL, UserID: testUser, Password: "wrong", HTTPClient: srv.Client})
	if err != nil {
		t.Fatal(err)
	}
	checks, _ := Select(PlatformChecks(), `^(token\.missing|enter\.ok|exit\.ok|heartbeat\.clock)$`)
	rep := p.Run(context.Background(), checks)
	wantFailed(t, rep, "enter.ok", "exit.ok", "heartbeat.clock")
	res, _ := rep.Result("exit.ok")
	if !strings.Contains(res.Reason, "setup failed earlier") || !strings.Contains(res.Reason, "3001") {
		t.Errorf("exit.ok reason %q, want the earlier setup failure with its code", res.Reason)
	}
}

// rewriteAnswers passes requests to inner and lets edit change each JSON
// answer's envelope before it goes out.
func rewriteAnswers(inner http.Handler, edit func(path string, env map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var env map[string]any
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&env) == nil {
			edit(r.URL.Path, env)
			body, _ = json.Marshal(env)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// resign replaces the sign of a JSON request with SM3 of its data, so the
// platform behind it accepts any sign.
func resign(inner http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env map[string]json.RawMessage
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") && json.Unmarshal(body, &env) == nil && env["data"] != nil {
			var data bytes.Buffer
			_ = json.Compact(&data, env["data"])
			sign, _ := json.Marshal(protocol.Sign(data.Bytes()))
			env["data"], env["sign"] = data.Bytes(), sign
			body, _ = json.Marshal(env)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		inner.ServeHTTP(w, r)
	})
}

func TestPlatformChecksCatchAcceptedBadSign(t *testing.T) {
	ts := brokenParkd(t, resign)
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), PlatformChecks())
	wantFailed(t, rep, "sign.bad")
}

func TestPlatformChecksCatchWrongCodeForTooLong(t *testing.T) {
	ts := brokenParkd(t, func(inner http.Handler) http.Handler {
		return rewriteAnswers(inner, func(_ string, env map[string]any) {
			if env["code"] == json.Number("1004") {
				env["code"] = 4
				env["message"] = strings.Replace(env["message"].(string), "超出规定长度", "参数错误", 1)
			}
		})
	})
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), PlatformChecks())
	wantFailed(t, rep, "field.too-long", "error.message-form")
}

func TestPlatformChecksCatchNewIsvParkIDOnReReport(t *testing.T) {
	ts := brokenParkd(t, func(inner http.Handler) http.Handler {
		return rewriteAnswers(inner, func(path string, env map[string]any) {
			if path != protocol.ParkInfoCode.Path() {
				return
			}
			items, _ := env["data"].([]any)
			for _, it := range items {
				it.(map[string]any)["isvParkId"] = newID()
			}
		})
	})
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), PlatformChecks())
	wantFailed(t, rep, "parkinfo.same-isvparkid")
	res, _ := rep.Result("parkinfo.same-isvparkid")
	if !strings.Contains(res.Reason, "identical re-report got isvParkId") {
		t.Errorf("reason %q", res.Reason)
	}
}

// storeGoodItems makes a platform store the items of a refused exitRecord
// batch that have a plateNo, as a platform without atomic batches would.
func storeGoodItems(inner http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		inner.ServeHTTP(rec, r)
		var env struct {
			Code protocol.Code `json:"code"`
		}
		var req struct {
			Data []map[string]any `json:"data"`
		}
		if r.URL.Path == protocol.ExitRecordCode.Path() && json.Unmarshal(rec.Body.Bytes(), &env) == nil &&
			env.Code != protocol.CodeOK && json.Unmarshal(body, &req) == nil {
			var good []any
			for _, it := range req.Data {
				if _, ok := it["plateNo"]; ok {
					good = append(good, it)
				}
			}
			data := dataOf(good...)
			again := httptest.NewRequest(http.MethodPost, r.URL.Path, bytes.NewReader(envelopeBody(time.Now().UnixMilli(), signHex(data), data)))
			again.Header = r.Header.Clone()
			inner.ServeHTTP(httptest.NewRecorder(), again)
		}
		for k, vs := range rec.Header() {
			w.Header()[k] = vs
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
}

func TestPlatformChecksCatchPartlyStoredBatch(t *testing.T) {
	ts := brokenParkd(t, storeGoodItems)
	checks, _ := Select(PlatformChecks(), `^(batch|exit|replenish)\.`)
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), checks)
	wantFailed(t, rep, "batch.atomic")
	res, _ := rep.Result("batch.atomic")
	if !strings.Contains(res.Reason, "they were stored") {
		t.Errorf("reason %q", res.Reason)
	}
}

func TestPlatformChecksCatchEmptyReplenishList(t *testing.T) {
	ts := brokenParkd(t, func(inner http.Handler) http.Handler {
		return rewriteAnswers(inner, func(path string, env map[string]any) {
			if path != protocol.ReplenishCode.Path() {
				return
			}
			items, _ := env["data"].([]any)
			for _, it := range items {
				it.(map[string]any)["plateNoList"] = []string{}
			}
		})
	})
	checks, _ := Select(PlatformChecks(), `^(batch|replenish|plate)\.`)
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), checks)
	// batch.atomic cannot be fooled by a list that never lists anything.
	wantFailed(t, rep, "batch.atomic", "replenish.exit-without-entry", "replenish.page-past-last", "plate.normalised")
	res, _ := rep.Result("batch.atomic")
	if !strings.Contains(res.Reason, "cannot tell") {
		t.Errorf("reason %q", res.Reason)
	}
}

// memHandler is a parking system's reservations in memory.
type memHandler struct {
	mu   sync.Mutex
	held map[string]protocol.Reservation
	full bool // answer every reservation 1501
}

func (h *memHandler) Reserve(_ context.Context, r protocol.Reservation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.full {
		return protocol.Errorf(protocol.CodeNoReservable, "no reservable space")
	}
	if _, ok := h.held[r.BookCode]; ok {
		return protocol.FieldErrorf(protocol.CodeBookExists, "data[0].bookCode", "(already held)")
	}
	if h.held == nil {
		h.held = map[string]protocol.Reservation{}
	}
	h.held[r.BookCode] = r
	return nil
}

func (h *memHandler) Cancel(_ context.Context, c protocol.CancelReservation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.held[c.BookCode]; !ok {
		return protocol.FieldErrorf(protocol.CodeNoReservation, "data[0].bookCode", "(unknown)")
	}
	delete(h.held, c.BookCode)
	return nil
}

// startReceiver serves the SDK's downlink receiver over HTTPS, wrapped by
// wrap when not nil.
func startReceiver(t *testing.T, h client.ReservationHandler, wrap func(http.Handler) http.Handler) *httptest.Server {
	t.Helper()
	var handler http.Handler = &client.Receiver{Token: testToken, Handler: h}
	if wrap != nil {
		handler = wrap(handler)
	}
	ts := httptest.NewTLSServer(handler)
	t.Cleanup(ts.Close)
	return ts
}

func plmsOf(t *testing.T, ts *httptest.Server) *PLMS {
	t.Helper()
	p, err := NewPLMS(PLMSConfig{URL: ts.URL + "/dataReceive/v1/", Token: testToken, HTTPClient: ts.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestPLMSChecksPassAgainstReceiver(t *testing.T) {
	h := &memHandler{}
	ts := startReceiver(t, h, nil)
	for range 2 {
		rep := plmsOf(t, ts).Run(context.Background(), PLMSChecks())
		wantFailed(t, rep)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.held) != 0 {
		t.Errorf("the checks left %d orders held, want none", len(h.held))
	}
}

func TestPLMSChecksAcceptNoSpace(t *testing.T) {
	ts := startReceiver(t, &memHandler{full: true}, nil)
	rep := plmsOf(t, ts).Run(context.Background(), PLMSChecks())
	wantFailed(t, rep)
	res, _ := rep.Result("reservation.ok")
	if !strings.Contains(res.Note, "1501") {
		t.Errorf("reservation.ok note %q, want the 1501 answer noted", res.Note)
	}
}

func TestPLMSChecksCatchIgnoredToken(t *testing.T) {
	ts := startReceiver(t, &memHandler{}, func(inner http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Set("Authorization", testToken)
			inner.ServeHTTP(w, r)
		})
	})
	rep := plmsOf(t, ts).Run(context.Background(), PLMSChecks())
	wantFailed(t, rep, "downlink.token-bad", "downlink.token-missing")
}

func TestPLMSChecksCatchUnvalidatedRequests(t *testing.T) {
	// A receiver that checks the token but neither the sign nor the items,
	// and answers every request 0 with its bookCodes.
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusMethodNotAllowed)
			return
		}
		var env struct {
			Data []map[string]any `json:"data"`
		}
		code, data := protocol.CodeOK, []map[string]any{}
		switch {
		case json.NewDecoder(r.Body).Decode(&env) != nil:
			code = protocol.CodeFormat
		case r.Header.Get("Authorization") != testToken:
			code = protocol.CodeToken
		default:
			for _, it := range env.Data {
				data = append(data, map[string]any{"bookCode": it["bookCode"]})
			}
		}
		_ = json.NewEncoder(w).Encode(protocol.NewResponse(code, "", time.Now(), data))
	}))
	t.Cleanup(ts.Close)
	rep := plmsOf(t, ts).Run(context.Background(), PLMSChecks())
	wantFailed(t, rep, "downlink.sign-bad", "reservation.field-missing", "reservation.too-long", "reservation.dictionary")
}

func TestSignFormsMatchKnownAnswers(t *testing.T) {
	// docs/protocol.md §10.
	login := []byte(`[{"userId":"szpark001","password":"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="}]`)
	if got := signHex(login); got != "ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39" {
		t.Errorf("signHex = %s", got)
	}
	if got := protocol.PasswordDigest("Parking@2024"); got != "saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0=" {
		t.Errorf("password digest = %s", got)
	}
	enter := []byte(`[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"11112222333344445555666677778888","entranceCode":"GATE01"}]`)
	if got := signBase64(enter); got != "W2VAcGGtz8/AbYKyEOJSCJQBEBpOXP1p81c9L2Zna90=" {
		t.Errorf("signBase64 = %s", got)
	}
	if got := signUpper(enter); got != strings.ToUpper("5b65407061adcfcfc06d82b210e252089401101a4e5cfd69f3573d2f66676bdd") {
		t.Errorf("signUpper = %s", got)
	}
}

func TestEnvelopeBodyKeepsDataBytes(t *testing.T) {
	data := []byte("[ {\"plateNo\" : \"粤B12345\"} ]")
	body := envelopeBody(1700000000000, signHex(data), data)
	req, items, err := protocol.ParseRequest(body, 10)
	if err != nil || len(items) != 1 {
		t.Fatalf("ParseRequest: %v, %d items", err, len(items))
	}
	if !bytes.Equal(req.Data, data) || req.Timestamp != 1700000000000 || req.Version != "1.0.0" || !protocol.Verify(req.Data, req.Sign) {
		t.Fatalf("envelope %s", body)
	}
	if got := string(dataOf(map[string]any{"plateNo": "粤B<1>"})); got != `[{"plateNo":"粤B<1>"}]` {
		t.Errorf("dataOf = %s", got)
	}
}

// TestItemsFollowTheTables decodes the checker's valid items with the
// protocol package: the two were written separately from the tables, so a
// wrong field name in either shows here.
func TestItemsFollowTheTables(t *testing.T) {
	now := time.Now()
	park := newID()
	p := &PLMS{cfg: PLMSConfig{ParkCode: park, Now: time.Now}}
	for name, check := range map[string]func([]byte) error{
		"login":       decodeAs[protocol.LoginRequest](loginItem("szpark001", protocol.PasswordDigest("x"))),
		"heartBeats":  decodeAs[protocol.HeartbeatRequest](heartbeatItem(now)),
		"parkInfo":    decodeAs[protocol.ParkInfo](parkItem(park)),
		"entrance":    decodeAs[protocol.EntranceExitInfo](entranceItem(park, "PCK0123456", "北门")),
		"enterRecord": decodeAs[protocol.EnterRecord](enterItem(park, newID(), newPlate(), now)),
		"exitRecord":  decodeAs[protocol.ExitRecord](exitItem(park, newID(), newPlate(), now)),
		"space":       decodeAs[protocol.ParkSpaceInfo](spaceItem(park)),
		"replenish":   decodeAs[protocol.ReplenishRequest](replenishItem(park, now, 1, 50)),
		"reservation": decodeAs[protocol.Reservation](p.reservationItem()),
	} {
		if err := check(nil); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if plate := newPlate(); !protocol.PlateLooksValid(plate) {
		t.Errorf("newPlate made %q, which fits no plate format", plate)
	}
}

func decodeAs[T any, P interface {
	*T
	protocol.Item
}](item map[string]any) func([]byte) error {
	return func([]byte) error {
		raw, err := json.Marshal(item)
		if err != nil {
			return err
		}
		_, err = protocol.Decode[T, P](raw)
		return err
	}
}

func TestJPEGOfSize(t *testing.T) {
	for _, n := range []int{pictureOKBytes, pictureMaxBytes, pictureMaxBytes + 1, 65537 + 4000, 4000 + 3*65537 + 2} {
		img, err := jpegOfSize(n)
		if err != nil {
			t.Fatalf("%d: %v", n, err)
		}
		if len(img) != n || kindOf(img) != "JPEG" {
			t.Fatalf("%d: got %d bytes of %s", n, len(img), kindOf(img))
		}
		if _, err := decodeJPEG(img); err != nil {
			t.Fatalf("%d bytes: not a valid JPEG: %v", n, err)
		}
	}
	if _, err := jpegOfSize(100); err == nil {
		t.Error("a 100-byte JPEG was made")
	}
}

func TestTextReport(t *testing.T) {
	rep := &Report{Mode: "platform", Target: "https://p.example", As: "u1", Started: time.Unix(0, 0).UTC(), Passed: 1, Failed: 1,
		Results: []Result{
			{ID: "a.ok", Clause: "table 2", Description: "it works", Pass: true, Note: "a remark"},
			{ID: "b.bad", Clause: "§2", Description: "it refuses", Reason: "answered HTTP 200, code 0, want code 6",
				Exchanges: []Exchange{
					{Method: "POST", URL: "https://p.example/dataReceive/v1/login", Sent: "{}", Status: 200, Received: "{}"},
					{Method: "POST", URL: "https://p.example/dataReceive/v1/parkSpaceInfo", Headers: map[string]string{"authorization": "abcdef…"},
						Sent: strings.Repeat("粤", 500), Status: 200, Received: `{"code":0}`},
				}},
		}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"PASS  a.ok   table 2  it works\n", "note: a remark",
		"FAIL  b.bad  §2       it refuses\n", "why:  answered HTTP 200, code 0, want code 6",
		"sent: POST https://p.example/dataReceive/v1/parkSpaceInfo  authorization: abcdef…", "(1500 bytes in all)",
		"got:  HTTP 200  {\"code\":0}", "(1 earlier request of this check in --json)", "\n1 passed, 1 failed\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	var j bytes.Buffer
	if err := rep.WriteJSON(&j); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(j.Bytes(), &back); err != nil || back.Failed != 1 || len(back.Results[1].Exchanges) != 2 {
		t.Fatalf("JSON report %s: %v", j.String(), err)
	}
}

func TestSelect(t *testing.T) {
	got, err := Select(PlatformChecks(), `^picture\.`)
	if err != nil || len(got) != 5 {
		t.Fatalf("Select picture: %d, %v", len(got), err)
	}
	if _, err := Select(PlatformChecks(), `(`); err == nil {
		t.Error("a bad pattern was accepted")
	}
	ids := map[string]bool{}
	for _, c := range PlatformChecks() {
		if ids[c.ID] || c.Clause == "" || c.Description == "" || c.Run == nil {
			t.Errorf("check %q: duplicate or incomplete", c.ID)
		}
		ids[c.ID] = true
	}
	for _, c := range PLMSChecks() {
		if ids[c.ID] || c.Clause == "" || c.Description == "" || c.Run == nil {
			t.Errorf("check %q: duplicate or incomplete", c.ID)
		}
		ids[c.ID] = true
	}
}

func TestBaseURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://h:8443":                 "https://h:8443",
		"https://h:8443/":                "https://h:8443",
		"https://h:8443/dataReceive/v1":  "https://h:8443",
		"https://h:8443/dataReceive/v1/": "https://h:8443",
		"http://h/plms/dataReceive/v1/":  "http://h/plms",
		" https://h:8443/callback/ ":     "https://h:8443/callback",
	} {
		if got, err := baseURL(in); err != nil || got != want {
			t.Errorf("baseURL(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "h:8443", "ftp://h", "https://"} {
		if _, err := baseURL(bad); err == nil {
			t.Errorf("baseURL(%q) accepted", bad)
		}
	}
}

func decodeJPEG(b []byte) (image.Image, error) { return jpeg.Decode(bytes.NewReader(b)) }

package openapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// sampleParams are the values put in a documented path's parameters.
var sampleParams = map[string]string{"code": "login", "bookCode": strings.Repeat("0", 32), "isvParkId": strings.Repeat("0", 32)}

// fill replaces every {param} of path with a sample value.
func fill(path string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(path, '{')
		if i < 0 {
			return b.String() + path
		}
		j := strings.IndexByte(path[i:], '}') + i
		b.WriteString(path[:i])
		v, ok := sampleParams[path[i+1:j]]
		if !ok {
			v = "x"
		}
		b.WriteString(v)
		path = path[j+1:]
	}
}

// muxMiss reports whether an answer is the ServeMux's own: no route for
// the path (404) or none for the method (405).
func muxMiss(status int, body []byte) bool {
	return status == http.StatusNotFound && string(body) == "404 page not found\n" ||
		status == http.StatusMethodNotAllowed && string(body) == "Method Not Allowed\n"
}

func TestEveryDocumentedRouteAnswers(t *testing.T) {
	doc := load(t)
	srv := testserver.Start(t, testserver.Options{})
	var checked []string
	for _, p := range doc.Paths.InMatchingOrder() {
		for method := range doc.Paths.Value(p).Operations() {
			var body []byte
			if method == http.MethodPost || method == http.MethodPatch || method == http.MethodPut {
				body = []byte("{}")
			}
			status, got := srv.Do(t, method, fill(p), "", "application/json", body, nil)
			if muxMiss(status, got) {
				t.Errorf("%s %s (as %s): HTTP %d from the mux: the document has a route the server lacks", method, p, fill(p), status)
			}
			checked = append(checked, method+" "+p)
		}
	}
	sort.Strings(checked)
	if len(checked) < 15 {
		t.Fatalf("checked only %v", checked)
	}
}

// checkResponse sends a request and validates the answer against the
// response schema of its operation and status.
func checkResponse(t *testing.T, doc *openapi3.T, srv *testserver.Server, method, path, auth string, body []byte, wantStatus int) []byte {
	t.Helper()
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	route, params, err := router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: not in the document: %v", method, path, err)
	}
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != wantStatus {
		t.Fatalf("%s %s: HTTP %d, want %d: %s", method, path, resp.StatusCode, wantStatus, raw)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		t.Errorf("%s %s: the answer does not match the document: %v\n%s", method, path, err, raw)
	}
	return raw
}

// envelope signs items as an uplink request body.
func envelope(t *testing.T, srv *testserver.Server, items any) []byte {
	t.Helper()
	data, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(protocol.Request{Timestamp: protocol.Millis(srv.Clock.Now()), Sign: protocol.Sign(data), Version: protocol.Version, Data: data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRealAnswersMatchTheDocument(t *testing.T) {
	doc := load(t)
	srv := testserver.Start(t, testserver.Options{})
	doc.Servers = openapi3.Servers{{URL: srv.URL}}
	srv.AddAccount(t, "vendorA", "Parking@2024")
	key, secret := accounts.NewAPIKey("app", srv.Clock.Now())
	err := srv.Store.Update(context.Background(), func(tx platform.Tx) error {
		acct, err := tx.Account("vendorA")
		if err != nil {
			return err
		}
		// A downlink receiver that is never reached: the order is only booked.
		acct.CallbackURL, acct.CallbackToken = "https://127.0.0.1:9", "t"
		if err := tx.PutAccount(acct); err != nil {
			return err
		}
		return tx.PutAPIKey(key)
	})
	if err != nil {
		t.Fatal(err)
	}

	raw := checkResponse(t, doc, srv, http.MethodPost, "/dataReceive/v1/login", "",
		envelope(t, srv, []protocol.LoginRequest{protocol.NewLoginRequest("vendorA", "Parking@2024")}), http.StatusOK)
	var login struct {
		Code int
		Data []protocol.LoginResponse
	}
	if err := json.Unmarshal(raw, &login); err != nil || login.Code != 0 || len(login.Data) != 1 {
		t.Fatalf("login: %s", raw)
	}
	token := login.Data[0].AccessToken

	// A refused parkInfo: an error envelope with empty data.
	checkResponse(t, doc, srv, http.MethodPost, "/dataReceive/v1/parkInfo", token, envelope(t, srv, []map[string]any{{"parkCode": "x"}}), http.StatusOK)
	checkResponse(t, doc, srv, http.MethodPost, "/dataReceive/v1/heartBeats", token,
		envelope(t, srv, []protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(srv.Clock.Now())}}), http.StatusOK)
	// An unknown interface code is not in the document: 404 with an envelope of code 2.
	if status, body := srv.Do(t, http.MethodPost, "/dataReceive/v1/nosuch", token, "application/json", envelope(t, srv, []any{}), nil); status != http.StatusNotFound || !strings.Contains(string(body), `"code":2`) {
		t.Errorf("unknown interface: HTTP %d %s", status, body)
	}

	// A reservable park of the online account, then a real booking.
	park := map[string]any{"parkName": "福田中心停车场", "parkCode": strings.Repeat("a", 32), "permitNo": "", "parkType": 1,
		"address": "深圳市福田区福华路1号", "longitude": 114.0579, "latitude": 22.5431, "areaCode": "440304", "serviceType": 4,
		"bizStatus": 1, "totalSpaces": 100, "reservable": 1, "reservableSpaces": 20, "totalReservableCharingSpaces": 0,
		"imageId": strings.Repeat("1", 32)}
	raw = checkResponse(t, doc, srv, http.MethodPost, "/dataReceive/v1/parkInfo", token, envelope(t, srv, []any{park}), http.StatusOK)
	var parks struct {
		Data []protocol.ParkInfoResponse
	}
	if err := json.Unmarshal(raw, &parks); err != nil || len(parks.Data) != 1 {
		t.Fatalf("parkInfo: %s", raw)
	}
	bearer := "Bearer " + secret
	booking := map[string]any{"parkId": parks.Data[0].IsvParkID, "plateNo": "粤B12345",
		"bookTime": protocol.NewDateTime(srv.Clock.Now().Add(30 * time.Minute))}
	raw = checkResponse(t, doc, srv, http.MethodPost, "/api/v1/reservations", bearer, mustJSON(t, booking), http.StatusCreated)
	var booked struct {
		Data []api.ReservationView
	}
	if err := json.Unmarshal(raw, &booked); err != nil || len(booked.Data) != 1 {
		t.Fatalf("booking: %s", raw)
	}
	checkResponse(t, doc, srv, http.MethodGet, "/api/v1/reservations/"+booked.Data[0].BookCode, bearer, nil, http.StatusOK)
	checkResponse(t, doc, srv, http.MethodGet, "/api/v1/reservations?plateNo=%E7%B2%A4B12345", bearer, nil, http.StatusOK)
	checkResponse(t, doc, srv, http.MethodGet, "/api/v1/reservations/"+strings.Repeat("0", 32), bearer, nil, http.StatusNotFound)
	checkResponse(t, doc, srv, http.MethodPost, "/api/v1/reservations", bearer, []byte(`{"plateNo":"粤B12345"}`), http.StatusBadRequest)
	checkResponse(t, doc, srv, http.MethodDelete, "/api/v1/reservations/"+strings.Repeat("0", 32), "Bearer nokey.x", nil, http.StatusUnauthorized)

	checkResponse(t, doc, srv, http.MethodGet, "/readyz", "", nil, http.StatusOK)
	checkResponse(t, doc, srv, http.MethodGet, "/openapi.json", "", nil, http.StatusOK)
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

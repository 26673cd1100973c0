package e2e

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

func TestUnknownInterfaceIs404WithEnvelope(t *testing.T) {
	srv := start(t)
	for _, code := range []string{"foo", "Login", "reservation", "cancelReservation", "heartbeats"} {
		t.Run(code, func(t *testing.T) {
			status, raw := srv.Do(t, http.MethodPost, protocol.PathPrefix+code, "", "application/json", []byte(`{}`), nil)
			if status != http.StatusNotFound {
				t.Fatalf("HTTP %d, want 404", status)
			}
			var resp protocol.Response
			if err := json.Unmarshal(raw, &resp); err != nil {
				t.Fatalf("404 body is not an envelope: %v: %s", err, raw)
			}
			wantCode(t, resp, protocol.CodeFormat, code)
		})
	}
}

func TestWrongMethodIs405(t *testing.T) {
	srv := start(t)
	for _, code := range protocol.Uplink {
		for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
			status, _ := srv.Do(t, method, code.Path(), "", "", nil, nil)
			if status != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: HTTP %d, want 405", method, code, status)
			}
		}
	}
}

// TestEveryResponseIsJSON: content type and envelope of answers to known
// interfaces, success or not.
func TestEveryResponseIsJSON(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	data := mustJSON(t, []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)})
	for _, body := range [][]byte{envelope(now(srv), protocol.Sign(data), data), []byte("{")} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+protocol.Login.Path(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("HTTP %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		if resp.Header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
	}
}

func TestEnvelopeErrors(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	item := mustJSON(t, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:00")}})
	ts := now(srv)
	sign := protocol.Sign(item)
	tests := []struct {
		name string
		body string
		code protocol.Code
		part string
	}{
		{"malformed JSON", `{"timestamp":` + ms(ts) + `,"sign":"`, protocol.CodeFormat, ""},
		{"not an object", `[1,2,3]`, protocol.CodeFormat, ""},
		{"empty body", ``, protocol.CodeFormat, ""},
		{"timestamp as a string", `{"timestamp":"` + ms(ts) + `","sign":"` + sign + `","version":"1.0.0","data":` + string(item) + `}`, protocol.CodeFormat, "timestamp"},
		{"data as a string", `{"timestamp":` + ms(ts) + `,"sign":"` + sign + `","version":"1.0.0","data":"abc"}`, protocol.CodeFormat, "data"},
		{"data items not objects", `{"timestamp":` + ms(ts) + `,"sign":"` + protocol.Sign([]byte("[1]")) + `","version":"1.0.0","data":[1]}`, protocol.CodeFormat, "data[0]"},
		{"missing timestamp", `{"sign":"` + sign + `","version":"1.0.0","data":` + string(item) + `}`, protocol.CodeParam, "timestamp"},
		{"missing sign", `{"timestamp":` + ms(ts) + `,"version":"1.0.0","data":` + string(item) + `}`, protocol.CodeParam, "sign"},
		{"missing version", `{"timestamp":` + ms(ts) + `,"sign":"` + sign + `","data":` + string(item) + `}`, protocol.CodeParam, "version"},
		{"missing data", `{"timestamp":` + ms(ts) + `,"sign":"` + sign + `","version":"1.0.0"}`, protocol.CodeParam, "data"},
		{"empty data", `{"timestamp":` + ms(ts) + `,"sign":"` + protocol.Sign([]byte("[]")) + `","version":"1.0.0","data":[]}`, protocol.CodeParam, "data"},
		{"version of 11 characters", `{"timestamp":` + ms(ts) + `,"sign":"` + sign + `","version":"1.0.0.0.0.0","data":` + string(item) + `}`, protocol.CodeTooLong, "version"},
		{"missing requestTime", `{"timestamp":` + ms(ts) + `,"sign":"` + protocol.Sign([]byte("[{}]")) + `","version":"1.0.0","data":[{}]}`, protocol.CodeParam, "data[0].requestTime"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, srv.PostRaw(t, protocol.HeartBeats, token, []byte(tc.body), nil), tc.code, tc.part)
		})
	}
}

func TestBodyOverLimit(t *testing.T) {
	srv, token, isv := parkFixture(t)
	// A valid envelope padded with an unknown field to just over 1 MiB.
	item := enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")
	data := editItem(t, item, func(m map[string]any) { m["padding"] = strings.Repeat("x", 1<<20) })
	resp := postData(t, srv, protocol.EnterRecordCode, token, data)
	wantCode(t, resp, protocol.CodeFormat)
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("the record of an oversized body was stored")
	}
	// The same item with a small padding is accepted: unknown fields are
	// ignored.
	data = editItem(t, item, func(m map[string]any) { m["padding"] = strings.Repeat("x", 1000) })
	wantOK(t, postData(t, srv, protocol.EnterRecordCode, token, data))
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); !ok {
		t.Error("record with an unknown field not stored")
	}
}

func TestDataItemCount(t *testing.T) {
	srv, token, isv := parkFixture(t)
	items := make([]protocol.EnterRecord, protocol.DefaultMaxItems+1)
	for i := range items {
		items[i] = enter(t, parkA, recordID(100+i), "粤B12345", "2024-01-01 07:30:00")
	}
	wantCode(t, srv.Post(t, protocol.EnterRecordCode, token, items), protocol.CodeParam, "data")
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(100)); ok {
		t.Error("an item of a 101-item batch was stored")
	}
	wantCode(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{}), protocol.CodeParam, "data")

	// A single object is taken as a one-item array.
	resp := postData(t, srv, protocol.EnterRecordCode, token, mustJSON(t, items[0]))
	wantData(t, resp, `[{"id":"`+recordID(100)+`"}]`)
}

func TestTimestampWindow(t *testing.T) {
	srv, token, isv := parkFixture(t)
	tests := []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"11 minutes old", -11 * time.Minute, false},
		{"11 minutes ahead", 11 * time.Minute, false},
		{"a day old", -24 * time.Hour, false},
		{"9 minutes old", -9 * time.Minute, true},
		{"9 minutes ahead", 9 * time.Minute, true},
		{"exactly 10 minutes old", -10 * time.Minute, true},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := recordID(i + 1)
			data := mustJSON(t, []protocol.EnterRecord{enter(t, parkA, id, "粤B12345", "2024-01-01 07:30:00")})
			ts := protocol.Millis(srv.Clock.Now().Add(tc.offset))
			resp := srv.PostRaw(t, protocol.EnterRecordCode, token, envelope(ts, protocol.Sign(data), data), nil)
			_, stored := record(t, srv, platform.KindEnter, isv, id)
			if tc.ok {
				wantOK(t, resp)
				if !stored {
					t.Error("not stored")
				}
				return
			}
			wantCode(t, resp, protocol.CodeParam, "timestamp")
			if stored {
				t.Error("a request outside the window was stored")
			}
		})
	}
}

func TestSignVariants(t *testing.T) {
	srv, token, isv := parkFixture(t)
	tests := []struct {
		name string
		// body returns the data bytes and the sign for the item.
		body func(item protocol.EnterRecord) ([]byte, string)
		ok   bool
	}{
		{"lowercase hex", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			return d, protocol.Sign(d)
		}, true},
		{"uppercase hex", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			return d, strings.ToUpper(protocol.Sign(d))
		}, true},
		{"Base64", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			sum := protocol.SM3(d)
			return d, base64.StdEncoding.EncodeToString(sum[:])
		}, true},
		{"pretty-printed data signed compact", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			pretty, err := json.MarshalIndent([]any{it}, "", "    ")
			if err != nil {
				t.Fatal(err)
			}
			return pretty, protocol.Sign(d)
		}, true},
		{"pretty-printed data signed as sent", func(it protocol.EnterRecord) ([]byte, string) {
			pretty, err := json.MarshalIndent([]any{it}, "", "\t")
			if err != nil {
				t.Fatal(err)
			}
			return pretty, protocol.Sign(pretty)
		}, true},
		{"sign of other data", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			other := it
			other.PlateNo = "粤B00000"
			return d, protocol.Sign(mustJSON(t, []any{other}))
		}, false},
		{"keys reordered after signing", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			var m map[string]any // encoding/json writes map keys sorted
			if err := json.Unmarshal(mustJSON(t, it), &m); err != nil {
				t.Fatal(err)
			}
			return mustJSON(t, []any{m}), protocol.Sign(d)
		}, false},
		{"escapes changed after signing", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			return bytes.Replace(d, []byte("粤"), []byte(`\u7ca4`), 1), protocol.Sign(d)
		}, false},
		{"SM3 of the wrong length", func(it protocol.EnterRecord) ([]byte, string) {
			d := mustJSON(t, []any{it})
			return d, protocol.Sign(d)[:62]
		}, false},
		{"garbage", func(it protocol.EnterRecord) ([]byte, string) {
			return mustJSON(t, []any{it}), "not a sign"
		}, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			id := recordID(i + 1)
			data, sign := tc.body(enter(t, parkA, id, "粤B12345", "2024-01-01 07:30:00"))
			resp := srv.PostRaw(t, protocol.EnterRecordCode, token, envelope(now(srv), sign, data), nil)
			_, stored := record(t, srv, platform.KindEnter, isv, id)
			if tc.ok {
				wantData(t, resp, `[{"id":"`+id+`"}]`)
				if !stored {
					t.Error("not stored")
				}
				return
			}
			wantCode(t, resp, protocol.CodeSign, "sign")
			if stored {
				t.Error("a request with a bad sign was stored")
			}
		})
	}
}

// TestSignWorkedExample posts the enterRecord data of docs/protocol.md §10 with its
// published sign, in hex and Base64.
func TestSignWorkedExample(t *testing.T) {
	srv, token, isv := parkFixture(t)
	data := []byte(`[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"11112222333344445555666677778888","entranceCode":"GATE01"}]`)
	for _, sign := range []string{
		"5b65407061adcfcfc06d82b210e252089401101a4e5cfd69f3573d2f66676bdd",
		"W2VAcGGtz8/AbYKyEOJSCJQBEBpOXP1p81c9L2Zna90=",
	} {
		resp := srv.PostRaw(t, protocol.EnterRecordCode, token, envelope(now(srv), sign, data), nil)
		wantData(t, resp, `[{"id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0"}]`)
	}
	if _, ok := record(t, srv, platform.KindEnter, isv, "0f1e2d3c4b5a69788796a5b4c3d2e1f0"); !ok {
		t.Error("worked example not stored")
	}
}

// TestTokenCheckedBeforeSign: a request with no valid token is 5 whatever
// its sign.
func TestTokenCheckedBeforeSign(t *testing.T) {
	srv, _, _ := parkFixture(t)
	data := mustJSON(t, []protocol.ParkInfo{parkInfo(parkB)})
	wantCode(t, srv.PostRaw(t, protocol.ParkInfoCode, platform.NewID(), envelope(now(srv), "bad", data), nil), protocol.CodeToken)
}

// TestEncryptedHeaderWithoutKey: encrypted: 0 from an account with no data
// key is 4 naming the header (docs/protocol.md §7; encrypted_test.go has the rest).
func TestEncryptedHeaderWithoutKey(t *testing.T) {
	srv, token, _ := parkFixture(t)
	data := mustJSON(t, []protocol.ParkSpaceInfo{space(parkA, 1)})
	resp := srv.PostRaw(t, protocol.ParkSpaceInfoCode, token, envelope(now(srv), protocol.Sign(data), data), http.Header{"Encrypted": {"0"}})
	wantCode(t, resp, protocol.CodeParam, "encrypted")
	// encrypted: 1 is plaintext.
	resp = srv.PostRaw(t, protocol.ParkSpaceInfoCode, token, envelope(now(srv), protocol.Sign(data), data), http.Header{"Encrypted": {"1"}})
	wantOK(t, resp)
}

// TestAuthorizationHeaderForms: the header name is case-insensitive and a
// Bearer prefix is accepted.
func TestAuthorizationHeaderForms(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	data := mustJSON(t, []protocol.HeartbeatRequest{{RequestTime: dt(t, "2024-01-01 08:00:00")}})
	body := envelope(now(srv), protocol.Sign(data), data)
	for _, h := range []http.Header{
		{"Authorization": {token}},
		{"authorization": {token}},
		{"AUTHORIZATION": {"Bearer " + token}},
		{"Authorization": {"bearer " + token}},
	} {
		req, err := http.NewRequest(http.MethodPost, srv.URL+protocol.HeartBeats.Path(), bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		for k, v := range h {
			req.Header[k] = v // set as written, not canonicalised
		}
		req.Header.Set("Content-Type", "application/json")
		res, err := srv.Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var resp protocol.Response
		err = json.NewDecoder(res.Body).Decode(&resp)
		res.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.Code != protocol.CodeOK {
			t.Errorf("header %v: code %d %s", h, resp.Code, resp.Message)
		}
	}
}

package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/protocol"
)

// fuzzServer is a parkd with one logged-in account and one park, driven
// through its handler in-process.
type fuzzServer struct {
	h     http.Handler
	token string
	now   time.Time
}

func newFuzzServer(t testing.TB) *fuzzServer {
	now := time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv, err := server.New(server.Config{DataDir: t.TempDir(), Sync: "normal"}, func() time.Time { return now }, log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	hash, err := accounts.HashVendorPassword(protocol.PasswordDigest("pw"))
	if err != nil {
		t.Fatal(err)
	}
	err = srv.Store.Update(context.Background(), func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: "fuzz", PasswordHash: hash, CreatedAt: now})
	})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := srv.Sessions.Login(context.Background(), "fuzz", protocol.PasswordDigest("pw"), "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	return &fuzzServer{h: srv.Handler(), token: tok, now: now}
}

// post sends body to code and checks the answer is a well-formed envelope
// that is not an internal fault.
func (f *fuzzServer) post(t *testing.T, code string, contentType string, body []byte) {
	req := httptest.NewRequest(http.MethodPost, protocol.PathPrefix+code, bytes.NewReader(body))
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", f.token)
	rec := httptest.NewRecorder()
	f.h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK && rec.Code != http.StatusNotFound {
		t.Fatalf("HTTP %d for %q", rec.Code, body)
	}
	var resp protocol.Response
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil {
		t.Fatalf("answer is not an envelope: %v: %s", err, rec.Body.Bytes())
	}
	if resp.Code == protocol.CodeInternal {
		t.Fatalf("internal fault for %s %q: %s", code, body, resp.Message)
	}
}

// envelope wraps data in a signed request stamped with the server clock.
func (f *fuzzServer) envelope(data []byte) []byte {
	b, _ := json.Marshal(protocol.Request{Timestamp: protocol.Millis(f.now), Sign: protocol.Sign(data), Version: "1.0.0", Data: data})
	return b
}

// FuzzUplinkBody sends arbitrary bodies to every JSON uplink interface:
// whatever arrives, the server answers with an envelope and no internal
// fault, and never panics.
func FuzzUplinkBody(f *testing.F) {
	seeds := []string{
		`{"timestamp":1704067200000,"sign":"x","version":"1.0.0","data":[{}]}`,
		`{"timestamp":"x","data":null}`,
		`[]`, `{}`, `null`, `{"data":{"a":1}}`,
	}
	for _, s := range seeds {
		f.Add("enterRecord", []byte(s), false)
	}
	f.Add("parkInfo", []byte(`[{"parkName":"p","parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","permitNo":"","parkType":1,"address":"a","longitude":114.05,"latitude":22.54,"areaCode":"440304","serviceType":8,"bizStatus":1,"totalSpaces":100,"reservable":1,"reservableSpaces":10,"totalReservableCharingSpaces":0,"imageId":"img","publicInfos":[{"type":4,"startTime":"00:00:00","endTime":"23:59:59","startDateTime":"2024-01-01"}]}]`), true)
	f.Add("enterRecord", []byte(`[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"p","entranceCode":"GATE01"}]`), true)
	f.Add("replenishCarInfo", []byte(`[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","queryDate":"2024-01-01","currentPage":2,"pageSize":50}]`), true)
	f.Add("parkCarInfo", []byte(`[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","plateNoList":"粤B1，粤b2, ,"}]`), true)
	f.Add("heartBeats", []byte(`[{"requestTime":"2024-13-01 25:00:00"}]`), true)
	f.Add("login", []byte(`[{"userId":"fuzz","password":"x"}]`), true)
	fs := newFuzzServer(f)
	codes := map[string]bool{}
	for _, c := range protocol.Uplink {
		codes[string(c)] = true
	}
	f.Fuzz(func(t *testing.T, code string, body []byte, wrap bool) {
		if !codes[code] || code == string(protocol.PictureCode) {
			code = string(protocol.EnterRecordCode)
		}
		if wrap {
			body = fs.envelope(body)
		}
		fs.post(t, code, "application/json", body)
	})
}

// FuzzPictureForm sends arbitrary form values and file bytes to picture.
func FuzzPictureForm(f *testing.F) {
	f.Add("1704067200000", "a1b2c3d4e5f60718293a4b5c6d7e8f90", "pic1", "4", []byte("\xff\xd8\xff\xe0rest"), true)
	f.Add("x", "", "", "9", []byte("\x89PNG\r\n\x1a\n"), false)
	fs := newFuzzServer(f)
	f.Fuzz(func(t *testing.T, ts, parkCode, id, bizType string, file []byte, goodSign bool) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		sign := "00"
		if goodSign {
			sign = protocol.Sign(file)
		}
		for k, v := range map[string]string{"timestamp": ts, "sign": sign, "version": "1.0.0", "parkCode": parkCode,
			"id": id, "fileName": "f.jpg", "imageBizType": bizType, "pickTime": ts} {
			mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("file", "f.jpg")
		fw.Write(file)
		mw.Close()
		fs.post(t, "picture", mw.FormDataContentType(), body.Bytes())
	})
}

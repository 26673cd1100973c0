package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Text that is not UTF-8, or a \u escape of a lone UTF-16 surrogate, is
// refused rather than stored as U+FFFD (docs/protocol.md §2, §3).

// enterWithPlate returns the data of one entry whose plateNo is the raw
// JSON text plate (quotes included).
func enterWithPlate(t *testing.T, id, plate string) []byte {
	t.Helper()
	data := mustJSON(t, []protocol.EnterRecord{enter(t, parkA, id, "粤B00000", "2024-01-01 07:30:00")})
	out := bytes.Replace(data, []byte(`"粤B00000"`), []byte(plate), 1)
	if bytes.Equal(out, data) {
		t.Fatal("plate not replaced")
	}
	return out
}

func TestUplinkInvalidUTF8IsNotJSON(t *testing.T) {
	srv, token, isv := parkFixture(t)
	data := enterWithPlate(t, recordID(1), "\"\xff\xfe粤B12345\"")
	wantCode(t, postData(t, srv, protocol.EnterRecordCode, token, data), protocol.CodeFormat, "UTF-8")
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("entry with a plate that is not UTF-8 stored")
	}
}

func TestUplinkLoneSurrogateIs1005(t *testing.T) {
	srv, token, isv := parkFixture(t)
	for i, plate := range []string{`"\ud800粤B12345"`, `"粤B1234\uDC00"`, `"粤B\ud83d12345"`} {
		id := recordID(i + 1)
		resp := postData(t, srv, protocol.EnterRecordCode, token, enterWithPlate(t, id, plate))
		wantCode(t, resp, protocol.CodeType, "data[0].plateNo", "surrogate")
		if _, ok := record(t, srv, platform.KindEnter, isv, id); ok {
			t.Errorf("entry with plate %s stored", plate)
		}
	}
	// Escapes that are characters, a pair among them, pass this check.
	data := enterWithPlate(t, recordID(9), `"\u7ca4B12345"`)
	wantOK(t, postData(t, srv, protocol.EnterRecordCode, token, data))
	if r, ok := record(t, srv, platform.KindEnter, isv, recordID(9)); !ok || r.PlateNo != "粤B12345" {
		t.Errorf("entry with an escaped plate: %+v %v", r, ok)
	}
}

func TestBookingInvalidUTF8AndLoneSurrogate(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 5})
	for _, tc := range []struct {
		name  string
		plate string
		code  protocol.Code
		part  string
	}{
		{"not UTF-8", "\"\xff\xfe粤B12345\"", protocol.CodeFormat, "UTF-8"},
		{"lone surrogate", `"\ud800粤B12345"`, protocol.CodeType, "plateNo"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := mustJSON(t, e.order("粤B00000", "2024-01-01 09:00:00"))
			body = bytes.Replace(body, []byte(`"粤B00000"`), []byte(tc.plate), 1)
			status, raw := e.srv.Do(t, http.MethodPost, "/api/v1/reservations", "Bearer "+e.key, "application/json", body, nil)
			if status != http.StatusBadRequest {
				t.Errorf("HTTP %d, want 400", status)
			}
			var resp protocol.Response
			if err := json.Unmarshal(raw, &resp); err != nil {
				t.Fatalf("not an envelope: %s", raw)
			}
			wantCode(t, resp, tc.code, tc.part)
			if e.queued(t) != 0 {
				t.Error("an order was queued")
			}
		})
	}
}

package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

const downlinkToken = "downlink-token-0123456789abcdef"

// lotHandler is a parking system's reservation logic for the tests: the
// bookCode decides the answer.
type lotHandler struct {
	mu       sync.Mutex
	reserved []protocol.Reservation
	canceled []protocol.CancelReservation
}

func (h *lotHandler) Reserve(_ context.Context, r protocol.Reservation) error {
	switch r.BookCode {
	case "FULL0001":
		return protocol.Errorf(protocol.CodeNoReservable, "park full")
	case "HELD0001":
		return protocol.Errorf(protocol.CodeBookExists, "already held")
	case "BOOM0001":
		return errors.New("database is on fire")
	}
	h.mu.Lock()
	h.reserved = append(h.reserved, r)
	h.mu.Unlock()
	return nil
}

func (h *lotHandler) Cancel(_ context.Context, r protocol.CancelReservation) error {
	if r.BookCode == "NONE0001" {
		return protocol.Errorf(protocol.CodeNoReservation, "no such order")
	}
	h.mu.Lock()
	h.canceled = append(h.canceled, r)
	h.mu.Unlock()
	return nil
}

func (h *lotHandler) calls() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.reserved) + len(h.canceled)
}

// reservation returns a valid table 19 item.
func reservation(t testing.TB, bookCode string) protocol.Reservation {
	return protocol.Reservation{ParkCode: parkA, BookCode: bookCode, PlateNo: "粤B12345",
		BookTime: dt(t, "2024-01-01 09:00:00"), OverTime: dt(t, "2024-01-01 10:00:00"), ObligatTime: 30,
		BookType: protocol.BookType(0), SpaceType: protocol.SpaceType(0), OperateType: protocol.OperateType(1)}
}

// envelope returns a request body whose data is the JSON of items, signed
// with SM3 unless sign is given.
func envelope(t testing.TB, items any, sign ...string) []byte {
	t.Helper()
	data, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	req := protocol.Request{Timestamp: protocol.Millis(time.Now()), Sign: protocol.Sign(data), Version: protocol.Version, Data: data}
	if len(sign) > 0 {
		req.Sign = sign[0]
	}
	body, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

func TestReceiver(t *testing.T) {
	h := &lotHandler{}
	now := time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)
	srv := httptest.NewServer(&client.Receiver{Token: downlinkToken, Handler: h, MaxBody: 64 << 10, Now: func() time.Time { return now }})
	defer srv.Close()

	missing := map[string]any{"parkCode": parkA, "bookCode": "BK000009", "bookTime": "2024-01-01 09:00:00",
		"overTime": "2024-01-01 10:00:00", "obligatTime": 30, "bookType": 0, "spaceType": 0, "operateType": 1}
	tests := []struct {
		name       string
		method     string
		path       string
		token      string
		body       []byte
		wantStatus int
		wantCode   protocol.Code
		wantMsg    string // a part of the message
		wantData   string // exact data, when the answer is an envelope
		wantCalls  int    // calls of the handler
	}{
		{"accepted", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "BK000001")}),
			200, protocol.CodeOK, "成功", `[{"bookCode":"BK000001"}]`, 1},
		{"two orders, Bearer token", "POST", "/dataReceive/v1/reservation", "Bearer " + downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "BK000002"), reservation(t, "BK000003")}),
			200, protocol.CodeOK, "成功", `[{"bookCode":"BK000002"},{"bookCode":"BK000003"}]`, 2},
		{"one object as data", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, reservation(t, "BK000004")),
			200, protocol.CodeOK, "成功", `[{"bookCode":"BK000004"}]`, 1},
		{"no space", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "FULL0001")}),
			200, protocol.CodeNoReservable, "没有可预约车位: park full", `[]`, 0},
		{"already held", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "HELD0001")}),
			200, protocol.CodeBookExists, "预约编码已存在", `[]`, 0},
		{"handler fault is code 3 without its detail", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "BOOM0001")}),
			200, protocol.CodeInternal, "其他错误", `[]`, 0},
		{"bad token", "POST", "/dataReceive/v1/reservation", "not-the-token",
			envelope(t, []protocol.Reservation{reservation(t, "BK000005")}),
			200, protocol.CodeToken, "Token校验失败", `[]`, 0},
		{"no token", "POST", "/dataReceive/v1/reservation", "",
			envelope(t, []protocol.Reservation{reservation(t, "BK000005")}),
			200, protocol.CodeToken, "Token校验失败", `[]`, 0},
		{"bad sign", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "BK000006")}, protocol.Sign([]byte("other data"))),
			200, protocol.CodeSign, "sign参数校验失败: sign", `[]`, 0},
		{"malformed body", "POST", "/dataReceive/v1/reservation", downlinkToken,
			[]byte(`{"timestamp":1,"sign":`),
			200, protocol.CodeFormat, "接口通用格式错误", `[]`, 0},
		{"body too large", "POST", "/dataReceive/v1/reservation", downlinkToken,
			bytes.Repeat([]byte(" "), 65<<10),
			200, protocol.CodeFormat, "接口通用格式错误", `[]`, 0},
		{"missing field", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []any{missing}),
			200, protocol.CodeParam, "参数错误: data[0].plateNo", `[]`, 0},
		{"bad value in the second item", "POST", "/dataReceive/v1/reservation", downlinkToken,
			envelope(t, []any{reservation(t, "BK000007"), map[string]any{"parkCode": parkA, "bookCode": "BK000008",
				"plateNo": "粤B12345", "bookTime": "2024-01-01 09:00:00", "overTime": "2024-01-01 10:00:00",
				"obligatTime": 30, "bookType": 0, "spaceType": 7, "operateType": 1}}),
			200, protocol.CodeRange, "超出规定值范围: data[1].spaceType", `[]`, 0},
		{"cancel", "POST", "/dataReceive/v1/cancelReservation", downlinkToken,
			envelope(t, []protocol.CancelReservation{{ParkCode: parkA, BookCode: "BK000001"}}),
			200, protocol.CodeOK, "成功", `[{"bookCode":"BK000001"}]`, 1},
		{"cancel of an unknown order", "POST", "/dataReceive/v1/cancelReservation", downlinkToken,
			envelope(t, []protocol.CancelReservation{{ParkCode: parkA, BookCode: "NONE0001"}}),
			200, protocol.CodeNoReservation, "预约订单不存在", `[]`, 0},
		{"cancel with a missing field", "POST", "/dataReceive/v1/cancelReservation", downlinkToken,
			envelope(t, []any{map[string]any{"parkCode": parkA}}),
			200, protocol.CodeParam, "data[0].bookCode", `[]`, 0},
		{"unknown interface", "POST", "/dataReceive/v1/enterRecord", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "BK000010")}),
			404, protocol.CodeFormat, "enterRecord", `[]`, 0},
		{"outside the prefix", "POST", "/reservation", downlinkToken,
			envelope(t, []protocol.Reservation{reservation(t, "BK000010")}),
			404, protocol.CodeFormat, "接口通用格式错误", `[]`, 0},
		{"wrong method", "GET", "/dataReceive/v1/reservation", downlinkToken, nil,
			405, 0, "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := h.calls()
			req, err := http.NewRequest(tt.method, srv.URL+tt.path, bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tt.token != "" {
				req.Header.Set("Authorization", tt.token)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			raw, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("HTTP %d, want %d: %s", resp.StatusCode, tt.wantStatus, raw)
			}
			if got := h.calls() - before; got != tt.wantCalls {
				t.Errorf("handler called %d times, want %d", got, tt.wantCalls)
			}
			if tt.wantStatus == http.StatusMethodNotAllowed {
				if allow := resp.Header.Get("Allow"); allow != "POST" {
					t.Errorf("Allow: %q", allow)
				}
				return
			}
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
				t.Errorf("Content-Type %q", ct)
			}
			var env protocol.Response
			if err := json.Unmarshal(raw, &env); err != nil {
				t.Fatalf("not an envelope: %s", raw)
			}
			if env.Code != tt.wantCode || !strings.HasPrefix(env.Message, tt.wantCode.Message()) ||
				!strings.Contains(env.Message, tt.wantMsg) {
				t.Errorf("code %d %q, want %d naming %q", env.Code, env.Message, tt.wantCode, tt.wantMsg)
			}
			if string(env.Data) != tt.wantData {
				t.Errorf("data %s, want %s", env.Data, tt.wantData)
			}
			if env.Timestamp != protocol.Millis(now) {
				t.Errorf("timestamp %d, want the receiver's clock", env.Timestamp)
			}
			if strings.Contains(env.Message, "fire") {
				t.Errorf("message %q leaks the handler's error", env.Message)
			}
		})
	}

	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reserved) != 4 || h.reserved[0].PlateNo != "粤B12345" || h.reserved[0].ObligatTime != 30 ||
		!h.reserved[0].BookTime.Time().Equal(dt(t, "2024-01-01 09:00:00").Time()) {
		t.Errorf("reservations handed over: %+v", h.reserved)
	}
	if len(h.canceled) != 1 || h.canceled[0].BookCode != "BK000001" || h.canceled[0].ParkCode != parkA {
		t.Errorf("cancellations handed over: %+v", h.canceled)
	}
}

// A receiver with no token configured refuses every call.
func TestReceiverWithoutToken(t *testing.T) {
	h := &lotHandler{}
	srv := httptest.NewServer(&client.Receiver{Handler: h})
	defer srv.Close()
	req, _ := http.NewRequest("POST", srv.URL+"/dataReceive/v1/reservation",
		bytes.NewReader(envelope(t, []protocol.Reservation{reservation(t, "BK000001")})))
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var env protocol.Response
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil || env.Code != protocol.CodeToken {
		t.Errorf("answer %+v, %v; want code 5", env, err)
	}
	if h.calls() != 0 {
		t.Error("handler called")
	}
}

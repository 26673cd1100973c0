package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Over the per-address limit a client gets HTTP 429 with a response
// envelope (code 3) and Retry-After; nothing is stored.
func TestRateLimitPerAddress(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{RatePerAddr: 0.001, RateBurst: 3}})
	for i := range 3 {
		if status, _ := srv.Do(t, http.MethodGet, "/healthz", "", "", nil, nil); status != http.StatusOK {
			t.Fatalf("request %d within the burst: HTTP %d", i, status)
		}
	}
	status, body := srv.Do(t, http.MethodPost, protocol.HeartBeats.Path(), "", "application/json", []byte(`{}`), nil)
	var resp protocol.Response
	if status != http.StatusTooManyRequests || json.Unmarshal(body, &resp) != nil || resp.Code != protocol.CodeInternal {
		t.Fatalf("over the limit: HTTP %d %s, want 429 with code 3", status, body)
	}
}

// Over the per-account limit an account's uplink requests get HTTP 429,
// code 3, whatever the address; other accounts are unaffected.
func TestRateLimitPerAccount(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{RatePerAccount: 0.001, RateBurst: 2}})
	a := vendor(t, srv, vendorA)
	b := vendor(t, srv, vendorB)
	wantOK(t, heartbeat(t, srv, a))
	wantOK(t, heartbeat(t, srv, a))
	data, _ := json.Marshal([]protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(srv.Clock.Now())}})
	body := envelope(now(srv), protocol.Sign(data), data)
	status, raw := srv.Do(t, http.MethodPost, protocol.HeartBeats.Path(), a, "application/json", body, nil)
	var resp protocol.Response
	if status != http.StatusTooManyRequests || json.Unmarshal(raw, &resp) != nil || resp.Code != protocol.CodeInternal {
		t.Fatalf("account over its limit: HTTP %d %s, want 429 with code 3", status, raw)
	}
	wantOK(t, heartbeat(t, srv, b))
}

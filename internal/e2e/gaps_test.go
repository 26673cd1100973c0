package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/parkd/parkd/protocol"
)

// An account whose tokens all expired and that logs in again before the
// sweeper ran still gets its offline spell in the history.
func TestReloginBeforeSweepRecordsTheGap(t *testing.T) {
	srv := start(t)
	vendor(t, srv, vendorA)
	loginAt := srv.Clock.Now()
	srv.Clock.Advance(5 * time.Minute)
	srv.Login(t, vendorA, password)

	evs := liveness(t, srv, vendorA)
	var states []bool
	var times []time.Time
	for _, e := range evs {
		if e.IsvParkID == "" {
			states = append(states, e.Online)
			times = append(times, e.At)
		}
	}
	if len(states) != 3 || !states[0] || states[1] || !states[2] {
		t.Fatalf("account events online=%v, want online, offline, online", states)
	}
	if want := loginAt.Add(90 * time.Second); !times[1].Equal(want) {
		t.Errorf("offline at %v, want %v (last seen + 3 intervals)", times[1], want)
	}
}

// Paths under /dataReceive/ that name no interface get the envelope with
// code 2 and HTTP 404; other methods on a known interface get 405.
func TestPathsWithoutAnInterface(t *testing.T) {
	srv := start(t)
	for _, path := range []string{"/dataReceive/v1/", "/dataReceive/v1/login/", "/dataReceive/v2/login", "/dataReceive/"} {
		status, body := srv.Do(t, http.MethodPost, path, "", "application/json", []byte(`{}`), nil)
		var resp protocol.Response
		if status != http.StatusNotFound || json.Unmarshal(body, &resp) != nil || resp.Code != protocol.CodeFormat {
			t.Errorf("POST %s: HTTP %d %s, want 404 with code 2", path, status, body)
		}
	}
	for _, m := range []string{http.MethodGet, http.MethodPut, http.MethodDelete} {
		if status, _ := srv.Do(t, m, "/dataReceive/v1/enterRecord", "", "", nil, nil); status != http.StatusMethodNotAllowed {
			t.Errorf("%s enterRecord: HTTP %d, want 405", m, status)
		}
	}
}

package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// heartbeat sends one heartbeat with the token and returns the response.
func heartbeat(t *testing.T, srv *testserver.Server, token string) protocol.Response {
	t.Helper()
	rt := protocol.NewDateTime(srv.Clock.Now())
	return srv.Post(t, protocol.HeartBeats, token, []protocol.HeartbeatRequest{{RequestTime: rt}})
}

// advance moves the clock on by d in steps of one heartbeat interval,
// keeping token alive, as a parking system does.
func advance(t *testing.T, srv *testserver.Server, token string, d time.Duration) {
	t.Helper()
	for d > 0 {
		step := min(d, 30*time.Second)
		srv.Clock.Advance(step)
		wantOK(t, heartbeat(t, srv, token))
		d -= step
	}
}

// sweep runs the liveness sweep the server runs every heartbeat interval.
func sweep(t *testing.T, srv *testserver.Server) {
	t.Helper()
	if err := srv.Sessions.Sweep(context.Background()); err != nil {
		t.Fatalf("sweep: %v", err)
	}
}

// account returns the stored account.
func account(t *testing.T, srv *testserver.Server, userID string) platform.Account {
	t.Helper()
	var a platform.Account
	view(t, srv, func(tx platform.Tx) error {
		var err error
		a, err = tx.Account(userID)
		return err
	})
	return a
}

// liveness returns the account's liveness history, oldest first.
func liveness(t *testing.T, srv *testserver.Server, userID string) []platform.LivenessEvent {
	t.Helper()
	var evs []platform.LivenessEvent
	view(t, srv, func(tx platform.Tx) error {
		var err error
		evs, err = tx.LivenessHistory(userID, 0)
		return err
	})
	return evs
}

// lastEvent returns the latest event of the account (isvParkID "") or of
// one of its parks.
func lastEvent(t *testing.T, evs []platform.LivenessEvent, isvParkID string) platform.LivenessEvent {
	t.Helper()
	for i := len(evs) - 1; i >= 0; i-- {
		if evs[i].IsvParkID == isvParkID {
			return evs[i]
		}
	}
	t.Fatalf("no liveness event for park %q in %+v", isvParkID, evs)
	return platform.LivenessEvent{}
}

func TestTokenLivesThreeHeartbeatIntervals(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)

	srv.Clock.Advance(89 * time.Second)
	wantOK(t, heartbeat(t, srv, token)) // valid after 89 s, and refreshed

	srv.Clock.Advance(89 * time.Second) // 178 s after login, 89 s after the heartbeat
	wantOK(t, srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(parkA)}))

	srv.Clock.Advance(2 * time.Second) // 91 s after the heartbeat
	wantCode(t, heartbeat(t, srv, token), protocol.CodeToken)
	wantCode(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 10)}), protocol.CodeToken)
}

func TestTokenRejections(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	expired := srv.Login(t, vendorA, password)
	srv.Clock.Advance(60 * time.Second)
	wantOK(t, heartbeat(t, srv, token))
	srv.Clock.Advance(31 * time.Second) // expired: 91 s without a heartbeat

	tests := []struct {
		name  string
		token string
	}{
		{"no token", ""},
		{"unknown token", platform.NewID()},
		{"expired token", expired},
		{"bearer with unknown token", "Bearer " + platform.NewID()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, heartbeat(t, srv, tc.token), protocol.CodeToken)
			wantCode(t, srv.Post(t, protocol.ParkInfoCode, tc.token, []protocol.ParkInfo{parkInfo(parkA)}), protocol.CodeToken)
			resp := postPicture(t, srv, tc.token, pictureFields(srv, parkA, photoID, tinyPNG(t)), tinyPNG(t))
			wantCode(t, resp, protocol.CodeToken)
		})
	}
	// Nothing was stored by the refused calls.
	view(t, srv, func(tx platform.Tx) error {
		if _, err := tx.Park(vendorA, parkA); !platform.IsNotFound(err) {
			t.Errorf("park stored by a refused call: %v", err)
		}
		if _, err := tx.Picture(vendorA, parkA, photoID); !platform.IsNotFound(err) {
			t.Errorf("picture stored by a refused call: %v", err)
		}
		return nil
	})
	// The live token still works, with or without "Bearer ".
	wantOK(t, heartbeat(t, srv, token))
	wantOK(t, heartbeat(t, srv, "Bearer "+token))
}

func TestSeveralLiveTokensPerAccount(t *testing.T) {
	srv := start(t)
	first := vendor(t, srv, vendorA)
	second := srv.Login(t, vendorA, password)
	if first == second {
		t.Fatal("two logins gave the same token")
	}
	wantOK(t, heartbeat(t, srv, first))
	wantOK(t, heartbeat(t, srv, second))

	// Only the first instance keeps beating: the second expires alone and
	// the account stays online.
	for i := 0; i < 4; i++ {
		srv.Clock.Advance(30 * time.Second)
		wantOK(t, heartbeat(t, srv, first))
	}
	wantCode(t, heartbeat(t, srv, second), protocol.CodeToken)
	sweep(t, srv)
	if !account(t, srv, vendorA).Online {
		t.Error("account offline while one of its tokens is live")
	}
	wantOK(t, heartbeat(t, srv, first))
}

func TestOfflineAfterTokensExpire(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	isv := registerPark(t, srv, token, parkA)
	loginAt := srv.Clock.Now()

	a := account(t, srv, vendorA)
	if !a.Online || !a.StateSince.Equal(loginAt) {
		t.Fatalf("after login: online %v since %v, want online since %v", a.Online, a.StateSince, loginAt)
	}
	if ev := lastEvent(t, liveness(t, srv, vendorA), isv); !ev.Online {
		t.Errorf("new park of an online account registered offline: %+v", ev)
	}

	// Within three intervals the sweep changes nothing.
	srv.Clock.Advance(90 * time.Second)
	sweep(t, srv)
	if !account(t, srv, vendorA).Online {
		t.Fatal("offline after 90 s")
	}

	srv.Clock.Advance(30 * time.Second)
	wantCode(t, heartbeat(t, srv, token), protocol.CodeToken)
	sweep(t, srv)
	a = account(t, srv, vendorA)
	if a.Online {
		t.Fatal("account still online after its only token expired")
	}
	offlineAt := loginAt.Add(90 * time.Second) // when the last token expired
	if !a.StateSince.Equal(offlineAt) {
		t.Errorf("offline since %v, want %v", a.StateSince, offlineAt)
	}
	evs := liveness(t, srv, vendorA)
	for _, id := range []string{"", isv} {
		ev := lastEvent(t, evs, id)
		if ev.Online || ev.Cause != "timeout" || !ev.At.Equal(offlineAt) {
			t.Errorf("park %q: last event %+v, want offline by timeout at %v", id, ev, offlineAt)
		}
	}
	// A second sweep records nothing more.
	sweep(t, srv)
	if n := len(liveness(t, srv, vendorA)); n != len(evs) {
		t.Errorf("second sweep added %d events", n-len(evs))
	}

	// Logging in again brings the account and its park back online.
	srv.Clock.Advance(time.Minute)
	fresh := srv.Login(t, vendorA, password)
	a = account(t, srv, vendorA)
	if !a.Online || !a.StateSince.Equal(srv.Clock.Now()) {
		t.Errorf("after a new login: online %v since %v", a.Online, a.StateSince)
	}
	evs = liveness(t, srv, vendorA)
	for _, id := range []string{"", isv} {
		if ev := lastEvent(t, evs, id); !ev.Online || ev.Cause != "login" || !ev.At.Equal(srv.Clock.Now()) {
			t.Errorf("park %q: last event %+v, want online by login", id, ev)
		}
	}
	wantOK(t, heartbeat(t, srv, fresh))
	wantCode(t, heartbeat(t, srv, token), protocol.CodeToken)
}

func TestHeartbeatKeepsAccountOnline(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	before := len(liveness(t, srv, vendorA))
	for i := 0; i < 10; i++ {
		srv.Clock.Advance(30 * time.Second)
		wantOK(t, heartbeat(t, srv, token))
		sweep(t, srv)
	}
	if !account(t, srv, vendorA).Online {
		t.Error("offline despite heartbeats")
	}
	if n := len(liveness(t, srv, vendorA)); n != before {
		t.Errorf("heartbeats of an online account added %d liveness events", n-before)
	}
}

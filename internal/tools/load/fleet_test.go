package load

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// A fleet logs every account in and keeps each heartbeating: every
// account is online with a live token, and the heartbeats come at about
// accounts/interval per second.
func TestFleetLogsInAndHeartbeats(t *testing.T) {
	ts := startParkd(t)
	const n = 20
	hash, err := bcrypt.GenerateFromPassword([]byte(protocol.PasswordDigest("Fleet@2024")), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	err = ts.Store.Update(context.Background(), func(tx platform.Tx) error {
		for i := range n {
			if err := tx.PutAccount(platform.Account{UserID: "lot" + strconv.Itoa(i), PasswordHash: hash, CreatedAt: time.Now()}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := RunFleet(context.Background(), FleetConfig{URL: ts.URL, Prefix: "lot", Accounts: n, Password: "Fleet@2024",
		Interval: 200 * time.Millisecond, Duration: time.Second, HTTPClient: ts.Client})
	if err != nil {
		t.Fatal(err)
	}
	if rep.LoggedIn != n || rep.LoginErrors != 0 || rep.HeartbeatErrors != 0 {
		t.Fatalf("report %+v, want %d logged in and no errors", rep, n)
	}
	// Each lot beats about every 200 ms for at least 1 s after its login.
	if rep.Heartbeats < 3*n {
		t.Errorf("%d heartbeats, want at least %d", rep.Heartbeats, 3*n)
	}
	// Those due after the last login run for 1 s, at least 4 intervals.
	if c := rep.SteadyLatency.Count; c < 3*n || int64(c) > rep.Heartbeats {
		t.Errorf("%d heartbeats after the last login of %d, want at least %d", c, rep.Heartbeats, 3*n)
	}
	err = ts.Store.View(context.Background(), func(tx platform.Tx) error {
		for i := range n {
			a, err := tx.Account("lot" + strconv.Itoa(i))
			if err != nil || !a.Online {
				t.Errorf("lot%d: online %v, %v; want online", i, a.Online, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

//go:build unix

package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// TestTwoInstancesShareTheLockout runs two parkd processes on one schema
// and sends a userId's failed logins from one address to both in turn:
// the failures on A and B add up, the fifth locks the pair on both, and
// then even the right password is 3001 on either instance.
func TestTwoInstancesShareTheLockout(t *testing.T) {
	ctx, e := multiSetup(t, true)
	resvRunParkd(ctx, t, e.bin, "account", "add", "--db", e.dsn, "--user-id", multiVendor, "--password", password)
	a := multiStart(ctx, t, e, "A")
	b := multiStart(ctx, t, e, "B")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	login := func(p *multiProc, wirePassword string) protocol.Code {
		t.Helper()
		resp, err := crashPost(ctx, hc, p.url, protocol.Login, "",
			[]protocol.LoginRequest{{UserID: multiVendor, Password: wirePassword}})
		if err != nil {
			t.Fatalf("login on %s: %v", p.name, err)
		}
		if resp.Code == protocol.CodeInternal {
			t.Fatalf("login on %s: code %d %s\n%s", p.name, resp.Code, resp.Message, p.log())
		}
		return resp.Code
	}
	wrong := protocol.PasswordDigest("wrong")
	right := protocol.PasswordDigest(password)

	for i, p := range []*multiProc{a, b, a, b} {
		if code := login(p, wrong); code != protocol.CodeLogin {
			t.Fatalf("failure %d on %s: code %d, want %d", i+1, p.name, code, protocol.CodeLogin)
		}
	}
	multiView(ctx, t, e, func(tx platform.Tx) error {
		f, err := tx.LoginFailure(multiVendor, "127.0.0.1")
		if err != nil || f.Count != 4 || !f.LockedUntil.IsZero() {
			t.Errorf("after four failures on A and B: %+v %v, want a count of 4, not locked", f, err)
		}
		return nil
	})
	if code := login(b, wrong); code != protocol.CodeLogin {
		t.Fatalf("fifth failure on B: code %d", code)
	}
	for _, p := range []*multiProc{a, b} {
		if code := login(p, right); code != protocol.CodeLogin {
			t.Errorf("the right password on %s after five failures across A and B: code %d, want %d (locked)",
				p.name, code, protocol.CodeLogin)
		}
	}
	multiView(ctx, t, e, func(tx platform.Tx) error {
		f, err := tx.LoginFailure(multiVendor, "127.0.0.1")
		if err != nil || !f.LockedUntil.After(time.Now()) {
			t.Errorf("after the fifth failure: %+v %v, want locked", f, err)
		}
		return nil
	})
}

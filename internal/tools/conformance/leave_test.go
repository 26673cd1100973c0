package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// wantNothingLive fails unless the platform's public API lists none of
// the account's parks and every park the run registered is stored with
// bizStatus 0.
func wantNothingLive(t *testing.T, srv *testserver.Server, rep *Report) {
	t.Helper()
	if rep.Cleanup == nil || rep.Cleanup.Error != "" || len(rep.Cleanup.Closed) < 3 {
		t.Fatalf("cleanup %+v, want at least the run's 3 parks closed", rep.Cleanup)
	}
	var parks []platform.Park
	err := srv.Store.View(context.Background(), func(tx platform.Tx) (err error) {
		parks, err = tx.ParksOf(testUser)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(parks) != len(rep.Cleanup.Closed) {
		t.Errorf("%d parks stored, %d closed", len(parks), len(rep.Cleanup.Closed))
	}
	for _, p := range parks {
		if p.BizStatus != int(protocol.BizDisabled) {
			t.Errorf("park %s (%s) is left with bizStatus %d", p.ParkCode, p.Name, p.BizStatus)
		}
	}
	if err := srv.Public.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	status, body := srv.Do(t, http.MethodGet, "/api/v1/public/parks?district=440304", "", "", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("public parks: HTTP %d %s", status, body)
	}
	if bytes.Contains(body, []byte("parkcheck")) {
		t.Errorf("the public API lists a park of the run: %s", body)
	}
	var b bytes.Buffer
	_ = rep.WriteText(&b)
	if !strings.Contains(b.String(), "cleanup: the run's ") {
		t.Errorf("the report does not say the parks were closed:\n%s", b.String())
	}
}

func TestPlatformRunLeavesNoParkLive(t *testing.T) {
	srv := startParkd(t)
	rep := platformOf(t, srv.URL, srv.Client, "").Run(context.Background(), PlatformChecks())
	wantFailed(t, rep)
	wantNothingLive(t, srv, rep)
}

// TestPlatformRunLeavesNoParkLiveWhenChecksFail: a platform that accepts
// any sign fails sign.bad; the parks are closed all the same.
func TestPlatformRunLeavesNoParkLiveWhenChecksFail(t *testing.T) {
	srv := startParkd(t)
	ts := httptest.NewServer(resign(srv.Handler()))
	t.Cleanup(ts.Close)
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), PlatformChecks())
	wantFailed(t, rep, "sign.bad")
	wantNothingLive(t, srv, rep)
}

// TestPlatformRunWithACancelledContextClosesItsParks: checks not run
// after a cancel still leave the parks registered so far closed.
func TestPlatformRunWithACancelledContextClosesItsParks(t *testing.T) {
	srv := startParkd(t)
	ctx, cancel := context.WithCancel(context.Background())
	checks, _ := Select(PlatformChecks(), `^(parkinfo|enter)\.`)
	checks = append(checks[:2:2], append([]Check[*Platform]{{ID: "cancel", Clause: "-", Description: "cancels the run",
		Run: func(context.Context, *Platform) error { cancel(); return nil }}}, checks[2:]...)...)
	rep := platformOf(t, srv.URL, srv.Client, "").Run(ctx, checks)
	if rep.Failed == 0 {
		t.Fatalf("no check was cut short: %s", rep.Summary())
	}
	if rep.Cleanup == nil || rep.Cleanup.Error != "" || len(rep.Cleanup.Closed) != 2 {
		t.Fatalf("cleanup %+v, want the 2 parks of the first checks closed", rep.Cleanup)
	}
}

func TestPlatformLockoutCheck(t *testing.T) {
	srv := startParkd(t)
	srv.AddAccount(t, "lockout1", testPassword)
	checks, _ := Select(PlatformChecks(), `^login\.`)
	p, err := NewPlatform(PlatformConfig{URL: srv.URL, UserID: testUser, Password: testPassword, HTTPClient: srv.Client,
		LockoutUserID: "lockout1", LockoutPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	rep := p.Run(context.Background(), checks)
	wantFailed(t, rep)
	if res, _ := rep.Result("login.lockout"); res.Skipped || !strings.Contains(res.Note, "lockout1 is locked out") {
		t.Errorf("login.lockout: %+v", res)
	}
	// The account under check was never locked out.
	if srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(testUser, testPassword)}).Code != protocol.CodeOK {
		t.Error("the account under check is locked out")
	}
	// Without an expendable account the check is skipped, saying why.
	rep = platformOf(t, srv.URL, srv.Client, "").Run(context.Background(), checks)
	if res, _ := rep.Result("login.lockout"); !res.Skipped || rep.Skipped != 1 || !strings.Contains(res.Reason, "--lockout-user-id") {
		t.Errorf("login.lockout without the account: %+v", res)
	}
	if _, err := NewPlatform(PlatformConfig{URL: srv.URL, UserID: testUser, Password: testPassword,
		LockoutUserID: testUser, LockoutPassword: testPassword}); err == nil {
		t.Error("the account under check accepted as the lock-out account")
	}
}

// TestPlatformLockoutCheckCatchesAPlatformThatNeverLocks: the faulty peer
// counts no failure (it sends wrong-password logins on as an unknown
// userId), so the right password still logs in after five failures.
func TestPlatformLockoutCheckCatchesAPlatformThatNeverLocks(t *testing.T) {
	srv := startParkd(t)
	srv.AddAccount(t, "lockout1", testPassword)
	good := protocol.PasswordDigest(testPassword)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path == protocol.Login.Path() && bytes.Contains(body, []byte(`"lockout1"`)) && !bytes.Contains(body, []byte(good)) {
			body = bytes.ReplaceAll(body, []byte(`"lockout1"`), []byte(`"nobody01"`))
			var env map[string]json.RawMessage
			_ = json.Unmarshal(body, &env)
			sign, _ := json.Marshal(protocol.Sign(env["data"]))
			env["sign"] = sign
			body, _ = json.Marshal(env)
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		srv.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	checks, _ := Select(PlatformChecks(), `^login\.lockout$`)
	p, err := NewPlatform(PlatformConfig{URL: ts.URL, UserID: testUser, Password: testPassword, HTTPClient: ts.Client(),
		LockoutUserID: "lockout1", LockoutPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	rep := p.Run(context.Background(), checks)
	wantFailed(t, rep, "login.lockout")
	if res, _ := rep.Result("login.lockout"); !strings.Contains(res.Reason, "the right password was not refused") {
		t.Errorf("reason %q", res.Reason)
	}
}

// TestPlatformBodyCheckCatchesAPlatformWithoutTheLimit: a platform whose
// limit is larger than the one the checker was told accepts the body.
func TestPlatformBodyCheckCatchesAPlatformWithoutTheLimit(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Clock: testserver.RealClock(), Config: server.Config{MaxBody: 4 << 20}})
	srv.AddAccount(t, testUser, testPassword)
	checks, _ := Select(PlatformChecks(), `^body\.too-large$`)
	rep := platformOf(t, srv.URL, srv.Client, "").Run(context.Background(), checks)
	wantFailed(t, rep, "body.too-large")
	// Told the real limit, the checker passes it.
	p, err := NewPlatform(PlatformConfig{URL: srv.URL, UserID: testUser, Password: testPassword, HTTPClient: srv.Client, MaxBody: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	wantFailed(t, p.Run(context.Background(), checks))
}

// TestPlatformEntryAfterExitCheckCatchesAPlatformThatTakesIt: the faulty
// peer answers the refused late entry with code 0.
func TestPlatformEntryAfterExitCheckCatchesAPlatformThatTakesIt(t *testing.T) {
	ts := brokenParkd(t, func(inner http.Handler) http.Handler {
		return rewriteAnswers(inner, func(path string, env map[string]any) {
			if path == protocol.EnterRecordCode.Path() && env["code"] == json.Number("1007") {
				env["code"], env["message"] = 0, "成功"
			}
		})
	})
	checks, _ := Select(PlatformChecks(), `^enter\.after-its-exit$`)
	rep := platformOf(t, ts.URL, ts.Client(), "").Run(context.Background(), checks)
	wantFailed(t, rep, "enter.after-its-exit")
	if res, _ := rep.Result("enter.after-its-exit"); !strings.Contains(res.Reason, "want code 1007") {
		t.Errorf("reason %q", res.Reason)
	}
}

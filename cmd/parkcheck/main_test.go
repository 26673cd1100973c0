package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/internal/tools/conformance"
	"github.com/parkd/parkd/protocol"
)

const (
	user     = "parkcheck01"
	password = "Parking@2024"
	token    = "downlink-token-0123456789abcdef"
)

// startParkd starts a real parkd over HTTPS with its self-signed
// certificate, the test account and a clock stopped at the test's start.
func startParkd(t *testing.T) *testserver.Server {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Clock: testserver.NewClock(time.Now())})
	srv.AddAccount(t, user, password)
	return srv
}

// cert is the path of a test parkd's self-signed certificate.
func cert(srv *testserver.Server) string {
	return filepath.Join(srv.Config.DataDir, "tls", "cert.pem")
}

// parkcheck runs the command and returns its exit status, stdout and stderr.
func parkcheck(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestPlatformPassesAgainstParkd(t *testing.T) {
	srv := startParkd(t)
	srv.AddAccount(t, "lockout01", "Lockout@2024")
	stdin = strings.NewReader("Lockout@2024\n")
	defer func() { stdin = os.Stdin }()
	code, out, errs := parkcheck(t, "platform", "--url", srv.URL, "--user-id", user, "--password", password, "--ca", cert(srv),
		"--lockout-user-id", "lockout01", "--lockout-password-file", "-")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
	// The run's parks are closed: the public API lists none of them.
	if err := srv.Public.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if status, body := srv.Do(t, http.MethodGet, "/api/v1/public/parks?district=440304", "", "", nil, nil); status != http.StatusOK || strings.Contains(string(body), "parkcheck") {
		t.Errorf("public parks after the run: HTTP %d %s", status, body)
	}
	if !strings.Contains(out, "\ncleanup: the run's ") {
		t.Errorf("the report does not say the parks were closed:\n%s", out)
	}
	n := len(conformance.PlatformChecks())
	if !strings.HasSuffix(out, "\n"+strconv.Itoa(n)+" passed, 0 failed\n") || strings.Count(out, "\nPASS  ") != n {
		t.Fatalf("report:\n%s", out)
	}
	for _, want := range []string{"parkcheck platform " + srv.URL + " as " + user + ", park ", "PASS  login.ok ", "tables 2-3, §5", "PASS  batch.atomic "} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestPlatformTLSOptions(t *testing.T) {
	srv := startParkd(t)
	args := []string{"platform", "--url", srv.URL + "/dataReceive/v1/", "--user-id", user, "--password", password, "--run", `^login\.ok$`}
	if code, out, _ := parkcheck(t, append(args, "--insecure")...); code != 0 {
		t.Fatalf("--insecure: exit %d\n%s", code, out)
	}
	// Without --ca or --insecure the self-signed certificate is refused:
	// the check fails with no answer.
	code, out, _ := parkcheck(t, args...)
	if code != 1 || !strings.Contains(out, "FAIL  login.ok") || !strings.Contains(out, "no answer") || !strings.Contains(out, "0 passed, 1 failed") {
		t.Fatalf("untrusted certificate: exit %d\n%s", code, out)
	}
}

func TestPlatformPasswordFromEnvironment(t *testing.T) {
	srv := startParkd(t)
	t.Setenv("PARKCHECK_PASSWORD", password)
	code, out, errs := parkcheck(t, "platform", "--url", srv.URL, "--user-id", user, "--ca", cert(srv), "--run", `^login\.`)
	if code != 0 || !strings.Contains(out, "3 passed, 0 failed") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
}

// acceptAnySign serves parkd's API behind a middleware that re-signs every
// JSON request, so that a wrong sign is accepted.
func acceptAnySign(t *testing.T) *httptest.Server {
	t.Helper()
	srv := startParkd(t)
	inner := srv.Handler()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var env map[string]json.RawMessage
		if json.Unmarshal(body, &env) == nil && env["data"] != nil {
			var data bytes.Buffer
			_ = json.Compact(&data, env["data"])
			sign, _ := json.Marshal(protocol.Sign(data.Bytes()))
			env["data"], env["sign"] = data.Bytes(), sign
			body, _ = json.Marshal(env)
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	return ts
}

func TestPlatformFailureReportAndExitStatus(t *testing.T) {
	ts := acceptAnySign(t)
	code, out, _ := parkcheck(t, "platform", "--url", ts.URL, "--user-id", user, "--password", password)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	n := len(conformance.PlatformChecks())
	for _, want := range []string{
		"FAIL  sign.bad ", "table 28, §2, §4",
		`why:  answered HTTP 200, code 0 "成功", want code 6 sign参数校验失败`,
		"sent: POST " + ts.URL + "/dataReceive/v1/parkSpaceInfo  authorization: ",
		`"sign":"`, "got:  HTTP 200  {\"code\":0",
		"\n" + strconv.Itoa(n-2) + " passed, 1 failed, 1 skipped\n", "SKIP  login.lockout ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(out)
	}
}

func TestPlatformJSON(t *testing.T) {
	ts := acceptAnySign(t)
	code, out, _ := parkcheck(t, "platform", "--url", ts.URL, "--user-id", user, "--password", password, "--json", "--run", `^sign\.`)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	var rep conformance.Report
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Mode != "platform" || rep.Passed != 3 || rep.Failed != 1 || len(rep.Results) != 4 {
		t.Fatalf("report %+v", rep)
	}
	res, ok := rep.Result("sign.bad")
	if !ok || res.Pass || res.Clause == "" || !strings.Contains(res.Reason, "want code 6") || len(res.Exchanges) == 0 {
		t.Fatalf("sign.bad %+v", res)
	}
	x := res.Exchanges[len(res.Exchanges)-1]
	if x.Method != "POST" || !strings.HasSuffix(x.URL, "/parkSpaceInfo") || x.Status != 200 || !strings.Contains(x.Received, `"code":0`) {
		t.Fatalf("exchange %+v", x)
	}
	if auth := x.Headers["authorization"]; !strings.HasSuffix(auth, "…") || len(auth) != 6+len("…") {
		// The token is masked in reports.
		t.Fatalf("exchange %+v", x)
	}
	if passed, _ := rep.Result("sign.uppercase"); !passed.Pass || passed.Exchanges != nil {
		t.Fatalf("sign.uppercase %+v: a pass keeps no exchanges", passed)
	}
}

// memHandler holds reservations in memory.
type memHandler struct {
	mu   sync.Mutex
	held map[string]bool
}

func (h *memHandler) Reserve(_ context.Context, r protocol.Reservation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.held[r.BookCode] {
		return protocol.Errorf(protocol.CodeBookExists, "held")
	}
	h.held[r.BookCode] = true
	return nil
}

func (h *memHandler) Cancel(_ context.Context, c protocol.CancelReservation) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.held[c.BookCode] {
		return protocol.Errorf(protocol.CodeNoReservation, "unknown")
	}
	delete(h.held, c.BookCode)
	return nil
}

func TestPLMS(t *testing.T) {
	recv := &client.Receiver{Token: token, Handler: &memHandler{held: map[string]bool{}}}
	good := httptest.NewTLSServer(recv)
	t.Cleanup(good.Close)
	code, out, errs := parkcheck(t, "plms", "--url", good.URL, "--token", token, "--insecure", "--park-code", "a1b2c3d4e5f60718293a4b5c6d7e8f90")
	n := len(conformance.PLMSChecks())
	if code != 0 || !strings.HasSuffix(out, "\n"+strconv.Itoa(n)+" passed, 0 failed\n") || !strings.Contains(out, "a1b2c3d4e5f60718293a4b5c6d7e8f90") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}

	// A receiver that ignores the token.
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Header.Set("Authorization", token)
		recv.ServeHTTP(w, r)
	}))
	t.Cleanup(bad.Close)
	code, out, _ = parkcheck(t, "plms", "--url", bad.URL, "--token", token)
	if code != 1 || !strings.Contains(out, "FAIL  downlink.token-bad ") || !strings.Contains(out, "\n"+strconv.Itoa(n-2)+" passed, 2 failed\n") {
		t.Fatalf("token ignored: exit %d\n%s", code, out)
	}
}

func TestUsage(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string // in stdout, or stderr for errors
	}{
		{"no command", nil, 2, "usage:"},
		{"unknown command", []string{"check"}, 2, `unknown command "check"`},
		{"help", []string{"help"}, 0, "parkcheck plms"},
		{"list", []string{"list"}, 0, "replenish.page-past-last"},
		{"platform without flags", []string{"platform"}, 2, "platform needs --url, --user-id and --password"},
		{"platform flag help", []string{"platform", "-h"}, 0, "-park-code"},
		{"plms without token", []string{"plms", "--url", "https://x"}, 2, "plms needs --url and --token"},
		{"bad url", []string{"plms", "--url", "x:1", "--token", "t"}, 2, "want http(s)://host[:port]"},
		{"bad run pattern", []string{"plms", "--url", "https://x", "--token", "t", "--run", "("}, 2, "--run"},
		{"run selects nothing", []string{"plms", "--url", "https://x", "--token", "t", "--run", "nothing"}, 2, "selects no check"},
		{"bad park code", []string{"plms", "--url", "https://x", "--token", "t", "--park-code", "P-1"}, 2, "not a Uuid"},
		{"missing ca", []string{"plms", "--url", "https://x", "--token", "t", "--ca", "/nonexistent.pem"}, 2, "--ca"},
		{"extra argument", []string{"plms", "--url", "https://x", "--token", "t", "more"}, 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := parkcheck(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.out) {
				t.Fatalf("exit %d (want %d)\nstdout %s\nstderr %s\nwant %q", code, tc.code, out, errs, tc.out)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"platform", "--version"}} {
		var out bytes.Buffer
		if code := run(context.Background(), args, &out, &out); code != exitPass {
			t.Fatalf("%v: exit %d: %s", args, code, out.String())
		}
		if got := out.String(); !strings.HasPrefix(got, "parkcheck ") || !strings.Contains(got, runtime.Version()) {
			t.Errorf("%v = %q", args, got)
		}
	}
}

func TestPlatformPasswordFromAFile(t *testing.T) {
	srv := startParkd(t)
	f := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(f, []byte(password+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, errs := parkcheck(t, "platform", "--url", srv.URL, "--user-id", user, "--password-file", f, "--ca", cert(srv), "--run", `^login\.(ok|bad)`)
	if code != 0 || !strings.Contains(out, "2 passed, 0 failed") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
	code, _, errs = parkcheck(t, "platform", "--url", srv.URL, "--user-id", user, "--password", password, "--password-file", f)
	if code != exitUsage || !strings.Contains(errs, "both as a flag and as a file") {
		t.Errorf("a password given both ways: exit %d, %q", code, errs)
	}
}

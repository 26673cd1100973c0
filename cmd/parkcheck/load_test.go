package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/internal/tools/load"
)

// startPlainParkd starts a real parkd over plain HTTP on the wall clock,
// as load tests need, with the test account.
func startPlainParkd(t *testing.T) *testserver.Server {
	t.Helper()
	srv := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}, Clock: testserver.RealClock()})
	srv.AddAccount(t, user, password)
	return srv
}

func TestLoadAgainstParkd(t *testing.T) {
	srv := startPlainParkd(t)
	out := filepath.Join(t.TempDir(), "load.json")
	code, stdout, stderr := parkcheck(t, "load", "--url", srv.URL, "--user-id", user, "--password", password,
		"--lots", "10", "--rate", "40", "--duration", "2s", "--warmup", "500ms", "--photo-kb", "120",
		"--picture-share", "0.5", "--seed", "3", "--json", out)
	if code != 0 {
		t.Fatalf("exit %d\nstderr %s\n%s", code, stderr, stdout)
	}
	for _, want := range []string{"parkcheck load: mix realistic, 10 lots, as " + user + " on " + srv.URL,
		"poisson arrivals, seed 3", "errors: none", "p99.9 ms", "enterRecord", "picture", "10 parks, 20 gates"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var rep load.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("--json: %v\n%s", err, b)
	}
	if rep.Mix != "realistic" || rep.Lots != 10 || rep.Seed != 3 || rep.Total.Sent < 50 || rep.Errors() != 0 ||
		rep.Total.Latency.Count != int(rep.Total.Answered) || rep.WarmupSec != 0.5 || rep.DurationSec < 1.9 {
		t.Fatalf("JSON report %+v", rep)
	}
	if pic, ok := rep.Interface("picture"); !ok || pic.Sent > 0 && pic.Bytes < pic.Sent*120*1024 {
		t.Fatalf("picture %+v", pic)
	}
}

func TestLoadErrorsAreReportedAndFailOnError(t *testing.T) {
	srv := startPlainParkd(t)
	// Photos over 500 KB are refused with 1007 (docs/protocol.md §6).
	args := []string{"load", "--url", srv.URL, "--user-id", user, "--password", password, "--lots", "2",
		"--mix", "picture", "--photo-kb", "600", "--rate", "10", "--duration", "1s", "--warmup", "0s", "--quiet"}
	code, stdout, stderr := parkcheck(t, args...)
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stdout, "picture: code 1007 ×") || strings.Contains(stdout, "errors: none") {
		t.Fatalf("report:\n%s", stdout)
	}
	code, stdout, _ = parkcheck(t, append(args, "--fail-on-error")...)
	if code != 1 {
		t.Fatalf("--fail-on-error: exit %d\n%s", code, stdout)
	}
}

func TestLoadJSONToStdout(t *testing.T) {
	srv := startPlainParkd(t)
	code, stdout, stderr := parkcheck(t, "load", "--url", srv.URL, "--user-id", user, "--password", password, "--lots", "3",
		"--mix", "heartBeats", "--rate", "20", "--duration", "500ms", "--warmup", "0s", "--json", "-")
	if code != 0 {
		t.Fatalf("exit %d, stderr %s", code, stderr)
	}
	var rep load.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, stdout)
	}
	if s, ok := rep.Interface("heartBeats"); !ok || s.Sent == 0 || s.OK != s.Sent {
		t.Fatalf("report %+v", rep)
	}
}

func TestLoadBadPassword(t *testing.T) {
	srv := startPlainParkd(t)
	code, stdout, stderr := parkcheck(t, "load", "--url", srv.URL, "--user-id", user, "--password", "not-it",
		"--mix", "enterRecord", "--rate", "10", "--duration", "1s")
	if code != 1 || stdout != "" {
		t.Fatalf("exit %d, stdout %q", code, stdout)
	}
	for _, want := range []string{"parkcheck load: setup: logging in as " + user + " at " + srv.URL, "code 3001",
		"wrong user id or password"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr %q lacks %q", stderr, want)
		}
	}
}

func TestLoadUsage(t *testing.T) {
	need := []string{"load", "--url", "http://127.0.0.1:1", "--user-id", "u", "--password", "p"}
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"help lists load", []string{"help"}, 0, "parkcheck load"},
		{"flag help", []string{"load", "-h"}, 0, "-max-inflight"},
		{"no flags", []string{"load"}, 2, "load needs --url, --user-id and --password"},
		{"unknown mix", append(need, "--mix", "nope"), 2, `unknown mix "nope"`},
		{"single mix needs a rate", append(need, "--mix", "enterRecord"), 2, "mix enterRecord needs a rate"},
		{"bad url", append(need, "--urls", "ftp://x"), 2, "want http(s)://host[:port]"},
		{"bad photo size", append(need, "--photo-kb", "0"), 2, "--photo-kb must be positive"},
		{"bad share", append(need, "--picture-share", "1.5"), 2, "between 0 and 1"},
		{"missing ca", append(need, "--ca", "/nonexistent.pem"), 2, "--ca"},
		{"extra argument", append(need, "more"), 2, "unexpected arguments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := parkcheck(t, tc.args...)
			if code != tc.code || !strings.Contains(out+errs, tc.out) {
				t.Fatalf("exit %d (want %d)\nstdout %s\nstderr %s\nwant %q", code, tc.code, out, errs, tc.out)
			}
		})
	}
}

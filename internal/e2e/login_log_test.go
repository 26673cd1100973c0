package e2e

import (
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/testkit/lockedbuf"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// logLines returns the JSON log lines of buf whose msg is msg.
func logLines(t *testing.T, buf *lockedbuf.Buffer, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(buf.String(), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line not JSON: %v: %s", err, l)
		}
		if m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// TestFailedLoginsAndLockoutsAreLogged: each failed vendor login is logged
// with the userId it tried and the client address, each failed console
// login with the operator name, and a lock-out of either when it starts.
func TestFailedLoginsAndLockoutsAreLogged(t *testing.T) {
	var buf lockedbuf.Buffer
	srv := testserver.Start(t, testserver.Options{Log: slog.New(slog.NewJSONHandler(&buf, nil))})
	addAccount(t, srv, vendorA)
	for range 5 {
		wantCode(t, srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, "wrong")}), protocol.CodeLogin)
	}
	wantCode(t, srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest("nobody00001", "wrong")}), protocol.CodeLogin)
	failed := logLines(t, &buf, "login failed")
	if len(failed) != 6 {
		t.Fatalf("%d 'login failed' lines, want 6:\n%s", len(failed), buf.String())
	}
	for i, l := range failed {
		want := vendorA
		if i == 5 {
			want = "nobody00001"
		}
		if l["userId"] != want || l["remote"] != "127.0.0.1" || l["reason"] == "" {
			t.Errorf("login failed line %d: %v, want userId %s, remote 127.0.0.1 and a reason", i, l, want)
		}
	}
	locks := logLines(t, &buf, "login locked out")
	if len(locks) != 1 || locks[0]["userId"] != vendorA || locks[0]["remote"] != "127.0.0.1" {
		t.Errorf("lock-out lines %v, want one of %s from 127.0.0.1", locks, vendorA)
	}

	srv.AddOperator(t, conOperator, conPassword)
	c := newConClient(t, srv)
	for range 5 {
		if st, b := c.login(t, conOperator, "not the password"); st != 401 {
			t.Fatalf("console login with a wrong password: %d %s", st, b)
		}
	}
	cfailed := logLines(t, &buf, "console login failed")
	if len(cfailed) != 5 {
		t.Fatalf("%d 'console login failed' lines, want 5", len(cfailed))
	}
	for _, l := range cfailed {
		if l["operator"] != conOperator || l["remote"] != "127.0.0.1" {
			t.Errorf("console login failed line %v, want operator %s from 127.0.0.1", l, conOperator)
		}
	}
	clocks := logLines(t, &buf, "console login locked out")
	if len(clocks) != 1 || clocks[0]["remote"] != "127.0.0.1" {
		t.Errorf("console lock-out lines %v, want one from 127.0.0.1", clocks)
	}
}

package main

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/console"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// cli runs parkd with args, standard input in, and returns its output.
func cli(t *testing.T, in string, args ...string) (string, error) {
	t.Helper()
	old := stdin
	stdin = strings.NewReader(in)
	defer func() { stdin = old }()
	var out bytes.Buffer
	err := run(context.Background(), args, &out, &out)
	return out.String(), err
}

// mustCLI is cli that fails the test on an error.
func mustCLI(t *testing.T, in string, args ...string) string {
	t.Helper()
	out, err := cli(t, in, args...)
	if err != nil {
		t.Fatalf("parkd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// writeSecret writes a secret file as an editor would, with a final line
// break.
func writeSecret(t *testing.T, s string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(f, []byte(s+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

// loginCode logs in over the wire and returns the answer's code.
func loginCode(t *testing.T, srv *testserver.Server, userID, password string) protocol.Code {
	t.Helper()
	return srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(userID, password)}).Code
}

func TestAccountPasswordAndCallbackFromFilesAndStdin(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.Options{Config: server.Config{DataDir: dir}})

	mustCLI(t, "Old@2024\n", "account", "add", "--data", dir, "--user-id", "lot1", "--password-file", "-")
	if c := loginCode(t, srv, "lot1", "Old@2024"); c != protocol.CodeOK {
		t.Fatalf("login with the password read from stdin: code %d", c)
	}

	if out := mustCLI(t, "", "account", "set-password", "--data", dir, "--user-id", "lot1", "--password-file", writeSecret(t, "New@2025")); out != "account lot1: password changed\n" {
		t.Errorf("set-password: %q", out)
	}
	if c := loginCode(t, srv, "lot1", "Old@2024"); c != protocol.CodeLogin {
		t.Errorf("login with the old password: code %d, want 3001", c)
	}
	if c := loginCode(t, srv, "lot1", "New@2025"); c != protocol.CodeOK {
		t.Errorf("login with the new password: code %d, want 0", c)
	}

	if out := mustCLI(t, "tok-1\r\n", "account", "set-callback", "--data", dir, "--user-id", "lot1",
		"--callback", "https://lot.example/cb", "--callback-token-file", "-"); out != "account lot1: callback https://lot.example/cb\n" {
		t.Errorf("set-callback: %q", out)
	}
	a := storedAccount(t, srv, "lot1")
	if a.CallbackURL != "https://lot.example/cb" || a.CallbackToken != "tok-1" {
		t.Errorf("stored callback %q token %q", a.CallbackURL, a.CallbackToken)
	}
	mustCLI(t, "", "account", "set-callback", "--data", dir, "--user-id", "lot1", "--clear")
	if a := storedAccount(t, srv, "lot1"); a.CallbackURL != "" || a.CallbackToken != "" {
		t.Errorf("after --clear: callback %q token %q", a.CallbackURL, a.CallbackToken)
	}

	for _, bad := range []struct {
		in   string
		args []string
		want string
	}{
		{"", []string{"account", "set-callback", "--data", dir, "--user-id", "lot1", "--callback", "https://lot.example"}, "--callback-token is required with --callback"},
		{"", []string{"account", "set-callback", "--data", dir, "--user-id", "lot1"}, "--callback URL is required"},
		{"", []string{"account", "set-callback", "--data", dir, "--user-id", "nosuch", "--clear"}, "no account nosuch"},
		{"", []string{"account", "set-password", "--data", dir, "--user-id", "lot1", "--password-file", writeSecret(t, "")}, "is required"},
		{"x\n", []string{"account", "set-password", "--data", dir, "--user-id", "lot1", "--password", "a", "--password-file", "-"}, "give --password or --password-file, not both"},
		{"x\n", []string{"account", "add", "--data", dir, "--user-id", "lot2", "--password-file", "-", "--callback", "https://x.example", "--callback-token-file", "-"}, "cannot both read standard input"},
		{"", []string{"account", "set-password", "--data", dir, "--user-id", "lot1", "--password-file", filepath.Join(dir, "missing")}, "--password-file: "},
	} {
		if _, err := cli(t, bad.in, bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want %q", bad.args, err, bad.want)
		}
	}
	if c := loginCode(t, srv, "lot1", "New@2025"); c != protocol.CodeOK {
		t.Errorf("a refused command changed the password: login code %d", c)
	}

	// set-key reads the key from a file too.
	mustCLI(t, "", "account", "set-key", "--data", dir, "--user-id", "lot1", "--key-file", writeSecret(t, strings.Repeat("ab", 16)), "--require")
	if a := storedAccount(t, srv, "lot1"); len(a.DataKey) != protocol.DataKeySize || a.DataKey[0] != 0xab || !a.RequireEncryption {
		t.Errorf("stored key %x, required %v", a.DataKey, a.RequireEncryption)
	}
}

func storedAccount(t *testing.T, srv *testserver.Server, userID string) platform.Account {
	t.Helper()
	var a platform.Account
	err := srv.Store.View(context.Background(), func(tx platform.Tx) (err error) {
		a, err = tx.Account(userID)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAPIKeyRotateRefusesTheOldSecret(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.Options{Config: server.Config{DataDir: dir}})
	out := mustCLI(t, "", "apikey", "add", "--data", dir, "--name", "app")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	old := lines[len(lines)-1]
	id, _, _ := strings.Cut(old, ".")
	status := func(key string) int {
		s, _ := srv.Do(t, http.MethodGet, "/api/v1/reservations?plateNo=%E7%B2%A4B12345", "Bearer "+key, "", nil, nil)
		return s
	}
	if s := status(old); s != http.StatusOK {
		t.Fatalf("the new key: HTTP %d", s)
	}
	out = mustCLI(t, "", "apikey", "rotate", "--data", dir, "--id", id)
	lines = strings.Split(strings.TrimSpace(out), "\n")
	fresh := lines[len(lines)-1]
	if !strings.HasPrefix(fresh, id+".") || fresh == old || !strings.Contains(out, "rotated") {
		t.Fatalf("rotate printed %q", out)
	}
	if s := status(old); s != http.StatusUnauthorized {
		t.Errorf("the old secret after rotate: HTTP %d, want 401", s)
	}
	if s := status(fresh); s != http.StatusOK {
		t.Errorf("the rotated secret: HTTP %d, want 200", s)
	}
	if _, err := cli(t, "", "apikey", "rotate", "--data", dir, "--id", "0000000000000000"); err == nil || !strings.Contains(err.Error(), "no API key") {
		t.Errorf("rotate of a missing key: %v", err)
	}
	if list := mustCLI(t, "", "apikey", "list", "--data", dir); strings.Count(list, "\n") != 2 || !strings.Contains(list, id+"  app") {
		t.Errorf("rotate must keep one key with its name: %q", list)
	}
}

func TestOperatorRemoveEndsItsSessions(t *testing.T) {
	dir := t.TempDir()
	srv := testserver.Start(t, testserver.Options{Config: server.Config{DataDir: dir}})
	mustCLI(t, "Correct horse 7\n", "operator", "add", "--data", dir, "--name", "alice", "--password-file", "-")
	status, _ := srv.Do(t, http.MethodPost, "/console/api/login", "", "application/json", []byte(`{"name":"alice","password":"Correct horse 7"}`), nil)
	if status != http.StatusOK {
		t.Fatalf("console login with the password from stdin: HTTP %d", status)
	}
	cookie := consoleCookie(t, srv, "alice", "Correct horse 7")
	me := func() int {
		s, _ := srv.Do(t, http.MethodGet, "/console/api/me", "", "", nil, http.Header{"Cookie": {console.CookieName + "=" + cookie}})
		return s
	}
	if s := me(); s != http.StatusOK {
		t.Fatalf("session before remove: HTTP %d", s)
	}
	if out := mustCLI(t, "", "operator", "remove", "--data", dir, "--name", "alice"); out != "operator alice removed\n" {
		t.Errorf("remove: %q", out)
	}
	if s := me(); s != http.StatusUnauthorized {
		t.Errorf("session after remove: HTTP %d, want 401", s)
	}
	status, _ = srv.Do(t, http.MethodPost, "/console/api/login", "", "application/json", []byte(`{"name":"alice","password":"Correct horse 7"}`), nil)
	if status == http.StatusOK {
		t.Error("a removed operator signs in")
	}
	if _, err := cli(t, "", "operator", "remove", "--data", dir, "--name", "alice"); err == nil || !strings.Contains(err.Error(), "no operator alice") {
		t.Errorf("remove again: %v", err)
	}
}

// consoleCookie signs in to the console and returns the session cookie.
func consoleCookie(t *testing.T, srv *testserver.Server, name, password string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+"/console/api/login", strings.NewReader(`{"name":"`+name+`","password":"`+password+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == console.CookieName {
			return c.Value
		}
	}
	t.Fatalf("no session cookie: HTTP %d", resp.StatusCode)
	return ""
}

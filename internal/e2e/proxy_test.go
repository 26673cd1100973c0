package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/lockedbuf"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// parkd behind a TLS-terminating proxy (--plain-http): only with
// --trusted-proxies naming the proxy are its forwarding headers believed,
// for lock-outs, rate limits, request logs and the console cookie.

// Two clients as the proxy names them.
const (
	clientA = "203.0.113.7"
	clientB = "203.0.113.8"
)

// behindProxy starts parkd in plain HTTP trusting the proxies cidrs (the
// test's requests all come from 127.0.0.1), logging into log when set.
func behindProxy(t *testing.T, cidrs string, log *lockedbuf.Buffer, cfg server.Config) *testserver.Server {
	t.Helper()
	proxies, err := request.ParseProxies(cidrs)
	if err != nil {
		t.Fatal(err)
	}
	cfg.PlainHTTP, cfg.TrustedProxies = true, proxies
	opts := testserver.Options{Config: cfg}
	if log != nil {
		opts.Log = slog.New(slog.NewJSONHandler(log, nil))
	}
	return testserver.Start(t, opts)
}

// proxied sends a request as the proxy would forward it, with header.
func proxied(t *testing.T, srv *testserver.Server, method, path, contentType string, body []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := srv.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// from is the header a proxy adds for a client at addr.
func from(addr string) http.Header { return http.Header{"X-Forwarded-For": {addr}} }

// consoleLogin signs in to the console with header, and returns the
// status and the session cookie when one was set.
func consoleLogin(t *testing.T, srv *testserver.Server, password string, header http.Header) (int, *http.Cookie) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"name": conOperator, "password": password})
	resp, _ := proxied(t, srv, "POST", "/console/api/login", "application/json", body, header)
	for _, c := range resp.Cookies() {
		if c.Name == "parkd_console" {
			return resp.StatusCode, c
		}
	}
	return resp.StatusCode, nil
}

// vendorLogin posts a login of userID with password through the proxy
// for a client at addr.
func vendorLogin(t *testing.T, srv *testserver.Server, userID, pw, addr string) protocol.Response {
	t.Helper()
	data, _ := json.Marshal([]protocol.LoginRequest{protocol.NewLoginRequest(userID, pw)})
	env, _ := json.Marshal(protocol.Request{Timestamp: protocol.Millis(srv.Clock.Now()), Sign: protocol.Sign(data),
		Version: protocol.Version, Data: data})
	return srv.PostRaw(t, protocol.Login, "", env, from(addr))
}

// TestTrustedProxyLockOutsKeyOnTheForwardedClient: behind a trusted
// proxy, five wrong console passwords from one client lock out that
// client only, and so do five wrong vendor passwords; the request log
// names the client and the proxy.
func TestTrustedProxyLockOutsKeyOnTheForwardedClient(t *testing.T) {
	log := &lockedbuf.Buffer{}
	srv := behindProxy(t, "127.0.0.1/32", log, server.Config{})
	srv.AddOperator(t, conOperator, conPassword)
	for i := range 5 {
		if st, _ := consoleLogin(t, srv, fmt.Sprintf("guess %d", i), from(clientA)); st != 401 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	if st, _ := consoleLogin(t, srv, conPassword, from(clientA)); st != 401 {
		t.Errorf("the right password from the locked-out client: %d, want 401", st)
	}
	if st, c := consoleLogin(t, srv, conPassword, from(clientB)); st != 200 || c == nil {
		t.Errorf("another client behind the same proxy: %d, want 200 with a session", st)
	}

	addAccount(t, srv, vendorA)
	for range 5 {
		wantCode(t, vendorLogin(t, srv, vendorA, "guess", clientA), protocol.CodeLogin)
	}
	wantCode(t, vendorLogin(t, srv, vendorA, password, clientA), protocol.CodeLogin)
	if r := vendorLogin(t, srv, vendorA, password, clientB); r.Code != protocol.CodeOK {
		t.Errorf("the vendor from another client behind the same proxy: code %d %q, want 0", r.Code, r.Message)
	}

	var found bool
	for line := range strings.SplitSeq(log.String(), "\n") {
		var rec struct{ Msg, Path, Remote, Peer string }
		if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "request" && rec.Path == "/console/api/login" {
			found = true
			if (rec.Remote != clientA && rec.Remote != clientB) || rec.Peer != "127.0.0.1" {
				t.Errorf("request line: remote %q peer %q, want a forwarded client and the proxy", rec.Remote, rec.Peer)
			}
		}
	}
	if !found {
		t.Error("no request line of the console login")
	}
}

// TestTrustedProxyRateLimitKeysOnTheForwardedClient: the per-address
// limit counts each forwarded client apart.
func TestTrustedProxyRateLimitKeysOnTheForwardedClient(t *testing.T) {
	srv := behindProxy(t, "127.0.0.0/8", nil, server.Config{RatePerAddr: 0.001, RateBurst: 1})
	get := func(addr string) int {
		resp, _ := proxied(t, srv, "GET", "/healthz", "", nil, from(addr))
		return resp.StatusCode
	}
	if st := get(clientA); st != 200 {
		t.Fatalf("first request of A: %d", st)
	}
	if st := get(clientA); st != 429 {
		t.Errorf("second request of A: %d, want 429", st)
	}
	if st := get(clientB); st != 200 {
		t.Errorf("first request of B behind the same proxy: %d, want 200", st)
	}
}

// TestTrustedProxyForwardedProtoMakesTheCookieSecure: under --plain-http
// behind a trusted proxy that says the client used https, the console
// cookie is Secure; without the header it is not.
func TestTrustedProxyForwardedProtoMakesTheCookieSecure(t *testing.T) {
	srv := behindProxy(t, "127.0.0.1", nil, server.Config{})
	srv.AddOperator(t, conOperator, conPassword)
	h := from(clientA)
	h.Set("X-Forwarded-Proto", "https")
	if st, c := consoleLogin(t, srv, conPassword, h); st != 200 || c == nil || !c.Secure || !c.HttpOnly {
		t.Errorf("login through the proxy over https: %d, cookie %+v; want Secure", st, c)
	}
	fw := http.Header{"Forwarded": {`for="203.0.113.9:4711";proto=https`}}
	if st, c := consoleLogin(t, srv, conPassword, fw); st != 200 || c == nil || !c.Secure {
		t.Errorf("login with Forwarded proto=https: %d, cookie %+v; want Secure", st, c)
	}
	if st, c := consoleLogin(t, srv, conPassword, from(clientA)); st != 200 || c == nil || c.Secure {
		t.Errorf("login through the proxy over http: %d, cookie %+v; want not Secure", st, c)
	}
}

// TestUntrustedPeerForwardingHeadersAreIgnored: a peer outside the
// trusted proxies cannot pick its address or scheme by header: its
// failures count against it whatever X-Forwarded-For says, and
// X-Forwarded-Proto does not make the cookie Secure.
func TestUntrustedPeerForwardingHeadersAreIgnored(t *testing.T) {
	srv := behindProxy(t, "192.0.2.0/24", nil, server.Config{})
	srv.AddOperator(t, conOperator, conPassword)
	for i := range 5 {
		if st, _ := consoleLogin(t, srv, fmt.Sprintf("guess %d", i), from(fmt.Sprintf("198.51.100.%d", i))); st != 401 {
			t.Fatalf("guess %d: %d", i, st)
		}
	}
	if st, _ := consoleLogin(t, srv, conPassword, from(clientB)); st != 401 {
		t.Errorf("the right password with another X-Forwarded-For from the same untrusted peer: %d, want 401 (locked)", st)
	}
	srv.Clock.Advance(15 * time.Minute)
	h := from(clientA)
	h.Set("X-Forwarded-Proto", "https")
	if st, c := consoleLogin(t, srv, conPassword, h); st != 200 || c == nil || c.Secure {
		t.Errorf("X-Forwarded-Proto from an untrusted peer: %d, cookie %+v; want not Secure", st, c)
	}
}

// Package testserver starts a real parkd in-process on a free loopback
// port, with a data folder in a temp dir and a settable clock, for
// end-to-end tests that speak the wire protocol over HTTP(S).
package testserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// Clock is a manual clock: it moves only when told. A clock from
// RealClock follows the wall clock instead, for measurements.
type Clock struct {
	mu   sync.Mutex
	t    time.Time
	real bool
}

// RealClock returns a clock that reads the wall clock; Advance and Set
// panic on it.
func RealClock() *Clock { return &Clock{real: true} }

// NewClock returns a clock stopped at t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	if c.real {
		return time.Now()
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	if c.real {
		panic("testserver: Advance on a real clock")
	}
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	if c.real {
		panic("testserver: Set on a real clock")
	}
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

// Epoch is the default start of a test clock: 2024-01-01 08:00:00 CST.
var Epoch = time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)

// Options tune a test server. Config's zero fields take parkd's defaults,
// except Addr (a free loopback port) and DataDir (a temp dir).
type Options struct {
	Config server.Config
	// Clock, when nil, is a new Clock at Epoch.
	Clock *Clock
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger
}

// Server is a started parkd.
type Server struct {
	*server.Server
	Clock  *Clock
	URL    string
	Client *http.Client
}

// Start starts parkd and stops it when the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	cfg := opts.Config
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.DataDir == "" {
		cfg.DataDir = t.TempDir()
	}
	if cfg.OperatorBcryptCost == 0 {
		cfg.OperatorBcryptCost = bcrypt.MinCost
	}
	clock := opts.Clock
	if clock == nil {
		clock = NewClock(Epoch)
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	srv, err := server.New(cfg, clock.Now, log)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		t.Fatalf("server.Start: %v", err)
	}
	ts := &Server{Server: srv, Clock: clock, URL: srv.URL()}
	ts.Client = &http.Client{Timeout: 30 * time.Second, Transport: transport(t, srv)}
	t.Cleanup(func() {
		// Idle keep-alive connections would hold up a graceful shutdown.
		ts.Client.CloseIdleConnections()
		if err := srv.Close(); err != nil {
			t.Errorf("server.Close: %v", err)
		}
	})
	return ts
}

// transport trusts the server's self-signed certificate.
func transport(t testing.TB, srv *server.Server) *http.Transport {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if srv.Config.PlainHTTP {
		return tr
	}
	pem, err := os.ReadFile(filepath.Join(srv.Config.DataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatalf("reading the self-signed certificate: %v", err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: "localhost"}
	return tr
}

// AddAccount creates an account as `parkd account add` does.
func (s *Server) AddAccount(t testing.TB, userID, password string) {
	t.Helper()
	hash, err := accounts.HashVendorPassword(protocol.PasswordDigest(password))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Store.Update(context.Background(), func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: userID, PasswordHash: hash, CreatedAt: s.Clock.Now()})
	})
	if err != nil {
		t.Fatalf("adding account %s: %v", userID, err)
	}
}

// AddOperator creates an admin of the console as `parkd operator add
// --role admin` does, with bcrypt's smallest cost to keep tests quick and
// the first sign-in's password change already made.
func (s *Server) AddOperator(t testing.TB, name, password string) {
	t.Helper()
	s.AddOperatorRole(t, name, password, platform.OperatorAdmin)
}

// AddOperatorRole is AddOperator with a role of its own.
func (s *Server) AddOperatorRole(t testing.TB, name, password, role string) {
	t.Helper()
	op, err := accounts.NewOperatorCost(name, password, role, bcrypt.MinCost, s.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	op.MustChangePassword = false
	if err := s.Store.Update(context.Background(), func(tx platform.Tx) error { return tx.PutOperator(op) }); err != nil {
		t.Fatalf("adding operator %s: %v", name, err)
	}
}

// Post sends items to the interface code as a signed envelope stamped with
// the server clock, and decodes the response envelope.
func (s *Server) Post(t testing.TB, code protocol.Interface, token string, items any) protocol.Response {
	t.Helper()
	data, err := json.Marshal(items)
	if err != nil {
		t.Fatal(err)
	}
	env := protocol.Request{Timestamp: protocol.Millis(s.Clock.Now()), Sign: protocol.Sign(data), Version: protocol.Version, Data: data}
	body, err := json.Marshal(env)
	if err != nil {
		t.Fatal(err)
	}
	return s.PostRaw(t, code, token, body, nil)
}

// PostRaw sends body as is, with extra headers, and decodes the response
// envelope (failing the test if the answer is not one with HTTP 200).
func (s *Server) PostRaw(t testing.TB, code protocol.Interface, token string, body []byte, header http.Header) protocol.Response {
	t.Helper()
	status, raw := s.Do(t, http.MethodPost, code.Path(), token, "application/json", body, header)
	if status != http.StatusOK {
		t.Fatalf("POST %s: HTTP %d: %s", code, status, raw)
	}
	var resp protocol.Response
	if err := json.Unmarshal(raw, &resp); err != nil {
		t.Fatalf("POST %s: response is not an envelope: %v: %s", code, err, raw)
	}
	return resp
}

// Do sends one request and returns the status and body.
func (s *Server) Do(t testing.TB, method, path, token, contentType string, body []byte, header http.Header) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, raw
}

// Login logs in and returns the access token, failing the test otherwise.
func (s *Server) Login(t testing.TB, userID, password string) string {
	t.Helper()
	resp := s.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(userID, password)})
	if resp.Code != protocol.CodeOK {
		t.Fatalf("login %s: code %d %s", userID, resp.Code, resp.Message)
	}
	var out []protocol.LoginResponse
	if err := json.Unmarshal(resp.Data, &out); err != nil || len(out) != 1 {
		t.Fatalf("login %s: bad data %s", userID, resp.Data)
	}
	return out[0].AccessToken
}

// FreeAddr returns a loopback address with a port that was free a
// moment ago, for a server a test starts itself (or a dead address).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Abuse resistance: slow clients, oversized bodies, password guessing
// and forged client addresses. None of them may get a 5xx, crash the
// server, grow its memory without bound or lock out the genuine vendor.

// shortTimeouts is a server config that cuts slow clients off quickly.
var shortTimeouts = server.Config{ReadHeaderTimeout: 300 * time.Millisecond, ReadTimeout: 500 * time.Millisecond}

// dialTLS opens a raw TLS connection to the test server that speaks
// HTTP/1.1 (the server also offers HTTP/2, which the client's transport
// asks for once it has been used).
func dialTLS(t *testing.T, srv *testserver.Server) *tls.Conn {
	t.Helper()
	cfg := srv.Client.Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.NextProtos = []string{"http/1.1"}
	conn, err := tls.Dial("tcp", strings.TrimPrefix(srv.URL, "https://"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p := conn.ConnectionState().NegotiatedProtocol; p != "http/1.1" {
		t.Fatalf("negotiated %q, want http/1.1", p)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// trickle writes s one byte every 50 ms until it is written, the
// connection fails or stop is closed.
func trickle(conn net.Conn, s string, stop <-chan struct{}) {
	for i := range len(s) {
		select {
		case <-stop:
			return
		case <-time.After(50 * time.Millisecond):
		}
		if _, err := conn.Write([]byte{s[i]}); err != nil {
			return
		}
	}
}

// waitCutOff reads from conn until the server closes it, with a generous
// deadline, and returns the answer the server sent first, if any. It
// fails the test when the deadline (not the server) ends the read, or
// when the answer is a 5xx.
func waitCutOff(t *testing.T, conn net.Conn) *http.Response {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(20 * time.Second))
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err == nil {
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode >= 500 {
			t.Errorf("slow client answered HTTP %d", resp.StatusCode)
		}
		_, err = br.ReadByte() // then the server must close
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatal("the server kept a slow client's connection open")
	}
	return resp
}

// wantHealthy checks the server still answers.
func wantHealthy(t *testing.T, srv *testserver.Server) {
	t.Helper()
	if status, body := srv.Do(t, http.MethodGet, "/healthz", "", "", nil, nil); status != http.StatusOK {
		t.Fatalf("after the abuse: /healthz HTTP %d %s", status, body)
	}
}

func TestSlowHeadersAreCutOff(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: shortTimeouts})
	conn := dialTLS(t, srv)
	if _, err := io.WriteString(conn, "POST "+protocol.HeartBeats.Path()+" HTTP/1.1\r\nHost: localhost\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	// One header byte every 50 ms: 10 s of headers, far past the limit.
	go trickle(conn, "X-Slow: "+strings.Repeat("a", 200)+"\r\n\r\n", stop)
	// net/http may say 400 before it closes; never more than a 4xx.
	if resp := waitCutOff(t, conn); resp != nil && resp.StatusCode/100 != 4 {
		t.Errorf("a request whose headers never finished was answered: HTTP %d", resp.StatusCode)
	}
	wantHealthy(t, srv)
}

// slowBodySetup starts a server with short read timeouts, a vendor with
// a park, and returns its token, the park's isvParkId and a signed
// one-entry enterRecord body for the slow-body tests.
func slowBodySetup(t *testing.T) (srv *testserver.Server, token, isv string, body []byte) {
	t.Helper()
	srv = testserver.Start(t, testserver.Options{Config: shortTimeouts})
	addAccount(t, srv, vendorA)
	token = srv.Login(t, vendorA, password)
	isv = registerPark(t, srv, token, parkA)
	data := mustJSON(t, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")})
	return srv, token, isv, envelope(now(srv), protocol.Sign(data), data)
}

func TestSlowBodyIsCutOff(t *testing.T) {
	srv, token, isv, body := slowBodySetup(t)

	conn := dialTLS(t, srv)
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nAuthorization: %s\r\nContent-Length: %d\r\n\r\n",
		protocol.EnterRecordCode.Path(), token, len(body))
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go trickle(conn, string(body), stop) // one byte every 50 ms: many seconds
	waitCutOff(t, conn)
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("the record of a body that never finished was stored")
	}
	// The same body sent promptly is stored.
	wantOK(t, srv.PostRaw(t, protocol.EnterRecordCode, token, body, nil))
	wantHealthy(t, srv)
}

// endless is a reader of n bytes: prefix, then filler, without holding
// them in memory.
type endless struct {
	prefix string
	n      int64
	off    int64
}

func (e *endless) Read(p []byte) (int, error) {
	if e.off >= e.n {
		return 0, io.EOF
	}
	k := 0
	for k < len(p) && e.off < e.n {
		if e.off < int64(len(e.prefix)) {
			p[k] = e.prefix[e.off]
		} else {
			p[k] = 'x'
		}
		k++
		e.off++
	}
	return k, nil
}

// heapInUse is the heap in use after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// sendOversized posts n bytes of body with the content type; it returns
// the answer's status and envelope, or a transport error (the server may
// close the connection before the client has finished sending).
func sendOversized(srv *testserver.Server, path, token, contentType, prefix string, n int64) (int, protocol.Response, error) {
	var resp protocol.Response
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, &endless{prefix: prefix, n: n})
	if err != nil {
		return 0, resp, err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", token)
	res, err := srv.Client.Do(req)
	if err != nil {
		return 0, resp, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return res.StatusCode, resp, err
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return res.StatusCode, resp, fmt.Errorf("not an envelope: %s", raw)
	}
	return res.StatusCode, resp, nil
}

// Many clients sending 16 MiB bodies at once, JSON and multipart: each
// gets code 2 (or has its connection closed), never a 5xx, and the
// server's heap stays far below what was sent.
func TestConcurrentOversizedBodiesLeaveHeapBounded(t *testing.T) {
	srv, token, _ := parkFixture(t)
	const (
		clients = 24
		size    = 16 << 20
		bound   = 256 << 20 // generous: the 24 bodies are 384 MiB
	)
	boundary := "abuseboundary"
	multipartPrefix := "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n" +
		"Content-Type: image/jpeg\r\n\r\n\xff\xd8\xff\xe0"
	kinds := []struct {
		name, path, contentType, prefix string
	}{
		{"JSON", protocol.EnterRecordCode.Path(), "application/json", `{"timestamp":1,"sign":"x","version":"1.0.0","data":[{"padding":"`},
		{"multipart picture", protocol.PictureCode.Path(), "multipart/form-data; boundary=" + boundary, multipartPrefix},
	}

	before := heapInUse()
	var peak atomic.Uint64
	done := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	var wg sync.WaitGroup
	var answered, refused atomic.Int64
	errs := make(chan string, clients)
	for i := range clients {
		k := kinds[i%len(kinds)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, resp, err := sendOversized(srv, k.path, token, k.contentType, k.prefix, size)
			switch {
			case status >= 500:
				errs <- fmt.Sprintf("%s: HTTP %d", k.name, status)
			case err != nil && status == 0:
				refused.Add(1) // closed while sending: also a refusal
			case err != nil:
				errs <- fmt.Sprintf("%s: HTTP %d: %v", k.name, status, err)
			case resp.Code != protocol.CodeFormat:
				errs <- fmt.Sprintf("%s: HTTP %d code %d %s, want code 2", k.name, status, resp.Code, resp.Message)
			default:
				answered.Add(1)
			}
		}()
	}
	wg.Wait()
	close(done)
	<-sampled
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	after := heapInUse()
	t.Logf("heap in use: %d MiB before, peak %d MiB, %d MiB after; %d answered with code 2, %d closed while sending",
		before>>20, peak.Load()>>20, after>>20, answered.Load(), refused.Load())
	if grow := int64(peak.Load()) - int64(before); grow > bound {
		t.Errorf("heap grew by %d MiB while refusing %d bodies of %d MiB, want under %d MiB", grow>>20, clients, size>>20, bound>>20)
	}
	if grow := int64(after) - int64(before); grow > 32<<20 {
		t.Errorf("heap kept %d MiB after refusing oversized bodies", grow>>20)
	}
	if answered.Load() == 0 {
		t.Error("no oversized body was answered with code 2")
	}
	wantHealthy(t, srv)
}

// clientFrom is an HTTP client of the test server whose connections come
// from the loopback address ip (any 127.0.0.0/8 address works on Linux).
func clientFrom(srv *testserver.Server, ip string) *http.Client {
	tr := srv.Client.Transport.(*http.Transport).Clone()
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 10 * time.Second}
	tr.DialContext = d.DialContext
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// postFrom sends items to code with client, adding header, and decodes
// the envelope; it returns the HTTP status too.
func postFrom(t *testing.T, srv *testserver.Server, hc *http.Client, code protocol.Interface, token string, items any, header http.Header) (int, protocol.Response) {
	t.Helper()
	data := mustJSON(t, items)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL+code.Path(),
		strings.NewReader(string(envelope(now(srv), protocol.Sign(data), data))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatalf("POST %s: %v", code, err)
	}
	defer res.Body.Close()
	var resp protocol.Response
	if err := json.NewDecoder(res.Body).Decode(&resp); err != nil {
		t.Fatalf("POST %s: HTTP %d, not an envelope: %v", code, res.StatusCode, err)
	}
	return res.StatusCode, resp
}

// Password guessing from one address, even one that claims to forward
// for the vendor's address, locks only the guesser's address: the vendor
// logs in from its own address throughout.
func TestLockoutSparesTheVendorElsewhere(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	guesser := clientFrom(srv, "127.0.0.1")
	genuine := clientFrom(srv, "127.0.0.2")
	defer guesser.CloseIdleConnections()
	defer genuine.CloseIdleConnections()
	forged := http.Header{"X-Forwarded-For": {"127.0.0.2"}, "X-Real-Ip": {"127.0.0.2"}}
	bad := []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, "guess")}
	good := []protocol.LoginRequest{protocol.NewLoginRequest(vendorA, password)}

	for i := range 8 {
		status, resp := postFrom(t, srv, guesser, protocol.Login, "", bad, forged)
		if status != http.StatusOK || resp.Code != protocol.CodeLogin {
			t.Fatalf("guess %d: HTTP %d code %d, want 200 with 3001", i+1, status, resp.Code)
		}
	}
	if _, resp := postFrom(t, srv, guesser, protocol.Login, "", good, forged); resp.Code != protocol.CodeLogin {
		t.Errorf("the right password from the guessing address: code %d, want 3001 (locked)", resp.Code)
	}
	_, resp := postFrom(t, srv, genuine, protocol.Login, "", good, nil)
	wantOK(t, resp)

	view(t, srv, func(tx platform.Tx) error {
		if f, err := tx.LoginFailure(vendorA, "127.0.0.1"); err != nil || !f.LockedUntil.After(srv.Clock.Now()) {
			t.Errorf("guessing address: %+v %v, want locked", f, err)
		}
		if f, err := tx.LoginFailure(vendorA, "127.0.0.2"); !platform.IsNotFound(err) {
			t.Errorf("vendor's address: %+v %v, want no failures counted", f, err)
		}
		return nil
	})
}

// The per-address limit counts the connection's address: a client that
// varies X-Forwarded-For stays limited, and another address is not.
func TestRateLimitIgnoresForwardedFor(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{RatePerAddr: 0.001, RateBurst: 3}})
	abuser := clientFrom(srv, "127.0.0.1")
	other := clientFrom(srv, "127.0.0.3")
	defer abuser.CloseIdleConnections()
	defer other.CloseIdleConnections()
	hb := []protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(srv.Clock.Now())}}
	limited := 0
	for i := range 6 {
		header := http.Header{"X-Forwarded-For": {fmt.Sprintf("10.0.0.%d", i+1)}}
		status, resp := postFrom(t, srv, abuser, protocol.HeartBeats, "", hb, header)
		if status >= 500 {
			t.Fatalf("request %d: HTTP %d", i+1, status)
		}
		if status == http.StatusTooManyRequests {
			if resp.Code != protocol.CodeInternal {
				t.Errorf("429 with code %d, want 3", resp.Code)
			}
			limited++
		}
	}
	if limited != 3 {
		t.Errorf("%d of 6 requests with varied X-Forwarded-For limited, want 3 (the burst is 3)", limited)
	}
	if status, _ := postFrom(t, srv, other, protocol.HeartBeats, "", hb, nil); status == http.StatusTooManyRequests {
		t.Error("another address was limited")
	}
}

package e2e

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// TestTLSServesHTTP2AndHTTP1: over TLS parkd offers HTTP/2 by ALPN and
// still serves HTTP/1.1 clients; the same heartbeat works on both.
func TestTLSServesHTTP2AndHTTP1(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{})
	token := vendor(t, srv, vendorA)
	base := srv.Client.Transport.(*http.Transport)
	h1 := base.Clone()
	h1.ForceAttemptHTTP2 = false
	h1.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{} // no HTTP/2
	h1.TLSClientConfig = h1.TLSClientConfig.Clone()
	h1.TLSClientConfig.NextProtos = []string{"http/1.1"}
	h2 := base.Clone()
	h2.ForceAttemptHTTP2 = true
	for _, c := range []struct {
		tr    *http.Transport
		major int
	}{{h1, 1}, {h2, 2}} {
		client := &http.Client{Transport: c.tr}
		srv.Client = client
		resp := heartbeat(t, srv, token)
		wantOK(t, resp)
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/healthz", nil)
		if err != nil {
			t.Fatal(err)
		}
		r, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.ProtoMajor != c.major {
			t.Errorf("answered over %s, want HTTP/%d", r.Proto, c.major)
		}
		c.tr.CloseIdleConnections()
	}
}

// TestSlowBodyIsCutOffOverHTTP2: a request body trickled over an HTTP/2
// stream is cut off after the read timeout, as over HTTP/1.1, and nothing
// of it is stored.
func TestSlowBodyIsCutOffOverHTTP2(t *testing.T) {
	srv, token, isv, body := slowBodySetup(t)

	tr := srv.Client.Transport.(*http.Transport).Clone()
	tr.ForceAttemptHTTP2 = true
	defer tr.CloseIdleConnections()
	pr, pw := io.Pipe()
	stop := make(chan struct{})
	defer close(stop)
	go func() { // one byte every 50 ms: many seconds
		defer pw.Close()
		for i := range body {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := pw.Write(body[i : i+1]); err != nil {
				return
			}
		}
	}()
	req, err := http.NewRequest(http.MethodPost, srv.URL+protocol.EnterRecordCode.Path(), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.ContentLength = int64(len(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", token)
	start := time.Now()
	resp, err := (&http.Client{Transport: tr, Timeout: 30 * time.Second}).Do(req)
	if err == nil {
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("answered over %s, want HTTP/2", resp.Proto)
		}
		if strings.HasPrefix(string(answer), `{"code":0,`) {
			t.Fatalf("a trickled body was accepted: %s", answer)
		}
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("cut off after %v, want about the 500 ms read timeout", d)
	}
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
		t.Error("the record of a body that never finished was stored")
	}
	wantOK(t, srv.PostRaw(t, protocol.EnterRecordCode, token, body, nil))
}

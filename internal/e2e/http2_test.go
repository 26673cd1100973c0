package e2e

import (
	"crypto/tls"
	"net/http"
	"testing"

	"github.com/parkd/parkd/internal/testserver"
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

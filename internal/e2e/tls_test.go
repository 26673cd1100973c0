package e2e

import (
	"crypto/tls"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

// TestTLS12OffersOnlyAEADSuites: a TLS 1.2 client offering only CBC
// suites finds none in common; each ECDHE suite with AES-GCM or
// ChaCha20-Poly1305 that fits the certificate (ECDSA) is accepted.
func TestTLS12OffersOnlyAEADSuites(t *testing.T) {
	srv := start(t)
	addr := strings.TrimPrefix(srv.URL, "https://")
	base := srv.Client.Transport.(*http.Transport).TLSClientConfig
	dial := func(suite uint16) error {
		cfg := base.Clone()
		cfg.MaxVersion = tls.VersionTLS12
		cfg.CipherSuites = []uint16{suite}
		conn, err := tls.Dial("tcp", addr, cfg)
		if err == nil {
			conn.Close()
		}
		return err
	}
	for _, s := range tls.CipherSuites() {
		if !tlsVersion12(s) {
			continue
		}
		aead := strings.Contains(s.Name, "_GCM_") || strings.Contains(s.Name, "CHACHA20")
		ecdsa := strings.Contains(s.Name, "ECDHE_ECDSA")
		err := dial(s.ID)
		switch {
		case aead && ecdsa && err != nil:
			t.Errorf("%s refused: %v", s.Name, err)
		case !aead && err == nil:
			t.Errorf("%s accepted", s.Name)
		}
	}
	for _, s := range tls.InsecureCipherSuites() {
		if tlsVersion12(s) && dial(s.ID) == nil {
			t.Errorf("%s accepted", s.Name)
		}
	}
}

func tlsVersion12(s *tls.CipherSuite) bool {
	for _, v := range s.SupportedVersions {
		if v == tls.VersionTLS12 {
			return true
		}
	}
	return false
}

// TestHSTSOverHTTPSOnly: answers over HTTPS carry Strict-Transport-Security
// of at least a year; answers under --plain-http (a proxy in front owns
// TLS and the header) do not.
func TestHSTSOverHTTPSOnly(t *testing.T) {
	srv := start(t)
	for _, path := range []string{"/healthz", "/console/", "/api/v1/public/districts"} {
		resp, err := srv.Client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		v := resp.Header.Get("Strict-Transport-Security")
		age, err := strconv.Atoi(strings.TrimPrefix(v, "max-age="))
		if err != nil || age < 365*24*3600 {
			t.Errorf("GET %s: Strict-Transport-Security %q, want max-age of a year or more", path, v)
		}
	}
	plain := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}})
	resp, err := plain.Client.Get(plain.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := resp.Header.Get("Strict-Transport-Security"); v != "" {
		t.Errorf("plain HTTP answer with Strict-Transport-Security %q", v)
	}
}

package e2e

import (
	"net/http"
	"strings"
	"testing"
)

// TestConsoleContentSecurityPolicy: the console's page limits scripts and
// everything else to parkd's own origin.
func TestConsoleContentSecurityPolicy(t *testing.T) {
	srv := start(t)
	resp, err := srv.Client.Get(srv.URL + "/console/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /console/: HTTP %d", resp.StatusCode)
	}
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy %q allows inline code", csp)
	}
}

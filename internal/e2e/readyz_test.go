package e2e

import (
	"net/http"
	"strings"
	"testing"
)

func TestReadyzAnswers200WhenTheStoreAnswers(t *testing.T) {
	srv := start(t)
	status, body := srv.Do(t, http.MethodGet, "/readyz", "", "", nil, nil)
	if status != http.StatusOK || string(body) != "ready\n" {
		t.Fatalf("GET /readyz: HTTP %d %q, want 200 ready", status, body)
	}
}

func TestReadyzAnswers503WhileShuttingDown(t *testing.T) {
	srv := start(t)
	srv.BeginShutdown()
	status, body := srv.Do(t, http.MethodGet, "/readyz", "", "", nil, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "shutting down") {
		t.Fatalf("GET /readyz: HTTP %d %q, want 503 naming the shutdown", status, body)
	}
	// Liveness is unaffected: requests in flight still get served.
	if status, _ := srv.Do(t, http.MethodGet, "/healthz", "", "", nil, nil); status != http.StatusOK {
		t.Errorf("GET /healthz during shutdown: HTTP %d, want 200", status)
	}
}

func TestReadyzAnswers503WhenTheStoreIsClosed(t *testing.T) {
	srv := start(t)
	if err := srv.Store.Close(); err != nil {
		t.Fatal(err)
	}
	status, body := srv.Do(t, http.MethodGet, "/readyz", "", "", nil, nil)
	if status != http.StatusServiceUnavailable || !strings.Contains(string(body), "store") {
		t.Fatalf("GET /readyz: HTTP %d %q, want 503 naming the store", status, body)
	}
}

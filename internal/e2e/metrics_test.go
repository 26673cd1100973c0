package e2e

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

const metricsToken = "scrape-secret"

// scrape reads /metrics with the bearer token.
func scrape(t *testing.T, srv *testserver.Server) string {
	t.Helper()
	status, body := srv.Do(t, http.MethodGet, "/metrics", "Bearer "+metricsToken, "", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /metrics: HTTP %d: %s", status, body)
	}
	return string(body)
}

// sample returns the value of the series written exactly as series
// (name and sorted labels, as the text format writes them), or -1 when
// the scrape has no such line.
func sample(t *testing.T, text, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("series %s: %q is not a number", series, v)
			}
			return f
		}
	}
	return -1
}

func wantSample(t *testing.T, text, series string, want float64) {
	t.Helper()
	if got := sample(t, text, series); got != want {
		t.Errorf("%s = %v, want %v", series, got, want)
	}
}

func TestMetricsNeedTheTokenWhenOneIsSet(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{MetricsToken: metricsToken}})
	for _, auth := range []string{"", "Bearer wrong", metricsToken} {
		status, _ := srv.Do(t, http.MethodGet, "/metrics", auth, "", nil, nil)
		if status != http.StatusUnauthorized {
			t.Errorf("GET /metrics with authorization %q: HTTP %d, want 401", auth, status)
		}
	}
	if text := scrape(t, srv); sample(t, text, "go_goroutines") <= 0 || sample(t, text, "process_open_fds") <= 0 {
		t.Errorf("the Go and process collectors are missing:\n%s", text)
	}
}

func TestMetricsCountUplinkAnswersByInterfaceCodeAndAccount(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{MetricsToken: metricsToken}})
	token := vendor(t, srv, vendorA)
	registerPark(t, srv, token, parkA)
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}))
	wantCode(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkB, recordID(2), "粤B12345", "2024-01-01 07:30:00")}), protocol.CodeNoPark)
	wantCode(t, srv.Post(t, protocol.EnterRecordCode, "0123456789abcdef0123456789abcdef", []protocol.EnterRecord{enter(t, parkA, recordID(3), "粤B12345", "2024-01-01 07:30:00")}), protocol.CodeToken)
	if status, _ := srv.Do(t, http.MethodGet, "/healthz", "", "", nil, nil); status != http.StatusOK {
		t.Fatalf("healthz: HTTP %d", status)
	}
	srv.Do(t, http.MethodGet, "/no/such/route", "", "", nil, nil)

	text := scrape(t, srv)
	wantSample(t, text, `parkd_uplink_requests_total{code="0",interface="login"}`, 1)
	wantSample(t, text, `parkd_uplink_requests_total{code="0",interface="parkInfo"}`, 1)
	wantSample(t, text, `parkd_uplink_requests_total{code="0",interface="enterRecord"}`, 1)
	wantSample(t, text, `parkd_uplink_requests_total{code="1101",interface="enterRecord"}`, 1)
	wantSample(t, text, `parkd_uplink_requests_total{code="5",interface="enterRecord"}`, 1)
	wantSample(t, text, `parkd_uplink_requests_total{code="0",interface="heartBeats"}`, 0)
	wantSample(t, text, `parkd_uplink_request_seconds_count{interface="enterRecord"}`, 3)
	wantSample(t, text, `parkd_http_requests_total{route="GET /healthz",status="200"}`, 1)
	wantSample(t, text, `parkd_http_requests_total{route="unmatched",status="404"}`, 1)
	wantSample(t, text, `parkd_http_request_seconds_count{route="GET /healthz"}`, 1)
	if sample(t, text, `parkd_store_seconds_count{op="update"}`) < 3 || sample(t, text, `parkd_store_seconds_count{op="view"}`) < 1 {
		t.Errorf("store latency not observed:\n%s", grepLines(text, "parkd_store_seconds_count"))
	}
	if strings.Contains(text, "/no/such/route") {
		t.Error("an unmatched path became a label value")
	}

	got := srv.Metrics.AccountCodes()
	want := map[string]int64{"0": 2, "1101": 1} // parkInfo and enterRecord; login and the bad token have no account
	if len(got) != 1 || len(got[vendorA]) != len(want) {
		t.Fatalf("AccountCodes() = %v, want only %s: %v", got, vendorA, want)
	}
	for code, n := range want {
		if got[vendorA][code] != n {
			t.Errorf("AccountCodes()[%s][%s] = %d, want %d", vendorA, code, got[vendorA][code], n)
		}
	}
}

func TestMetricsGaugesAreCachedBetweenSamples(t *testing.T) {
	srv := testserver.Start(t, testserver.Options{Config: server.Config{MetricsToken: metricsToken}})
	text := scrape(t, srv)
	for _, g := range []string{"parkd_live_tokens", "parkd_accounts_online", "parkd_parks_online", "parkd_dispatch_queue_depth"} {
		wantSample(t, text, g, 0)
	}
	token := vendor(t, srv, vendorA)
	registerPark(t, srv, token, parkA)
	registerPark(t, srv, token, parkB)

	// Within the interval the scrape serves the cached values.
	wantSample(t, scrape(t, srv), "parkd_accounts_online", 0)
	srv.Clock.Advance(6 * time.Second)
	text = scrape(t, srv)
	wantSample(t, text, "parkd_live_tokens", 1)
	wantSample(t, text, "parkd_accounts_online", 1)
	wantSample(t, text, "parkd_parks_online", 2)
	wantSample(t, text, "parkd_dispatch_queue_depth", 0)
	// The account and the two parks were written through the writer:
	// at least one commit, and never fewer updates than commits.
	commits, updates := sample(t, text, "parkd_sqlite_commits_total"), sample(t, text, "parkd_sqlite_updates_total")
	if commits < 1 || updates < commits {
		t.Errorf("parkd_sqlite_commits_total %v, parkd_sqlite_updates_total %v: want at least one commit carrying its updates", commits, updates)
	}
}

// TestMetricsClosedUnlessOpenedOrTokened: with neither a token nor
// MetricsOpen, /metrics answers 403 to everyone; MetricsOpen serves it
// without a token.
func TestMetricsClosedUnlessOpenedOrTokened(t *testing.T) {
	srv := start(t)
	status, body := srv.Do(t, http.MethodGet, "/metrics", "", "", nil, nil)
	if status != http.StatusForbidden || strings.Contains(string(body), "parkd_") || !strings.Contains(string(body), "PARKD_METRICS_OPEN") {
		t.Errorf("GET /metrics with nothing set: HTTP %d, want 403 naming the settings\n%s", status, body)
	}
	open := testserver.Start(t, testserver.Options{Config: server.Config{MetricsOpen: true}})
	status, body = open.Do(t, http.MethodGet, "/metrics", "", "", nil, nil)
	if status != http.StatusOK || !strings.Contains(string(body), "# TYPE parkd_uplink_requests_total counter") {
		t.Fatalf("GET /metrics when opened: HTTP %d\n%s", status, body)
	}
}

func grepLines(text, prefix string) string {
	var out []string
	for _, l := range strings.Split(text, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

package metrics

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/parkd/parkd/internal/buildinfo"
)

func TestRequestCountsUplinkAnswersAndOtherRoutes(t *testing.T) {
	m := New()
	m.Request("POST /dataReceive/v1/{code}", "enterRecord", "v1", 200, 0, time.Millisecond)
	m.Request("POST /dataReceive/v1/{code}", "enterRecord", "v1", 200, 1007, time.Millisecond)
	m.Request("POST /dataReceive/v1/{code}", "enterRecord", "", 200, 5, time.Millisecond)
	m.Request("POST /dataReceive/v1/{code}", "enterRecord", "v2", 200, 9999, time.Millisecond) // a code outside appendix A
	m.Request("POST /dataReceive/v1/{code}", "nosuch", "", 404, 2, time.Millisecond)
	m.Request("GET /healthz", "", "", 200, -1, time.Millisecond)
	m.Request("", "", "", 404, -1, time.Millisecond)

	for _, tc := range []struct {
		iface, code string
		want        float64
	}{{"enterRecord", "0", 1}, {"enterRecord", "1007", 1}, {"enterRecord", "5", 1}, {"enterRecord", "9999", 1}, {"login", "0", 0}} {
		if got := testutil.ToFloat64(m.uplinkTotal.WithLabelValues(tc.iface, tc.code)); got != tc.want {
			t.Errorf("uplink %s %s = %v, want %v", tc.iface, tc.code, got, tc.want)
		}
	}
	if got := testutil.ToFloat64(m.httpTotal.WithLabelValues("POST /dataReceive/v1/{code}", "404")); got != 1 {
		t.Errorf("an unknown interface counts as an HTTP route: %v, want 1", got)
	}
	if got := testutil.ToFloat64(m.httpTotal.WithLabelValues("unmatched", "404")); got != 1 {
		t.Errorf("unmatched 404 = %v, want 1", got)
	}
	codes := m.AccountCodes()
	if len(codes) != 2 || codes["v1"]["0"] != 1 || codes["v1"]["1007"] != 1 || codes["v2"]["9999"] != 1 {
		t.Errorf("AccountCodes() = %v", codes)
	}
	codes["v1"]["0"] = 100 // a copy
	if m.AccountCodes()["v1"]["0"] != 1 {
		t.Error("AccountCodes returned its own map")
	}
}

func TestAccountCodesUnderConcurrentRequests(t *testing.T) {
	m := New()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				m.Request("", "parkSpaceInfo", []string{"a", "b"}[g%2], 200, 0, 0)
			}
		}()
	}
	wg.Wait()
	if c := m.AccountCodes(); c["a"]["0"] != 4000 || c["b"]["0"] != 4000 {
		t.Fatalf("AccountCodes() = %v, want 4000 each", c)
	}
}

func TestGaugesAreSampledAtMostOncePerInterval(t *testing.T) {
	m := New()
	now := time.Unix(1000, 0)
	clock := func() time.Time { return now }
	calls := 0
	fail := false
	m.AddGauges(func(context.Context) (Gauges, error) {
		calls++
		if fail {
			return Gauges{}, errors.New("store down")
		}
		return Gauges{LiveTokens: calls, ParksOnline: 2, AccountsOnline: 3, DispatchQueue: 4, PendingBeats: 5}, nil
	}, 5*time.Second, clock, slog.New(slog.DiscardHandler))
	gather := func() string {
		rec := httptest.NewRecorder()
		m.Handler("").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
		return rec.Body.String()
	}
	for range 3 {
		if !strings.Contains(gather(), "parkd_live_tokens 1\n") {
			t.Fatal("first sample not served")
		}
	}
	if calls != 1 {
		t.Fatalf("%d samples for 3 scrapes within the interval, want 1", calls)
	}
	now = now.Add(5 * time.Second)
	if text := gather(); !strings.Contains(text, "parkd_live_tokens 2\n") || !strings.Contains(text, "parkd_dispatch_queue_depth 4\n") ||
		!strings.Contains(text, "parkd_heartbeats_pending 5\n") {
		t.Fatalf("second sample not served:\n%s", text)
	}
	fail = true
	now = now.Add(5 * time.Second)
	if text := gather(); !strings.Contains(text, "parkd_live_tokens 2\n") || calls != 3 {
		t.Fatalf("a failed sample must keep the last values (calls %d)", calls)
	}
}

func TestHandlerNeedsTheToken(t *testing.T) {
	h := New().Handler("s3cret")
	for auth, want := range map[string]int{"": 401, "Bearer x": 401, "s3cret": 401, "Bearer s3cret": 200} {
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != want {
			t.Errorf("authorization %q: HTTP %d, want %d", auth, rec.Code, want)
		}
	}
}

// BenchmarkRequest is the cost the request log adds to one uplink
// answer of an authenticated account.
func BenchmarkRequest(b *testing.B) {
	m := New()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("POST /dataReceive/v1/{code}", "enterRecord", "vendor", 200, 0, time.Millisecond)
		}
	})
}

// BenchmarkLogLine is the request log's own line, for comparison with
// BenchmarkRequest.
func BenchmarkLogLine(b *testing.B) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			log.LogAttrs(context.Background(), slog.LevelInfo, "request", slog.String("requestId", "0123456789abcdef"),
				slog.String("method", "POST"), slog.String("path", "/dataReceive/v1/enterRecord"), slog.String("interface", "enterRecord"),
				slog.String("userId", "vendor"), slog.Int("status", 200), slog.Int("code", 0), slog.String("remote", "127.0.0.1:5000"),
				slog.Duration("duration", time.Millisecond))
		}
	})
}

func TestBuildInfoGauge(t *testing.T) {
	m := New()
	got, err := testutil.GatherAndCount(m.Registry(), "parkd_build_info")
	if err != nil || got != 1 {
		t.Fatalf("parkd_build_info series: %d, %v; want 1", got, err)
	}
	want := "# HELP parkd_build_info Always 1; the labels say what the running binary was built from.\n# TYPE parkd_build_info gauge\n" +
		"parkd_build_info{goversion=\"" + runtime.Version() + "\",revision=\"" + buildinfo.Read().Revision + "\",version=\"" + buildinfo.Read().Version + "\"} 1\n"
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), "parkd_build_info"); err != nil {
		t.Error(err)
	}
}

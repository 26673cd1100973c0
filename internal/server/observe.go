package server

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/parkd/parkd/internal/metrics"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
)

// ReadyTimeout bounds the store probe of GET /readyz.
const ReadyTimeout = 2 * time.Second

// observe creates s.Metrics with the store-derived gauges and returns
// store wrapped so that its transactions are timed.
func (s *Server) observe(store platform.Store, now platform.Clock) platform.Store {
	s.Metrics = metrics.New()
	s.Metrics.AddGauges(s.sampleGauges, 0, now, s.Log)
	if sq, ok := store.(*sqlite.Store); ok {
		s.Metrics.AddCounterFunc("parkd_sqlite_commits_total", "Group commits of the SQLite writer.",
			func() float64 { return float64(sq.Stats().Commits) })
		s.Metrics.AddCounterFunc("parkd_sqlite_updates_total", "Store updates the SQLite writer committed; divided by the commits, the mean batch.",
			func() float64 { return float64(sq.Stats().Updates) })
	}
	return s.Metrics.Store(store)
}

// sampleGauges counts the live tokens this instance knows, its heartbeats
// not yet written, the accounts online, their parks and the downlink
// queue, in one read transaction of two counting queries.
func (s *Server) sampleGauges(ctx context.Context) (metrics.Gauges, error) {
	g := metrics.Gauges{LiveTokens: s.Sessions.LiveTokens(), PendingBeats: s.Sessions.Pending()}
	err := s.Store.View(ctx, func(tx platform.Tx) error {
		var err error
		if g.AccountsOnline, g.ParksOnline, err = tx.OnlineCounts(); err != nil {
			return err
		}
		g.DispatchQueue, err = tx.CountDispatches()
		return err
	})
	return g, err
}

// serveMetrics serves GET /metrics: behind Config.MetricsToken when set,
// to anyone when Config.MetricsOpen, else to no one (403 saying how to
// open it), since the metrics name the accounts and their traffic.
func (s *Server) serveMetrics() http.Handler {
	if s.Config.MetricsToken == "" && !s.Config.MetricsOpen {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "metrics are closed: set PARKD_METRICS_TOKEN (--metrics-token) to serve them behind a bearer token, or PARKD_METRICS_OPEN (--metrics-open) to serve them to anyone", http.StatusForbidden)
		})
	}
	return s.Metrics.Handler(s.Config.MetricsToken)
}

// serveReady answers GET /readyz: 200 when the store answers a read
// within ReadyTimeout and the server is not shutting down, else 503 with
// the reason.
func (s *Server) serveReady(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.ready(r.Context()); err != nil {
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprintf(w, "not ready: %v\n", err)
		return
	}
	_, _ = w.Write([]byte("ready\n"))
}

// ready reports why the server cannot take traffic, or nil.
func (s *Server) ready(ctx context.Context) error {
	if s.closing.Load() {
		return fmt.Errorf("shutting down")
	}
	ctx, cancel := context.WithTimeout(ctx, ReadyTimeout)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- s.Store.View(ctx, func(tx platform.Tx) error {
			_, err := tx.Account("\x01readyz")
			if platform.IsNotFound(err) {
				return nil
			}
			return err
		})
	}()
	select {
	case err := <-done:
		if err != nil {
			return fmt.Errorf("store: %w", err)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("store: no answer within %s", ReadyTimeout)
	}
}

// BeginShutdown marks the server as shutting down: /readyz answers 503
// from now on, so a load balancer stops sending traffic, while requests
// are still served. Close calls it.
func (s *Server) BeginShutdown() { s.closing.Store(true) }

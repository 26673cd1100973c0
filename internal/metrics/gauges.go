package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/parkd/parkd/internal/platform"
)

// Gauges are the values that need a store query (or a walk of a cache).
type Gauges struct {
	LiveTokens     int // parkd_live_tokens
	ParksOnline    int // parkd_parks_online
	AccountsOnline int // parkd_accounts_online
	DispatchQueue  int // parkd_dispatch_queue_depth
	// PendingBeats are heartbeats answered but not yet written
	// (parkd_heartbeats_pending; see session/flush.go).
	PendingBeats int
}

// GaugeSource computes the Gauges.
type GaugeSource func(ctx context.Context) (Gauges, error)

// DefaultGaugeEvery is how often the gauges are recomputed at most.
const DefaultGaugeEvery = 5 * time.Second

// gaugeCollector serves the last Gauges it computed, and computes them
// again only when they are older than every, so a scrape, however
// frequent, costs at most one sample per interval.
type gaugeCollector struct {
	source GaugeSource
	every  time.Duration
	now    platform.Clock
	log    *slog.Logger

	mu   sync.Mutex
	last Gauges
	at   time.Time

	liveTokens, parksOnline, accountsOnline, dispatchQueue, pendingBeats *prometheus.Desc
}

// AddGauges registers the store-derived gauges, computed by source at
// most every interval (DefaultGaugeEvery when zero) by the clock now
// (the wall clock when nil). A sample that fails is logged, and the
// previous values are served until the next interval.
func (m *Metrics) AddGauges(source GaugeSource, every time.Duration, now platform.Clock, log *slog.Logger) {
	if every <= 0 {
		every = DefaultGaugeEvery
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	m.reg.MustRegister(&gaugeCollector{source: source, every: every, now: now, log: log,
		liveTokens:     prometheus.NewDesc("parkd_live_tokens", "Access tokens still live (seen by this instance within the token lifetime).", nil, nil),
		parksOnline:    prometheus.NewDesc("parkd_parks_online", "Parks whose account is online.", nil, nil),
		accountsOnline: prometheus.NewDesc("parkd_accounts_online", "Accounts online (a live token).", nil, nil),
		dispatchQueue:  prometheus.NewDesc("parkd_dispatch_queue_depth", "Downlink sends waiting in the durable queue.", nil, nil),
		pendingBeats:   prometheus.NewDesc("parkd_heartbeats_pending", "Heartbeats answered by this instance and not yet written to the store.", nil, nil),
	})
}

// Describe implements prometheus.Collector.
func (g *gaugeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.liveTokens
	ch <- g.parksOnline
	ch <- g.accountsOnline
	ch <- g.dispatchQueue
	ch <- g.pendingBeats
}

// Collect implements prometheus.Collector.
func (g *gaugeCollector) Collect(ch chan<- prometheus.Metric) {
	v := g.current()
	for _, x := range []struct {
		d *prometheus.Desc
		n int
	}{{g.liveTokens, v.LiveTokens}, {g.parksOnline, v.ParksOnline}, {g.accountsOnline, v.AccountsOnline}, {g.dispatchQueue, v.DispatchQueue},
		{g.pendingBeats, v.PendingBeats}} {
		ch <- prometheus.MustNewConstMetric(x.d, prometheus.GaugeValue, float64(x.n))
	}
}

// current returns the cached Gauges, sampling again when they are stale.
func (g *gaugeCollector) current() Gauges {
	g.mu.Lock()
	defer g.mu.Unlock()
	now := g.now()
	if !g.at.IsZero() && now.Sub(g.at) < g.every {
		return g.last
	}
	g.at = now
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	v, err := g.source(ctx)
	if err != nil {
		g.log.Warn("metrics: sampling gauges", "err", err)
		return g.last
	}
	g.last = v
	return v
}

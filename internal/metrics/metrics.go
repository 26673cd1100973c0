// Package metrics is parkd's Prometheus instrumentation: a registry of its
// own (never the global one) served at GET /metrics, request counters fed
// by the API's request log, store latency, gauges that need a store query
// (computed at most every few seconds), and per-account answer counts by
// code for the operator console.
package metrics

import (
	"crypto/subtle"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/parkd/parkd/internal/buildinfo"
	"github.com/parkd/parkd/protocol"
)

// Metrics holds parkd's registry and the series the server feeds. The
// zero value is not usable; use New.
type Metrics struct {
	reg *prometheus.Registry

	uplinkTotal   *prometheus.CounterVec
	uplinkSeconds *prometheus.HistogramVec
	httpTotal     *prometheus.CounterVec
	httpSeconds   *prometheus.HistogramVec
	storeSeconds  *prometheus.HistogramVec

	// uplink holds the pre-resolved series of the ten uplink
	// interfaces and the off-peak ones; it is built by New and only read
	// afterwards.
	uplink map[string]*ifaceSeries

	mu       sync.RWMutex
	accounts map[string]*accountCodes
}

// ifaceSeries are the series of one uplink interface, resolved once.
type ifaceSeries struct {
	seconds prometheus.Observer
	codes   map[int]prometheus.Counter
}

// accountCodes counts one account's answers by code.
type accountCodes struct {
	mu    sync.Mutex
	codes map[int]int64
}

// knownCodes are the appendix-A codes whose series are resolved up front.
var knownCodes = []protocol.Code{
	protocol.CodeOK, protocol.CodeBusiness, protocol.CodeFormat, protocol.CodeInternal, protocol.CodeParam,
	protocol.CodeToken, protocol.CodeSign, protocol.CodeTooLong, protocol.CodeType, protocol.CodeRange,
	protocol.CodeNoPark, protocol.CodeNoReservation, protocol.CodeNoPage, protocol.CodeBookExists,
	protocol.CodeBookExpired, protocol.CodeBookCancelled, protocol.CodeNoReservable, protocol.CodeLogin,
	protocol.CodeCarNotInPark, protocol.CodeBookTime, protocol.CodeBlacklist,
}

// Latency buckets in seconds: requests, and the finer store calls.
var (
	requestBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}
	storeBuckets   = []float64{.0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5}
)

// New returns Metrics with a new registry that already holds the Go and
// process collectors and every request and store series.
func New() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		uplinkTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parkd_uplink_requests_total", Help: "Uplink requests answered, by interface and envelope code.",
		}, []string{"interface", "code"}),
		uplinkSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parkd_uplink_request_seconds", Help: "Time to answer an uplink request, by interface.", Buckets: requestBuckets,
		}, []string{"interface"}),
		httpTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "parkd_http_requests_total", Help: "Requests to the other HTTP APIs, by route pattern and HTTP status.",
		}, []string{"route", "status"}),
		httpSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parkd_http_request_seconds", Help: "Time to answer a request to the other HTTP APIs, by route pattern.", Buckets: requestBuckets,
		}, []string{"route"}),
		storeSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "parkd_store_seconds", Help: "Latency of store transactions (Update includes waiting for the group commit), by op.", Buckets: storeBuckets,
		}, []string{"op"}),
		uplink:   map[string]*ifaceSeries{},
		accounts: map[string]*accountCodes{},
	}
	build := prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "parkd_build_info", Help: "Always 1; the labels say what the running binary was built from.",
	}, []string{"version", "revision", "goversion"})
	bi := buildinfo.Read()
	build.WithLabelValues(bi.Version, bi.Revision, bi.GoVersion).Set(1)
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.uplinkTotal, m.uplinkSeconds, m.httpTotal, m.httpSeconds, m.storeSeconds, build)
	for _, i := range slices.Concat(protocol.Uplink, protocol.OffPeak) {
		s := &ifaceSeries{seconds: m.uplinkSeconds.WithLabelValues(string(i)), codes: map[int]prometheus.Counter{}}
		for _, c := range knownCodes {
			s.codes[int(c)] = m.uplinkTotal.WithLabelValues(string(i), strconv.Itoa(int(c)))
		}
		m.uplink[string(i)] = s
	}
	return m
}

// Registry returns the registry, to add collectors to.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// AddCounterFunc registers a counter without labels whose value is fn's
// at each scrape; fn must be cheap, safe for concurrent use and never
// decrease.
func (m *Metrics) AddCounterFunc(name, help string, fn func() float64) {
	m.reg.MustRegister(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, fn))
}

// Request records one answered request. An answer of one of the ten
// uplink interfaces or the off-peak ones (iface) counts under its envelope code, and under
// the account userID when the request was authenticated; any other
// request counts under its route pattern (route, "" when no route
// matched) and HTTP status.
func (m *Metrics) Request(route, iface, userID string, status, code int, d time.Duration) {
	if s := m.uplink[iface]; s != nil {
		c := s.codes[code]
		if c == nil {
			c = m.uplinkTotal.WithLabelValues(iface, strconv.Itoa(code))
		}
		c.Inc()
		s.seconds.Observe(d.Seconds())
		if userID != "" {
			m.countAccount(userID, code)
		}
		return
	}
	if route == "" {
		route = "unmatched"
	}
	m.httpTotal.WithLabelValues(route, strconv.Itoa(status)).Inc()
	m.httpSeconds.WithLabelValues(route).Observe(d.Seconds())
}

// countAccount adds one answer with code to userID's counts.
func (m *Metrics) countAccount(userID string, code int) {
	m.mu.RLock()
	a := m.accounts[userID]
	m.mu.RUnlock()
	if a == nil {
		m.mu.Lock()
		if a = m.accounts[userID]; a == nil {
			a = &accountCodes{codes: map[int]int64{}}
			m.accounts[userID] = a
		}
		m.mu.Unlock()
	}
	a.mu.Lock()
	a.codes[code]++
	a.mu.Unlock()
}

// AccountCodes returns, per account (userId), the number of uplink
// answers by envelope code ("0", "1007", ...) since this process started.
// The result is a copy.
func (m *Metrics) AccountCodes() map[string]map[string]int64 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	out := make(map[string]map[string]int64, len(m.accounts))
	for user, a := range m.accounts {
		a.mu.Lock()
		codes := make(map[string]int64, len(a.codes))
		for c, n := range a.codes {
			codes[strconv.Itoa(c)] = n
		}
		a.mu.Unlock()
		out[user] = codes
	}
	return out
}

// Handler serves the registry in the Prometheus text format. With a
// non-empty token, a request must carry "Authorization: Bearer TOKEN",
// else it gets 401.
func (m *Metrics) Handler(token string) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
	if token == "" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="metrics"`)
			http.Error(w, "metrics need a bearer token", http.StatusUnauthorized)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// Package console serves the city operator's console: the page embedded
// in web.go at /console/ and the JSON API of docs/console-api.md under
// /console/api/, behind operator sign-in with sessions kept in the store.
// Whole-city figures come from a snapshot rebuilt at most every Refresh,
// so many open consoles cost the store nothing more.
package console

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"golang.org/x/crypto/bcrypt"
)

// Config wires the console. Zero durations take the defaults.
type Config struct {
	Store platform.Store
	Blobs blob.Store
	// City names the districts (area codes) and gives the map's view.
	City city.City
	Now  platform.Clock
	Log  *slog.Logger
	// Codes returns, per account, the count of uplink answers by code
	// since this instance started; nil shows zeros.
	Codes func() map[string]map[string]int64

	// SessionTTL is how long a session lives at most, used or not
	// (default 12 h); IdleTimeout ends it sooner when it goes unused that
	// long (default 30 min, kept to the minute).
	SessionTTL  time.Duration
	IdleTimeout time.Duration
	// PasswordMaxAge is how long an operator's password lasts before the
	// console asks for a new one; zero or negative never (parkd serve
	// defaults to 90 days).
	PasswordMaxAge time.Duration
	// BcryptCost hashes the passwords operators choose (default
	// bcrypt.DefaultCost; tests take bcrypt.MinCost).
	BcryptCost int
	// LockoutFailures wrong passwords from one address within
	// LockoutWindow lock that address out for LockoutDuration (default 5
	// in 15 min lock for 15 min).
	LockoutFailures int
	LockoutWindow   time.Duration
	LockoutDuration time.Duration
	// Refresh bounds how often the whole-city snapshot is rebuilt
	// (default 2 s).
	Refresh time.Duration
	// EventEvery is the period of the event stream's overview events
	// (default 2 s), KeepAlive that of its comment lines (default 15 s).
	EventEvery time.Duration
	KeepAlive  time.Duration
}

func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	if c.City.Regions == nil {
		c.City = city.Shenzhen()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.SessionTTL, 12*time.Hour)
	def(&c.IdleTimeout, 30*time.Minute)
	def(&c.LockoutWindow, 15*time.Minute)
	def(&c.LockoutDuration, 15*time.Minute)
	def(&c.Refresh, 2*time.Second)
	def(&c.EventEvery, 2*time.Second)
	def(&c.KeepAlive, 15*time.Second)
	if c.LockoutFailures <= 0 {
		c.LockoutFailures = 5
	}
	if c.BcryptCost == 0 {
		c.BcryptCost = bcrypt.DefaultCost
	}
	return c
}

// Server is the console's HTTP side.
type Server struct {
	cfg    Config
	page   *page
	snap   snapshotCache
	stopMu sync.Mutex
	stop   chan struct{} // closed by Close: event streams end
	hooked sync.Once     // Close registered with the http.Server
}

// New returns the console of cfg.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	p := newPage(Assets())
	p.csp = contentSecurityPolicy(cfg.City.TileURL)
	return &Server{cfg: cfg, page: p, stop: make(chan struct{})}
}

// Close ends the open event streams, so that a graceful shutdown need not
// wait for them. It is registered with the http.Server on the first
// stream, and may be called more than once.
func (s *Server) Close() {
	s.stopMu.Lock()
	defer s.stopMu.Unlock()
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
}

// ServePage answers GET /console/ (the page) and /console/<asset>.
func (s *Server) ServePage(w http.ResponseWriter, r *http.Request) { s.page.serve(w, r) }

// ServeNoRoute answers the paths and methods under /console/api/ that
// name no route: 404 (behind Authed, so 401 without a session).
func (s *Server) ServeNoRoute(w http.ResponseWriter, r *http.Request) {
	writeError(w, http.StatusNotFound, "no such route: "+r.Method+" "+r.URL.Path)
}

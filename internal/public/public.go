// Package public is the platform's public read API (车位信息发布): a JSON
// API without login for the city's app and map, under /api/v1/public/.
//
// It answers from an in-memory snapshot of every visible park and its
// live vacancy, rebuilt from the store every Refresh (every instance
// builds its own, so several parkd instances on one database need no push
// between them), with a grid index for nearby queries. A park's entrances
// are read when its detail is asked for and kept for Refresh, since the
// store lists them per park only.
// Answers carry Cache-Control and a strong ETag; each client address has
// its own rate limit.
//
// A park is public when its vendor account exists and is not disabled and
// its reported bizStatus is 1 (启用). Entrances reported as removed (table
// 9 status 2, 拆除) are left out. Nothing a vendor reports about
// individual vehicles (plates, record ids, photos, book codes) and no
// personal data of the park (contacts, tel) is ever part of an answer.
package public

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/ratelimit"
)

// Defaults of Config.
const (
	DefaultRefresh = 5 * time.Second
	DefaultRate    = 20
)

// Config tunes the public API.
type Config struct {
	// Refresh is how often the snapshot is rebuilt from the store, and
	// the max-age of the answers (default 5 s).
	Refresh time.Duration
	// Rate is the requests per second allowed from one client address
	// (default 20, burst twice that); negative turns the limit off.
	Rate float64
}

// Service serves the public read API.
type Service struct {
	Store platform.Store
	City  city.City
	Cfg   Config
	Log   *slog.Logger
	// Packages, when set, returns the off-peak packages on sale at a park
	// for its detail answer (the `packages` field); nil leaves the field
	// out. Whatever it returns is marshalled as JSON as is: it must hold
	// nothing about individual vehicles.
	Packages func(ctx context.Context, isvParkID string) (any, error)

	// Now is the clock of the entrance cache (time.Now by default).
	Now func() time.Time

	snap    atomic.Pointer[snapshot]
	buildMu sync.Mutex
	prev    map[string]*parkInfo // what the last build kept, by IsvParkID
	limits  *ratelimit.Keyed

	entMu    sync.Mutex
	entCache map[string]entranceEntry // by IsvParkID
}

// entranceEntry is a park's public entrances as read at a time.
type entranceEntry struct {
	at   time.Time
	list []Entrance
}

// New returns a service over store for the deployment c.
func New(store platform.Store, c city.City, cfg Config, log *slog.Logger) *Service {
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.Rate == 0 {
		cfg.Rate = DefaultRate
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Service{Store: store, City: c, Cfg: cfg, Log: log, Now: time.Now, limits: ratelimit.New(cfg.Rate, 0),
		entCache: map[string]entranceEntry{}}
}

// Mount adds the public routes to mux.
func (s *Service) Mount(mux *http.ServeMux) {
	mux.Handle("GET /api/v1/public/parks", s.guard(s.serveParks))
	mux.Handle("GET /api/v1/public/parks/{isvParkId}", s.guard(s.servePark))
	mux.Handle("GET /api/v1/public/districts", s.guard(s.serveDistricts))
	mux.Handle("GET /api/v1/public/city", s.guard(s.serveCity))
	mux.Handle("/api/v1/public/", s.guard(serveNoRoute))
}

// Run rebuilds the snapshot every Cfg.Refresh until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.Cfg.Refresh)
	defer t.Stop()
	for {
		if err := s.Refresh(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("public snapshot", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Refresh rebuilds the snapshot from the store now.
func (s *Service) Refresh(ctx context.Context) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	return s.refreshLocked(ctx)
}

func (s *Service) refreshLocked(ctx context.Context) error {
	d, err := Load(ctx, s.Store)
	if err != nil {
		return err
	}
	s.install(d)
	return nil
}

// install builds a snapshot of d and serves it from now on. The caller
// holds buildMu.
func (s *Service) install(d Data) {
	snap, kept := build(d, s.City, s.prev, s.Log)
	s.prev = kept
	s.snap.Store(snap)
	s.entMu.Lock()
	for id := range s.entCache {
		if snap.byID[id] == nil {
			delete(s.entCache, id)
		}
	}
	s.entMu.Unlock()
}

// entrancesOf returns the public entrances of park id: from the snapshot
// when it holds them, else as read from the store at most Cfg.Refresh
// ago. Reading the entrances of every park at every build would cost one
// query per park; parks are looked at one by one.
func (s *Service) entrancesOf(ctx context.Context, snap *snapshot, id string) ([]Entrance, error) {
	if snap.entrances != nil {
		return snap.entrances[id], nil
	}
	now := s.Now()
	s.entMu.Lock()
	e, ok := s.entCache[id]
	s.entMu.Unlock()
	if ok && now.Sub(e.at) < s.Cfg.Refresh && !now.Before(e.at) {
		return e.list, nil
	}
	var es []platform.Entrance
	err := s.Store.View(ctx, func(tx platform.Tx) error {
		var err error
		es, err = tx.Entrances(id)
		if platform.IsNotFound(err) {
			return nil
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	list := entrances(es)
	s.entMu.Lock()
	s.entCache[id] = entranceEntry{at: now, list: list}
	s.entMu.Unlock()
	return list, nil
}

// current returns the snapshot, building the first one if none exists.
func (s *Service) current(ctx context.Context) (*snapshot, error) {
	if p := s.snap.Load(); p != nil {
		return p, nil
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if p := s.snap.Load(); p != nil {
		return p, nil
	}
	if err := s.refreshLocked(ctx); err != nil {
		return nil, err
	}
	return s.snap.Load(), nil
}

// Data is the store's state a snapshot is built from.
type Data struct {
	Accounts  []platform.Account
	Parks     []platform.Park
	Vacancies []platform.Vacancy
	// Entrances of each park, by IsvParkID; nil leaves them to be read
	// per park when a park's detail is asked for.
	Entrances map[string][]platform.Entrance
}

// Load reads the data of a snapshot from store in one read transaction:
// the accounts, every park and the live vacancies.
func Load(ctx context.Context, store platform.Store) (Data, error) {
	var d Data
	err := store.View(ctx, func(tx platform.Tx) error {
		var err error
		if d.Accounts, err = tx.Accounts(); err != nil {
			return err
		}
		r := platform.Reader(tx)
		if d.Parks, err = r.AllParks(); err != nil {
			return err
		}
		d.Vacancies, err = r.LiveVacancies()
		return err
	})
	return d, err
}

// enabledAccounts returns the set of accounts that are not disabled.
func enabledAccounts(as []platform.Account) map[string]bool {
	m := make(map[string]bool, len(as))
	for _, a := range as {
		if !a.Disabled {
			m[a.UserID] = true
		}
	}
	return m
}

// visible reports whether p is public: its account is enabled and its
// bizStatus is 1.
func visible(p platform.Park, enabled map[string]bool) bool {
	return enabled[p.UserID] && p.BizStatus == 1
}

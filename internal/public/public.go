// Package public is the platform's public read API (车位信息发布): a JSON
// API without login for the city's app and map, under /api/v1/public/.
//
// It answers from an in-memory snapshot of every visible park and its
// live vacancy, refreshed from the store every Refresh (every instance
// builds its own, so several parkd instances on one database need no push
// between them), with a grid index for nearby queries. A refresh reads
// only the parks and vacancies changed since the last one (less an
// Overlap) and merges them into what it has; every FullRefresh it reads
// everything again. While nobody asks the API anything the refreshes
// stop; the first request after such a pause refreshes before answering.
// A park's entrances are read when its detail is asked for and kept for
// Refresh, since the store lists them per park only.
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
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/ratelimit"
)

// Defaults of Config.
const (
	DefaultRefresh     = 5 * time.Second
	DefaultFullRefresh = 2 * time.Minute
	DefaultRate        = 20
)

// Overlap is how far before its watermark an incremental refresh reads:
// rows committed a little after they were stamped, or stamped by another
// instance's clock, are read by the next refresh.
const Overlap = 30 * time.Second

// Config tunes the public API.
type Config struct {
	// Refresh is how often the snapshot is rebuilt from the store, and
	// the max-age of the answers (default 5 s).
	Refresh time.Duration
	// FullRefresh is how often a refresh reads every park and vacancy
	// instead of those changed since the last (default 2 min): it catches
	// what the incremental reads miss, such as rows stamped before the
	// Overlap.
	FullRefresh time.Duration
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

	// Now is the clock of the refreshes and the entrance cache (time.Now
	// by default).
	Now func() time.Time

	snap        atomic.Pointer[snapshot]
	lastRequest atomic.Int64 // Now of the latest request, in Unix ns (0: none yet)
	buildMu     sync.Mutex
	prev        map[string]*parkInfo // what the last build kept, by IsvParkID
	data        *merged              // what the last refresh read, merged
	lastFull    time.Time            // Now when the last full read started
	limits      *ratelimit.Keyed

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
	if cfg.FullRefresh <= 0 {
		cfg.FullRefresh = DefaultFullRefresh
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

// Run builds the first snapshot, then refreshes it every Cfg.Refresh
// while the API is in use, until ctx ends.
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.Cfg.Refresh)
	defer t.Stop()
	for {
		if err := s.tick(ctx); err != nil && ctx.Err() == nil {
			s.Log.Error("public snapshot", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// tick is one turn of Run: nothing while the API is idle (a snapshot
// exists and nobody asked for 2 × Refresh), else a refresh, a full one
// when FullRefresh has passed since the last.
func (s *Service) tick(ctx context.Context) error {
	now := s.Now()
	if s.snap.Load() != nil && s.idle(now) {
		return nil
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	return s.refreshLocked(ctx, now.Sub(s.lastFull) >= s.Cfg.FullRefresh || now.Before(s.lastFull))
}

// idle reports whether nobody has asked the API anything for 2 × Refresh
// before now.
func (s *Service) idle(now time.Time) bool {
	last := s.lastRequest.Load()
	return last == 0 || now.Sub(time.Unix(0, last)) > 2*s.Cfg.Refresh
}

// Refresh rebuilds the snapshot from everything in the store now.
func (s *Service) Refresh(ctx context.Context) error {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	return s.refreshLocked(ctx, true)
}

// refreshLocked reads the store, everything when full or when nothing
// was read yet, else what changed since the watermark less Overlap, and
// installs a snapshot of the merged data. The caller holds buildMu.
func (s *Service) refreshLocked(ctx context.Context, full bool) error {
	start := s.Now()
	if full || s.data == nil || s.data.crowded {
		d, err := Load(ctx, s.Store)
		if err != nil {
			return err
		}
		s.data, s.lastFull = newMerged(d), start
	} else {
		d, err := LoadChanges(ctx, s.Store, s.data.since(Overlap))
		if err != nil {
			return err
		}
		s.data.merge(d)
		s.data.crowded = len(d.Parks) >= crowdedMin && 2*len(d.Parks) > len(s.data.parks)
	}
	s.data.read = start
	s.install(s.data.Data())
	s.data.dropInfo(s.prev)
	return nil
}

// install builds a snapshot of d and serves it from now on. The caller
// holds buildMu.
func (s *Service) install(d Data) {
	snap, kept := build(d, s.City, s.prev, s.Log)
	snap.at = s.Now()
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

// current returns the snapshot to answer a request from: the first one
// is built now; when the API was idle (Run skips its refreshes) and the
// snapshot is older than Refresh, it is refreshed first (from what
// changed, or in full when nothing was read yet). A failed refresh of an
// existing snapshot is logged and the snapshot answered.
func (s *Service) current(ctx context.Context) (*snapshot, error) {
	now := s.Now()
	wasIdle := s.idle(now)
	s.lastRequest.Store(now.UnixNano())
	p := s.snap.Load()
	if p != nil && (!wasIdle || s.fresh(p, now)) {
		return p, nil
	}
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	if p = s.snap.Load(); p != nil && s.fresh(p, now) {
		return p, nil
	}
	if err := s.refreshLocked(ctx, false); err != nil {
		if p == nil {
			return nil, err
		}
		s.Log.Error("public snapshot", "err", err)
		return p, nil
	}
	return s.snap.Load(), nil
}

// fresh reports whether p is less than Refresh old at now.
func (s *Service) fresh(p *snapshot, now time.Time) bool {
	return now.Sub(p.at) < s.Cfg.Refresh && !now.Before(p.at)
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

// LoadChanges reads what an incremental refresh needs from store in one
// read transaction: the accounts (few: read every time, which keeps their
// online state and a disabled account current), and the parks and live
// vacancies changed at or after since.
func LoadChanges(ctx context.Context, store platform.Store, since time.Time) (Data, error) {
	var d Data
	err := store.View(ctx, func(tx platform.Tx) error {
		var err error
		if d.Accounts, err = tx.Accounts(); err != nil {
			return err
		}
		r := platform.Reader(tx)
		if d.Parks, err = r.ParksChangedSince(since); err != nil {
			return err
		}
		d.Vacancies, err = r.VacanciesSince(since)
		return err
	})
	return d, err
}

// crowdedMin is the number of changed parks from which an incremental
// read that returned most of the parks is followed by a full one: when
// most parks changed within the overlap (a vendor registering thousands
// at once), scanning the table beats looking each up by its UpdatedAt.
const crowdedMin = 1000

// merged is the data of the snapshot as the refreshes read it: the last
// full read with the changes read since merged in.
type merged struct {
	// crowded is set when the last incremental read returned most of
	// the parks: the next refresh reads everything.
	crowded bool

	accounts  []platform.Account
	parks     map[string]platform.Park    // by IsvParkID
	vacancies map[string]platform.Vacancy // by IsvParkID
	high      time.Time                   // the latest UpdatedAt or At read
	read      time.Time                   // Service.Now when the last read started
}

// newMerged keeps what a full read returned.
func newMerged(d Data) *merged {
	m := &merged{parks: make(map[string]platform.Park, len(d.Parks)),
		vacancies: make(map[string]platform.Vacancy, len(d.Vacancies))}
	m.merge(d)
	return m
}

// merge replaces the accounts by d's and each park and vacancy d holds by
// its newer read.
func (m *merged) merge(d Data) {
	m.accounts = d.Accounts
	for _, p := range d.Parks {
		m.parks[p.IsvParkID] = p
		if p.UpdatedAt.After(m.high) {
			m.high = p.UpdatedAt
		}
	}
	for _, v := range d.Vacancies {
		m.vacancies[v.IsvParkID] = v
		if v.At.After(m.high) {
			m.high = v.At
		}
	}
}

// since is the bound of the next incremental read: the watermark less
// overlap. The watermark is the earlier of the latest time read and the
// start of the last read, so neither a writer's clock behind the
// service's nor one ahead of it makes rows be skipped.
func (m *merged) since(overlap time.Duration) time.Time {
	w := m.read
	if m.high.Before(w) {
		w = m.high
	}
	return w.Add(-overlap)
}

// dropInfo forgets the Info of the parks whose parkInfo kept holds
// decoded at their UpdatedAt: the next builds reuse that decoding, and a
// park's Info is read again with its next change or full read.
func (m *merged) dropInfo(kept map[string]*parkInfo) {
	for id, p := range m.parks {
		if pi := kept[id]; p.Info != nil && pi != nil && pi.updatedAt.Equal(p.UpdatedAt) {
			p.Info = nil
			m.parks[id] = p
		}
	}
}

// Data returns the merged data, parks and vacancies in no order.
func (m *merged) Data() Data {
	d := Data{Accounts: m.accounts, Parks: make([]platform.Park, 0, len(m.parks)),
		Vacancies: make([]platform.Vacancy, 0, len(m.vacancies))}
	for _, p := range m.parks {
		d.Parks = append(d.Parks, p)
	}
	for _, v := range m.vacancies {
		d.Vacancies = append(d.Vacancies, v)
	}
	return d
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

package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver, to count stored records read-only

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// StormConfig is the morning after an outage: Lots lots, each a process
// with the SDK's client and Outbox, kept producing at the real cadence
// while the platform was down for Down, then all connect at once. The
// backlog is produced offline into one outbox directory per lot (the
// SDK's journal, replayed at the reconnection), so the outage is
// simulated without waiting for it; scripts/storm.sh stops the platform
// for real between the two phases.
type StormConfig struct {
	URL      string
	Prefix   string // accounts Prefix0 .. Prefix(n-1), as `parkd account add --count` makes them
	Password string // plaintext, shared by the accounts
	Lots     int
	// Vendors, when positive, is the number of accounts the lots share
	// (lot i is account i mod Vendors), as vendors deploy; zero gives each
	// lot its own account.
	Vendors int
	// Down is the simulated outage (default 30 min), VisitsPerHour each
	// lot's vehicles (default 21.3: about 850,000 items for 20,000 lots in
	// 30 min), PhotoEvery how many entries carry one uploaded picture
	// (default 5: about 2 per lot in 30 min).
	Down          time.Duration
	VisitsPerHour float64
	PhotoEvery    int
	// Interval is the lots' heartbeat period (default 30 s).
	Interval time.Duration
	// Dir holds the lots' outboxes and the run's manifest (default: a
	// temporary directory, removed after).
	Dir string
	// Phase is "" (both), "prepare" (register the lots and produce the
	// backlog into Dir) or "drain" (connect the lots of Dir and drain).
	Phase string
	// DB, when set, is the platform's SQLite file, opened read-only after
	// the drain to check that every record is stored exactly once.
	DB string
	// Sync makes the outboxes fsync, as the SDK does by default; off by
	// default so that thousands of lots do not wait on one shared disk.
	Sync bool
	// Timeout bounds the drain (default 15 min).
	Timeout    time.Duration
	HTTPClient *http.Client
	Progress   io.Writer
}

// StormReport is the outcome of a storm.
type StormReport struct {
	Lots     int `json:"lots"`
	Accounts int `json:"accounts"`
	// Produced is the backlog: items, of them pictures and records.
	Produced stormManifest `json:"produced"`
	// LoginSec is the time from the reconnection until every lot had a
	// heartbeat answered (so a token); DrainSec until every outbox was
	// empty.
	LoginSec  float64 `json:"loginSec"`
	LoggedIn  int     `json:"loggedIn"`
	DrainSec  float64 `json:"drainSec"`
	Drained   int     `json:"drained"`
	TimedOut  bool    `json:"timedOut"`
	Requests  uint64  `json:"requests"`  // outbox requests
	Sent      uint64  `json:"sent"`      // items acknowledged
	Rejected  int     `json:"rejected"`  // items set aside
	Retries   uint64  `json:"retries"`   // outbox requests that failed and were retried
	Throttled uint64  `json:"throttled"` // of those, 429 / Retry-After
	// Heartbeats are the live heartbeats after each lot's first one, while
	// backlogs were draining.
	Heartbeats        Latency `json:"heartbeatLatencyMs"`
	HeartbeatErrors   int64   `json:"heartbeatErrors"`
	HeartbeatsRefused int64   `json:"heartbeats429"`
	// Stored is the records found in DB (-1 when not checked); Replaced
	// the replaced versions of them (a record stored twice differently).
	StoredEntries int64  `json:"storedEntries"`
	StoredExits   int64  `json:"storedExits"`
	Replaced      int64  `json:"replaced"`
	FirstError    string `json:"firstError,omitempty"`
}

// OK reports whether the storm delivered everything exactly once.
func (r *StormReport) OK() bool {
	ok := !r.TimedOut && r.Rejected == 0 && r.Sent == uint64(r.Produced.Items) && r.LoggedIn == r.Lots
	if r.StoredEntries >= 0 {
		ok = ok && r.StoredEntries == int64(r.Produced.Entries) && r.StoredExits == int64(r.Produced.Exits) && r.Replaced == 0
	}
	return ok
}

// stormManifest is what the prepare phase produced, kept in Dir.
type stormManifest struct {
	Tag       string   `json:"tag"`
	Lots      int      `json:"lots"`
	Items     int      `json:"items"`
	Pictures  int      `json:"pictures"`
	Entries   int      `json:"entries"`
	Exits     int      `json:"exits"`
	Vacancies int      `json:"vacancies"`
	Codes     []string `json:"parkCodes"`
}

const stormManifestFile = "storm.json"

func (c *StormConfig) defaults() error {
	if c.URL == "" || c.Prefix == "" || c.Password == "" {
		return errors.New("storm needs a URL, a prefix and a password")
	}
	if c.Lots <= 0 || c.Lots > 100_000 || c.Vendors < 0 {
		return errors.New("storm needs 1 to 100,000 lots and a non-negative number of vendors")
	}
	if c.Phase != "" && c.Phase != "prepare" && c.Phase != "drain" {
		return fmt.Errorf("storm phase %q: want prepare or drain", c.Phase)
	}
	if c.Phase != "" && c.Dir == "" {
		return errors.New("a storm phase needs a directory")
	}
	if c.Down <= 0 {
		c.Down = 30 * time.Minute
	}
	if c.VisitsPerHour <= 0 {
		c.VisitsPerHour = 21.3
	}
	if c.PhotoEvery <= 0 {
		c.PhotoEvery = 5
	}
	if c.Interval <= 0 {
		c.Interval = 30 * time.Second
	}
	if c.Timeout <= 0 {
		c.Timeout = 15 * time.Minute
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	if c.Progress == nil {
		c.Progress = io.Discard
	}
	return nil
}

// account is lot i's userId.
func (c *StormConfig) account(i int) string {
	if c.Vendors > 0 {
		i %= c.Vendors
	}
	return c.Prefix + strconv.Itoa(i)
}

func (c *StormConfig) accounts() int {
	if c.Vendors > 0 {
		return min(c.Vendors, c.Lots)
	}
	return c.Lots
}

// RunStorm runs the storm's phases.
func RunStorm(ctx context.Context, cfg StormConfig) (*StormReport, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	if cfg.Dir == "" {
		dir, err := os.MkdirTemp("", "parkcheck-storm-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		cfg.Dir = dir
	}
	var m *stormManifest
	var err error
	if cfg.Phase != "drain" {
		if m, err = prepareStorm(ctx, cfg); err != nil {
			return nil, err
		}
	}
	rep := &StormReport{Lots: cfg.Lots, Accounts: cfg.accounts(), StoredEntries: -1, StoredExits: -1}
	if cfg.Phase == "prepare" {
		rep.Produced = *m
		return rep, nil
	}
	if m == nil {
		if m, err = readManifest(cfg.Dir); err != nil {
			return nil, err
		}
		if m.Lots != cfg.Lots {
			return nil, fmt.Errorf("storm: %s holds %d lots, not %d", cfg.Dir, m.Lots, cfg.Lots)
		}
	}
	rep.Produced = *m
	if err := drainStorm(ctx, cfg, rep); err != nil {
		return rep, err
	}
	if cfg.DB != "" {
		if err := countStored(ctx, cfg.DB, m.Tag, rep); err != nil {
			return rep, fmt.Errorf("storm: counting stored records: %w", err)
		}
	}
	return rep, nil
}

func readManifest(dir string) (*stormManifest, error) {
	b, err := os.ReadFile(filepath.Join(dir, stormManifestFile))
	if err != nil {
		return nil, err
	}
	var m stormManifest
	return &m, json.Unmarshal(b, &m)
}

// lotDir is lot i's outbox directory.
func lotDir(dir string, i int) string { return filepath.Join(dir, fmt.Sprintf("lot%06d", i)) }

// forEachLot runs fn for every lot, n at a time, and returns the first
// error.
func forEachLot(ctx context.Context, lots, n int, fn func(i int) error) error {
	var (
		next  atomic.Int64
		first error
		mu    sync.Mutex
		wg    sync.WaitGroup
	)
	for range min(n, lots) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= lots || ctx.Err() != nil {
					return
				}
				if err := fn(i); err != nil {
					mu.Lock()
					first = cmpErr(first, err)
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	if first == nil {
		first = ctx.Err()
	}
	return first
}

func cmpErr(a, b error) error {
	if a != nil {
		return a
	}
	return b
}

// prepareStorm registers every lot's park and gates while the platform is
// up, then produces each lot's backlog of Down into its outbox with the
// platform unreachable.
func prepareStorm(ctx context.Context, cfg StormConfig) (*stormManifest, error) {
	w := newWorld(mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1)), cfg.Lots, 0)
	m := &stormManifest{Tag: randomHex(4), Lots: cfg.Lots, Codes: make([]string, cfg.Lots)}
	for i := range m.Codes {
		m.Codes[i] = w.lots[i].code
	}
	fmt.Fprintf(cfg.Progress, "storm: registering %d lots on %d accounts\n", cfg.Lots, cfg.accounts())
	err := forEachLot(ctx, cfg.Lots, 32, func(i int) error {
		c, err := client.New(client.Config{BaseURL: cfg.URL, UserID: cfg.account(i), Password: cfg.Password, HTTPClient: cfg.HTTPClient})
		if err != nil {
			return err
		}
		if _, err := c.ParkInfo(ctx, w.parkInfo(i)); err != nil {
			return fmt.Errorf("lot %d: parkInfo: %w", i, err)
		}
		if _, err := c.EntranceExitInfo(ctx, w.gates(i)...); err != nil {
			return fmt.Errorf("lot %d: entranceExitInfo: %w", i, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	photo, err := photoTemplate(110 * 1024)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(cfg.Progress, "storm: producing %v of backlog per lot, offline\n", cfg.Down)
	end := time.Now()
	var mu sync.Mutex
	err = forEachLot(ctx, cfg.Lots, 8, func(i int) error {
		s, err := produceLot(cfg, m.Tag, m.Codes[i], i, end, photo)
		mu.Lock()
		m.add(s)
		mu.Unlock()
		return err
	})
	if err != nil {
		return nil, err
	}
	b, _ := json.MarshalIndent(m, "", "  ")
	return m, os.WriteFile(filepath.Join(cfg.Dir, stormManifestFile), b, 0o644)
}

func (m *stormManifest) add(s stormManifest) {
	m.Items += s.Items
	m.Pictures += s.Pictures
	m.Entries += s.Entries
	m.Exits += s.Exits
	m.Vacancies += s.Vacancies
}

// stormEvent is a vehicle entering or leaving a lot during the outage.
type stormEvent struct {
	at    time.Time
	enter bool
	n     int // the visit
}

// produceLot queues lot i's items of the outage, in time order, into its
// outbox opened on an unreachable platform: the SDK's real journal.
func produceLot(cfg StormConfig, tag, park string, i int, end time.Time, photo []byte) (stormManifest, error) {
	var s stormManifest
	rng := mrand.New(mrand.NewPCG(uint64(i), 7))
	start := end.Add(-cfg.Down)
	var events []stormEvent
	gap := time.Duration(float64(time.Hour) / cfg.VisitsPerHour)
	at := start.Add(time.Duration(rng.Int64N(int64(gap))))
	for n := 0; at.Before(end); n++ {
		events = append(events, stormEvent{at: at, enter: true, n: n})
		if leave := at.Add(5*time.Minute + time.Duration(rng.Int64N(int64(20*time.Minute)))); leave.Before(end) {
			events = append(events, stormEvent{at: leave, n: n})
		}
		at = at.Add(gap/2 + time.Duration(rng.Int64N(int64(gap))))
	}
	sort.SliceStable(events, func(a, b int) bool { return events[a].at.Before(events[b].at) })

	dead, err := client.New(client.Config{BaseURL: "http://127.0.0.1:1", UserID: cfg.account(i), Password: cfg.Password})
	if err != nil {
		return s, err
	}
	var clock atomic.Int64 // the simulated time, read by the outbox's worker
	clock.Store(start.UnixNano())
	o, err := client.OpenOutbox(client.OutboxConfig{Dir: lotDir(cfg.Dir, i), Client: dead, Workers: 1,
		MinBackoff: time.Hour, MaxBackoff: time.Hour, NoSync: !cfg.Sync, Now: func() time.Time { return time.Unix(0, clock.Load()) }})
	if err != nil {
		return s, err
	}
	defer o.Close()
	id := func(kind byte, n int) string { return fmt.Sprintf("%s%c%06d%017d", tag, kind, i, n) }
	inside := 0
	for _, e := range events {
		clock.Store(e.at.UnixNano())
		plate := fmt.Sprintf("粤B%05d", (i*131+e.n)%100000)
		if e.enter {
			photoID := id('q', e.n)
			if (e.n+i)%cfg.PhotoEvery == 0 {
				photoID = id('p', e.n)
				data := append([]byte(nil), photo...)
				copy(data[photoIDOffset:], photoID)
				if err := o.Picture(client.Photo{ParkCode: park, ID: photoID, FileName: fmt.Sprintf("storm%s%06d.jpg", e.at.Format("20060102"), e.n%1000000),
					ImageBizType: protocol.ImagePlate, PickTime: e.at, Data: data}); err != nil {
					return s, err
				}
				s.Pictures++
			}
			err = o.EnterRecord(protocol.EnterRecord{ParkCode: park, ID: id('r', e.n), PlateNo: plate, EnterTime: protocol.NewDateTime(e.at),
				EntryCarPhotoID: photoID, EntranceCode: gateIn, EntranceName: "北门入口"})
			s.Entries++
			inside++
		} else {
			err = o.ExitRecord(protocol.ExitRecord{ParkCode: park, ID: id('r', e.n), PlateNo: plate, LeaveTime: protocol.NewDateTime(e.at),
				ExitCarPhotoID: id('x', e.n), ExitCode: gateOut, ExitName: "南门出口"})
			s.Exits++
			inside--
		}
		if err != nil {
			return s, err
		}
		if err := o.ParkSpaceInfo(protocol.ParkSpaceInfo{ParkCode: park, UsedStalls: max(inside, 0), UnusedStalls: max(500-inside, 0)}); err != nil {
			return s, err
		}
		s.Vacancies++
	}
	s.Items = s.Pictures + s.Entries + s.Exits + s.Vacancies
	return s, nil
}

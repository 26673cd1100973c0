// Package sim simulates a parking-lot vendor: many lots, each with its
// park report, entrances and vehicles coming and going with a daily
// rhythm, reporting everything to a platform through the client SDK (one
// client.Client and one durable client.Outbox), answering the platform's
// reservations from the lots' own vacancy, and counting what happened.
// cmd/parksim is its command line.
//
// Each arrival uploads an entry photo (picture, imageBizType 4), then an
// enterRecord citing it, then the lot's new vacancy (parkSpaceInfo); each
// departure does the same with an exit photo and an exitRecord. Every lot
// reports the plates inside at the top of each simulated hour
// (parkCarInfo) and, at simulated midnight, pulls the previous day's
// replenish list and re-sends the entries it knows the platform lacks.
// The lots wait at midnight until the day's records are delivered and the
// lists pulled (as they wait when the outbox is full), then catch up.
//
// With an API key (Config.APIKey) the simulator is also the city's
// parking app's back end: its users book spaces in the reservable lots
// through the platform's booking API, change or cancel some of them, and
// the lots honour the orders the platform sends down (see booker.go).
//
// Time is simulated: Speed simulated seconds pass per real second, so a
// day's rhythm can be watched in minutes. Traffic is drawn from Seed and
// does not depend on how fast it is sent: the same seed gives the same
// plates, ids and times. The lots themselves depend only on the account
// and their number, so a vendor's lots stay the same from run to run.
package sim

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

// Config configures a simulation.
type Config struct {
	// URL, UserID and Password are the platform and the vendor account.
	URL      string
	UserID   string
	Password string
	// HTTPClient carries the requests (TLS options go in its Transport);
	// nil means a client with a 30 s timeout.
	HTTPClient *http.Client

	// Lots is the number of simulated lots (default 10).
	Lots int
	// Rate is the mean number of vehicle arrivals per real second across
	// all lots, averaged over the simulated day (default 2): the daily
	// rhythm makes it about twice that at the peaks and a tenth of it at
	// night. Each lot gets a share in proportion to its spaces.
	Rate float64
	// Speed is how many simulated seconds pass per real second (default 1).
	Speed float64
	// Duration is how long to run, in real time; 0 runs until ctx ends.
	Duration time.Duration
	// Seed draws the traffic: the same seed gives the same plates, ids and
	// times. Re-sending the same ids to a platform that has them replaces
	// them, so use a new seed for each run against the same platform.
	Seed int64
	// Start is the simulated time at the start; zero means the platform's
	// time, as learnt from the first heartbeat.
	Start time.Time
	// BadData is the probability that a record is deliberately bad: a
	// plate over 20 characters or a carColor out of appendix D (refused by
	// the SDK's own check before it is queued), a record for a park never
	// reported, a photo over 500 KB, a leaveTime before its enterTime, or a
	// park report whose areaCode is not in appendix F (refused by the
	// platform and set aside by the outbox).
	BadData float64

	// Dir holds the outbox; empty means a new temporary directory, removed
	// at the end when nothing is left in it.
	Dir string
	// Workers is how many requests the outbox may have in flight
	// (default 16); MaxQueue how many items may wait in it before the lots
	// wait too (default 2,000), which bounds memory and disk when the
	// platform is slower than the traffic.
	Workers  int
	MaxQueue int
	// NoSync skips the outbox's fsyncs (faster, but a power loss may lose
	// queued records).
	NoSync bool
	// FlushTimeout bounds the final flush (default 1 min).
	FlushTimeout time.Duration

	// APIKey, when set, makes the simulator also the city's app back end:
	// it books, changes and cancels reservations in the reservable lots
	// through the platform's booking API (/api/v1/reservations, with
	// "Authorization: Bearer APIKey"), and reads every order's state back
	// at the end. The lots honour the orders only if the platform can
	// reach their downlink (serve the Sim as a client.ReservationHandler
	// at the account's callback URL).
	APIKey string
	// BookRate is the mean number of bookings per real second across the
	// reservable lots (default 0.2 with an APIKey), each lot a share in
	// proportion to its reservable spaces.
	BookRate float64
	// ChangeShare and CancelShare are the shares of bookings whose user
	// later moves bookTime (PATCH) and cancels (DELETE) before the vehicle
	// is due; zero means none.
	ChangeShare, CancelShare float64

	// Photos is the picture pool; nil means DefaultPhotos.
	Photos *Photos
	// Progress receives a line at the start, a progress line every
	// ProgressEvery (default 5 s) and a line when stopping; nil means none.
	Progress      io.Writer
	ProgressEvery time.Duration
	// OnQueued, when set, is called (concurrently) with every item queued
	// in the outbox: a protocol item, a slice of them, or a client.Photo.
	OnQueued func(kind protocol.Interface, v any)
	// OnDaily, when set, is called after each simulated midnight's
	// replenish lists have been pulled for every lot and the entries they
	// name queued again; day is the day the lists were for. A caller can
	// stop the run there (cancel Run's ctx) instead of guessing how long
	// the pull takes.
	OnDaily func(day time.Time)
	Log     *slog.Logger
}

func (c *Config) defaults() error {
	if c.URL == "" || c.UserID == "" {
		return errors.New("sim: URL and UserID are required")
	}
	if c.Lots <= 0 {
		c.Lots = 10
	}
	if c.Rate < 0 || c.Speed < 0 || c.BadData < 0 || c.BadData > 1 {
		return errors.New("sim: Rate and Speed must be positive, BadData between 0 and 1")
	}
	if c.Rate == 0 {
		c.Rate = 2
	}
	if c.BookRate < 0 || c.ChangeShare < 0 || c.ChangeShare > 1 || c.CancelShare < 0 || c.CancelShare > 1 {
		return errors.New("sim: BookRate must not be negative, ChangeShare and CancelShare between 0 and 1")
	}
	if c.APIKey != "" && c.BookRate == 0 {
		c.BookRate = 0.2
	}
	if c.Speed == 0 {
		c.Speed = 1
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.MaxQueue <= 0 {
		c.MaxQueue = 2000
	}
	if c.FlushTimeout <= 0 {
		c.FlushTimeout = time.Minute
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Sim is a simulated vendor. Make it with New, serve its reservation
// handler (it implements client.ReservationHandler) if the platform
// should reach it, then Run it once.
type Sim struct {
	cfg      Config
	client   *client.Client
	requests *countingTransport
	photos   *Photos
	lots     []*Lot
	byCode   map[string]*Lot
	clock    simClock
	gate     dayGate
	started  atomic.Bool
	booker   *booker // nil without Config.APIKey

	mu       sync.Mutex
	queued   map[protocol.Interface]int
	expected map[protocol.Interface]map[protocol.Code]int
	refused  map[protocol.Interface]map[protocol.Code]int
	failed   int
	resent   int
	resv     ReservationCounts
}

// New makes the simulated lots and the client; it does not contact the
// platform.
func New(cfg Config) (*Sim, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	photos := cfg.Photos
	if photos == nil {
		var err error
		if photos, err = DefaultPhotos(); err != nil {
			return nil, err
		}
	}
	rt := &countingTransport{base: http.DefaultTransport}
	hc := &http.Client{Timeout: 30 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		hc = &c
		if hc.Transport != nil {
			rt.base = hc.Transport
		}
	}
	if t, ok := rt.base.(*http.Transport); ok && t.MaxIdleConnsPerHost < cfg.Workers+4 {
		t = t.Clone() // the default keeps 2 idle connections: too few for the workers
		t.MaxIdleConnsPerHost = cfg.Workers + 4
		rt.base = t
	}
	hc.Transport = rt
	c, err := client.New(client.Config{BaseURL: cfg.URL, UserID: cfg.UserID, Password: cfg.Password, HTTPClient: hc, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	s := &Sim{cfg: cfg, client: c, requests: rt, photos: photos, byCode: map[string]*Lot{},
		queued: map[protocol.Interface]int{}, expected: map[protocol.Interface]map[protocol.Code]int{},
		refused: map[protocol.Interface]map[protocol.Code]int{}}
	specs := make([]lotSpec, cfg.Lots)
	total := 0
	for i := range specs {
		specs[i] = newLotSpec(cfg.UserID, i+1)
		total += specs[i].info.TotalSpaces
	}
	if cfg.APIKey != "" {
		s.booker = newBooker(s, hc)
	}
	for i, spec := range specs {
		base := cfg.Rate / cfg.Speed * float64(spec.info.TotalSpaces) / float64(total)
		l := newLot(spec, i+1, cfg.Seed, base, cfg.BadData, photos.Len())
		l.speed = cfg.Speed
		if s.booker != nil {
			l.watch = s.booker.watch
		}
		s.lots = append(s.lots, l)
		s.byCode[l.code] = l
	}
	start := cfg.Start
	if start.IsZero() {
		start = time.Now()
	}
	s.clock.set(start.Truncate(time.Second), time.Now(), cfg.Speed)
	return s, nil
}

// Lots returns the simulated lots.
func (s *Sim) Lots() []*Lot { return s.lots }

// Client returns the SDK client the simulator uses.
func (s *Sim) Client() *client.Client { return s.client }

// platformNow is the platform's time as the client knows it.
func (s *Sim) platformNow() time.Time { return s.client.Now() }

// Run logs in, reports the lots and runs the traffic until Duration has
// passed or ctx ends; it then stops new events, flushes the outbox (at
// most FlushTimeout) and returns the summary. An error means the run
// could not start (a wrong password, an unreachable platform, an unusable
// directory).
func (s *Sim) Run(ctx context.Context) (*Summary, error) {
	if s.started.Swap(true) {
		return nil, errors.New("sim: Run called twice")
	}
	cfg := s.cfg
	if err := s.client.Login(ctx); err != nil {
		return nil, err
	}
	if err := s.client.Heartbeat(ctx); err != nil {
		return nil, err
	}
	hbCtx, stopHeartbeats := context.WithCancel(context.Background())
	defer stopHeartbeats()
	go s.client.Run(hbCtx)
	if s.booker != nil {
		if err := s.booker.start(ctx); err != nil {
			return nil, err
		}
	}

	dir, temp := cfg.Dir, false
	if dir == "" {
		d, err := os.MkdirTemp("", "parksim-*")
		if err != nil {
			return nil, err
		}
		dir, temp = d, true
	} else if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	out, err := client.OpenOutbox(client.OutboxConfig{Dir: dir, Client: s.client, Workers: cfg.Workers,
		NoSync: cfg.NoSync, Log: cfg.Log})
	if err != nil {
		return nil, err
	}
	st0 := out.Stats()

	start := cfg.Start
	if start.IsZero() {
		start = s.client.Now()
	}
	start = start.Truncate(time.Second)
	realStart := time.Now()
	s.clock.set(start, realStart, cfg.Speed)
	s.printf("parksim: %d lots of %s at %s, seed %d, %.4g arrivals/s, speed ×%.4g, simulated time from %s, outbox %s\n",
		len(s.lots), cfg.UserID, cfg.URL, cfg.Seed, cfg.Rate, cfg.Speed, fmtSim(start), dir)
	if b := s.booker; b != nil {
		s.printf("parksim: booking %.4g/s through the booking API in %d reservable lots (%.0f%% changed, %.0f%% cancelled; obligatTime %d min)\n",
			cfg.BookRate, len(b.parks), 100*cfg.ChangeShare, 100*cfg.CancelShare, b.obligatMinutes())
	}

	for _, l := range s.lots {
		l.begin(start)
		s.emit(out, l.setup(start))
	}
	s.gate.hold(client.NextMidnight(start)) // before any lot can reach it

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, l := range s.lots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.runLot(out, l, stop)
		}()
	}
	wg.Add(2)
	go func() {
		defer wg.Done()
		s.runDaily(ctx, out, stop)
	}()
	go func() {
		defer wg.Done()
		s.runProgress(out, realStart, st0.Rejected, stop)
	}()
	if s.booker != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.booker.run(stop)
		}()
	}

	var timeout <-chan time.Time
	if cfg.Duration > 0 {
		t := time.NewTimer(cfg.Duration)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-ctx.Done():
		s.printf("parksim: stopping: no new vehicles; flushing the outbox (at most %s)\n", cfg.FlushTimeout)
	case <-timeout:
	}
	close(stop)
	wg.Wait()
	genEnd := time.Now()
	simEnd := s.clock.now()
	sentAtStop := out.Stats().Sent

	fctx, cancel := context.WithTimeout(context.Background(), cfg.FlushTimeout)
	flushErr := out.Flush(fctx)
	cancel()
	end := time.Now()
	st := out.Stats()
	rejected := out.Rejected()[st0.Rejected:]
	closeErr := out.Close()
	stopHeartbeats()
	if s.booker != nil {
		s.booker.readBack() // after the flush: the exits have reached the platform
	}

	sum := s.summary(st, rejected)
	sum.Dir, sum.SimStart, sum.SimEnd = dir, start, simEnd
	sum.Running, sum.Flush = genEnd.Sub(realStart), end.Sub(genEnd)
	sum.Flushed = flushErr == nil
	sum.AckedWhileRunning = sentAtStop
	sum.Replayed = st0.Depth
	if temp && st.Depth == 0 && closeErr == nil {
		os.RemoveAll(dir)
		sum.Dir = ""
	}
	return sum, nil
}

// runLot plays one lot's events at their simulated times until stop.
func (s *Sim) runLot(out *client.Outbox, l *Lot, stop <-chan struct{}) {
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		if v := l.pendingVacancy(); v != nil {
			s.emit(out, v)
		}
		if d := time.Until(s.clock.realAt(l.next())); d > 0 {
			timer.Reset(d)
			select {
			case <-stop:
				timer.Stop()
				return
			case <-l.wake:
				timer.Stop()
				continue
			case <-timer.C:
			}
		}
		if !s.waitForRoom(out, stop) || !s.gate.pass(l.next(), stop) {
			return
		}
		_, items := l.step()
		s.emit(out, items)
		s.gate.stepped()
	}
}

// waitForRoom holds a lot back while the outbox is full; it reports false
// when stop came first.
func (s *Sim) waitForRoom(out *client.Outbox, stop <-chan struct{}) bool {
	for out.Stats().Depth >= s.cfg.MaxQueue {
		select {
		case <-stop:
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	select {
	case <-stop:
		return false
	default:
		return true
	}
}

// runDaily pulls every lot's replenish list at each simulated midnight
// (client.Duties.Daily) and re-sends the entries the lots know were bad.
// The lots are held at midnight meanwhile (dayGate): their events of the
// day are queued and delivered first.
func (s *Sim) runDaily(ctx context.Context, out *client.Outbox, stop <-chan struct{}) {
	d := &client.Duties{
		Client: s.client,
		Parks: func() []string {
			codes := make([]string, len(s.lots))
			for i, l := range s.lots {
				codes[i] = l.code
			}
			return codes
		},
		Replenish: func(park string, day time.Time, plates []string) {
			if l := s.byCode[park]; l != nil {
				items := l.resend(plates)
				s.mu.Lock()
				s.resent += len(items)
				s.mu.Unlock()
				s.emit(out, items)
			}
		},
		Log: s.cfg.Log,
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	midnight := client.NextMidnight(s.clock.now())
	for {
		s.gate.hold(midnight)
		if !s.gate.reached(s.lots, stop) || out.Flush(ctx) != nil {
			s.gate.open()
			return
		}
		day := midnight.Add(-time.Hour)
		d.Daily(ctx, day)
		s.gate.open()
		if s.cfg.OnDaily != nil && ctx.Err() == nil {
			s.cfg.OnDaily(day)
		}
		midnight = client.NextMidnight(midnight)
	}
}

// emit queues items in order in the outbox and counts them.
func (s *Sim) emit(out *client.Outbox, items []item) {
	for _, it := range items {
		v := it.value
		var err error
		switch x := v.(type) {
		case photo:
			comment := fmt.Sprintf("parksim photo %s park %s", x.ID, x.ParkCode)
			if x.oversized {
				x.Data = s.photos.Oversized(x.pool, comment)
			} else {
				x.Data = s.photos.Photo(x.pool, comment)
			}
			v = x.Photo
			err = out.Picture(x.Photo)
		case protocol.ParkInfo:
			err = out.ParkInfo(x)
		case []protocol.EntranceExitInfo:
			err = out.EntranceExitInfo(x...)
		case protocol.EnterRecord:
			err = out.EnterRecord(x)
		case protocol.ExitRecord:
			err = out.ExitRecord(x)
		case protocol.ParkSpaceInfo:
			err = out.ParkSpaceInfo(x)
		case protocol.ParkCarInfo:
			err = out.ParkCarInfo(x)
		default:
			err = fmt.Errorf("sim: cannot queue %T", v)
		}
		s.count(it, err)
		if err == nil && s.cfg.OnQueued != nil {
			s.cfg.OnQueued(it.kind, v)
		}
	}
}

func (s *Sim) count(it item, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var pe *protocol.Error
	switch {
	case err == nil:
		n := 1
		if g, ok := it.value.([]protocol.EntranceExitInfo); ok {
			n = len(g)
		}
		s.queued[it.kind] += n
		if c := it.bad.platformCode(); c != 0 {
			addCode(s.expected, it.kind, c)
		}
	case errors.As(err, &pe):
		addCode(s.refused, it.kind, pe.Code)
	default:
		s.failed++
		s.cfg.Log.Error("queueing", "kind", it.kind, "err", err)
	}
}

func addCode(m map[protocol.Interface]map[protocol.Code]int, k protocol.Interface, c protocol.Code) {
	if m[k] == nil {
		m[k] = map[protocol.Code]int{}
	}
	m[k][c]++
}

func (s *Sim) printf(format string, args ...any) {
	if s.cfg.Progress != nil {
		fmt.Fprintf(s.cfg.Progress, format, args...)
	}
}

// runProgress prints a progress line every ProgressEvery until stop.
// Rejections set aside by earlier runs (rejected0) are not counted.
func (s *Sim) runProgress(out *client.Outbox, realStart time.Time, rejected0 int, stop <-chan struct{}) {
	if s.cfg.Progress == nil {
		return
	}
	t := time.NewTicker(s.cfg.ProgressEvery)
	defer t.Stop()
	lastReq, lastAt := s.requests.n.Load(), time.Now()
	for {
		select {
		case <-stop:
			return
		case now := <-t.C:
			req := s.requests.n.Load()
			st := out.Stats()
			inside := 0
			for _, l := range s.lots {
				inside += l.State().Inside
			}
			s.mu.Lock()
			queued, refused := sumKinds(s.queued), sumCodes(s.refused)
			s.mu.Unlock()
			booking := ""
			if s.booker != nil {
				c := s.booker.snapshot()
				booking = fmt.Sprintf(" | booked %d refused %d changed %d cancelled %d", c.Booked, sumMap(c.Refused), c.Changed, c.Cancelled)
			}
			s.printf("[%6s] sim %s | lots %d | inside %d | queued %d acked %d rejected %d | outbox %d | %.1f req/s%s\n",
				now.Sub(realStart).Round(time.Second), fmtSim(s.clock.now()), len(s.lots), inside, queued, st.Sent,
				st.Rejected-rejected0+refused, st.Depth, float64(req-lastReq)/now.Sub(lastAt).Seconds(), booking)
			lastReq, lastAt = req, now
		}
	}
}

func sumKinds(m map[protocol.Interface]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func sumCodes(m map[protocol.Interface]map[protocol.Code]int) int {
	n := 0
	for _, byCode := range m {
		for _, v := range byCode {
			n += v
		}
	}
	return n
}

func fmtSim(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

// simClock maps real time to simulated time.
type simClock struct {
	mu    sync.Mutex
	sim0  time.Time
	real0 time.Time
	speed float64
}

func (c *simClock) set(sim0, real0 time.Time, speed float64) {
	c.mu.Lock()
	c.sim0, c.real0, c.speed = sim0, real0, speed
	c.mu.Unlock()
}

// now returns the simulated time now.
func (c *simClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sim0.Add(time.Duration(float64(time.Since(c.real0)) * c.speed))
}

// realAt returns the real time at which the simulated time t comes.
func (c *simClock) realAt(t time.Time) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.real0.Add(time.Duration(float64(t.Sub(c.sim0)) / c.speed))
}

// countingTransport counts the HTTP requests sent.
type countingTransport struct {
	base http.RoundTripper
	n    atomic.Uint64
}

// RoundTrip implements http.RoundTripper.
func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.base.RoundTrip(r)
}

// Summary is the outcome of a run.
type Summary struct {
	Lots []LotState
	// Dir is the outbox directory, "" when it was a temporary one and
	// removed.
	Dir              string
	SimStart, SimEnd time.Time
	// Running is the real time traffic ran; Flush the time the final
	// flush took; Flushed whether it emptied the outbox.
	Running, Flush time.Duration
	Flushed        bool
	AskedRate      float64
	Speed          float64

	Arrivals, TurnedAway, Departures, Inside int
	// Reservations are the lots' answers to the platform's downlink;
	// ReservedCame the reserved vehicles that came, ReservedLapsed the
	// holds that lapsed with no vehicle.
	Reservations                 ReservationCounts
	ReservedCame, ReservedLapsed int
	// Bookings is what the app back end did (nil without Config.APIKey),
	// at BookRate asked.
	Bookings *BookingCounts
	BookRate float64
	// UserID is the lots' account, named in the booking hints.
	UserID string

	// Queued counts the items queued per interface; SetAside those the
	// platform refused (outbox.Rejected) per interface and code; Refused
	// those the SDK's own check refused before queueing; Expected the
	// platform refusals the simulator meant to cause.
	Queued   map[protocol.Interface]int
	SetAside map[protocol.Interface]map[protocol.Code]int
	Refused  map[protocol.Interface]map[protocol.Code]int
	Expected map[protocol.Interface]map[protocol.Code]int
	// Acknowledged is the items the platform acknowledged in the run;
	// AckedWhileRunning those acknowledged before the traffic stopped.
	Acknowledged      uint64
	AckedWhileRunning uint64
	// Depth is what was left in the outbox at the end; Replayed what an
	// earlier run had left in it, delivered (and acknowledged) in this one.
	Depth    int
	Replayed int
	Requests uint64
	// Resent is the entries re-sent for replenish lists; Failed the items
	// that could not be queued for another reason than their content.
	Resent, Failed int
}

func (s *Sim) summary(st client.Stats, rejected []client.Rejection) *Summary {
	sum := &Summary{AskedRate: s.cfg.Rate, Speed: s.cfg.Speed, UserID: s.cfg.UserID, Acknowledged: st.Sent, Depth: st.Depth,
		Requests: s.requests.n.Load(), SetAside: map[protocol.Interface]map[protocol.Code]int{}}
	for _, l := range s.lots {
		ls := l.State()
		sum.Lots = append(sum.Lots, ls)
		sum.Arrivals += ls.Arrivals
		sum.TurnedAway += ls.TurnedAway
		sum.Departures += ls.Departures
		sum.Inside += ls.Inside
		l.mu.Lock()
		sum.ReservedCame += l.showed
		sum.ReservedLapsed += l.lapsed
		l.mu.Unlock()
	}
	for _, r := range rejected {
		addCode(sum.SetAside, r.Kind, r.Code)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sum.Queued = cloneCounts(s.queued)
	sum.Refused = cloneCodes(s.refused)
	sum.Expected = cloneCodes(s.expected)
	sum.Reservations = s.resv
	if s.booker != nil {
		c := s.booker.snapshot()
		sum.Bookings, sum.BookRate = &c, s.cfg.BookRate
	}
	sum.Resent, sum.Failed = s.resent, s.failed
	return sum
}

func cloneCounts(m map[protocol.Interface]int) map[protocol.Interface]int {
	out := make(map[protocol.Interface]int, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func cloneCodes(m map[protocol.Interface]map[protocol.Code]int) map[protocol.Interface]map[protocol.Code]int {
	out := make(map[protocol.Interface]map[protocol.Code]int, len(m))
	for k, v := range m {
		for c, n := range v {
			addCodeN(out, k, c, n)
		}
	}
	return out
}

func addCodeN(m map[protocol.Interface]map[protocol.Code]int, k protocol.Interface, c protocol.Code, n int) {
	if m[k] == nil {
		m[k] = map[protocol.Code]int{}
	}
	m[k][c] += n
}

// TotalQueued returns the items queued across interfaces.
func (m *Summary) TotalQueued() int { return sumKinds(m.Queued) }

// TotalSetAside returns the items the platform refused.
func (m *Summary) TotalSetAside() int { return sumCodes(m.SetAside) }

// TotalRefused returns the items the SDK refused before queueing.
func (m *Summary) TotalRefused() int { return sumCodes(m.Refused) }

// TotalExpected returns the platform refusals the simulator meant to cause.
func (m *Summary) TotalExpected() int { return sumCodes(m.Expected) }

// interfaces in report order.
var interfaces = []protocol.Interface{protocol.PictureCode, protocol.ParkInfoCode, protocol.EntranceExitCode,
	protocol.EnterRecordCode, protocol.ExitRecordCode, protocol.ParkSpaceInfoCode, protocol.ParkCarInfoCode}

// Write prints the summary.
func (m *Summary) Write(w io.Writer) {
	secs := m.Running.Seconds()
	total := (m.Running + m.Flush).Seconds()
	fmt.Fprintf(w, "\nparksim summary: ran %s, flushed in %s; simulated %s → %s (×%.4g)\n",
		m.Running.Round(time.Millisecond), m.Flush.Round(time.Millisecond), fmtSim(m.SimStart), fmtSim(m.SimEnd), m.Speed)
	fmt.Fprintf(w, "  vehicles: %d arrivals (%.2f/s; asked %.4g/s over a day, %.4g/s at these hours), %d turned away by full lots, %d departures, %d inside in %d lots\n",
		m.Arrivals, float64(m.Arrivals)/secs, m.AskedRate, m.AskedRate*meanRhythm(m.SimStart, m.SimEnd), m.TurnedAway, m.Departures, m.Inside, len(m.Lots))
	if m.Bookings != nil {
		m.writeBookings(w)
	}
	r := m.Reservations
	if r != (ReservationCounts{}) {
		fmt.Fprintf(w, "  reservations: %d accepted, %d refused with 1501, %d answered 1201, %d changed, %d cancelled, %d unknown; %d vehicles came, %d holds lapsed\n",
			r.Accepted, r.NoSpace, r.Repeated, r.Changed, r.Cancelled, r.Unknown, m.ReservedCame, m.ReservedLapsed)
	}
	fmt.Fprintf(w, "  %-18s %9s %13s %10s %15s\n", "interface", "queued", "acknowledged", "set aside", "refused by SDK")
	for _, k := range interfaces {
		q, sa, rf := m.Queued[k], sumMap(m.SetAside[k]), sumMap(m.Refused[k])
		acked := "-"
		if m.Depth == 0 {
			acked = fmt.Sprint(q - sa)
		}
		fmt.Fprintf(w, "  %-18s %9d %13s %10d %15d\n", k, q, acked, sa, rf)
	}
	fmt.Fprintf(w, "  %-18s %9d %13d %10d %15d\n", "total", m.TotalQueued(), m.Acknowledged, m.TotalSetAside(), m.TotalRefused())
	if codes := codeLine(m.SetAside, m.Refused); codes != "" {
		fmt.Fprintf(w, "  rejections by code: %s\n", codes)
		if m.TotalSetAside() != m.TotalExpected() {
			fmt.Fprintf(w, "  (the simulator meant %d of them to be refused by the platform)\n", m.TotalExpected())
		}
	}
	if m.Resent > 0 {
		fmt.Fprintf(w, "  replenish: %d entries re-sent\n", m.Resent)
	}
	if m.Replayed > 0 {
		fmt.Fprintf(w, "  %d items left in the outbox by an earlier run were sent too\n", m.Replayed)
	}
	if m.Failed > 0 {
		fmt.Fprintf(w, "  %d items could not be queued (see the log)\n", m.Failed)
	}
	fmt.Fprintf(w, "  acknowledged %d records: %.1f/s while running, %.1f/s including the flush; %d requests (%.1f/s)\n",
		m.Acknowledged, float64(m.AckedWhileRunning)/secs, float64(m.Acknowledged)/total, m.Requests, float64(m.Requests)/total)
	switch {
	case m.Depth == 0:
		fmt.Fprintf(w, "  outbox: empty at the end\n")
	case m.Dir != "":
		fmt.Fprintf(w, "  outbox: %d items left (flush timed out); they are kept in %s\n", m.Depth, m.Dir)
	default:
		fmt.Fprintf(w, "  outbox: %d items left (flush timed out)\n", m.Depth)
	}
}

// meanRhythm is the mean of RhythmAt over [from, to).
func meanRhythm(from, to time.Time) float64 {
	if !to.After(from) {
		return RhythmAt(from)
	}
	const n = 240
	step := to.Sub(from) / n
	sum := 0.0
	for i := range n {
		sum += RhythmAt(from.Add(step*time.Duration(i) + step/2))
	}
	return sum / n
}

func sumMap(m map[protocol.Code]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// codeLine lists rejections by code, most frequent first.
func codeLine(platform, sdk map[protocol.Interface]map[protocol.Code]int) string {
	type entry struct {
		code protocol.Code
		by   string
		n    int
	}
	var es []entry
	for by, m := range map[string]map[protocol.Interface]map[protocol.Code]int{"platform": platform, "SDK": sdk} {
		byCode := map[protocol.Code]int{}
		for _, cs := range m {
			for c, n := range cs {
				byCode[c] += n
			}
		}
		for c, n := range byCode {
			es = append(es, entry{c, by, n})
		}
	}
	sort.Slice(es, func(i, j int) bool {
		if es[i].n != es[j].n {
			return es[i].n > es[j].n
		}
		if es[i].code != es[j].code {
			return es[i].code < es[j].code
		}
		return es[i].by > es[j].by
	})
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = fmt.Sprintf("%d %s ×%d (%s)", int(e.code), e.code.Message(), e.n, e.by)
	}
	return strings.Join(parts, ", ")
}

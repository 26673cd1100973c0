package load

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/protocol"
)

// FleetConfig is a fleet run: Accounts lots, each with its own account
// (Prefix followed by 0 .. Accounts-1, as `parkd account add --count`
// makes them), log in and then heartbeat every Interval, as a city of
// connected parking systems does, for Duration after the last login.
// It measures the platform's cost of many live sessions, not of data.
type FleetConfig struct {
	URL      string
	Prefix   string
	Accounts int
	Password string // plaintext, shared by the accounts
	// Interval is each lot's heartbeat period (default 30 s); a lot's
	// first heartbeat is one Interval after its login.
	Interval time.Duration
	// Duration is how long the heartbeats run after the last login.
	Duration time.Duration
	// Concurrency bounds the requests in flight (default 256).
	Concurrency int
	HTTPClient  *http.Client
	// Progress, when set, gets a line every ProgressEvery (default 10 s).
	Progress      io.Writer
	ProgressEvery time.Duration
}

// FleetReport is the outcome of a fleet run.
type FleetReport struct {
	Accounts     int     `json:"accounts"`
	LoggedIn     int64   `json:"loggedIn"`
	LoginErrors  int64   `json:"loginErrors"`
	LoginSec     float64 `json:"loginSec"`
	LoginLatency Latency `json:"loginLatencyMs"`
	// Heartbeats are those sent; HeartbeatErrors those not answered with
	// code 0 (a lot whose token was refused logs in again: Relogins).
	Heartbeats       int64   `json:"heartbeats"`
	HeartbeatErrors  int64   `json:"heartbeatErrors"`
	Relogins         int64   `json:"relogins"`
	HeartbeatRate    float64 `json:"heartbeatRate"`
	HeartbeatLatency Latency `json:"heartbeatLatencyMs"`
	// SteadyLatency is HeartbeatLatency of the heartbeats due after the
	// last login: the steady state, without the logins' competition.
	SteadyLatency Latency `json:"steadyHeartbeatLatencyMs"`
	HeartbeatSec  float64 `json:"heartbeatSec"`
	FirstError    string  `json:"firstError,omitempty"`
}

// fleet is a running fleet.
type fleet struct {
	cfg    FleetConfig
	digest string
	tokens []atomic.Pointer[string]
	sem    chan struct{}

	mu      sync.Mutex
	slots   map[int64][]int // tick number -> lots due then
	loginL  []time.Duration
	beatL   []time.Duration
	steadyL []time.Duration // of beats due after loggedAt
	firstEr string
	// loggedAt is when the last login ended (Unix ns), 0 before.
	loggedAt atomic.Int64

	loggedIn, loginErr, beats, beatErr, relogins atomic.Int64
}

// fleetTick is the resolution of the heartbeat schedule.
const fleetTick = 100 * time.Millisecond

// RunFleet logs the fleet in and keeps it heartbeating until Duration
// after the last login or ctx ends.
func RunFleet(ctx context.Context, cfg FleetConfig) (*FleetReport, error) {
	if cfg.URL == "" || cfg.Prefix == "" || cfg.Accounts <= 0 || cfg.Password == "" {
		return nil, errors.New("fleet needs a URL, a prefix, a positive number of accounts and a password")
	}
	if cfg.Interval <= 0 {
		cfg.Interval = 30 * time.Second
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 256
	}
	if cfg.ProgressEvery <= 0 {
		cfg.ProgressEvery = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: DefaultTimeout}
	}
	f := &fleet{cfg: cfg, digest: protocol.PasswordDigest(cfg.Password), tokens: make([]atomic.Pointer[string], cfg.Accounts),
		sem: make(chan struct{}, cfg.Concurrency), slots: map[int64][]int{}}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); f.scheduler(ctx, start) }()
	if cfg.Progress != nil {
		wg.Add(1)
		go func() { defer wg.Done(); f.progress(ctx, start) }()
	}
	f.loginAll(ctx, start)
	loggedAt := time.Now()
	f.loggedAt.Store(loggedAt.UnixNano())
	select {
	case <-ctx.Done():
	case <-time.After(cfg.Duration):
	}
	cancel()
	wg.Wait()
	for range cap(f.sem) { // wait for the requests in flight
		f.sem <- struct{}{}
	}
	end := time.Now()
	rep := &FleetReport{Accounts: cfg.Accounts, LoggedIn: f.loggedIn.Load(), LoginErrors: f.loginErr.Load(),
		LoginSec: round(loggedAt.Sub(start).Seconds(), 1), LoginLatency: Summarize(f.loginL),
		Heartbeats: f.beats.Load(), HeartbeatErrors: f.beatErr.Load(), Relogins: f.relogins.Load(),
		HeartbeatLatency: Summarize(f.beatL), SteadyLatency: Summarize(f.steadyL), HeartbeatSec: round(end.Sub(start).Seconds(), 1),
		FirstError: f.firstEr}
	if secs := end.Sub(start).Seconds(); secs > 0 {
		rep.HeartbeatRate = round(float64(rep.Heartbeats)/secs, 1)
	}
	return rep, nil
}

// loginAll logs every lot in, Concurrency at a time, and schedules each
// lot's first heartbeat one Interval after its login.
func (f *fleet) loginAll(ctx context.Context, start time.Time) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range f.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if f.login(ctx, i) {
					f.schedule(i, time.Now().Add(f.cfg.Interval), start)
				}
			}
		}()
	}
	for i := range f.cfg.Accounts {
		select {
		case next <- i:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
}

// login logs lot i in and keeps its token; it reports success.
func (f *fleet) login(ctx context.Context, i int) bool {
	t0 := time.Now()
	data, _ := json.Marshal([]protocol.LoginRequest{{UserID: f.cfg.Prefix + strconv.Itoa(i), Password: f.digest}})
	ans, err := f.call(ctx, protocol.Login, "", envelopeOf(time.Now(), data))
	var out []protocol.LoginResponse
	if err == nil {
		if err = ans.ok(); err == nil && (json.Unmarshal(ans.data, &out) != nil || len(out) != 1) {
			err = fmt.Errorf("no accessToken in %s", ans.data)
		}
	}
	f.mu.Lock()
	f.loginL = append(f.loginL, time.Since(t0))
	f.mu.Unlock()
	if err != nil {
		f.loginErr.Add(1)
		f.noteError(fmt.Errorf("login %s%d: %w", f.cfg.Prefix, i, err))
		return false
	}
	f.tokens[i].Store(&out[0].AccessToken)
	f.loggedIn.Add(1)
	return true
}

// schedule puts lot i in the tick of at.
func (f *fleet) schedule(i int, at, start time.Time) {
	tick := int64(at.Sub(start) / fleetTick)
	f.mu.Lock()
	f.slots[tick] = append(f.slots[tick], i)
	f.mu.Unlock()
}

// scheduler sends the heartbeats of each tick as it comes, each lot
// rescheduled one Interval after its due time, whatever the answer.
func (f *fleet) scheduler(ctx context.Context, start time.Time) {
	for tick := int64(0); ; tick++ {
		due := start.Add(time.Duration(tick) * fleetTick)
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Until(due)):
		}
		f.mu.Lock()
		lots := f.slots[tick]
		delete(f.slots, tick)
		f.mu.Unlock()
		for _, i := range lots {
			select {
			case f.sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			f.schedule(i, due.Add(f.cfg.Interval), start)
			go func() {
				defer func() { <-f.sem }()
				f.beat(ctx, i, due)
			}()
		}
	}
}

// beat sends lot i's heartbeat scheduled at due; a refused token is
// replaced by a new login.
func (f *fleet) beat(ctx context.Context, i int, due time.Time) {
	tok := f.tokens[i].Load()
	data, _ := json.Marshal([]protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(time.Now())}})
	ans, err := f.call(ctx, protocol.HeartBeats, *tok, envelopeOf(time.Now(), data))
	if ctx.Err() != nil {
		return
	}
	f.beats.Add(1)
	took := time.Since(due)
	f.mu.Lock()
	f.beatL = append(f.beatL, took)
	if at := f.loggedAt.Load(); at != 0 && due.UnixNano() >= at {
		f.steadyL = append(f.steadyL, took)
	}
	f.mu.Unlock()
	if err == nil {
		err = ans.ok()
	}
	if err == nil {
		return
	}
	f.beatErr.Add(1)
	f.noteError(fmt.Errorf("heartbeat %s%d: %w", f.cfg.Prefix, i, err))
	if isCode(err, protocol.CodeToken) && f.login(ctx, i) {
		f.relogins.Add(1)
	}
}

// call posts body and returns the answer envelope.
func (f *fleet) call(ctx context.Context, iface protocol.Interface, token string, body []byte) (answer, error) {
	r := &runner{http: f.cfg.HTTPClient}
	return r.call(ctx, f.cfg.URL, iface, token, body)
}

func (f *fleet) noteError(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.firstEr == "" {
		f.firstEr = err.Error()
	}
}

// progress writes a line every ProgressEvery.
func (f *fleet) progress(ctx context.Context, start time.Time) {
	tick := time.NewTicker(f.cfg.ProgressEvery)
	defer tick.Stop()
	var lastBeats int64
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		beats := f.beats.Load()
		fmt.Fprintf(f.cfg.Progress, "%6.0fs  logged in %d/%d (%d errors)  heartbeats %.0f/s (%d errors, %d re-logins)  in flight %d\n",
			time.Since(start).Seconds(), f.loggedIn.Load(), f.cfg.Accounts, f.loginErr.Load(),
			float64(beats-lastBeats)/f.cfg.ProgressEvery.Seconds(), f.beatErr.Load(), f.relogins.Load(), len(f.sem))
		lastBeats = beats
	}
}

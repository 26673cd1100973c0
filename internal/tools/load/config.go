package load

import (
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/tools/conformance"
	"github.com/parkd/parkd/protocol"
)

// Defaults of a run.
const (
	DefaultMaxInFlight   = 2000
	DefaultVisitsPerHour = 20
	DefaultPictureShare  = 0.1
	DefaultPhotoBytes    = 300 * 1024
	DefaultTimeout       = 30 * time.Second
	// HeartbeatPeriod is a lot's heartbeat interval (clause 6.2 b).
	HeartbeatPeriod = 30 * time.Second
	// BatchSize is the items of one setup request (the platform's default
	// limit, docs/protocol.md §2).
	BatchSize = protocol.DefaultMaxItems
)

// MixRealistic is the mix that follows the cadence of real lots.
const MixRealistic = "realistic"

// Mixes lists the mixes Run accepts: realistic, then one per uplink
// interface.
func Mixes() []string {
	out := []string{MixRealistic}
	for _, i := range protocol.Uplink {
		out = append(out, string(i))
	}
	return out
}

// Arrival processes.
const (
	ArrivalsPoisson = "poisson"
	ArrivalsUniform = "uniform"
)

// Config describes a run.
type Config struct {
	// URLs are the platform instances the measured requests go to,
	// round-robin (at least one). A trailing /dataReceive/v1 is accepted.
	URLs []string
	// LoginURL, when set, is where every login goes; the tokens are then
	// used on URLs (instances sharing one database honour them).
	LoginURL string
	// UserID and Password are the account; Password is the plaintext.
	UserID, Password string
	// HTTPClient carries every request; nil means NewHTTPClient(false, "",
	// Timeout, MaxInFlight).
	HTTPClient *http.Client
	// Timeout bounds each request when HTTPClient is nil (default 30 s).
	Timeout time.Duration

	// Lots is the number of parks registered and simulated (default 100).
	Lots int
	// Rate is the total arrival rate in requests per second. For the
	// realistic mix 0 means the lots' real cadence; a single-interface mix
	// needs a positive rate.
	Rate float64
	// Duration is the measured part of the run; Warmup comes before it,
	// sent but not measured.
	Duration, Warmup time.Duration
	// Mix is one of Mixes (default realistic).
	Mix string
	// Arrivals is "poisson" (default) or "uniform".
	Arrivals string
	// VisitsPerHour is the vehicle visits per lot and hour of the
	// realistic mix (default 20).
	VisitsPerHour float64
	// PictureShare is the share of records of the realistic mix whose
	// photo is uploaded, 0 to 1 (0: none; the command's default is 0.1).
	PictureShare float64
	// PhotoBytes is the size of each uploaded JPEG (default 300 KiB).
	PhotoBytes int
	// Seed seeds the schedule and the choices; 0 picks one at random (the
	// report gives it). Ids and park codes are random whatever the seed.
	Seed uint64
	// MaxInFlight caps the requests in flight (default 2,000).
	MaxInFlight int

	// Progress, when set, receives a progress line every ProgressEvery
	// (default 5 s).
	Progress      io.Writer
	ProgressEvery time.Duration
	// KeepaliveEvery is the interval of the keepalive heartbeats of each
	// token (default 20 s).
	KeepaliveEvery time.Duration
	// SetupConcurrency bounds the setup requests in flight (default 4).
	SetupConcurrency int
}

// NewHTTPClient returns a client for a run: TLS verification against the
// system roots plus caFile, or none when insecure (as the conformance
// checker), each request bounded by timeout, and enough idle connections
// per host for maxInFlight concurrent requests.
func NewHTTPClient(insecure bool, caFile string, timeout time.Duration, maxInFlight int) (*http.Client, error) {
	c, err := conformance.HTTPClient(insecure, caFile, timeout)
	if err != nil {
		return nil, err
	}
	if maxInFlight <= 0 {
		maxInFlight = DefaultMaxInFlight
	}
	tr := c.Transport.(*http.Transport)
	tr.MaxIdleConns = 0 // no overall limit
	tr.MaxIdleConnsPerHost = maxInFlight
	tr.MaxConnsPerHost = 0
	return c, nil
}

// Check reports what Run would refuse in cfg before sending anything.
func (c Config) Check() error {
	_, err := c.withDefaults()
	return err
}

// withDefaults fills the zero fields and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if len(c.URLs) == 0 {
		return c, errors.New("load: at least one URL is required")
	}
	urls := make([]string, len(c.URLs))
	for i, u := range c.URLs {
		b, err := baseURL(u)
		if err != nil {
			return c, err
		}
		urls[i] = b
	}
	c.URLs = urls
	if c.LoginURL != "" {
		b, err := baseURL(c.LoginURL)
		if err != nil {
			return c, err
		}
		c.LoginURL = b
	}
	if c.UserID == "" || c.Password == "" {
		return c, errors.New("load: a user id and a password are required")
	}
	if c.Lots == 0 {
		c.Lots = 100
	}
	if c.Lots < 0 {
		return c, errors.New("load: lots must be positive")
	}
	if c.Mix == "" {
		c.Mix = MixRealistic
	}
	if !slices.Contains(Mixes(), c.Mix) {
		return c, fmt.Errorf("load: unknown mix %q (want one of %s)", c.Mix, strings.Join(Mixes(), ", "))
	}
	if c.Arrivals == "" {
		c.Arrivals = ArrivalsPoisson
	}
	if c.Arrivals != ArrivalsPoisson && c.Arrivals != ArrivalsUniform {
		return c, fmt.Errorf("load: arrivals %q: want poisson or uniform", c.Arrivals)
	}
	if c.Rate < 0 || math.IsNaN(c.Rate) || math.IsInf(c.Rate, 0) {
		return c, errors.New("load: the rate must be a positive number")
	}
	if c.Rate == 0 && c.Mix != MixRealistic {
		return c, fmt.Errorf("load: mix %s needs a rate", c.Mix)
	}
	if c.Duration <= 0 {
		return c, errors.New("load: the duration must be positive")
	}
	if c.Warmup < 0 {
		return c, errors.New("load: the warmup must not be negative")
	}
	if c.VisitsPerHour == 0 {
		c.VisitsPerHour = DefaultVisitsPerHour
	}
	if c.VisitsPerHour < 0 {
		return c, errors.New("load: visits per hour must be positive")
	}
	if c.PictureShare < 0 || c.PictureShare > 1 {
		return c, errors.New("load: the picture share must be between 0 and 1")
	}
	if c.PhotoBytes == 0 {
		c.PhotoBytes = DefaultPhotoBytes
	}
	if c.PhotoBytes < minPhotoBytes {
		return c, fmt.Errorf("load: photos must be at least %d bytes", minPhotoBytes)
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxInFlight < 0 {
		return c, errors.New("load: max in-flight must be positive")
	}
	if c.Timeout <= 0 {
		c.Timeout = DefaultTimeout
	}
	if c.HTTPClient == nil {
		hc, err := NewHTTPClient(false, "", c.Timeout, c.MaxInFlight)
		if err != nil {
			return c, err
		}
		c.HTTPClient = hc
	}
	if c.ProgressEvery <= 0 {
		c.ProgressEvery = 5 * time.Second
	}
	if c.KeepaliveEvery <= 0 {
		c.KeepaliveEvery = 20 * time.Second
	}
	if c.SetupConcurrency <= 0 {
		c.SetupConcurrency = 4
	}
	return c, nil
}

// baseURL checks a platform address and trims a trailing slash and
// /dataReceive/v1.
func baseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("load: URL %q: want http(s)://host[:port]", s)
	}
	b := strings.TrimRight(u.String(), "/")
	b = strings.TrimSuffix(b, strings.TrimRight(protocol.PathPrefix, "/"))
	return strings.TrimRight(b, "/"), nil
}

// PlannedRate is the scheduled arrival rate of one interface.
type PlannedRate struct {
	Interface string  `json:"interface"`
	Rate      float64 `json:"rate"` // per second
}

// Plan is what a run schedules: the rate of each interface, and for the
// realistic mix the factor between it and the real cadence.
type Plan struct {
	// Rate is the total scheduled rate.
	Rate float64 `json:"rate"`
	// Interfaces are the rates per interface, in table 30 order; they sum
	// to Rate.
	Interfaces []PlannedRate `json:"interfaces"`
	// Scale is, for the realistic mix, the rate of the non-heartbeat
	// requests relative to the real cadence of the lots (1 = real).
	Scale float64 `json:"scale,omitempty"`
	// Note says how the plan departs from what was asked.
	Note string `json:"note,omitempty"`
}

// RateOf returns the planned rate of iface.
func (p Plan) RateOf(iface protocol.Interface) float64 {
	for _, r := range p.Interfaces {
		if r.Interface == string(iface) {
			return r.Rate
		}
	}
	return 0
}

// RealCadence returns the per-second rates of the realistic mix at the
// real cadence of lots lots (Scale 1), in table 30 order, heartbeats
// first.
func RealCadence(lots int, visitsPerHour, pictureShare float64) []PlannedRate {
	n := float64(lots)
	visits := n * visitsPerHour / 3600
	return []PlannedRate{
		{string(protocol.HeartBeats), n / HeartbeatPeriod.Seconds()},
		{string(protocol.EnterRecordCode), visits},
		{string(protocol.ExitRecordCode), visits},
		{string(protocol.PictureCode), 2 * pictureShare * visits},
		{string(protocol.ParkSpaceInfoCode), 2 * visits},
		{string(protocol.ParkCarInfoCode), n / 3600},
	}
}

// NewPlan works out the rates of a run of mix at rate (requests per
// second; 0 for the realistic mix means the real cadence).
func NewPlan(mix string, rate float64, lots int, visitsPerHour, pictureShare float64) Plan {
	if mix != MixRealistic {
		return Plan{Rate: rate, Interfaces: []PlannedRate{{mix, rate}}}
	}
	cadence := RealCadence(lots, visitsPerHour, pictureShare)
	beats := cadence[0].Rate
	var rest float64
	for _, r := range cadence[1:] {
		rest += r.Rate
	}
	p := Plan{Scale: 1}
	switch {
	case rate == 0:
		p.Scale = 1
	case rate <= beats:
		p.Scale = 0
		if rate < beats {
			p.Note = fmt.Sprintf("the heartbeats of %d lots alone are %.1f/s, more than the asked %.1f/s: sending heartbeats only, at %.1f/s",
				lots, beats, rate, beats)
		}
	default:
		p.Scale = (rate - beats) / rest
	}
	p.Interfaces = []PlannedRate{cadence[0]}
	p.Rate = beats
	for _, r := range cadence[1:] {
		r.Rate *= p.Scale
		if r.Rate > 0 {
			p.Interfaces = append(p.Interfaces, r)
			p.Rate += r.Rate
		}
	}
	return p
}

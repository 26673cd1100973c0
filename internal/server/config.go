package server

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/public"
	"github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/retention"
	"github.com/parkd/parkd/protocol"
)

// DefaultAddr is where parkd listens unless told otherwise.
const DefaultAddr = ":8443"

// Config is everything `parkd serve` can be told. Each field has a flag
// and an environment variable (see FromEnv); zero values take defaults.
type Config struct {
	Addr      string // PARKD_ADDR, default :8443
	DataDir   string // PARKD_DATA, default ./data
	PlainHTTP bool   // PARKD_PLAIN_HTTP: serve HTTP, for use behind a TLS proxy
	TLSCert   string // PARKD_TLS_CERT; with TLSKey, else a self-signed pair in DataDir/tls
	TLSKey    string // PARKD_TLS_KEY
	// DB selects the store: a postgres:// DSN, or empty (or "sqlite") for
	// the SQLite database in DataDir (PARKD_DB).
	DB string
	// Pictures is the folder of picture files (PARKD_PICTURES, default
	// DataDir/pictures). Several instances share one folder.
	Pictures string

	HeartbeatInterval time.Duration // PARKD_HEARTBEAT_INTERVAL, default 30s
	// HeartbeatFlush is how often answered heartbeats are written to the
	// store in a batch (PARKD_HEARTBEAT_FLUSH, default 5s); negative
	// writes each heartbeat before answering it (session/flush.go).
	HeartbeatFlush time.Duration
	Window         time.Duration // PARKD_TIMESTAMP_WINDOW, default 10m
	MaxItems       int           // PARKD_MAX_ITEMS, default 100
	MaxBody        int64         // PARKD_MAX_BODY, default 1 MiB
	StrictPictures bool          // PARKD_STRICT_PICTURES: pictures under 100 KB get 1007
	// Sync is the durability of commits: "full" (default: an answer with
	// code 0 leaves only after the data is on disk) or "normal".
	Sync     string // PARKD_SYNC
	LogLevel string // PARKD_LOG_LEVEL: debug, info (default), warn, error
	// CityFile is a JSON city (city.Load) to serve instead of Shenzhen
	// (PARKD_CITY); it fills City.
	CityFile string
	// City is the deployment's geography: its regions are the accepted
	// area codes and its bounds those of park and entrance coordinates
	// (Shenzhen by default).
	City city.City
	// Regions are the accepted area codes; nil takes City's. Set it only
	// to accept other codes than City's.
	Regions protocol.Regions
	// Reservation sets the reservation rules; PARKD_NOSHOW_LIMIT sets
	// its NoShowLimit (-1 turns the blacklist rule off).
	Reservation reservation.Config
	// DownlinkClient carries the calls to parking systems (nil: a client
	// with the reservation SendTimeout). Tests give one that trusts them.
	DownlinkClient *http.Client
	// Retention sets how long time series, history and pictures are kept
	// (PARKD_RETAIN_SERIES, PARKD_RETAIN_HISTORY, PARKD_RETAIN_PICTURES;
	// zero keeps everything).
	Retention retention.Config
	// LeaseTTL is how long a background job's lease lasts unrenewed, so
	// how soon another instance takes over a dead one's jobs
	// (PARKD_LEASE_TTL, default 15s).
	LeaseTTL time.Duration
	// RatePerAddr and RatePerAccount limit requests per second from one
	// client address and of one account; over a limit is HTTP 429 with
	// an envelope, code 3 (PARKD_RATE_PER_ADDR, PARKD_RATE_PER_ACCOUNT,
	// PARKD_RATE_BURST; zero turns a limit off, the default).
	RatePerAddr    float64
	RatePerAccount float64
	RateBurst      int
	// ReadHeaderTimeout and ReadTimeout cut off slow clients: the time
	// to read a request's headers, and the whole request with its body
	// (PARKD_READ_HEADER_TIMEOUT, default 10s; PARKD_READ_TIMEOUT,
	// default 60s).
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	// MetricsToken, when set, is the bearer token GET /metrics requires
	// (PARKD_METRICS_TOKEN); empty leaves /metrics open.
	MetricsToken string
	// DebugAddr, when set, is a loopback address where the Go runtime's
	// profiles are served in plain HTTP under /debug/pprof/
	// (PARKD_DEBUG_ADDR), e.g. 127.0.0.1:6060. Empty serves none.
	DebugAddr string
	// Public tunes the public read API: how often its snapshot is
	// rebuilt (PARKD_PUBLIC_REFRESH, default 5s) and its requests per
	// second per address (PARKD_PUBLIC_RATE, default 20, burst twice
	// that; negative turns it off).
	Public public.Config
	// TrustedProxies are the proxies whose forwarding headers are
	// believed (PARKD_TRUSTED_PROXIES, request.ParseProxies).
	TrustedProxies request.Proxies
	// NoBackground keeps the liveness sweeper and the reservation engine
	// from running on timers; tests with a manual clock drive them.
	NoBackground bool
}

// FromEnv fills the fields that are zero from PARKD_* environment
// variables. Flags set afterwards take precedence.
func (c *Config) FromEnv() error {
	str := func(dst *string, name string) {
		if v := os.Getenv(name); v != "" && *dst == "" {
			*dst = v
		}
	}
	str(&c.Addr, "PARKD_ADDR")
	str(&c.DataDir, "PARKD_DATA")
	str(&c.TLSCert, "PARKD_TLS_CERT")
	str(&c.TLSKey, "PARKD_TLS_KEY")
	str(&c.DB, "PARKD_DB")
	str(&c.Pictures, "PARKD_PICTURES")
	str(&c.Sync, "PARKD_SYNC")
	str(&c.LogLevel, "PARKD_LOG_LEVEL")
	str(&c.CityFile, "PARKD_CITY")
	str(&c.MetricsToken, "PARKD_METRICS_TOKEN")
	str(&c.DebugAddr, "PARKD_DEBUG_ADDR")
	for _, b := range []struct {
		dst  *bool
		name string
	}{{&c.PlainHTTP, "PARKD_PLAIN_HTTP"}, {&c.StrictPictures, "PARKD_STRICT_PICTURES"}} {
		if v := os.Getenv(b.name); v != "" {
			x, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("%s: %w", b.name, err)
			}
			*b.dst = x
		}
	}
	for _, d := range []struct {
		dst  *time.Duration
		name string
	}{{&c.HeartbeatInterval, "PARKD_HEARTBEAT_INTERVAL"}, {&c.HeartbeatFlush, "PARKD_HEARTBEAT_FLUSH"}, {&c.Window, "PARKD_TIMESTAMP_WINDOW"},
		{&c.Retention.SeriesAge, "PARKD_RETAIN_SERIES"}, {&c.Retention.HistoryAge, "PARKD_RETAIN_HISTORY"},
		{&c.Retention.PictureAge, "PARKD_RETAIN_PICTURES"}, {&c.LeaseTTL, "PARKD_LEASE_TTL"},
		{&c.ReadHeaderTimeout, "PARKD_READ_HEADER_TIMEOUT"}, {&c.ReadTimeout, "PARKD_READ_TIMEOUT"},
		{&c.Public.Refresh, "PARKD_PUBLIC_REFRESH"}} {
		if v := os.Getenv(d.name); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("%s: %w", d.name, err)
			}
			*d.dst = x
		}
	}
	if v := os.Getenv("PARKD_NOSHOW_LIMIT"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("PARKD_NOSHOW_LIMIT: %w", err)
		}
		c.Reservation.NoShowLimit = x
	}
	for _, f := range []struct {
		dst  *float64
		name string
	}{{&c.RatePerAddr, "PARKD_RATE_PER_ADDR"}, {&c.RatePerAccount, "PARKD_RATE_PER_ACCOUNT"},
		{&c.Public.Rate, "PARKD_PUBLIC_RATE"}} {
		if v := os.Getenv(f.name); v != "" {
			x, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return fmt.Errorf("%s: %w", f.name, err)
			}
			*f.dst = x
		}
	}
	if v := os.Getenv("PARKD_RATE_BURST"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("PARKD_RATE_BURST: %w", err)
		}
		c.RateBurst = x
	}
	if v := os.Getenv("PARKD_MAX_ITEMS"); v != "" {
		x, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("PARKD_MAX_ITEMS: %w", err)
		}
		c.MaxItems = x
	}
	if v := os.Getenv("PARKD_MAX_BODY"); v != "" {
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("PARKD_MAX_BODY: %w", err)
		}
		c.MaxBody = x
	}
	return nil
}

func (c Config) withDefaults() Config {
	if c.Addr == "" {
		c.Addr = DefaultAddr
	}
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	if c.Pictures == "" {
		c.Pictures = filepath.Join(c.DataDir, "pictures")
	}
	if c.Sync == "" {
		c.Sync = "full"
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 60 * time.Second
	}
	if c.City.Regions == nil {
		c.City = city.Shenzhen()
	}
	if c.Regions == nil {
		c.Regions = c.City.Regions
	}
	return c
}

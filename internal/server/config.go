package server

import (
	"fmt"
	"net/http"
	"path/filepath"
	"time"

	"github.com/parkd/parkd/internal/audit"
	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/public"
	"github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/retention"
	"github.com/parkd/parkd/protocol"
)

// DefaultAddr is where parkd listens unless told otherwise.
const DefaultAddr = ":8443"

// Config is everything `parkd serve` can be told. Each setting has a flag
// and an environment variable, declared once in the table of settings.go;
// zero values take the defaults (WithDefaults).
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
	// DataDir/pictures), or s3://bucket/prefix for an S3-compatible
	// bucket that S3 says how to reach. Several instances share one
	// folder or one bucket.
	Pictures string
	// S3 reaches the bucket of an s3:// Pictures (the --s3-* settings);
	// its keys come from PARKD_S3_ACCESS_KEY and PARKD_S3_SECRET_KEY
	// (EnvSecrets) or the file PARKD_S3_CREDENTIALS_FILE, never a flag.
	// Its Bucket and Prefix come from Pictures.
	S3 blob.S3Config

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
	// zero keeps everything), and the audit log (PARKD_RETAIN_AUDIT,
	// default and least 180 days: a shorter one is refused at start).
	Retention retention.Config
	// ConsoleIdleTimeout ends a console session unused that long
	// (PARKD_CONSOLE_IDLE_TIMEOUT, default 30m); sessions end 12 h after
	// sign-in whatever their use.
	ConsoleIdleTimeout time.Duration
	// OperatorPasswordMaxAge is how long an operator's password lasts
	// before the console asks for a new one (PARKD_OPERATOR_PASSWORD_MAX_AGE,
	// default 2160h, 90 days); negative never (zero takes the default).
	OperatorPasswordMaxAge time.Duration
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
	// (PARKD_METRICS_TOKEN).
	MetricsToken string
	// MetricsOpen serves GET /metrics to anyone when no MetricsToken is
	// set (PARKD_METRICS_OPEN); with neither, /metrics answers 403.
	MetricsOpen bool
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
	// VerifyPassword reports whether a login's password matches a
	// vendor's stored hash (nil: accounts.VendorPasswordMatches); tests
	// wrap it to see which hashes a login compares.
	VerifyPassword func(hash []byte, wire string) bool
	// NoBackground keeps the liveness sweeper and the reservation engine
	// from running on timers; tests with a manual clock drive them.
	NoBackground bool
	// OperatorBcryptCost hashes the passwords operators choose in the
	// console (0: bcrypt's default); tests take bcrypt.MinCost.
	OperatorBcryptCost int
}

// check refuses settings the platform must not run with.
func (c Config) check() error {
	if c.Retention.AuditAge < audit.MinAge {
		return fmt.Errorf("--retain-audit (PARKD_RETAIN_AUDIT) must be at least %v (180 days), not %v", audit.MinAge, c.Retention.AuditAge)
	}
	return nil
}

// WithDefaults returns c with every zero setting at its default
// (Settings), and the defaults derived from others: the picture folder
// from the data folder, the city.
func (c Config) WithDefaults() Config {
	if c.ReadHeaderTimeout < 0 {
		c.ReadHeaderTimeout = 0 // as before: negative takes the default too
	}
	if c.ReadTimeout < 0 {
		c.ReadTimeout = 0
	}
	c.applyDefaults()
	if c.Pictures == "" {
		c.Pictures = filepath.Join(c.DataDir, "pictures")
	}
	if c.City.Regions == nil {
		c.City = city.Shenzhen()
	}
	if c.Regions == nil {
		c.Regions = c.City.Regions
	}
	return c
}

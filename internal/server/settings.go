package server

import (
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/request"
)

// Setting is one setting of `parkd serve`: its flag, its PARKD_*
// variable, its type, its default and its help, and the Config field it
// fills. Settings is the one table from which the flags, the reading of
// the environment (Config.FromEnv), the defaults (withDefaults), `parkd
// serve --help` (PrintSettings) and the README's table
// (SettingsMarkdown) are all produced.
type Setting struct {
	Flag string // flag name, without dashes
	Env  string // environment variable
	// Type is the value's kind as the help shows it: string, bool,
	// duration, int, float or cidrs.
	Type string
	// Default is the value a zero field takes, in the flag's syntax; ""
	// when zero is the default, or when the default is derived (Help
	// then says it).
	Default string
	Help    string
	field   func(c *Config) any // a pointer into c
}

// Settings lists every setting of `parkd serve`, in the order of its
// help.
var Settings = []Setting{
	{"addr", "PARKD_ADDR", "string", DefaultAddr, "listen address",
		func(c *Config) any { return &c.Addr }},
	{"data", "PARKD_DATA", "string", "data", "data folder: database, pictures, TLS certificate",
		func(c *Config) any { return &c.DataDir }},
	{"db", "PARKD_DB", "string", "", "store: a postgres:// DSN, or sqlite (the default) for DATA/parkd.db",
		func(c *Config) any { return &c.DB }},
	{"pictures", "PARKD_PICTURES", "string", "", "picture folder, or s3://bucket/prefix for an S3-compatible store, shared by all instances (default DATA/pictures)",
		func(c *Config) any { return &c.Pictures }},
	{"s3-endpoint", "PARKD_S3_ENDPOINT", "string", "", "URL of the S3 store of s3:// pictures, https://host[:port] (http:// on loopback); its keys from PARKD_S3_ACCESS_KEY and PARKD_S3_SECRET_KEY, or --s3-credentials-file",
		func(c *Config) any { return &c.S3.Endpoint }},
	{"s3-region", "PARKD_S3_REGION", "string", "us-east-1", "region of the S3 bucket",
		func(c *Config) any { return &c.S3.Region }},
	{"s3-path-style", "PARKD_S3_PATH_STYLE", "bool", "", "address the bucket as host/bucket (MinIO, Ceph, versitygw) rather than bucket.host",
		func(c *Config) any { return &c.S3.PathStyle }},
	{"s3-ca-file", "PARKD_S3_CA_FILE", "string", "", "PEM certificates to trust for the S3 endpoint, beside the system's",
		func(c *Config) any { return &c.S3.CAFile }},
	{"s3-allow-http", "PARKD_S3_ALLOW_HTTP", "bool", "", "allow a plain http:// S3 endpoint beyond loopback (a private network)",
		func(c *Config) any { return &c.S3.AllowHTTP }},
	{"s3-credentials-file", "PARKD_S3_CREDENTIALS_FILE", "string", "", "AWS-style credentials file holding the S3 keys, read when PARKD_S3_ACCESS_KEY is unset",
		func(c *Config) any { return &c.S3.CredentialsFile }},
	{"s3-profile", "PARKD_S3_PROFILE", "string", "", "profile of --s3-credentials-file (default default)",
		func(c *Config) any { return &c.S3.CredentialsProfile }},
	{"plain-http", "PARKD_PLAIN_HTTP", "bool", "", "serve plain HTTP, e.g. behind a TLS-terminating proxy",
		func(c *Config) any { return &c.PlainHTTP }},
	{"tls-cert", "PARKD_TLS_CERT", "string", "", "certificate file; default a self-signed one in DATA/tls",
		func(c *Config) any { return &c.TLSCert }},
	{"tls-key", "PARKD_TLS_KEY", "string", "", "key file of --tls-cert",
		func(c *Config) any { return &c.TLSKey }},
	{"trusted-proxies", "PARKD_TRUSTED_PROXIES", "cidrs", "", "comma-separated CIDRs of the proxies whose X-Forwarded-For, Forwarded and X-Forwarded-Proto are believed (client address for lock-outs, rate limits and logs; the console cookie's Secure flag); empty believes none",
		func(c *Config) any { return &c.TrustedProxies }},
	{"heartbeat-interval", "PARKD_HEARTBEAT_INTERVAL", "duration", "30s", "expected heartbeat interval; tokens expire after 3",
		func(c *Config) any { return &c.HeartbeatInterval }},
	{"heartbeat-flush", "PARKD_HEARTBEAT_FLUSH", "duration", "5s", "how often answered heartbeats are written in a batch; negative writes each before answering",
		func(c *Config) any { return &c.HeartbeatFlush }},
	{"timestamp-window", "PARKD_TIMESTAMP_WINDOW", "duration", "10m", "replay window around server time",
		func(c *Config) any { return &c.Window }},
	{"max-items", "PARKD_MAX_ITEMS", "int", "100", "most items in one request",
		func(c *Config) any { return &c.MaxItems }},
	{"max-body", "PARKD_MAX_BODY", "int", "1048576", "largest JSON body in bytes",
		func(c *Config) any { return &c.MaxBody }},
	{"strict-pictures", "PARKD_STRICT_PICTURES", "bool", "", "reject pictures under 100 KB with 1007",
		func(c *Config) any { return &c.StrictPictures }},
	{"sync", "PARKD_SYNC", "string", "full", "commit durability: full or normal",
		func(c *Config) any { return &c.Sync }},
	{"log-level", "PARKD_LOG_LEVEL", "string", "info", "debug, info, warn or error",
		func(c *Config) any { return &c.LogLevel }},
	{"retain-series", "PARKD_RETAIN_SERIES", "duration", "", "keep vacancy series, warnings and verifications this long; 0 keeps all",
		func(c *Config) any { return &c.Retention.SeriesAge }},
	{"retain-history", "PARKD_RETAIN_HISTORY", "duration", "", "keep change history this long; 0 keeps all",
		func(c *Config) any { return &c.Retention.HistoryAge }},
	{"retain-pictures", "PARKD_RETAIN_PICTURES", "duration", "", "keep pictures this long; 0 keeps all",
		func(c *Config) any { return &c.Retention.PictureAge }},
	{"retain-audit", "PARKD_RETAIN_AUDIT", "duration", "4320h", "keep the audit log this long; at least 4320h (180 days), less is refused at start",
		func(c *Config) any { return &c.Retention.AuditAge }},
	{"console-idle-timeout", "PARKD_CONSOLE_IDLE_TIMEOUT", "duration", "30m", "end a console session unused this long (sessions end 12 h after sign-in whatever their use)",
		func(c *Config) any { return &c.ConsoleIdleTimeout }},
	{"operator-password-max-age", "PARKD_OPERATOR_PASSWORD_MAX_AGE", "duration", "2160h", "ask a console operator for a new password this long after it was set (90 days); negative, e.g. -1s, never",
		func(c *Config) any { return &c.OperatorPasswordMaxAge }},
	{"lease-ttl", "PARKD_LEASE_TTL", "duration", "15s", "lease of background jobs among instances",
		func(c *Config) any { return &c.LeaseTTL }},
	{"rate-per-addr", "PARKD_RATE_PER_ADDR", "float", "", "requests/s from one client address, all routes; 0 = no limit (over it: HTTP 429, code 3, Retry-After)",
		func(c *Config) any { return &c.RatePerAddr }},
	{"rate-per-account", "PARKD_RATE_PER_ACCOUNT", "float", "", "uplink requests/s of one account; 0 = no limit",
		func(c *Config) any { return &c.RatePerAccount }},
	{"rate-burst", "PARKD_RATE_BURST", "int", "", "requests beyond the rate allowed at once (default twice the rate)",
		func(c *Config) any { return &c.RateBurst }},
	{"read-header-timeout", "PARKD_READ_HEADER_TIMEOUT", "duration", "10s", "time to read a request's headers",
		func(c *Config) any { return &c.ReadHeaderTimeout }},
	{"read-timeout", "PARKD_READ_TIMEOUT", "duration", "60s", "time to read a whole request, body included",
		func(c *Config) any { return &c.ReadTimeout }},
	{"noshow-limit", "PARKD_NOSHOW_LIMIT", "int", "3", "no-shows within 30 days that blacklist a plate for 30 days; -1 turns the rule off",
		func(c *Config) any { return &c.Reservation.NoShowLimit }},
	{"public-refresh", "PARKD_PUBLIC_REFRESH", "duration", "5s", "how often the public API's snapshot is rebuilt (and its answers' max-age)",
		func(c *Config) any { return &c.Public.Refresh }},
	{"public-rate", "PARKD_PUBLIC_RATE", "float", "20", "public API requests/s per address, burst twice that; negative turns the limit off",
		func(c *Config) any { return &c.Public.Rate }},
	{"city", "PARKD_CITY", "string", "", "JSON file of another city's regions, bounds and map view; default Shenzhen",
		func(c *Config) any { return &c.CityFile }},
	{"metrics-token", "PARKD_METRICS_TOKEN", "string", "", "bearer token GET /metrics requires",
		func(c *Config) any { return &c.MetricsToken }},
	{"metrics-open", "PARKD_METRICS_OPEN", "bool", "", "serve GET /metrics to anyone when no --metrics-token is set; with neither it answers 403",
		func(c *Config) any { return &c.MetricsOpen }},
	{"debug-addr", "PARKD_DEBUG_ADDR", "string", "", "loopback address serving Go profiles at /debug/pprof/, e.g. 127.0.0.1:6060; empty serves none",
		func(c *Config) any { return &c.DebugAddr }},
}

// EnvSecret is a secret parkd reads from its environment only: it has
// no flag (a flag's value shows in ps and in shell history).
type EnvSecret struct {
	Env   string
	Help  string
	field func(c *Config) *string
}

// EnvSecrets lists the secrets read from the environment.
var EnvSecrets = []EnvSecret{
	{"PARKD_S3_ACCESS_KEY", "access key of the S3 store of s3:// pictures",
		func(c *Config) *string { return &c.S3.AccessKey }},
	{"PARKD_S3_SECRET_KEY", "secret key of the S3 store of s3:// pictures",
		func(c *Config) *string { return &c.S3.SecretKey }},
}

// FromEnv sets the fields of the settings whose PARKD_* variable is set
// and not empty, and the secrets of EnvSecrets. Flags parsed afterwards
// (Flags) take precedence.
func (c *Config) FromEnv() error {
	for _, s := range Settings {
		if v := os.Getenv(s.Env); v != "" {
			if err := set(s.field(c), v); err != nil {
				return fmt.Errorf("%s: %w", s.Env, err)
			}
		}
	}
	for _, s := range EnvSecrets {
		if v := os.Getenv(s.Env); v != "" {
			*s.field(c) = v
		}
	}
	return nil
}

// Flags registers on fs a flag per setting named in only (every setting
// when only is empty), each filling c; call c.FromEnv first so that a
// flag wins over its variable. It returns the settings registered, for
// PrintSettings.
func Flags(fs *flag.FlagSet, c *Config, only ...string) []Setting {
	var list []Setting
	for _, s := range Settings {
		if len(only) == 0 || contains(only, s.Flag) {
			list = append(list, s)
			fs.Var(value{s.field(c)}, s.Flag, s.Help+" ("+s.Env+defaultNote(s)+")")
		}
	}
	return list
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// PrintSettings writes the help of list: each flag with its type, then
// its help, variable and default.
func PrintSettings(w io.Writer, list []Setting) {
	for _, s := range list {
		typ := " " + s.Type
		if s.Type == "bool" {
			typ = ""
		}
		fmt.Fprintf(w, "  --%s%s\n    \t%s (%s%s)\n", s.Flag, typ, s.Help, s.Env, defaultNote(s))
	}
}

func defaultNote(s Setting) string {
	if s.Default == "" {
		return ""
	}
	return ", default " + s.Default
}

// SettingsMarkdown returns the README's table of the settings.
func SettingsMarkdown() string {
	var b strings.Builder
	b.WriteString("| Flag | Variable | Type | Default | Meaning |\n|---|---|---|---|---|\n")
	for _, s := range Settings {
		def := s.Default
		if def == "" {
			def = "—"
		} else {
			def = "`" + def + "`"
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | %s | %s | %s |\n", s.Flag, s.Env, s.Type, def,
			strings.ReplaceAll(s.Help, "|", `\|`))
	}
	return b.String()
}

// applyDefaults gives every zero field of the table its Default.
func (c *Config) applyDefaults() {
	for _, s := range Settings {
		if s.Default == "" {
			continue
		}
		dst := s.field(c)
		if value.String(value{dst}) != zeroString(dst) {
			continue
		}
		if err := set(dst, s.Default); err != nil {
			panic(fmt.Sprintf("server: default of --%s: %v", s.Flag, err)) // a wrong table
		}
	}
}

// zeroString is how the zero value of dst's type prints.
func zeroString(dst any) string {
	switch dst.(type) {
	case *string, *request.Proxies:
		return ""
	case *bool:
		return "false"
	case *time.Duration:
		return time.Duration(0).String()
	default:
		return "0"
	}
}

// set parses v into dst.
func set(dst any, v string) error {
	var err error
	switch d := dst.(type) {
	case *string:
		*d = v
	case *bool:
		*d, err = strconv.ParseBool(v)
	case *time.Duration:
		*d, err = time.ParseDuration(v)
	case *int:
		*d, err = strconv.Atoi(v)
	case *int64:
		*d, err = strconv.ParseInt(v, 10, 64)
	case *float64:
		*d, err = strconv.ParseFloat(v, 64)
	case *request.Proxies:
		*d, err = request.ParseProxies(v)
	default:
		panic(fmt.Sprintf("server: setting of type %T", dst))
	}
	return err
}

// value is a setting's field as a flag.Value.
type value struct{ dst any }

func (v value) Set(s string) error { return set(v.dst, s) }

func (v value) String() string {
	switch d := v.dst.(type) {
	case nil:
		return "" // flag's zero Value
	case *string:
		return *d
	case *bool:
		return strconv.FormatBool(*d)
	case *time.Duration:
		return d.String()
	case *int:
		return strconv.Itoa(*d)
	case *int64:
		return strconv.FormatInt(*d, 10)
	case *float64:
		return strconv.FormatFloat(*d, 'g', -1, 64)
	case *request.Proxies:
		return d.String()
	}
	return ""
}

// IsBoolFlag lets a bool setting be given as --flag alone.
func (v value) IsBoolFlag() bool {
	_, ok := v.dst.(*bool)
	return ok
}

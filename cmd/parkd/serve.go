package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/parkd/parkd/internal/logbuf"
	"github.com/parkd/parkd/internal/server"
)

// serve runs the platform until ctx ends (SIGINT or SIGTERM), then shuts
// down gracefully.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	var cfg server.Config
	if err := cfg.FromEnv(); err != nil {
		return err
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.Addr, "addr", orDefault(cfg.Addr, server.DefaultAddr), "listen address (PARKD_ADDR)")
	fs.StringVar(&cfg.DataDir, "data", orDefault(cfg.DataDir, "data"), "data folder: database, pictures, TLS certificate (PARKD_DATA)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "store: a postgres:// DSN, or sqlite (default) for DATA/parkd.db (PARKD_DB)")
	fs.StringVar(&cfg.Pictures, "pictures", cfg.Pictures, "picture folder, shared by all instances (PARKD_PICTURES, default DATA/pictures)")
	fs.BoolVar(&cfg.PlainHTTP, "plain-http", cfg.PlainHTTP, "serve plain HTTP, e.g. behind a TLS-terminating proxy (PARKD_PLAIN_HTTP)")
	fs.StringVar(&cfg.TLSCert, "tls-cert", cfg.TLSCert, "certificate file; default a self-signed one in DATA/tls (PARKD_TLS_CERT)")
	fs.StringVar(&cfg.TLSKey, "tls-key", cfg.TLSKey, "key file (PARKD_TLS_KEY)")
	fs.DurationVar(&cfg.HeartbeatInterval, "heartbeat-interval", cfg.HeartbeatInterval, "expected heartbeat interval; tokens expire after 3 (PARKD_HEARTBEAT_INTERVAL, default 30s)")
	fs.DurationVar(&cfg.HeartbeatFlush, "heartbeat-flush", cfg.HeartbeatFlush, "how often answered heartbeats are written in a batch; negative writes each before answering (PARKD_HEARTBEAT_FLUSH, default 5s)")
	fs.DurationVar(&cfg.Window, "timestamp-window", cfg.Window, "replay window around server time (PARKD_TIMESTAMP_WINDOW, default 10m)")
	fs.IntVar(&cfg.MaxItems, "max-items", cfg.MaxItems, "most items in one request (PARKD_MAX_ITEMS, default 100)")
	fs.Int64Var(&cfg.MaxBody, "max-body", cfg.MaxBody, "largest JSON body in bytes (PARKD_MAX_BODY, default 1048576)")
	fs.BoolVar(&cfg.StrictPictures, "strict-pictures", cfg.StrictPictures, "reject pictures under 100 KB with 1007 (PARKD_STRICT_PICTURES)")
	fs.DurationVar(&cfg.Retention.SeriesAge, "retain-series", cfg.Retention.SeriesAge, "keep vacancy series, warnings and verifications this long; 0 keeps all (PARKD_RETAIN_SERIES)")
	fs.DurationVar(&cfg.Retention.HistoryAge, "retain-history", cfg.Retention.HistoryAge, "keep change history this long; 0 keeps all (PARKD_RETAIN_HISTORY)")
	fs.DurationVar(&cfg.Retention.PictureAge, "retain-pictures", cfg.Retention.PictureAge, "keep pictures this long; 0 keeps all (PARKD_RETAIN_PICTURES)")
	fs.DurationVar(&cfg.LeaseTTL, "lease-ttl", cfg.LeaseTTL, "lease of background jobs among instances (PARKD_LEASE_TTL, default 15s)")
	fs.Float64Var(&cfg.RatePerAddr, "rate-per-addr", cfg.RatePerAddr, "requests/s from one client address; 0 = no limit (PARKD_RATE_PER_ADDR)")
	fs.Float64Var(&cfg.RatePerAccount, "rate-per-account", cfg.RatePerAccount, "uplink requests/s of one account; 0 = no limit (PARKD_RATE_PER_ACCOUNT)")
	fs.IntVar(&cfg.RateBurst, "rate-burst", cfg.RateBurst, "requests beyond the rate allowed at once (PARKD_RATE_BURST, default twice the rate)")
	fs.DurationVar(&cfg.ReadHeaderTimeout, "read-header-timeout", cfg.ReadHeaderTimeout, "time to read a request's headers (PARKD_READ_HEADER_TIMEOUT, default 10s)")
	fs.DurationVar(&cfg.ReadTimeout, "read-timeout", cfg.ReadTimeout, "time to read a whole request, body included (PARKD_READ_TIMEOUT, default 60s)")
	fs.StringVar(&cfg.CityFile, "city", cfg.CityFile, "JSON file of another city's regions, bounds and map view; default Shenzhen (PARKD_CITY)")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", cfg.MetricsToken, "bearer token GET /metrics requires; empty leaves it open (PARKD_METRICS_TOKEN)")
	fs.StringVar(&cfg.DebugAddr, "debug-addr", cfg.DebugAddr, "loopback address serving Go profiles at /debug/pprof/, e.g. 127.0.0.1:6060; empty serves none (PARKD_DEBUG_ADDR)")
	fs.StringVar(&cfg.Sync, "sync", orDefault(cfg.Sync, "full"), "commit durability: full or normal (PARKD_SYNC)")
	fs.StringVar(&cfg.LogLevel, "log-level", orDefault(cfg.LogLevel, "info"), "debug, info, warn or error (PARKD_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Sync != "full" && cfg.Sync != "normal" {
		return fmt.Errorf("--sync must be full or normal, not %q", cfg.Sync)
	}
	out := logbuf.New(stderr, 64<<10)
	defer out.Close()
	log, err := newLogger(out, cfg.LogLevel)
	if err != nil {
		return err
	}
	srv, err := server.New(cfg, nil, log)
	if err != nil {
		return err
	}
	if err := srv.Start(); err != nil {
		srv.Close()
		return err
	}
	<-ctx.Done()
	log.Info("shutting down")
	return srv.Close()
}

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// newLogger logs JSON lines at level and above to w, buffered: warnings
// and errors are written at once, the per-request lines in batches
// (internal/logbuf).
func newLogger(w *logbuf.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(strings.ToUpper(level))); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})
	return slog.New(logbuf.Handler(h, w, slog.LevelWarn)), nil
}

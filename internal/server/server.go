// Package server assembles a running parkd: the store, the blob store,
// sessions, the uplink service and the HTTP(S) listener. End-to-end tests
// start it in-process on a free loopback port with an injected clock.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/buildinfo"
	"github.com/parkd/parkd/internal/console"
	"github.com/parkd/parkd/internal/lease"
	"github.com/parkd/parkd/internal/metrics"
	"github.com/parkd/parkd/internal/offpeak"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/postgres"
	"github.com/parkd/parkd/internal/public"
	"github.com/parkd/parkd/internal/ratelimit"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/retention"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/internal/uplink"
)

// Server is a running (or ready to run) parkd.
type Server struct {
	Config   Config
	Store    platform.Store
	Blobs    blob.Store
	Sessions *session.Manager
	Uplink   *uplink.Service
	// Reservations runs bookings, the downlink queue and the waitlist.
	Reservations *reservation.Service
	// Retention purges old data under its lease.
	Retention *retention.Purger
	API       *api.Server
	// Holder names this instance in the leases it takes: its own per
	// process on PostgreSQL, the data folder's on SQLite (datadir.go).
	Holder string
	Log    *slog.Logger
	// Metrics is the Prometheus registry and request counters (GET /metrics).
	Metrics *metrics.Metrics
	// OffPeak keeps the packages and orders of off-peak platforms.
	OffPeak *offpeak.Service
	// Public serves the public read API from its snapshot.
	Public *public.Service
	// Console serves the operator console.
	Console *console.Server

	addrLimits *ratelimit.Keyed // Config.RatePerAddr, every route

	closing atomic.Bool // BeginShutdown was called

	http *http.Server
	ln   net.Listener
	// debug serves the runtime profiles on debugLn (Config.DebugAddr).
	debug   *http.Server
	debugLn net.Listener
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	// dirLock holds the SQLite data folder's lock (nil on PostgreSQL).
	dirLock *os.File
}

// New opens the data folder (SQLite database and pictures) and wires the
// platform. now may be nil for the wall clock.
func New(cfg Config, now platform.Clock, log *slog.Logger) (*Server, error) {
	cfg, err := loadCity(cfg)
	if err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	holder := lease.Holder()
	var dirLock *os.File
	if !isPostgres(cfg.DB) {
		if dirLock, err = LockDataDir(cfg.DataDir); err != nil {
			return nil, err
		}
		if holder, err = dataDirHolder(cfg.DataDir); err != nil {
			dirLock.Close()
			return nil, err
		}
	}
	store, err := OpenStore(cfg)
	if err != nil {
		closeFile(dirLock)
		return nil, err
	}
	blobs, err := OpenBlobs(cfg)
	if err != nil {
		store.Close()
		closeFile(dirLock)
		return nil, err
	}
	s := &Server{Config: cfg, Store: store, Blobs: blobs, Log: log, dirLock: dirLock}
	timed := s.observe(store, now)
	s.Sessions = session.New(timed, now, session.Config{HeartbeatInterval: cfg.HeartbeatInterval,
		FlushInterval: cfg.HeartbeatFlush, VerifyPassword: cfg.VerifyPassword}, log)
	s.Holder = holder
	s.Retention = &retention.Purger{Store: timed, Blobs: blobs, Cfg: cfg.Retention, Now: now, Log: log}
	s.Reservations = reservation.New(timed, now, cfg.Reservation, cfg.DownlinkClient, log)
	s.Uplink = &uplink.Service{Store: timed, Blobs: blobs, Now: now, Log: log, Regions: cfg.Regions, City: &s.Config.City,
		StrictPictures: cfg.StrictPictures, Reservations: s.Reservations}
	publicCity := cfg.City
	publicCity.Regions = cfg.Regions
	s.Public = public.New(timed, publicCity, cfg.Public, log)
	s.OffPeak = &offpeak.Service{Store: timed, Now: now, Log: log}
	s.API = &api.Server{Sessions: s.Sessions, Uplink: s.Uplink, Reservations: s.Reservations, OffPeak: s.OffPeak, Now: now, Log: log,
		MaxBody: cfg.MaxBody, MaxItems: cfg.MaxItems, Window: cfg.Window,
		Limits: api.Limits{PerAccount: cfg.RatePerAccount, Burst: cfg.RateBurst}}
	s.API.Init()
	s.Public.Packages = s.OffPeak.PublicPackages // a park's off-peak packages on sale
	s.Console = s.console()
	s.addrLimits = ratelimit.New(cfg.RatePerAddr, cfg.RateBurst)
	return s, nil
}

// Store is a platform.Store that reports its schema version.
type Store interface {
	platform.Store
	Version(ctx context.Context) (int, error)
}

// OpenStore opens the store of cfg: PostgreSQL when cfg.DB is a
// postgres:// (or postgresql://) DSN, else the SQLite database of the data
// folder. Either applies its pending migrations.
func OpenStore(cfg Config) (Store, error) {
	cfg = cfg.WithDefaults()
	if isPostgres(cfg.DB) {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		return postgres.Open(ctx, cfg.DB, postgres.Options{})
	}
	if cfg.DB != "" && cfg.DB != "sqlite" {
		return nil, fmt.Errorf("--db must be a postgres:// DSN or sqlite, not %q", cfg.DB)
	}
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	return sqlite.Open(filepath.Join(cfg.DataDir, "parkd.db"), sqlite.Options{Synchronous: syncMode(cfg.Sync)})
}

// OpenBlobs opens the picture store of cfg: the S3-compatible bucket of
// an s3://bucket/prefix Pictures, else the folder Pictures.
func OpenBlobs(cfg Config) (blob.Store, error) {
	cfg = cfg.WithDefaults()
	bucket, prefix, isS3, err := blob.ParseS3URL(cfg.Pictures)
	if err != nil {
		return nil, err
	}
	if !isS3 {
		return blob.NewFS(cfg.Pictures)
	}
	s3 := cfg.S3
	s3.Bucket, s3.Prefix = bucket, prefix
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	return blob.NewS3(ctx, s3)
}

func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

func syncMode(s string) string {
	if s == "normal" {
		return "NORMAL"
	}
	return "FULL"
}

// Start listens on Config.Addr and serves in the background. Unless
// Config.NoBackground, the liveness sweeper, the reservation engine
// (downlink queue, expiry) and retention run too, each on whichever
// instance holds its lease.
func (s *Server) Start() error {
	ln, err := net.Listen("tcp", s.Config.Addr)
	if err != nil {
		return err
	}
	s.http = &http.Server{
		Handler:           closeAfterTransferEncoding(s.Handler()),
		ReadHeaderTimeout: s.Config.ReadHeaderTimeout,
		ReadTimeout:       s.Config.ReadTimeout,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.Log.Handler(), slog.LevelWarn),
	}
	if !s.Config.PlainHTTP {
		cert, err := loadOrCreateCert(s.Config.TLSCert, s.Config.TLSKey, s.Config.DataDir)
		if err != nil {
			ln.Close()
			return fmt.Errorf("tls: %w", err)
		}
		// "h2" first: clients that speak HTTP/2 multiplex their requests
		// on one connection; the others get HTTP/1.1.
		s.http.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12,
			CipherSuites: aeadSuites, NextProtos: []string{"h2", "http/1.1"}}
		s.http.Handler = withHSTS(s.http.Handler)
		ln = tls.NewListener(ln, s.http.TLSConfig)
	}
	if err := s.startDebug(); err != nil {
		ln.Close()
		return err
	}
	s.ln = ln
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		if err := s.http.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Log.Error("serve", "err", err)
		}
	}()
	// Every instance writes its own heartbeats.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.Sessions.RunFlush(ctx)
	}()
	if !s.Config.NoBackground {
		s.runUnderLease(ctx, "liveness", s.Sessions.Run)
		s.runUnderLease(ctx, "reservations", s.Reservations.Run)
		s.runUnderLease(ctx, "retention", s.Retention.Run)
		// Every instance keeps its own public snapshot.
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.Public.Run(ctx)
		}()
	}
	bi := buildinfo.Read()
	s.Log.Info("parkd build", "version", bi.Version, "revision", bi.Revision, "time", bi.Time, "modified", bi.Modified, "goversion", bi.GoVersion)
	s.Log.Info("parkd listening", "addr", ln.Addr().String(), "tls", !s.Config.PlainHTTP, "data", s.Config.DataDir)
	return nil
}

// runUnderLease runs job in the background on whichever instance holds
// the lease name (one instance at a time across a shared database).
func (s *Server) runUnderLease(ctx context.Context, name string, job func(context.Context)) {
	r := &lease.Runner{Store: s.Store, Name: name, Holder: s.Holder, TTL: s.Config.LeaseTTL, Now: time.Now, Log: s.Log}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		r.Run(ctx, job)
	}()
}

// Addr returns the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr().String() }

// URL returns the base URL of the server.
func (s *Server) URL() string {
	scheme := "https"
	if s.Config.PlainHTTP {
		scheme = "http"
	}
	return scheme + "://" + s.Addr()
}

// Close stops accepting requests, lets those in flight finish (up to 10 s),
// stops the background work and closes the store.
func (s *Server) Close() error {
	s.BeginShutdown()
	var errs []error
	if s.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, s.http.Shutdown(ctx))
		cancel()
	}
	if s.debug != nil {
		errs = append(errs, s.debug.Close())
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	errs = append(errs, s.Sessions.Flush(ctx))
	cancel()
	errs = append(errs, s.Store.Close())
	closeFile(s.dirLock)
	return errors.Join(errs...)
}

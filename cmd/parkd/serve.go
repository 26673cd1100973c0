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
	list := server.Flags(fs, &cfg)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: parkd serve [flags]\nEach flag has its environment variable; a flag wins over it.\n")
		server.PrintSettings(fs.Output(), list)
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	d := cfg.WithDefaults()
	if d.Sync != "full" && d.Sync != "normal" {
		return fmt.Errorf("--sync must be full or normal, not %q", d.Sync)
	}
	out := logbuf.New(stderr, 64<<10)
	defer out.Close()
	log, err := newLogger(out, d.LogLevel)
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

package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/parkd/parkd/internal/server"
)

// migrate applies the store's pending migrations (serve does it too on
// start) and prints the schema version.
func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	var cfg server.Config
	if err := cfg.FromEnv(); err != nil {
		return err
	}
	fs.StringVar(&cfg.DataDir, "data", orDefault(cfg.DataDir, "data"), "data folder (PARKD_DATA)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "store: a postgres:// DSN, or sqlite (default) (PARKD_DB)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := server.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	v, err := store.Version(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema version %d\n", v)
	return nil
}

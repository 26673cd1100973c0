package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/parkd/parkd/internal/server"
)

// storeFlags reads the PARKD_* variables and registers --data and --db,
// the flags of every command that opens the store.
func storeFlags(fs *flag.FlagSet) (*server.Config, error) {
	var cfg server.Config
	if err := cfg.FromEnv(); err != nil {
		return nil, err
	}
	fs.StringVar(&cfg.DataDir, "data", orDefault(cfg.DataDir, "data"), "data folder (PARKD_DATA)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "store: a postgres:// DSN, or sqlite (default) (PARKD_DB)")
	return &cfg, nil
}

// migrate applies the store's pending migrations (serve does it too on
// start) and prints the schema version.
func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	cfg, err := storeFlags(fs)
	if err != nil {
		return err
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := server.OpenStore(*cfg)
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

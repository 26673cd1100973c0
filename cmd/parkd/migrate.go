package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/parkd/parkd/internal/server"
)

// storeCmd is the flag set of a command that opens the store: it reads
// the PARKD_* variables and registers --data and --db.
type storeCmd struct {
	*flag.FlagSet
	cfg    server.Config
	envErr error // of the PARKD_* variables, returned by Parse
}

// newStoreCmd returns the flag set of the command name; the command adds
// its own flags.
func newStoreCmd(name string) *storeCmd {
	c := &storeCmd{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError)}
	c.envErr = c.cfg.FromEnv()
	server.Flags(c.FlagSet, &c.cfg, "data", "db")
	return c
}

// Parse fails on a bad PARKD_* variable, then parses args.
func (c *storeCmd) Parse(args []string) error {
	if c.envErr != nil {
		return c.envErr
	}
	return c.FlagSet.Parse(args)
}

// open opens the store the flags name; the caller closes it.
// Its Update commits an audited run's row with the change (auditingStore).
func (c *storeCmd) open() (server.Store, error) {
	s, err := server.OpenStore(c.cfg)
	if err != nil {
		return nil, err
	}
	return auditingStore{s}, nil
}

// parseOpen parses args and opens the store they name; the caller closes
// it.
func (c *storeCmd) parseOpen(args []string) (server.Store, error) {
	if err := c.Parse(args); err != nil {
		return nil, err
	}
	return c.open()
}

// migrate applies the store's pending migrations (serve does it too on
// start) and prints the schema version.
func migrate(ctx context.Context, args []string, stdout io.Writer) error {
	store, err := newStoreCmd("migrate").parseOpen(args)
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

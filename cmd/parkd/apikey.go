package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// apikey runs the operator's commands for booking API keys: the city's
// app back end authenticates with one (Authorization: Bearer ID.SECRET).
func apikey(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := newStoreCmd("apikey " + verb)
	name := fs.String("name", "", "who the key is for")
	id := fs.String("id", "", "key id (the part before the dot)")
	store, err := fs.parseOpen(args)
	if err != nil {
		return err
	}
	defer store.Close()
	m := &accounts.Manager{Store: store, Now: time.Now}
	switch verb {
	case "add":
		secret, err := m.AddAPIKey(ctx, *name)
		if err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "API key for %s (shown once; send as Authorization: Bearer KEY):\n%s\n", *name, secret)
		return nil
	case "list":
		return listKeys(ctx, store, stdout)
	case "disable":
		if err := m.DisableAPIKey(ctx, *id); err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "API key %s disabled\n", *id)
		return nil
	case "rotate":
		secret, err := m.RotateAPIKey(ctx, *id)
		if err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "API key %s rotated (shown once; the old secret no longer works):\n%s\n", *id, secret)
		return nil
	}
	return fmt.Errorf("unknown apikey command %q\n%s", verb, usage)
}

func listKeys(ctx context.Context, store platform.Store, stdout io.Writer) error {
	var keys []platform.APIKey
	err := store.View(ctx, func(tx platform.Tx) error {
		var err error
		keys, err = tx.APIKeys()
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSTATE\tCREATED")
	for _, k := range keys {
		state := "enabled"
		if k.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", k.ID, k.Name, state, k.CreatedAt.In(protocol.CST).Format(protocol.DateTimeLayout))
	}
	return tw.Flush()
}

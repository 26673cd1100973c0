package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/protocol"
)

// account runs the operator's account commands. Accounts are never
// created through the API (PROTOCOL §5).
func account(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("account "+verb, flag.ContinueOnError)
	var cfg server.Config
	if err := cfg.FromEnv(); err != nil {
		return err
	}
	fs.StringVar(&cfg.DataDir, "data", orDefault(cfg.DataDir, "data"), "data folder (PARKD_DATA)")
	fs.StringVar(&cfg.DB, "db", cfg.DB, "store: a postgres:// DSN, or sqlite (default) (PARKD_DB)")
	userID := fs.String("user-id", "", "account id (table 2 userId, at most 32 characters)")
	password := fs.String("password", "", "plaintext password; only a hash of its SM3 digest is kept")
	callback := fs.String("callback", "", "base URL of the parking system's downlink receiver")
	callbackToken := fs.String("callback-token", "", "token sent in the authorization header of downlink calls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	store, err := server.OpenStore(cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	switch verb {
	case "add":
		return addAccount(ctx, store, *userID, *password, *callback, *callbackToken, stdout)
	case "list":
		return listAccounts(ctx, store, stdout)
	case "disable":
		return disableAccount(ctx, store, *userID, stdout)
	}
	return fmt.Errorf("unknown account command %q\n%s", verb, usage)
}

func addAccount(ctx context.Context, store platform.Store, userID, password, callback, callbackToken string, stdout io.Writer) error {
	if err := (protocol.LoginRequest{UserID: userID, Password: "x"}).Validate(); err != nil || userID == "" {
		return fmt.Errorf("--user-id is required, at most 32 characters")
	}
	if password == "" {
		return fmt.Errorf("--password is required")
	}
	if callback != "" {
		if u, err := url.Parse(callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--callback must be an http or https URL")
		}
		if callbackToken == "" {
			return fmt.Errorf("--callback-token is required with --callback")
		}
	}
	hash, err := session.HashPassword(protocol.PasswordDigest(password))
	if err != nil {
		return err
	}
	err = store.Update(ctx, func(tx platform.Tx) error {
		if _, err := tx.Account(userID); err == nil {
			return fmt.Errorf("account %s exists", userID)
		} else if !platform.IsNotFound(err) {
			return err
		}
		return tx.PutAccount(platform.Account{UserID: userID, PasswordHash: hash, CallbackURL: callback,
			CallbackToken: callbackToken, CreatedAt: time.Now()})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s added\n", userID)
	return nil
}

func listAccounts(ctx context.Context, store platform.Store, stdout io.Writer) error {
	var accts []platform.Account
	err := store.View(ctx, func(tx platform.Tx) error {
		var err error
		accts, err = tx.Accounts()
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USER ID\tSTATE\tONLINE\tCALLBACK\tCREATED")
	for _, a := range accts {
		state := "enabled"
		if a.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%t\t%s\t%s\n", a.UserID, state, a.Online, a.CallbackURL,
			a.CreatedAt.In(protocol.CST).Format(protocol.DateTimeLayout))
	}
	return tw.Flush()
}

func disableAccount(ctx context.Context, store platform.Store, userID string, stdout io.Writer) error {
	if userID == "" {
		return fmt.Errorf("--user-id is required")
	}
	err := store.Update(ctx, func(tx platform.Tx) error {
		a, err := tx.Account(userID)
		if platform.IsNotFound(err) {
			return fmt.Errorf("no account %s", userID)
		}
		if err != nil {
			return err
		}
		a.Disabled = true
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		if !a.Online {
			return nil
		}
		return tx.SetAccountState(platform.LivenessEvent{UserID: userID, Online: false, At: time.Now(), Cause: "disabled"})
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s disabled\n", userID)
	return nil
}

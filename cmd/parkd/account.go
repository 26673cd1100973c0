package main

import (
	"context"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// account runs the operator's account commands. Accounts are never
// created through the API (docs/protocol.md §5).
func account(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := newStoreCmd("account " + verb)
	userID := fs.String("user-id", "", "account id (table 2 userId, at most 32 characters)")
	password := secretVar(fs.FlagSet, "password", "add, set-password: plaintext password; only a hash of its SM3 digest is kept")
	callback := fs.String("callback", "", "add, set-callback: base URL of the parking system's downlink receiver")
	callbackToken := secretVar(fs.FlagSet, "callback-token", "add, set-callback: token sent in the authorization header of downlink calls")
	role := fs.String("role", platform.RolePLMS, "add, set-role: plms (a parking system) or offpeak (a third-party off-peak platform, docs/offpeak.md)")
	var k keyFlags
	key := secretVar(fs.FlagSet, "key", "set-key: the data key, 32 hex digits (16 bytes, SM4)")
	fs.BoolVar(&k.generate, "generate", false, "set-key: generate a random data key and print it once")
	fs.BoolVar(&k.require, "require", false, "set-key: refuse plaintext requests from the account")
	fs.BoolVar(&k.clear, "clear", false, "set-key: remove the data key (and the requirement); set-callback: remove the callback and its token")
	var bulk bulkFlags
	fs.IntVar(&bulk.count, "count", 0, "add: create this many accounts PREFIX0 .. PREFIX(N-1) in one transaction, all with --password (load tests)")
	fs.StringVar(&bulk.prefix, "prefix", "", "add --count: userId prefix")
	fs.IntVar(&bulk.cost, "bcrypt-cost", bcrypt.DefaultCost, "add --count: bcrypt cost of the shared password hash (4 makes logins cheap for load tests)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := readSecrets(password, callbackToken, key); err != nil {
		return err
	}
	k.hex = key.value
	store, err := fs.open()
	if err != nil {
		return err
	}
	defer store.Close()
	m := &accounts.Manager{Store: store, Now: time.Now}
	switch verb {
	case "add":
		if bulk.count > 0 {
			return addAccounts(ctx, m, bulk, password.value, stdout)
		}
		return addAccount(ctx, m, platform.Account{UserID: *userID, CallbackURL: *callback,
			CallbackToken: callbackToken.value, Role: *role}, password.value, stdout)
	case "set-password":
		if err := m.SetPassword(ctx, *userID, password.value); err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "account %s: password changed\n", *userID)
		return nil
	case "set-callback":
		if !k.clear && *callback == "" {
			return fmt.Errorf("set-callback: --callback URL is required (or --clear)")
		}
		if err := m.SetCallback(ctx, *userID, *callback, callbackToken.value); err != nil {
			return flagError(err)
		}
		if *callback == "" {
			fmt.Fprintf(stdout, "account %s: callback removed\n", *userID)
		} else {
			fmt.Fprintf(stdout, "account %s: callback %s\n", *userID, *callback)
		}
		return nil
	case "list":
		return listAccounts(ctx, store, stdout)
	case "disable":
		if err := m.Disable(ctx, *userID); err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "account %s disabled\n", *userID)
		return nil
	case "enable":
		if err := m.Enable(ctx, *userID); err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "account %s enabled\n", *userID)
		return nil
	case "set-role":
		roleSet := false
		fs.Visit(func(f *flag.Flag) { roleSet = roleSet || f.Name == "role" })
		if !roleSet {
			return fmt.Errorf("set-role: --role is required (%s or %s)", platform.RolePLMS, platform.RoleOffPeak)
		}
		// Running servers apply it within 5 s, the life of their view of
		// the accounts (accounts.State).
		if err := m.SetRole(ctx, *userID, *role); err != nil {
			return flagError(err)
		}
		fmt.Fprintf(stdout, "account %s now has role %s\n", *userID, *role)
		return nil
	case "set-key":
		return setKey(ctx, m, *userID, k, stdout)
	}
	return fmt.Errorf("unknown account command %q\n%s", verb, usage)
}

func addAccount(ctx context.Context, m *accounts.Manager, a platform.Account, password string, stdout io.Writer) error {
	if err := m.AddAccount(ctx, a, password); err != nil {
		return flagError(err)
	}
	fmt.Fprintf(stdout, "account %s added (role %s)\n", a.UserID, a.RoleOf())
	return nil
}

// flagError puts "--" before an error of accounts that names a flag
// ("user-id is required" becomes "--user-id is required").
func flagError(err error) error {
	for _, f := range []string{"user-id ", "password ", "callback ", "callback-token ", "role ", "prefix ", "bcrypt-cost ", "key ", "name ", "id "} {
		if strings.HasPrefix(err.Error(), f) {
			return fmt.Errorf("--%w", err)
		}
	}
	return err
}

// bulkFlags are the flags of `account add --count`.
type bulkFlags struct {
	count  int
	prefix string
	cost   int
}

// addAccounts creates b.count accounts named b.prefix followed by 0 ..
// count-1, sharing one password hash, in one transaction: a quick way to
// provision a city of simulated lots for load tests.
func addAccounts(ctx context.Context, m *accounts.Manager, b bulkFlags, password string, stdout io.Writer) error {
	last, err := m.AddAccounts(ctx, b.prefix, b.count, password, b.cost)
	if err != nil {
		return flagError(err)
	}
	fmt.Fprintf(stdout, "%d accounts %s0 .. %s added\n", b.count, b.prefix, last)
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
	fmt.Fprintln(tw, "USER ID\tROLE\tSTATE\tONLINE\tENCRYPTION\tCALLBACK\tCREATED")
	for _, a := range accts {
		state := "enabled"
		if a.Disabled {
			state = "disabled"
		}
		enc := "none"
		switch {
		case a.DataKey != nil && a.RequireEncryption:
			enc = "required"
		case a.DataKey != nil:
			enc = "optional"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%t\t%s\t%s\t%s\n", a.UserID, a.RoleOf(), state, a.Online, enc, a.CallbackURL,
			a.CreatedAt.In(protocol.CST).Format(protocol.DateTimeLayout))
	}
	return tw.Flush()
}

// keyFlags are the flags of account set-key.
type keyFlags struct {
	hex                      string
	generate, require, clear bool
}

// setKey sets, generates or clears an account's data key for encrypted
// data (docs/protocol.md §7) and sets whether the account must encrypt. With
// neither --key nor --generate the account keeps its key and only the
// requirement is set (to --require, so leaving it out lifts it). A
// generated key is printed once, in hex; it is not shown again.
func setKey(ctx context.Context, m *accounts.Manager, userID string, k keyFlags, stdout io.Writer) error {
	if userID == "" {
		return fmt.Errorf("--user-id is required")
	}
	var change accounts.KeyChange
	switch {
	case k.clear && (k.hex != "" || k.generate || k.require):
		return fmt.Errorf("--clear takes no --key, --generate or --require")
	case k.hex != "" && k.generate:
		return fmt.Errorf("give --key or --generate, not both")
	case k.clear:
		change.Clear = true
	case k.hex != "":
		b, err := hex.DecodeString(k.hex)
		if err != nil || len(b) != protocol.DataKeySize {
			return fmt.Errorf("--key must be %d hex digits (%d bytes)", 2*protocol.DataKeySize, protocol.DataKeySize)
		}
		change.Key = b
	case k.generate:
		change.Key = accounts.NewDataKey()
	}
	change.Require = k.require
	required, err := m.SetKey(ctx, userID, change)
	if err != nil {
		return flagError(err)
	}
	switch {
	case k.clear:
		fmt.Fprintf(stdout, "account %s: data key removed; plaintext only\n", userID)
		return nil
	case k.generate:
		fmt.Fprintf(stdout, "data key: %s\n(shown once: give it to the parking system, e.g. client.Config.DataKey)\n", hex.EncodeToString(change.Key))
	}
	mode := "optional"
	if required {
		mode = "required"
	}
	fmt.Fprintf(stdout, "account %s: data key set; encryption %s\n", userID, mode)
	return nil
}

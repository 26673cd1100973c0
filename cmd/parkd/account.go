package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// account runs the operator's account commands. Accounts are never
// created through the API (PROTOCOL §5).
func account(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := newStoreCmd("account " + verb)
	userID := fs.String("user-id", "", "account id (table 2 userId, at most 32 characters)")
	password := fs.String("password", "", "plaintext password; only a hash of its SM3 digest is kept")
	callback := fs.String("callback", "", "base URL of the parking system's downlink receiver")
	callbackToken := fs.String("callback-token", "", "token sent in the authorization header of downlink calls")
	role := fs.String("role", platform.RolePLMS, "add, set-role: plms (a parking system) or offpeak (a third-party off-peak platform, docs/offpeak.md)")
	var k keyFlags
	fs.StringVar(&k.hex, "key", "", "set-key: the data key, 32 hex digits (16 bytes, SM4)")
	fs.BoolVar(&k.generate, "generate", false, "set-key: generate a random data key and print it once")
	fs.BoolVar(&k.require, "require", false, "set-key: refuse plaintext requests from the account")
	fs.BoolVar(&k.clear, "clear", false, "set-key: remove the data key (and the requirement)")
	var bulk bulkFlags
	fs.IntVar(&bulk.count, "count", 0, "add: create this many accounts PREFIX0 .. PREFIX(N-1) in one transaction, all with --password (load tests)")
	fs.StringVar(&bulk.prefix, "prefix", "", "add --count: userId prefix")
	fs.IntVar(&bulk.cost, "bcrypt-cost", bcrypt.DefaultCost, "add --count: bcrypt cost of the shared password hash (4 makes logins cheap for load tests)")
	store, err := fs.parseOpen(args)
	if err != nil {
		return err
	}
	defer store.Close()
	switch verb {
	case "add":
		if bulk.count > 0 {
			return addAccounts(ctx, store, bulk, *password, stdout)
		}
		if !platform.ValidRole(*role) {
			return fmt.Errorf("--role must be %s or %s", platform.RolePLMS, platform.RoleOffPeak)
		}
		return addAccount(ctx, store, platform.Account{UserID: *userID, CallbackURL: *callback,
			CallbackToken: *callbackToken, Role: *role}, *password, stdout)
	case "list":
		return listAccounts(ctx, store, stdout)
	case "disable":
		return disableAccount(ctx, store, *userID, stdout)
	case "enable":
		return enableAccount(ctx, store, *userID, stdout)
	case "set-role":
		roleSet := false
		fs.Visit(func(f *flag.Flag) { roleSet = roleSet || f.Name == "role" })
		if !roleSet {
			return fmt.Errorf("set-role: --role is required (%s or %s)", platform.RolePLMS, platform.RoleOffPeak)
		}
		return setRole(ctx, store, *userID, *role, stdout)
	case "set-key":
		return setKey(ctx, store, *userID, k, stdout)
	}
	return fmt.Errorf("unknown account command %q\n%s", verb, usage)
}

func addAccount(ctx context.Context, store platform.Store, a platform.Account, password string, stdout io.Writer) error {
	userID, callback, callbackToken := a.UserID, a.CallbackURL, a.CallbackToken
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
		a.PasswordHash, a.CreatedAt = hash, time.Now()
		return tx.PutAccount(a)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s added (role %s)\n", userID, a.RoleOf())
	return nil
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
func addAccounts(ctx context.Context, store platform.Store, b bulkFlags, password string, stdout io.Writer) error {
	last := b.prefix + strconv.Itoa(b.count-1)
	if err := (protocol.LoginRequest{UserID: last, Password: "x"}).Validate(); err != nil || b.prefix == "" {
		return fmt.Errorf("--prefix is required, and %s must be at most 32 characters", last)
	}
	if password == "" {
		return fmt.Errorf("--password is required")
	}
	if b.cost < bcrypt.MinCost || b.cost > bcrypt.MaxCost {
		return fmt.Errorf("--bcrypt-cost must be %d to %d", bcrypt.MinCost, bcrypt.MaxCost)
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(protocol.PasswordDigest(password)), b.cost)
	if err != nil {
		return err
	}
	now := time.Now()
	err = store.Update(ctx, func(tx platform.Tx) error {
		for i := range b.count {
			id := b.prefix + strconv.Itoa(i)
			if _, err := tx.Account(id); err == nil {
				return fmt.Errorf("account %s exists", id)
			} else if !platform.IsNotFound(err) {
				return err
			}
			if err := tx.PutAccount(platform.Account{UserID: id, PasswordHash: hash, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
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

// enableAccount lifts a disable: the account may log in again.
func enableAccount(ctx context.Context, store platform.Store, userID string, stdout io.Writer) error {
	if err := changeAccount(ctx, store, userID, func(a *platform.Account) { a.Disabled = false }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s enabled\n", userID)
	return nil
}

// setRole changes what the account may call (platform.Role*): running
// servers apply it within 5 s, the life of their cached settings.
func setRole(ctx context.Context, store platform.Store, userID, role string, stdout io.Writer) error {
	if !platform.ValidRole(role) {
		return fmt.Errorf("--role must be %s or %s", platform.RolePLMS, platform.RoleOffPeak)
	}
	if err := changeAccount(ctx, store, userID, func(a *platform.Account) { a.Role = role }); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "account %s now has role %s\n", userID, role)
	return nil
}

// changeAccount applies change to the stored account userID.
func changeAccount(ctx context.Context, store platform.Store, userID string, change func(a *platform.Account)) error {
	if userID == "" {
		return fmt.Errorf("--user-id is required")
	}
	return store.Update(ctx, func(tx platform.Tx) error {
		a, err := tx.Account(userID)
		if platform.IsNotFound(err) {
			return fmt.Errorf("no account %s", userID)
		}
		if err != nil {
			return err
		}
		change(&a)
		return tx.PutAccount(a)
	})
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

// keyFlags are the flags of account set-key.
type keyFlags struct {
	hex                      string
	generate, require, clear bool
}

// setKey sets, generates or clears an account's data key for encrypted
// data (PROTOCOL §7) and sets whether the account must encrypt. With
// neither --key nor --generate the account keeps its key and only the
// requirement is set (to --require, so leaving it out lifts it). A
// generated key is printed once, in hex; it is not shown again.
func setKey(ctx context.Context, store platform.Store, userID string, k keyFlags, stdout io.Writer) error {
	if userID == "" {
		return fmt.Errorf("--user-id is required")
	}
	var key []byte
	switch {
	case k.clear && (k.hex != "" || k.generate || k.require):
		return fmt.Errorf("--clear takes no --key, --generate or --require")
	case k.hex != "" && k.generate:
		return fmt.Errorf("give --key or --generate, not both")
	case k.hex != "":
		b, err := hex.DecodeString(k.hex)
		if err != nil || len(b) != protocol.DataKeySize {
			return fmt.Errorf("--key must be %d hex digits (%d bytes)", 2*protocol.DataKeySize, protocol.DataKeySize)
		}
		key = b
	case k.generate:
		key = make([]byte, protocol.DataKeySize)
		if _, err := rand.Read(key); err != nil {
			return err
		}
	}
	var a platform.Account
	err := store.Update(ctx, func(tx platform.Tx) error {
		var err error
		a, err = tx.Account(userID)
		if platform.IsNotFound(err) {
			return fmt.Errorf("no account %s", userID)
		}
		if err != nil {
			return err
		}
		switch {
		case k.clear:
			a.DataKey, a.RequireEncryption = nil, false
		case key != nil:
			a.DataKey, a.RequireEncryption = key, k.require
		case a.DataKey == nil:
			return fmt.Errorf("account %s has no data key: give --key HEX32 or --generate", userID)
		default:
			a.RequireEncryption = k.require
		}
		return tx.PutAccount(a)
	})
	if err != nil {
		return err
	}
	switch {
	case k.clear:
		fmt.Fprintf(stdout, "account %s: data key removed; plaintext only\n", userID)
		return nil
	case k.generate:
		fmt.Fprintf(stdout, "data key: %s\n(shown once: give it to the parking system, e.g. client.Config.DataKey)\n", hex.EncodeToString(key))
	}
	mode := "optional"
	if a.RequireEncryption {
		mode = "required"
	}
	fmt.Fprintf(stdout, "account %s: data key set; encryption %s\n", userID, mode)
	return nil
}

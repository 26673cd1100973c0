package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/audit"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
)

// auditLog prints the audit log from the store: a table, or CSV with
// --csv (the console's export, docs/console-api.md "Audit log").
func auditLog(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newStoreCmd("audit")
	since := fs.String("since", "", "first time included: 2006-01-02, 2006-01-02 15:04:05 (CST) or RFC 3339")
	until := fs.String("until", "", "first time left out, as --since")
	actor := fs.String("actor", "", "only this actor: an operator's name, or cli:USER")
	asCSV := fs.Bool("csv", false, "print CSV (the console's export) instead of a table")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f := platform.AuditFilter{Actor: *actor}
	for _, b := range []struct {
		flag, v string
		dst     *time.Time
	}{{"since", *since, &f.Since}, {"until", *until, &f.Until}} {
		if b.v == "" {
			continue
		}
		t, err := audit.ParseTime(b.v)
		if err != nil {
			return fmt.Errorf("--%s: %w", b.flag, err)
		}
		*b.dst = t
	}
	store, err := fs.open()
	if err != nil {
		return err
	}
	defer store.Close()
	if *asCSV {
		return audit.WriteCSV(ctx, stdout, store, f)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(audit.Header, "\t")))
	err = audit.Each(ctx, store, f, func(e platform.AuditEntry) error {
		_, err := fmt.Fprintln(tw, strings.Join(audit.Row(e), "\t"))
		return err
	})
	if err != nil {
		return err
	}
	return tw.Flush()
}

// cliAudited are the commands whose every run is audited: each change, and
// reading the audit log.
var cliAudited = []string{
	"account add", "account disable", "account enable", "account set-role", "account set-key",
	"account set-password", "account set-callback",
	"apikey add", "apikey disable", "apikey rotate",
	"operator add", "operator set-role", "operator disable", "operator enable", "operator remove",
	"migrate", "audit", "backup", "restore",
}

// cliShown are the flags whose values an audit row may show; the others
// (passwords, keys, tokens) are named only.
var cliShown = []string{"user-id", "name", "id", "role", "generate", "require", "clear", "callback", "count", "prefix",
	"since", "until", "actor", "csv", "data"}

// cliRun is a run of a command of cliAudited: the row it writes, and
// whether the row is already committed with the change.
type cliRun struct {
	key     string            // e.g. "account disable"
	flags   map[string]string // cliFlags of its arguments
	written bool
}

type cliRunKey struct{}

// entry is the audit row of the run, ended with runErr.
func (c *cliRun) entry(runErr error) platform.AuditEntry {
	e := platform.AuditEntry{At: time.Now(), Actor: audit.CLIActor(), Role: audit.CLIRole, Addr: audit.CLIAddr,
		Action: strings.ReplaceAll(c.key, " ", "."), Object: cliObject(c.key, c.flags), Result: platform.AuditOK,
		Detail: cliDetail(c.flags)}
	if c.key == "audit" {
		e.Action = "audit.read"
	}
	if runErr != nil {
		e.Result, e.Detail = platform.AuditFailed, strings.TrimSpace(e.Detail+" error: "+firstLine(runErr.Error()))
	}
	return e
}

// auditingStore is the store the commands open: the first transaction of
// an audited run that commits carries the run's audit row, so that the
// change and its row are committed together.
type auditingStore struct{ server.Store }

// Update runs fn, adding the run's audit row to the transaction.
func (s auditingStore) Update(ctx context.Context, fn func(platform.Tx) error) error {
	run, _ := ctx.Value(cliRunKey{}).(*cliRun)
	if run == nil || run.written {
		return s.Store.Update(ctx, fn)
	}
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.AddAudit(run.entry(nil))
	})
	run.written = err == nil
	return err
}

// auditAfter appends the audit row of a run that wrote none with a change
// (it failed, or changed nothing through Update): the flags --data and
// --db name the store. A row that cannot be written is an error of the
// command.
func auditAfter(ctx context.Context, run *cliRun, runErr error) error {
	cfg := server.Config{}
	if err := cfg.FromEnv(); err != nil {
		return err
	}
	if v, ok := run.flags["data"]; ok {
		cfg.DataDir = v
	}
	if v, ok := run.flags["db"]; ok {
		cfg.DB = v
	}
	store, err := server.OpenStore(cfg)
	if err != nil {
		return fmt.Errorf("the audit log could not be opened: %w", err)
	}
	defer store.Close()
	if err := audit.Add(ctx, store, run.entry(runErr)); err != nil {
		return fmt.Errorf("the audit log could not be written: %w", err)
	}
	return nil
}

// cliFlags reads the flags of args by name ("--x v", "--x=v", "-x v"; a
// flag followed by another flag or nothing is "true").
func cliFlags(args []string) map[string]string {
	out := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name := strings.TrimLeft(a, "-")
		if k, v, ok := strings.Cut(name, "="); ok {
			out[k] = v
			continue
		}
		if i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
			out[name] = args[i+1]
			i++
			continue
		}
		out[name] = "true"
	}
	return out
}

// cliObject names what a command acts on.
func cliObject(key string, flags map[string]string) string {
	noun, _, _ := strings.Cut(key, " ")
	for _, f := range []string{"user-id", "id", "name"} {
		if v := flags[f]; v != "" {
			return noun + ":" + v
		}
	}
	if noun == "account" && flags["prefix"] != "" {
		return "account:" + flags["prefix"] + "*"
	}
	return noun
}

// cliDetail lists the flags given: the values of cliShown, the names of
// the others.
func cliDetail(flags map[string]string) string {
	var parts []string
	for name, v := range flags {
		if slices.Contains(cliShown, name) {
			parts = append(parts, name+"="+v)
		} else {
			parts = append(parts, name)
		}
	}
	slices.Sort(parts)
	return strings.Join(parts, " ")
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}

// commandKey is the command and verb of args as cliAudited names them.
func commandKey(args []string) string {
	if len(args) == 0 {
		return ""
	}
	if len(args) > 1 && !strings.HasPrefix(args[1], "-") {
		return args[0] + " " + args[1]
	}
	return args[0]
}

// runAudited runs dispatch and audits the commands of cliAudited: a
// change commits its row with it (auditingStore); a failure, or a run
// that wrote through no Update, gets its row afterwards. Help (-h) is not
// a run.
func runAudited(ctx context.Context, args []string, dispatch func(context.Context) error) error {
	key := commandKey(args)
	if !slices.Contains(cliAudited, key) || slices.ContainsFunc(args, func(a string) bool { return a == "-h" || a == "--help" || a == "-help" }) {
		return dispatch(ctx)
	}
	run := &cliRun{key: key, flags: cliFlags(args[len(strings.Fields(key)):])}
	err := dispatch(context.WithValue(ctx, cliRunKey{}, run))
	if run.written {
		return err
	}
	return errors.Join(err, auditAfter(ctx, run, err))
}

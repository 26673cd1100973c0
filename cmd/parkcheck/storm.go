package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/parkd/parkd/internal/tools/load"
)

const stormUsage = `  parkcheck storm    --url URL --prefix P --password PW [--lots N] [--vendors V] [--down D] [--visits-per-hour F]
                     [--photo-every N] [--interval D] [--dir DIR] [--phase prepare|drain] [--db FILE] [--sync]
                     [--concurrency C] [--timeout D] [--insecure] [--ca FILE] [--json FILE] [--quiet]`

// stormTest runs `parkcheck storm`: N lots, with the SDK's outbox, kept
// producing while the platform was down for D, then all come back at
// once. Exit 0 when every lot logged in and every item was delivered
// (and, with --db, stored) exactly once, 1 otherwise, 2 for a usage
// error.
func stormTest(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("storm", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg load.StormConfig
	fs.StringVar(&cfg.URL, "url", "", "the platform's base URL (required)")
	fs.StringVar(&cfg.Prefix, "prefix", "", "userId prefix of the accounts: PREFIX0 .. (required)")
	fs.StringVar(&cfg.Password, "password", "", "the accounts' plaintext password (required; or PARKCHECK_PASSWORD)")
	fs.IntVar(&cfg.Lots, "lots", 20000, "lots coming back (at most 100,000)")
	fs.IntVar(&cfg.Vendors, "vendors", 0, "accounts the lots share (lot i uses account i mod V); 0: one account per lot")
	fs.DurationVar(&cfg.Down, "down", 30*time.Minute, "simulated outage: each lot's backlog is what it produced in this time")
	fs.Float64Var(&cfg.VisitsPerHour, "visits-per-hour", 21.3, "vehicles per lot per hour during the outage")
	fs.IntVar(&cfg.PhotoEvery, "photo-every", 5, "one entry in N cites an uploaded picture")
	fs.DurationVar(&cfg.Interval, "interval", 30*time.Second, "heartbeat period of each lot")
	fs.StringVar(&cfg.Dir, "dir", "", "directory of the lots' outboxes (default a temporary one; required with --phase)")
	fs.StringVar(&cfg.Phase, "phase", "", "prepare: register and produce the backlog; drain: reconnect and drain (default both)")
	fs.StringVar(&cfg.DB, "db", "", "the platform's SQLite file: count the stored records read-only after the drain")
	fs.BoolVar(&cfg.Sync, "sync", false, "fsync the outboxes' journals, as the SDK does by default")
	fs.DurationVar(&cfg.Timeout, "timeout", 15*time.Minute, "longest drain")
	concurrency := fs.Int("concurrency", 512, "most connections to the platform")
	insecure := fs.Bool("insecure", false, "do not verify the TLS certificate")
	ca := fs.String("ca", "", "PEM file of a CA (or self-signed certificate) to trust besides the system's")
	jsonFile := fs.String("json", "", "also write the report as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if cfg.Password == "" {
		cfg.Password = os.Getenv("PARKCHECK_PASSWORD")
	}
	if cfg.URL == "" || cfg.Prefix == "" || cfg.Password == "" {
		return exitUsage, errors.New("storm needs --url, --prefix and --password")
	}
	hc, err := load.NewHTTPClient(*insecure, *ca, load.DefaultTimeout, *concurrency)
	if err != nil {
		return exitUsage, fmt.Errorf("--ca: %w", err)
	}
	cfg.HTTPClient = hc
	if !*quiet {
		cfg.Progress = stderr
	}
	rep, err := load.RunStorm(ctx, cfg)
	if err != nil && rep == nil {
		return exitUsage, err
	}
	printStorm(stdout, cfg.Phase, rep)
	if *jsonFile != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if werr := os.WriteFile(*jsonFile, append(b, '\n'), 0o644); werr != nil {
			return exitFail, werr
		}
	}
	if err != nil {
		return exitFail, err
	}
	if cfg.Phase != "prepare" && !rep.OK() {
		return exitFail, nil
	}
	return exitPass, nil
}

func printStorm(w io.Writer, phase string, r *load.StormReport) {
	p := r.Produced
	fmt.Fprintf(w, "storm: %d lots on %d accounts; backlog %d items (%d pictures, %d entries, %d exits, %d vacancy reports)\n",
		r.Lots, r.Accounts, p.Items, p.Pictures, p.Entries, p.Exits, p.Vacancies)
	if phase == "prepare" {
		return
	}
	fmt.Fprintf(w, "logged in again: %d/%d in %.2fs; drained: %d/%d in %.2fs%s\n",
		r.LoggedIn, r.Lots, r.LoginSec, r.Drained, r.Lots, r.DrainSec, map[bool]string{true: " (timed out)"}[r.TimedOut])
	fmt.Fprintf(w, "outbox: %d requests for %d items sent, %d set aside, %d retries (%d throttled: 429/Retry-After)\n",
		r.Requests, r.Sent, r.Rejected, r.Retries, r.Throttled)
	h := r.Heartbeats
	fmt.Fprintf(w, "live heartbeats during the drain: %d, p50 %.1f ms p99 %.1f ms max %.1f ms; %d failed (%d with 429)\n",
		h.Count, h.P50, h.P99, h.Max, r.HeartbeatErrors, r.HeartbeatsRefused)
	if r.StoredEntries >= 0 {
		fmt.Fprintf(w, "stored: %d/%d entries, %d/%d exits, %d replaced versions\n",
			r.StoredEntries, p.Entries, r.StoredExits, p.Exits, r.Replaced)
	}
	if r.FirstError != "" {
		fmt.Fprintln(w, "first error:", r.FirstError)
	}
	fmt.Fprintln(w, map[bool]string{true: "PASS: every item delivered once", false: "FAIL"}[r.OK()])
}

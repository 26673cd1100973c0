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

const fleetUsage = `  parkcheck fleet    --url URL --prefix P --accounts N --password-file F [--interval 30s] [--duration D]
                     [--concurrency C] [--insecure] [--ca FILE] [--json FILE] [--quiet]`

// fleetTest runs `parkcheck fleet`: N lots, each its own account (made
// with parkd account add --count N --prefix P), log in and heartbeat
// every interval. Exit 0 when the run completed, 1 when a login or
// heartbeat failed, 2 for a usage error.
func fleetTest(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("fleet", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg load.FleetConfig
	fs.StringVar(&cfg.URL, "url", "", "the platform's base URL (required)")
	fs.StringVar(&cfg.Prefix, "prefix", "", "userId prefix of the accounts: PREFIX0 .. PREFIX(N-1) (required)")
	fs.IntVar(&cfg.Accounts, "accounts", 0, "number of lots, one account each (required)")
	fs.StringVar(&cfg.Password, "password", "", "the accounts' plaintext password (required; or PARKCHECK_PASSWORD)")
	passwordFile := fs.String("password-file", "", "read --password from this file; - reads standard input")
	fs.DurationVar(&cfg.Interval, "interval", 30*time.Second, "heartbeat period of each lot")
	fs.DurationVar(&cfg.Duration, "duration", time.Minute, "how long the heartbeats run after the last login")
	fs.IntVar(&cfg.Concurrency, "concurrency", 256, "most requests in flight")
	insecure := fs.Bool("insecure", false, "do not verify the TLS certificate")
	ca := fs.String("ca", "", "PEM file of a CA (or self-signed certificate) to trust besides the system's")
	jsonFile := fs.String("json", "", "also write the report as JSON to this file")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if err := readSecret(&cfg.Password, *passwordFile, "PARKCHECK_PASSWORD", new(bool)); err != nil {
		return exitUsage, err
	}
	if cfg.URL == "" || cfg.Prefix == "" || cfg.Accounts <= 0 || cfg.Password == "" {
		return exitUsage, errors.New("fleet needs --url, --prefix, --accounts and --password")
	}
	hc, err := load.NewHTTPClient(*insecure, *ca, load.DefaultTimeout, cfg.Concurrency)
	if err != nil {
		return exitUsage, fmt.Errorf("--ca: %w", err)
	}
	cfg.HTTPClient = hc
	if !*quiet {
		cfg.Progress = stderr
	}
	rep, err := load.RunFleet(ctx, cfg)
	if err != nil {
		return exitUsage, err
	}
	fmt.Fprintf(stdout, "fleet: %d accounts, %d logged in in %.1fs (%d errors), login p50 %.1f ms p99 %.1f ms\n",
		rep.Accounts, rep.LoggedIn, rep.LoginSec, rep.LoginErrors, rep.LoginLatency.P50, rep.LoginLatency.P99)
	fmt.Fprintf(stdout, "heartbeats: %d at %.1f/s over %.1fs, %d errors, %d re-logins, p50 %.1f ms p99 %.1f ms max %.1f ms\n",
		rep.Heartbeats, rep.HeartbeatRate, rep.HeartbeatSec, rep.HeartbeatErrors, rep.Relogins,
		rep.HeartbeatLatency.P50, rep.HeartbeatLatency.P99, rep.HeartbeatLatency.Max)
	fmt.Fprintf(stdout, "after the last login: %d heartbeats, p50 %.1f ms p90 %.1f ms p99 %.1f ms max %.1f ms\n",
		rep.SteadyLatency.Count, rep.SteadyLatency.P50, rep.SteadyLatency.P90, rep.SteadyLatency.P99, rep.SteadyLatency.Max)
	if rep.FirstError != "" {
		fmt.Fprintln(stdout, "first error:", rep.FirstError)
	}
	if *jsonFile != "" {
		if err := writeFleetJSON(*jsonFile, rep); err != nil {
			return exitFail, err
		}
	}
	if rep.LoginErrors+rep.HeartbeatErrors > 0 {
		return exitFail, nil
	}
	return exitPass, nil
}

func writeFleetJSON(path string, rep *load.FleetReport) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

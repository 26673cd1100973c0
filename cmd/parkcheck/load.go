package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/tools/load"
)

const loadUsage = `  parkcheck load     --url URL --user-id ID --password-file F [--urls URL2,URL3] [--login-url URL] [--insecure] [--ca FILE]
                     [--lots N] [--rate R] [--duration D] [--warmup D] [--mix MIX] [--photo-kb KB] [--picture-share F]
                     [--visits-per-hour V] [--arrivals poisson|uniform] [--max-inflight M] [--seed S] [--timeout D]
                     [--json FILE] [--fail-on-error] [--quiet]`

// loadTest runs `parkcheck load`: exit 0 when the run completed (errors
// of the measured requests are reported, not fatal, unless
// --fail-on-error), 1 when setup failed, 2 for a usage error.
func loadTest(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg load.Config
	url := fs.String("url", "", "the platform's base URL, e.g. https://platform.example:8443 (required)")
	urls := fs.String("urls", "", "more instances, comma-separated; requests go round-robin over --url and these")
	fs.StringVar(&cfg.LoginURL, "login-url", "", "log in here (once per target) instead of on each target; the tokens are used on the targets")
	fs.StringVar(&cfg.UserID, "user-id", "", "the account's userId (required)")
	fs.StringVar(&cfg.Password, "password", "", "the account's plaintext password (required; or PARKCHECK_PASSWORD)")
	passwordFile := fs.String("password-file", "", "read --password from this file; - reads standard input")
	insecure := fs.Bool("insecure", false, "do not verify the TLS certificate")
	ca := fs.String("ca", "", "PEM file of a CA (or self-signed certificate) to trust besides the system's")
	fs.IntVar(&cfg.Lots, "lots", 100, "parks to register and simulate")
	fs.Float64Var(&cfg.Rate, "rate", 0, "total requests per second; realistic mix: 0 = the lots' real cadence")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "measured duration")
	fs.DurationVar(&cfg.Warmup, "warmup", 5*time.Second, "sent before the measured duration, not measured")
	fs.StringVar(&cfg.Mix, "mix", load.MixRealistic, "realistic, or one interface: "+strings.Join(load.Mixes()[1:], ", "))
	photoKB := fs.Int("photo-kb", load.DefaultPhotoBytes/1024, "size of each uploaded JPEG in KiB (1,024 bytes)")
	fs.Float64Var(&cfg.PictureShare, "picture-share", load.DefaultPictureShare, "realistic mix: share of records whose photo is uploaded, 0 to 1")
	fs.Float64Var(&cfg.VisitsPerHour, "visits-per-hour", load.DefaultVisitsPerHour, "realistic mix: vehicle visits (an entry and an exit) per lot and hour")
	fs.StringVar(&cfg.Arrivals, "arrivals", load.ArrivalsPoisson, "arrival process: poisson (exponential gaps) or uniform (evenly spaced)")
	fs.IntVar(&cfg.MaxInFlight, "max-inflight", load.DefaultMaxInFlight, "most requests in flight; an arrival beyond it is dropped and counted")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the schedule and the choices; 0 = random (the report gives it)")
	fs.DurationVar(&cfg.Timeout, "timeout", load.DefaultTimeout, "time limit of each request")
	jsonFile := fs.String("json", "", "also write the report as JSON to this file (- for stdout, instead of the text)")
	failOnError := fs.Bool("fail-on-error", false, "exit 1 when any request got a non-zero code or no answer")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if err := readSecret(&cfg.Password, *passwordFile, "PARKCHECK_PASSWORD", new(bool)); err != nil {
		return exitUsage, err
	}
	if *url == "" || cfg.UserID == "" || cfg.Password == "" {
		return exitUsage, errors.New("load needs --url, --user-id and --password")
	}
	cfg.URLs = []string{*url}
	for _, u := range strings.Split(*urls, ",") {
		if u = strings.TrimSpace(u); u != "" {
			cfg.URLs = append(cfg.URLs, u)
		}
	}
	if *photoKB <= 0 {
		return exitUsage, errors.New("--photo-kb must be positive")
	}
	cfg.PhotoBytes = *photoKB * 1024
	hc, err := load.NewHTTPClient(*insecure, *ca, cfg.Timeout, cfg.MaxInFlight)
	if err != nil {
		return exitUsage, fmt.Errorf("--ca: %w", err)
	}
	cfg.HTTPClient = hc
	if !*quiet {
		cfg.Progress = stderr
	}
	if err := cfg.Check(); err != nil {
		return exitUsage, err
	}

	rep, err := load.Run(ctx, cfg)
	if err != nil {
		fmt.Fprintln(stderr, "parkcheck load:", err)
		return exitFail, nil
	}
	if *jsonFile == "-" {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
		if err == nil && *jsonFile != "" {
			err = writeJSONFile(*jsonFile, rep)
		}
	}
	if err != nil {
		fmt.Fprintln(stderr, "parkcheck load:", err)
		return exitFail, nil
	}
	if *failOnError && rep.Errors() > 0 {
		return exitFail, nil
	}
	return exitPass, nil
}

func writeJSONFile(path string, rep *load.Report) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := rep.WriteJSON(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

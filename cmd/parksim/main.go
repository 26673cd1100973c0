// Command parksim simulates a parking-lot vendor against a platform: many
// lots with realistic Shenzhen park reports, entrances and vehicles that
// come and go with a daily rhythm, every record, photo and vacancy change
// sent through the client SDK's durable outbox, and, with --listen, the
// reservation downlink answered from the lots' own vacancy.
//
// With --api-key (a key from `parkd apikey add`) it is also the city's
// app back end: its users book spaces in the reservable lots through the
// platform's booking API (--book-rate per second), change (--change-share)
// or cancel (--cancel-share) some of them, and the lots, reached through
// --listen, hold a space and let the reserved vehicle in with the bookCode
// around bookTime. At the end every order's state is read back.
//
//	parksim --url URL --user-id ID --password PW [--lots N] [--rate R] [--duration D]
//	        [--seed S] [--speed X] [--bad-data P] [--insecure] [--ca FILE] [--dir DIR]
//	        [--listen ADDR --callback-token T]
//	        [--api-key KEY [--book-rate R] [--change-share P] [--cancel-share P]]
//
// A progress line goes to stderr every few seconds, and a summary to
// stdout at the end: records queued, acknowledged and refused per
// interface, rejections by code, what was left in the outbox and the
// rates achieved. On SIGINT or SIGTERM it stops letting vehicles in,
// flushes the outbox (for at most --flush-timeout; a second signal quits
// at once, leaving the rest in the outbox directory) and prints the
// summary, with the bookings made, refused by code, changed and cancelled,
// and the orders' final states. The password may also come from
// PARKSIM_PASSWORD, the API key from PARKSIM_API_KEY.
//
// The exit status is 0 when everything queued was acknowledged or set
// aside, 1 when the run failed or items were left over, and 2 for a usage
// error.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/buildinfo"
	"github.com/parkd/parkd/internal/secret"
	"github.com/parkd/parkd/internal/tools/sim"
	"github.com/parkd/parkd/protocol"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop() // a second signal ends the process at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `usage:
  parksim --url URL --user-id ID --password PW [--lots N] [--rate R] [--duration D]
          [--seed S] [--speed X] [--bad-data P] [--insecure] [--ca FILE] [--dir DIR]
          [--listen ADDR --callback-token T]
          [--api-key KEY [--book-rate R] [--change-share P] [--cancel-share P]]
Run "parksim -h" for every flag.`

// options are the command's flags.
type options struct {
	cfg           sim.Config
	insecure      bool
	ca            string
	listen        string
	callbackToken string
	start         string
	logLevel      string
	// Files holding the secrets ("-" is standard input).
	passwordFile, apiKeyFile, callbackTokenFile string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	c := &o.cfg
	fs := flag.NewFlagSet("parksim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, usage)
		fs.PrintDefaults()
	}
	fs.StringVar(&c.URL, "url", "", "the platform's base URL, e.g. https://platform.example:8443 (required)")
	fs.StringVar(&c.UserID, "user-id", "", "the vendor account's userId (required)")
	fs.StringVar(&c.Password, "password", "", "the account's plaintext password (required; or PARKSIM_PASSWORD, or --password-file)")
	fs.StringVar(&o.passwordFile, "password-file", "", "read --password from this file; - reads standard input")
	fs.StringVar(&o.apiKeyFile, "api-key-file", "", "read --api-key from this file; - reads standard input")
	fs.StringVar(&o.callbackTokenFile, "callback-token-file", "", "read --callback-token from this file; - reads standard input")
	fs.IntVar(&c.Lots, "lots", 10, "number of simulated lots")
	fs.Float64Var(&c.Rate, "rate", 2, "vehicle arrivals per real second across all lots, averaged over the simulated day")
	fs.DurationVar(&c.Duration, "duration", time.Minute, "how long to run, in real time; 0 runs until SIGINT")
	fs.Int64Var(&c.Seed, "seed", 0, "seed of the traffic: the same seed gives the same plates, ids and times (default: random, printed at the start)")
	fs.Float64Var(&c.Speed, "speed", 1, "simulated seconds per real second (3600: an hour a second)")
	fs.Float64Var(&c.BadData, "bad-data", 0, "probability that a record is deliberately bad, to see the platform's rejections")
	fs.StringVar(&o.start, "start", "", `simulated start time "yyyy-MM-dd HH:mm:ss" (CST); default the platform's time`)
	fs.BoolVar(&o.insecure, "insecure", false, "do not verify the platform's TLS certificate")
	fs.StringVar(&o.ca, "ca", "", "PEM file of a CA (or self-signed certificate) to trust besides the system's")
	fs.StringVar(&c.Dir, "dir", "", "outbox directory (default: a temporary one, removed when emptied)")
	fs.IntVar(&c.Workers, "workers", 16, "requests the outbox may have in flight, each for a different lot")
	fs.IntVar(&c.MaxQueue, "max-queue", 2000, "items that may wait in the outbox before the lots wait too")
	fs.BoolVar(&c.NoSync, "no-sync", false, "skip the outbox's fsyncs (faster; a power loss may lose queued records)")
	fs.DurationVar(&c.FlushTimeout, "flush-timeout", time.Minute, "longest wait for the outbox to empty at the end")
	fs.DurationVar(&c.ProgressEvery, "progress", 5*time.Second, "interval of the progress lines on stderr")
	fs.StringVar(&o.listen, "listen", "", "serve the reservation downlink on this address, e.g. :9090")
	fs.StringVar(&o.callbackToken, "callback-token", "", "downlink token the platform sends (required with --listen)")
	fs.StringVar(&c.APIKey, "api-key", "", "booking API key ID.SECRET (parkd apikey add; or PARKSIM_API_KEY): also book, change and cancel reservations as the city's app back end")
	fs.Float64Var(&c.BookRate, "book-rate", 0.2, "bookings per real second across the reservable lots (with --api-key)")
	fs.Float64Var(&c.ChangeShare, "change-share", 0.1, "share of bookings whose bookTime is later changed (with --api-key)")
	fs.Float64Var(&c.CancelShare, "cancel-share", 0.1, "share of bookings later cancelled (with --api-key)")
	fs.StringVar(&o.logLevel, "log-level", "error", "level of the SDK's logs on stderr: debug, info, warn (every rejection) or error")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	stdinUsed := false
	for _, s := range []struct {
		value     *string
		file, env string
	}{{&c.Password, o.passwordFile, "PARKSIM_PASSWORD"}, {&c.APIKey, o.apiKeyFile, "PARKSIM_API_KEY"},
		{&o.callbackToken, o.callbackTokenFile, ""}} {
		if err := readSecret(s.value, s.file, s.env, &stdinUsed); err != nil {
			return nil, err
		}
	}
	if c.URL == "" || c.UserID == "" || c.Password == "" {
		return nil, errors.New("--url, --user-id and --password are required")
	}
	if c.Lots <= 0 || c.Rate <= 0 || c.Speed <= 0 || c.Duration < 0 {
		return nil, errors.New("--lots, --rate and --speed must be positive, --duration not negative")
	}
	if c.BadData < 0 || c.BadData > 1 {
		return nil, errors.New("--bad-data must be between 0 and 1")
	}
	if c.BookRate < 0 || c.ChangeShare < 0 || c.ChangeShare > 1 || c.CancelShare < 0 || c.CancelShare > 1 {
		return nil, errors.New("--book-rate must not be negative, --change-share and --cancel-share between 0 and 1")
	}
	if c.APIKey != "" && c.BookRate == 0 {
		return nil, errors.New("--book-rate must be positive with --api-key")
	}
	if o.listen != "" && o.callbackToken == "" {
		return nil, errors.New("--listen needs --callback-token")
	}
	seeded := false
	fs.Visit(func(f *flag.Flag) { seeded = seeded || f.Name == "seed" })
	if !seeded {
		c.Seed = time.Now().UnixNano()
	}
	if o.start != "" {
		dt, err := protocol.ParseDateTime(o.start)
		if err != nil {
			return nil, fmt.Errorf("--start: %w", err)
		}
		c.Start = dt.Time()
	}
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	c.Log = slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: lvl}))
	c.Progress = stderr
	hc, err := httpClient(o.insecure, o.ca)
	if err != nil {
		return nil, fmt.Errorf("--ca: %w", err)
	}
	c.HTTPClient = hc
	return o, nil
}

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if buildinfo.WantsVersion(args) {
		fmt.Fprintln(stdout, "parksim", buildinfo.Read())
		return exitOK
	}
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "parksim:", err)
		return exitUsage
	}
	s, err := sim.New(o.cfg)
	if err != nil {
		fmt.Fprintln(stderr, "parksim:", err)
		return exitUsage
	}
	if o.listen != "" {
		srv, url, err := serveDownlink(o.listen, o.callbackToken, s)
		if err != nil {
			fmt.Fprintln(stderr, "parksim: --listen:", err)
			return exitUsage
		}
		defer srv.Close()
		fmt.Fprintf(stderr, "parksim: reservation downlink at %s; the platform must have it as the account's callback, with the same token:\n"+
			"  parkd account set-callback --data DIR --user-id %s --callback %s --callback-token-file FILE   (an existing account)\n",
			url, o.cfg.UserID, url)
	} else if o.cfg.APIKey != "" {
		fmt.Fprintln(stderr, "parksim: --api-key without --listen: the lots hold only orders the platform can send to a downlink served elsewhere")
	}
	sum, err := s.Run(ctx)
	if err != nil {
		fmt.Fprintln(stderr, "parksim:", err)
		return exitFail
	}
	sum.Write(stdout)
	if sum.Depth > 0 || sum.Failed > 0 {
		return exitFail
	}
	return exitOK
}

// serveDownlink serves the reservation interfaces with h and returns the
// server and the callback base URL to provision.
func serveDownlink(addr, token string, h client.ReservationHandler) (*http.Server, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: &client.Receiver{Token: token, Handler: h}, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	if ip := net.ParseIP(host); ip == nil || ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return srv, "http://" + net.JoinHostPort(host, port), nil
}

// httpClient returns the client for the platform: the system's roots plus
// ca, or no verification at all.
func httpClient(insecure bool, ca string) (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	if insecure || ca != "" {
		cfg := &tls.Config{InsecureSkipVerify: insecure}
		if ca != "" {
			pem, err := os.ReadFile(ca)
			if err != nil {
				return nil, err
			}
			pool, err := x509.SystemCertPool()
			if err != nil || pool == nil {
				pool = x509.NewCertPool()
			}
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s holds no PEM certificate", ca)
			}
			cfg.RootCAs = pool
		}
		tr.TLSClientConfig = cfg
	}
	return &http.Client{Timeout: 30 * time.Second, Transport: tr}, nil
}

// stdin is what a secret file "-" reads; tests replace it.
var stdin io.Reader = os.Stdin

// readSecret fills *value from file, standard input or env (secret.Fill).
func readSecret(value *string, file, env string, stdinUsed *bool) error {
	return secret.Fill(value, file, env, stdin, stdinUsed)
}

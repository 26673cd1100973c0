// Command parkcheck checks, black-box over HTTP(S), that a peer follows the
// wire contract of docs/protocol.md, and prints a report: every check with PASS
// or FAIL, its id and the table or section it tests, and for a failure what
// was sent and what came back. It also load-tests a platform.
//
//	parkcheck platform --url URL --user-id ID --password-file F [--insecure] [--ca FILE] [--park-code CODE] [--city FILE] [--json]
//	                   [--lockout-user-id ID2 --lockout-password-file F2] [--max-body N]
//	parkcheck plms     --url URL --token-file F [--park-code CODE] [--insecure] [--ca FILE] [--json]
//	parkcheck load     --url URL --user-id ID --password PW [--urls URL2,URL3] [--login-url URL] [--insecure|--ca FILE]
//	                   [--lots N] [--rate R] [--duration D] [--warmup D] [--mix MIX] [--photo-kb KB] [--json FILE]
//	                   [--seed S] [--max-inflight M] [--fail-on-error]
//	parkcheck list
//
// platform checks a platform's ten uplink interfaces as the account ID;
// plms checks a parking system's downlink receiver (reservation and
// cancelReservation) with its downlink token. The password and the token
// may also come from PARKCHECK_PASSWORD and PARKCHECK_TOKEN, or a
// password from a file (--password-file; - is standard input), to keep
// them off the command line. A platform run ends by re-reporting the parks
// it registered with bizStatus 0, so that nothing it made stays live in
// the platform's public information, whether the checks passed or not.
// The lock-out check needs an expendable second account
// (--lockout-user-id), which it leaves locked out from this address for
// the platform's lock-out time; without one it is skipped. Every run uses new random ids, park codes and
// plates, so it can be repeated against the same peer.
//
// load registers N new parks and sends an open-loop stream of requests at
// a fixed rate, the realistic mix of N lots or a single interface, and
// reports latency percentiles, codes, errors and throughput (see package
// internal/tools/load for the mix and the method), with a progress line on
// stderr every 5 seconds.
//
// The exit status is 0 when every check passed, 1 when one failed, and 2
// for a usage error. For load it is 0 when the run completed, even with
// errors (they are reported; --fail-on-error makes them exit 1), 1 when
// its setup failed, and 2 for a usage error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/parkd/parkd/internal/buildinfo"
	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/secret"
	"github.com/parkd/parkd/internal/tools/conformance"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// Exit statuses.
const (
	exitPass  = 0
	exitFail  = 1
	exitUsage = 2
)

const usage = `usage:
  parkcheck platform --url URL --user-id ID --password-file F [--insecure] [--ca FILE] [--park-code CODE] [--json] [--run REGEXP]
                     [--lockout-user-id ID2 --lockout-password-file F2] [--max-body N]
  parkcheck plms     --url URL --token-file F [--park-code CODE] [--insecure] [--ca FILE] [--json] [--run REGEXP]
` + loadUsage + `
` + fleetUsage + `
` + stormUsage + `
  parkcheck list
Run "parkcheck platform -h", "parkcheck plms -h" or "parkcheck load -h" for the flags.
Exit status: 0 all checks passed or were skipped (load: the run completed), 1 a check failed (load: setup failed,
or --fail-on-error and an error), 2 usage error.`

// run is the whole command; it returns the exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if buildinfo.WantsVersion(args) {
		fmt.Fprintln(stdout, "parkcheck", buildinfo.Read())
		return exitPass
	}
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	var err error
	status := exitPass
	switch args[0] {
	case "platform":
		status, err = platform(ctx, args[1:], stdout, stderr)
	case "plms":
		status, err = plms(ctx, args[1:], stdout, stderr)
	case "load":
		status, err = loadTest(ctx, args[1:], stdout, stderr)
	case "fleet":
		status, err = fleetTest(ctx, args[1:], stdout, stderr)
	case "storm":
		status, err = stormTest(ctx, args[1:], stdout, stderr)
	case "list":
		list(stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
	default:
		err = fmt.Errorf("unknown command %q\n%s", args[0], usage)
	}
	if errors.Is(err, flag.ErrHelp) {
		return exitPass
	}
	if err != nil {
		fmt.Fprintln(stderr, "parkcheck:", err)
		return exitUsage
	}
	return status
}

// common are the flags of both modes.
type common struct {
	url      string
	parkCode string
	insecure bool
	ca       string
	json     bool
	match    string
	timeout  time.Duration
}

func (c *common) register(fs *flag.FlagSet, urlHelp, parkHelp string) {
	fs.StringVar(&c.url, "url", "", urlHelp)
	fs.StringVar(&c.parkCode, "park-code", "", parkHelp)
	fs.BoolVar(&c.insecure, "insecure", false, "do not verify the TLS certificate")
	fs.StringVar(&c.ca, "ca", "", "PEM file of a CA (or self-signed certificate) to trust besides the system's")
	fs.BoolVar(&c.json, "json", false, "write the results as JSON instead of the text report")
	fs.StringVar(&c.match, "run", "", "run only the checks whose id matches this regular expression")
	fs.DurationVar(&c.timeout, "timeout", 30*time.Second, "time limit of each request")
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	return nil
}

func platform(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("platform", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, "the platform's base URL, e.g. https://platform.example:8443 (required)",
		"an existing park of the account to write records to; default: a new park with a random code each run")
	userID := fs.String("user-id", "", "the account's userId (required)")
	password := fs.String("password", "", "the account's plaintext password (required; or PARKCHECK_PASSWORD)")
	passwordFile := fs.String("password-file", "", "read --password from this file; - reads standard input")
	opUser := fs.String("offpeak-user-id", "", "an account with the off-peak role: also run the off-peak checks (docs/offpeak.md)")
	opPassword := fs.String("offpeak-password", "", "the off-peak account's plaintext password (or PARKCHECK_OFFPEAK_PASSWORD)")
	opPasswordFile := fs.String("offpeak-password-file", "", "read --offpeak-password from this file; - reads standard input")
	lockUser := fs.String("lockout-user-id", "", "an expendable account for the lock-out check (login.lockout): it is locked out from this address for the platform's lock-out time; without it the check is skipped")
	lockPassword := fs.String("lockout-password", "", "the lock-out account's plaintext password (or PARKCHECK_LOCKOUT_PASSWORD)")
	lockPasswordFile := fs.String("lockout-password-file", "", "read --lockout-password from this file; - reads standard input")
	maxBody := fs.Int64("max-body", conformance.DefaultMaxBody, "the platform's largest JSON body in bytes (parkd serve --max-body): body.too-large sends one byte more")
	cityFile := fs.String("city", "", "the platform's city file (parkd serve --city): parks and entrances go in its first region, at its centre; default Shenzhen")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	stdinUsed := false
	for _, s := range []struct {
		value     *string
		file, env string
	}{{password, *passwordFile, "PARKCHECK_PASSWORD"}, {opPassword, *opPasswordFile, "PARKCHECK_OFFPEAK_PASSWORD"},
		{lockPassword, *lockPasswordFile, "PARKCHECK_LOCKOUT_PASSWORD"}} {
		if err := readSecret(s.value, s.file, s.env, &stdinUsed); err != nil {
			return exitUsage, err
		}
	}
	if *lockUser != "" && *lockPassword == "" {
		return exitUsage, errors.New("--lockout-user-id needs --lockout-password-file (or --lockout-password)")
	}
	all := conformance.PlatformChecks()
	if *opUser != "" {
		if *opPassword == "" {
			return exitUsage, errors.New("--offpeak-user-id needs --offpeak-password")
		}
		all = append(all, conformance.OffPeakChecks()...)
	}
	if c.url == "" || *userID == "" || *password == "" {
		return exitUsage, errors.New("platform needs --url, --user-id and --password")
	}
	checks, err := conformance.Select(all, c.match)
	if err != nil {
		return exitUsage, fmt.Errorf("--run: %w", err)
	}
	if len(checks) == 0 {
		return exitUsage, fmt.Errorf("--run %q selects no check", c.match)
	}
	hc, err := conformance.HTTPClient(c.insecure, c.ca, c.timeout)
	if err != nil {
		return exitUsage, fmt.Errorf("--ca: %w", err)
	}
	var where *city.City
	if *cityFile != "" {
		c, err := city.Load(*cityFile)
		if err != nil {
			return exitUsage, fmt.Errorf("--city: %w", err)
		}
		where = &c
	}
	p, err := conformance.NewPlatform(conformance.PlatformConfig{URL: c.url, UserID: *userID, Password: *password,
		ParkCode: c.parkCode, HTTPClient: hc, OffPeakUserID: *opUser, OffPeakPassword: *opPassword, City: where,
		LockoutUserID: *lockUser, LockoutPassword: *lockPassword, MaxBody: *maxBody})
	if err != nil {
		return exitUsage, err
	}
	return report(p.Run(ctx, checks), c.json, stdout)
}

// stdin is what a secret file "-" reads; tests replace it.
var stdin io.Reader = os.Stdin

// readSecret fills *value from file, standard input or env (secret.Fill).
func readSecret(value *string, file, env string, stdinUsed *bool) error {
	return secret.Fill(value, file, env, stdin, stdinUsed)
}

func plms(ctx context.Context, args []string, stdout, stderr io.Writer) (int, error) {
	fs := flag.NewFlagSet("plms", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c common
	c.register(fs, "the receiver's callback base URL; requests go to URL/dataReceive/v1/reservation (required)",
		"the park the reservations are for, one the parking system runs; default: a random code each run")
	token := fs.String("token", "", "the downlink token agreed at provisioning (required; or PARKCHECK_TOKEN, or --token-file)")
	tokenFile := fs.String("token-file", "", "read --token from this file; - reads standard input")
	if err := parse(fs, args); err != nil {
		return exitUsage, err
	}
	if err := readSecret(token, *tokenFile, "PARKCHECK_TOKEN", new(bool)); err != nil {
		return exitUsage, err
	}
	if c.url == "" || *token == "" {
		return exitUsage, errors.New("plms needs --url and --token")
	}
	checks, err := conformance.Select(conformance.PLMSChecks(), c.match)
	if err != nil {
		return exitUsage, fmt.Errorf("--run: %w", err)
	}
	if len(checks) == 0 {
		return exitUsage, fmt.Errorf("--run %q selects no check", c.match)
	}
	hc, err := conformance.HTTPClient(c.insecure, c.ca, c.timeout)
	if err != nil {
		return exitUsage, fmt.Errorf("--ca: %w", err)
	}
	p, err := conformance.NewPLMS(conformance.PLMSConfig{URL: c.url, Token: *token, ParkCode: c.parkCode, HTTPClient: hc})
	if err != nil {
		return exitUsage, err
	}
	return report(p.Run(ctx, checks), c.json, stdout)
}

// report writes rep and returns the exit status it calls for.
func report(rep *conformance.Report, asJSON bool, stdout io.Writer) (int, error) {
	var err error
	if asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return exitUsage, err
	}
	if !rep.OK() {
		return exitFail, nil
	}
	return exitPass, nil
}

// list prints every check of both modes.
func list(w io.Writer) {
	fmt.Fprintln(w, "platform checks (parkcheck platform):")
	for _, c := range conformance.PlatformChecks() {
		fmt.Fprintf(w, "  %-30s %-26s %s\n", c.ID, c.Clause, c.Description)
	}
	fmt.Fprintln(w, "\noff-peak checks (parkcheck platform --offpeak-user-id ID --offpeak-password PW):")
	for _, c := range conformance.OffPeakChecks() {
		fmt.Fprintf(w, "  %-30s %-26s %s\n", c.ID, c.Clause, c.Description)
	}
	fmt.Fprintln(w, "\nparking-system checks (parkcheck plms):")
	for _, c := range conformance.PLMSChecks() {
		fmt.Fprintf(w, "  %-30s %-26s %s\n", c.ID, c.Clause, c.Description)
	}
}

// Package conformance checks, black-box over HTTP(S), that a peer follows
// the wire contract of docs/protocol.md: a platform's ten uplink interfaces
// (table 30) or a parking system's downlink receiver (docs/protocol.md §8, tables
// 19-22). It is the logic of cmd/parkcheck.
//
// Checks are data: each [Check] has an id, the table of the standard or
// the section (§) of docs/protocol.md it tests, a description of what a
// conforming peer does, and a function that sends requests and returns nil
// when the peer behaved so. [PlatformChecks] and [PLMSChecks] list them;
// [Platform.Run] and [PLMS.Run] run them in order and return a [Report]
// that says, for every failure, what was sent and what came back.
//
// Every run uses fresh random ids, park codes and plates, so the checks can
// run again and again against the same peer. Checks are independent: what
// several need (a logged-in session, a registered park) is set up on first
// use and shared, and a failure to set it up fails each check that needs
// it, with the exchange that went wrong.
package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Check is one named conformance check against a target of type T
// (*Platform or *PLMS).
type Check[T any] struct {
	// ID names the check, as area.behaviour; it is stable across releases.
	ID string
	// Clause is what the check tests: tables of the standard ("table 8")
	// and sections of docs/protocol.md ("§5").
	Clause string
	// Description says what a conforming peer does.
	Description string
	// Run sends requests to the target and returns nil when the peer
	// behaved as described, or an error saying how it did not.
	Run func(ctx context.Context, t T) error
}

// Result is the outcome of one check.
type Result struct {
	ID          string `json:"id"`
	Clause      string `json:"clause"`
	Description string `json:"description"`
	Pass        bool   `json:"pass"`
	// Reason says why the check failed; empty when it passed.
	Reason string `json:"reason,omitempty"`
	// Note is a remark on a pass, such as an accepted alternative answer.
	Note string `json:"note,omitempty"`
	// Skipped is set when the check could not run with what it was given
	// (Reason says why); it is neither a pass nor a failure.
	Skipped bool `json:"skipped,omitempty"`
	// Exchanges are the requests the check sent and the answers, in
	// order; kept only when it failed. Bodies are truncated.
	Exchanges  []Exchange `json:"exchanges,omitempty"`
	DurationMs int64      `json:"durationMs"`
}

// Exchange is one request and its answer, as the report shows them.
type Exchange struct {
	Method string `json:"method"`
	URL    string `json:"url"`
	// Headers are the protocol headers sent (authorization is masked).
	Headers map[string]string `json:"headers,omitempty"`
	// Sent is the request body, truncated, or a summary of a multipart one.
	Sent string `json:"sent"`
	// Status is the HTTP status of the answer; 0 when none came.
	Status int `json:"status"`
	// Received is the answer's body, truncated.
	Received string `json:"received,omitempty"`
	// Error is the transport error when no answer came.
	Error string `json:"error,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	// Mode is "platform" or "plms".
	Mode string `json:"mode"`
	// Target is the base URL checked.
	Target string `json:"target"`
	// As names the identity used: the userId, or "downlink token".
	As string `json:"as,omitempty"`
	// Park is the park code the run wrote records to or booked in.
	Park    string    `json:"parkCode,omitempty"`
	Started time.Time `json:"started"`
	Passed  int       `json:"passed"`
	Failed  int       `json:"failed"`
	Skipped int       `json:"skipped,omitempty"`
	Results []Result  `json:"results"`
	// Cleanup says what the run did at the end to leave nothing live on
	// the peer (platform runs: its test parks closed).
	Cleanup *Cleanup `json:"cleanup,omitempty"`
}

// Cleanup is what a platform run did at its end: the parks it had
// registered, re-reported with bizStatus 0 so that they are closed and
// hidden from the platform's public information; Error when that failed
// (the run then fails).
type Cleanup struct {
	Closed []string `json:"closed"`
	Error  string   `json:"error,omitempty"`
}

// OK reports whether every check passed (or was skipped) and the cleanup,
// if any, succeeded.
func (r *Report) OK() bool { return r.Failed == 0 && (r.Cleanup == nil || r.Cleanup.Error == "") }

// Summary is the last line of the text report: "N passed, M failed", and
// ", K skipped" when some were.
func (r *Report) Summary() string {
	s := fmt.Sprintf("%d passed, %d failed", r.Passed, r.Failed)
	if r.Skipped > 0 {
		s += fmt.Sprintf(", %d skipped", r.Skipped)
	}
	return s
}

// Result returns the result of the check id, and whether it ran.
func (r *Report) Result(id string) (Result, bool) {
	for _, res := range r.Results {
		if res.ID == id {
			return res, true
		}
	}
	return Result{}, false
}

// FailedIDs lists the ids of the checks that failed, in run order.
func (r *Report) FailedIDs() []string {
	var ids []string
	for _, res := range r.Results {
		if !res.Pass {
			ids = append(ids, res.ID)
		}
	}
	return ids
}

// WriteJSON writes the report as one indented JSON document.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// Text-report limits: how much of a body a failure shows.
const (
	textBodyMax  = 400
	storeBodyMax = 4096
)

// WriteText writes the readable report: a header, one line per check with
// PASS or FAIL, its id, clause and description; under a failure the reason
// and the last exchange (what was sent, what came back); then the summary.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "parkcheck %s %s", r.Mode, r.Target)
	if r.As != "" {
		fmt.Fprintf(&b, " as %s", r.As)
	}
	if r.Park != "" {
		fmt.Fprintf(&b, ", park %s", r.Park)
	}
	fmt.Fprintf(&b, ", %s\n", r.Started.Format(time.RFC3339))
	b.WriteString("(clauses: \"table N\" is the standard's table, \"§N\" a section of docs/protocol.md)\n\n")
	idw, clw := 0, 0
	for _, res := range r.Results {
		idw = max(idw, len(res.ID))
		clw = max(clw, utf8.RuneCountInString(res.Clause))
	}
	for _, res := range r.Results {
		status := "PASS"
		switch {
		case res.Skipped:
			status = "SKIP"
		case !res.Pass:
			status = "FAIL"
		}
		fmt.Fprintf(&b, "%s  %-*s  %-*s  %s\n", status, idw, res.ID, clw, res.Clause, res.Description)
		if res.Note != "" {
			fmt.Fprintf(&b, "      note: %s\n", res.Note)
		}
		if res.Skipped {
			fmt.Fprintf(&b, "      why:  %s\n", res.Reason)
			continue
		}
		if res.Pass {
			continue
		}
		fmt.Fprintf(&b, "      why:  %s\n", res.Reason)
		if n := len(res.Exchanges); n > 0 {
			x := res.Exchanges[n-1]
			fmt.Fprintf(&b, "      sent: %s %s", x.Method, x.URL)
			for _, k := range sortedKeys(x.Headers) {
				fmt.Fprintf(&b, "  %s: %s", k, x.Headers[k])
			}
			b.WriteString("\n")
			if x.Sent != "" {
				fmt.Fprintf(&b, "            %s\n", truncate(x.Sent, textBodyMax))
			}
			if x.Error != "" {
				fmt.Fprintf(&b, "      got:  no answer: %s\n", x.Error)
			} else {
				fmt.Fprintf(&b, "      got:  HTTP %d  %s\n", x.Status, truncate(x.Received, textBodyMax))
			}
			switch {
			case n == 2:
				b.WriteString("      (1 earlier request of this check in --json)\n")
			case n > 2:
				fmt.Fprintf(&b, "      (%d earlier requests of this check in --json)\n", n-1)
			}
		}
	}
	if c := r.Cleanup; c != nil {
		if c.Error != "" {
			fmt.Fprintf(&b, "\nCLEANUP FAILED: %s; parks that may still be live (bizStatus 1): %s\n", c.Error, strings.Join(c.Closed, ", "))
		} else if len(c.Closed) > 0 {
			fmt.Fprintf(&b, "\ncleanup: the run's %d test parks were re-reported with bizStatus 0 (closed, hidden from public information): %s\n",
				len(c.Closed), strings.Join(c.Closed, ", "))
		}
	}
	fmt.Fprintf(&b, "\n%s\n", r.Summary())
	_, err := io.WriteString(w, b.String())
	return err
}

// Select returns the checks whose id matches the regular expression
// pattern; an empty pattern selects all.
func Select[T any](checks []Check[T], pattern string) ([]Check[T], error) {
	if pattern == "" {
		return checks, nil
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	var out []Check[T]
	for _, c := range checks {
		if re.MatchString(c.ID) {
			out = append(out, c)
		}
	}
	return out, nil
}

// target is what the runner needs of *Platform and *PLMS: the recorder of
// the exchanges of the check in progress.
type target interface {
	recorder() *conn
}

// run runs checks in order against t and collects the report.
func run[T target](ctx context.Context, t T, checks []Check[T], rep *Report) *Report {
	rep.Started = time.Now()
	for _, c := range checks {
		cn := t.recorder()
		cn.begin()
		start := time.Now()
		var err error
		if ctx.Err() != nil {
			err = fmt.Errorf("not run: %v", ctx.Err())
		} else {
			err = runOne(ctx, c, t)
		}
		res := Result{ID: c.ID, Clause: c.Clause, Description: c.Description, Pass: err == nil,
			Note: cn.note, DurationMs: time.Since(start).Milliseconds()}
		var skip skipError
		if errors.As(err, &skip) {
			res.Pass, res.Skipped, res.Reason = true, true, skip.why
			rep.Skipped++
			rep.Results = append(rep.Results, res)
			continue
		}
		if err != nil {
			res.Reason = err.Error()
			res.Exchanges = cn.exchanges
			rep.Failed++
		} else {
			rep.Passed++
		}
		rep.Results = append(rep.Results, res)
	}
	return rep
}

// skipError is returned by a check that cannot run with what it was
// given; the report shows it as SKIP with the reason.
type skipError struct{ why string }

func (e skipError) Error() string { return "skipped: " + e.why }

// skip returns a skipError with the reason.
func skip(format string, args ...any) error { return skipError{fmt.Sprintf(format, args...)} }

// runOne runs a check, turning a panic into a failure.
func runOne[T any](ctx context.Context, c Check[T], t T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("check panicked: %v", p)
		}
	}()
	return c.Run(ctx, t)
}

// truncate shortens s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return fmt.Sprintf("%s… (%d bytes in all)", s[:cut], len(s))
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

package load

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is the outcome of a run.
type Report struct {
	Mix      string   `json:"mix"`
	Targets  []string `json:"targets"`
	LoginURL string   `json:"loginUrl,omitempty"`
	UserID   string   `json:"userId"`
	Lots     int      `json:"lots"`
	// Arrivals is the arrival process, "poisson" or "uniform"; Seed
	// repeats the schedule and the choices.
	Arrivals string `json:"arrivals"`
	Seed     uint64 `json:"seed"`
	// AskedRate is the rate asked for (0: the lots' real cadence); Plan
	// what was scheduled.
	AskedRate float64 `json:"askedRate"`
	Plan      Plan    `json:"plan"`
	// The realistic mix's assumptions, and the photo size.
	VisitsPerHour float64 `json:"visitsPerHour,omitempty"`
	PictureShare  float64 `json:"pictureShare,omitempty"`
	PhotoBytes    int     `json:"photoBytes,omitempty"`
	MaxInFlight   int     `json:"maxInFlight"`

	Setup Setup `json:"setup"`
	// Started is when the schedule began; WarmupSec and DurationSec are
	// its two parts (DurationSec is shorter when the run was
	// interrupted); DrainSec is the wait for the last answers after it.
	Started     time.Time `json:"started"`
	WarmupSec   float64   `json:"warmupSec"`
	DurationSec float64   `json:"durationSec"`
	DrainSec    float64   `json:"drainSec"`
	Interrupted bool      `json:"interrupted,omitempty"`

	// Total and Interfaces are the measured figures.
	Total      Stats   `json:"total"`
	Interfaces []Stats `json:"interfaces"`
	// ClientLag is the time from each measured request's scheduled send
	// time to its hand-over to the HTTP client: the load generator's own
	// delay, included in the latencies.
	ClientLag    Latency `json:"clientLagMs"`
	PeakInFlight int64   `json:"peakInFlight"`
	// Warmup counts the requests of the warmup; Keepalive the keepalive
	// heartbeats.
	Warmup    Counts   `json:"warmup"`
	Keepalive Counts   `json:"keepalive"`
	Notes     []string `json:"notes,omitempty"`
}

// Errors is the number of requests that were not answered with code 0:
// measured, warmup and keepalive.
func (r *Report) Errors() int64 { return r.Total.Errors + r.Warmup.Errors + r.Keepalive.Errors }

// Interface returns the figures of one interface, and whether it was sent.
func (r *Report) Interface(name string) (Stats, bool) {
	for _, s := range r.Interfaces {
		if s.Interface == name {
			return s, true
		}
	}
	return Stats{}, false
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// WriteText writes the report for people.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "parkcheck load: mix %s, %d lots, as %s on %s", r.Mix, r.Lots, r.UserID, strings.Join(r.Targets, ", "))
	if r.LoginURL != "" {
		fmt.Fprintf(&b, " (logged in on %s)", r.LoginURL)
	}
	b.WriteString("\n")
	var plan []string
	for _, p := range r.Plan.Interfaces {
		plan = append(plan, fmt.Sprintf("%s %.1f/s", p.Interface, p.Rate))
	}
	asked := "the real cadence"
	if r.AskedRate > 0 {
		asked = fmt.Sprintf("%.1f/s", r.AskedRate)
	}
	fmt.Fprintf(&b, "plan: %.1f requests/s (asked %s), %s arrivals, seed %d: %s\n", r.Plan.Rate, asked, r.Arrivals, r.Seed,
		strings.Join(plan, ", "))
	if r.Mix == MixRealistic {
		fmt.Fprintf(&b, "      records at %.2f× the real cadence of %d lots with %.4g visits per lot-hour; photos for %.0f%% of records",
			r.Plan.Scale, r.Lots, r.VisitsPerHour, 100*r.PictureShare)
		if r.PhotoBytes > 0 {
			fmt.Fprintf(&b, ", %d bytes each", r.PhotoBytes)
		}
		b.WriteString("\n")
	} else if r.PhotoBytes > 0 {
		fmt.Fprintf(&b, "      photos of %d bytes\n", r.PhotoBytes)
	}
	fmt.Fprintf(&b, "setup: %d parks, %d gates, %d vehicles inside, %d login(s); %d requests in %.1fs (not measured)\n",
		r.Setup.Parks, r.Setup.Gates, r.Setup.Inside, r.Setup.Logins, r.Setup.Requests, r.Setup.Seconds)
	fmt.Fprintf(&b, "run: warmup %.1fs (not measured), measured %.1fs, last answer %.2fs later; peak %d in flight (cap %d)",
		r.WarmupSec, r.DurationSec, r.DrainSec, r.PeakInFlight, r.MaxInFlight)
	if r.Interrupted {
		b.WriteString("; interrupted")
	}
	b.WriteString("\n")
	t := r.Total
	fmt.Fprintf(&b, "achieved %.1f requests/s: sent %d, answered %d, ok %d, dropped %d, errors %d; request bodies %.1f MB (%.2f MB/s)\n\n",
		t.Rate, t.Sent, t.Answered, t.OK, t.Dropped, t.Errors, float64(t.Bytes)/1e6, t.MBps)

	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "interface\tsent\trate/s\tanswered\tdropped\terrors\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\tMB/s\t")
	for _, s := range append([]Stats{t}, r.Interfaces...) {
		l := s.Latency
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t\n", s.Interface, s.Sent, s.Rate,
			s.Answered, s.Dropped, s.Errors, l.P50, l.P90, l.P99, l.P999, l.Max, s.MBps)
	}
	tw.Flush()

	b.WriteString("\n")
	var errs []string
	for _, s := range r.Interfaces {
		for _, c := range s.Codes {
			errs = append(errs, fmt.Sprintf("  %s: code %d ×%d, e.g. %q", s.Interface, c.Code, c.Count, c.Message))
		}
		for _, k := range slices.Sorted(maps.Keys(s.HTTPStatus)) {
			errs = append(errs, fmt.Sprintf("  %s: HTTP %s ×%d", s.Interface, k, s.HTTPStatus[k]))
		}
		if s.BadEnvelope > 0 {
			errs = append(errs, fmt.Sprintf("  %s: answer not an envelope ×%d", s.Interface, s.BadEnvelope))
		}
		for _, k := range slices.Sorted(maps.Keys(s.Transport)) {
			errs = append(errs, fmt.Sprintf("  %s: transport error: %s ×%d", s.Interface, k, s.Transport[k]))
		}
	}
	if len(errs) == 0 {
		b.WriteString("errors: none (every answer code 0)\n")
	} else {
		b.WriteString("errors:\n" + strings.Join(errs, "\n") + "\n")
	}
	fmt.Fprintf(&b, "client lag (scheduled → handed to HTTP): p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		r.ClientLag.P50, r.ClientLag.P99, r.ClientLag.Max)
	fmt.Fprintf(&b, "warmup: sent %d, ok %d, dropped %d, errors %d; keepalive heartbeats: sent %d, errors %d\n",
		r.Warmup.Sent, r.Warmup.OK, r.Warmup.Dropped, r.Warmup.Errors, r.Keepalive.Sent, r.Keepalive.Errors)
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

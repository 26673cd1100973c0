package load

import (
	"bytes"
	"context"
	"encoding/json"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

const (
	user     = "loadtest01"
	password = "Parking@2024"
)

// startParkd starts a real parkd over plain HTTP on the wall clock, with
// the test account.
func startParkd(t *testing.T) *testserver.Server {
	t.Helper()
	ts := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}, Clock: testserver.RealClock()})
	ts.AddAccount(t, user, password)
	return ts
}

func config(url string) Config {
	return Config{URLs: []string{url}, UserID: user, Password: password, Lots: 20, Duration: 2 * time.Second,
		Seed: 7, PictureShare: 0.3, PhotoBytes: 110 * 1024}
}

func TestPercentileNearestRank(t *testing.T) {
	var hundred []time.Duration
	for i := 100; i >= 1; i-- { // unsorted on purpose: Summarize sorts
		hundred = append(hundred, time.Duration(i)*time.Millisecond)
	}
	l := Summarize(hundred)
	want := Latency{Count: 100, Mean: 50.5, P50: 50, P90: 90, P99: 99, P999: 100, Max: 100}
	if l != want {
		t.Fatalf("1..100 ms: got %+v, want %+v", l, want)
	}

	var thousand []time.Duration
	for i := 1; i <= 1000; i++ {
		thousand = append(thousand, time.Duration(i)*time.Millisecond)
	}
	for _, tc := range []struct {
		p    float64
		want int64 // ms
	}{{50, 500}, {90, 900}, {99, 990}, {99.9, 999}, {100, 1000}, {0.01, 1}} {
		if got := Percentile(thousand, tc.p); got != time.Duration(tc.want)*time.Millisecond {
			t.Errorf("p%v of 1..1000 ms = %v, want %v ms", tc.p, got, tc.want)
		}
	}

	// A long tail: 990 fast answers and 10 slow ones. p99 is still fast,
	// p99.9 and max see the tail.
	var tail []time.Duration
	for i := range 1000 {
		d := 2 * time.Millisecond
		if i >= 990 {
			d = time.Second + time.Duration(i)*time.Microsecond
		}
		tail = append(tail, d)
	}
	l = Summarize(tail)
	if l.P50 != 2 || l.P99 != 2 || l.P999 != 1000.998 || l.Max != 1000.999 {
		t.Fatalf("tail: %+v", l)
	}

	if got := Summarize(nil); got != (Latency{}) {
		t.Fatalf("no samples: %+v", got)
	}
	if got := Percentile([]time.Duration{7}, 99.9); got != 7 {
		t.Fatalf("one sample: %v", got)
	}
}

func TestPlanRealisticMix(t *testing.T) {
	// The real cadence of 20,000 lots with the defaults.
	p := NewPlan(MixRealistic, 0, 20000, DefaultVisitsPerHour, DefaultPictureShare)
	want := map[string]float64{"heartBeats": 666.67, "enterRecord": 111.11, "exitRecord": 111.11,
		"picture": 22.22, "parkSpaceInfo": 222.22, "parkCarInfo": 5.56}
	if len(p.Interfaces) != len(want) || p.Scale != 1 || math.Abs(p.Rate-1138.89) > 0.01 || p.Note != "" {
		t.Fatalf("plan %+v", p)
	}
	for _, r := range p.Interfaces {
		if math.Abs(r.Rate-want[r.Interface]) > 0.01 {
			t.Errorf("%s: %.2f/s, want %.2f", r.Interface, r.Rate, want[r.Interface])
		}
	}

	// Twice the rest: heartbeats stay at N/30.
	p = NewPlan(MixRealistic, 666.6667+2*472.2222, 20000, DefaultVisitsPerHour, DefaultPictureShare)
	if math.Abs(p.Scale-2) > 0.001 || math.Abs(p.RateOf(protocol.HeartBeats)-666.67) > 0.01 ||
		math.Abs(p.RateOf(protocol.EnterRecordCode)-222.22) > 0.01 {
		t.Fatalf("scaled plan %+v", p)
	}

	// Heartbeats alone exceed the rate: heartbeats only, and it says so.
	p = NewPlan(MixRealistic, 100, 20000, DefaultVisitsPerHour, DefaultPictureShare)
	if p.Scale != 0 || len(p.Interfaces) != 1 || math.Abs(p.Rate-666.67) > 0.01 ||
		!strings.Contains(p.Note, "heartbeats of 20000 lots alone are 666.7/s, more than the asked 100.0/s") {
		t.Fatalf("plan %+v", p)
	}

	// No pictures.
	if p := NewPlan(MixRealistic, 0, 300, 20, 0); p.RateOf(protocol.PictureCode) != 0 || len(p.Interfaces) != 5 {
		t.Fatalf("plan %+v", p)
	}

	// A single interface.
	if p := NewPlan("enterRecord", 250, 20000, 20, 0.1); p.Rate != 250 || len(p.Interfaces) != 1 || p.RateOf(protocol.EnterRecordCode) != 250 {
		t.Fatalf("plan %+v", p)
	}
}

// stored counts the run's parks, and the open entries across them.
func stored(t *testing.T, ts *testserver.Server) (parks, open int) {
	t.Helper()
	err := ts.Store.View(context.Background(), func(tx platform.Tx) error {
		ps, err := tx.ParksOf(user)
		if err != nil {
			return err
		}
		parks = len(ps)
		for _, p := range ps {
			es, err := tx.OpenEntries(p.IsvParkID)
			if err != nil {
				return err
			}
			open += len(es)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return parks, open
}

func TestRealisticMixAgainstParkd(t *testing.T) {
	ts := startParkd(t)
	cfg := config(ts.URL)
	cfg.Rate = 60
	var progress bytes.Buffer
	cfg.Progress, cfg.ProgressEvery = &progress, 500*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + text.String())
	tot := rep.Total
	if rep.Errors() != 0 || tot.Dropped != 0 || tot.Sent < 60 || tot.Sent != tot.OK || tot.Answered != tot.Sent {
		t.Fatalf("total %+v", tot)
	}
	if !strings.Contains(text.String(), "errors: none") {
		t.Error("the report does not say there were no errors")
	}
	if rep.Setup.Parks != 20 || rep.Setup.Gates != 40 || rep.Setup.Logins != 1 || rep.Setup.Inside == 0 {
		t.Fatalf("setup %+v", rep.Setup)
	}
	// Every interface of the mix was sent; latencies are sane.
	for _, name := range []string{"heartBeats", "enterRecord", "exitRecord", "picture", "parkSpaceInfo", "parkCarInfo"} {
		if _, ok := rep.Interface(name); !ok {
			t.Errorf("no figures for %s", name)
		}
	}
	if l := tot.Latency; l.Count != int(tot.Answered) || l.P50 <= 0 || l.P50 > l.P90 || l.P90 > l.P99 || l.P99 > l.P999 || l.P999 > l.Max {
		t.Fatalf("latency %+v", l)
	}
	if tot.Rate < 40 || tot.Rate > 80 {
		t.Errorf("achieved %.1f/s of 60", tot.Rate)
	}
	pic, _ := rep.Interface("picture")
	if pic.Sent > 0 && pic.Bytes < pic.Sent*110*1024 {
		t.Errorf("picture bytes %d for %d photos", pic.Bytes, pic.Sent)
	}
	if !strings.Contains(progress.String(), "load: ") || !strings.Contains(progress.String(), "p99") {
		t.Errorf("progress: %q", progress.String())
	}

	// What was answered code 0 is stored: the parks, and the vehicles
	// still inside (pre-filled + entries - exits).
	enter, _ := rep.Interface("enterRecord")
	exit, _ := rep.Interface("exitRecord")
	parks, open := stored(t, ts)
	want := rep.Setup.Inside + int(enter.OK) - int(exit.OK) // no warmup

	if parks != 20 || open != want {
		t.Fatalf("stored %d parks, %d open entries; want 20 parks, %d open (inside %d + %d entries - %d exits)",
			parks, open, want, rep.Setup.Inside, enter.OK, exit.OK)
	}
}

func TestSingleInterfaceEnterRecord(t *testing.T) {
	ts := startParkd(t)
	cfg := config(ts.URL)
	cfg.Mix, cfg.Rate, cfg.Arrivals, cfg.Warmup = "enterRecord", 50, ArrivalsUniform, 500*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Interfaces) != 1 || rep.Interfaces[0].Interface != "enterRecord" || rep.Errors() != 0 {
		t.Fatalf("report %+v", rep)
	}
	// Evenly spaced at 50/s: 100 in the 2 measured seconds, 25 in the warmup.
	if rep.Total.Sent < 99 || rep.Total.Sent > 101 || rep.Warmup.Sent < 24 || rep.Warmup.Sent > 26 || rep.Setup.Inside != 0 {
		t.Fatalf("sent %d measured, %d warmup, %d inside", rep.Total.Sent, rep.Warmup.Sent, rep.Setup.Inside)
	}
	// Every entry has its own id: all are stored, all open.
	if _, open := stored(t, ts); open != int(rep.Total.OK+rep.Warmup.OK) {
		t.Fatalf("%d open entries, want %d", open, rep.Total.OK+rep.Warmup.OK)
	}
}

func TestOtherSingleInterfaces(t *testing.T) {
	ts := startParkd(t)
	for _, mix := range []string{"login", "exitRecord", "picture", "parkSpaceInfo", "parkCarInfo", "heartBeats", "parkInfo",
		"entranceExitInfo", "replenishCarInfo"} {
		cfg := config(ts.URL)
		cfg.Mix, cfg.Rate, cfg.Duration, cfg.Lots = mix, 20, 500*time.Millisecond, 3
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatalf("%s: %v", mix, err)
		}
		s, ok := rep.Interface(mix)
		if !ok || len(rep.Interfaces) != 1 || s.Sent == 0 || s.OK != s.Sent || rep.Errors() != 0 {
			var b bytes.Buffer
			_ = rep.WriteText(&b)
			t.Fatalf("%s:\n%s", mix, b.String())
		}
		if mix == "exitRecord" && rep.Setup.Inside < int(s.Sent) {
			t.Errorf("exitRecord: %d inside for %d exits", rep.Setup.Inside, s.Sent)
		}
		if mix == "picture" && s.MBps <= 0 {
			t.Errorf("picture: %+v", s)
		}
	}
}

// slowParkd is parkd behind a handler that holds every enterRecord for
// delay before passing it on.
func slowParkd(t *testing.T, delay time.Duration) (*testserver.Server, *httptest.Server) {
	t.Helper()
	ts := startParkd(t)
	inner := ts.Handler()
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/enterRecord") {
			time.Sleep(delay)
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(slow.Close)
	return ts, slow
}

func TestOpenLoopDropsWhenTheServerIsSlow(t *testing.T) {
	_, slow := slowParkd(t, 300*time.Millisecond)
	cfg := config(slow.URL)
	cfg.Mix, cfg.Rate, cfg.Arrivals, cfg.Duration, cfg.MaxInFlight = "enterRecord", 100, ArrivalsUniform, time.Second, 5
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tot := rep.Total
	// 100 arrivals; 5 in flight at 300 ms each serve about 17/s: the rest
	// is dropped, and counted, not delayed.
	if arrivals := tot.Sent + tot.Dropped; arrivals < 99 || arrivals > 101 {
		t.Fatalf("%d sent + %d dropped, want 100 arrivals", tot.Sent, tot.Dropped)
	}
	if tot.Dropped < 60 || tot.Sent > 35 || rep.PeakInFlight != 5 || tot.Errors != 0 {
		t.Fatalf("sent %d, dropped %d, peak %d in flight, errors %d", tot.Sent, tot.Dropped, rep.PeakInFlight, tot.Errors)
	}
	if tot.Latency.P50 < 300 {
		t.Fatalf("latency %+v: every answer took at least 300 ms", tot.Latency)
	}
	var b bytes.Buffer
	_ = rep.WriteText(&b)
	if !strings.Contains(b.String(), "arrivals were dropped") {
		t.Errorf("the report does not note the drops:\n%s", b.String())
	}
}

func TestLatencyCountsFromTheScheduledTime(t *testing.T) {
	// With room in flight, a slow server delays answers but nothing is
	// dropped; the latency is at least the server's delay.
	_, slow := slowParkd(t, 200*time.Millisecond)
	cfg := config(slow.URL)
	cfg.Mix, cfg.Rate, cfg.Duration = "enterRecord", 40, time.Second
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Total.Dropped != 0 || rep.Total.Latency.P50 < 200 || rep.Total.Latency.Count != int(rep.Total.Sent) {
		t.Fatalf("total %+v", rep.Total)
	}
	if rep.PeakInFlight < 4 {
		t.Fatalf("peak %d in flight at 40/s × 200 ms", rep.PeakInFlight)
	}
}

func TestBadPasswordFailsSetup(t *testing.T) {
	ts := startParkd(t)
	cfg := config(ts.URL)
	cfg.Password = "wrong"
	_, err := Run(context.Background(), cfg)
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{"setup: logging in as " + user + " at " + ts.URL, "code 3001", "wrong user id or password"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
}

func TestUnreachableFailsSetup(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	_, err = Run(context.Background(), config(url))
	if err == nil || !strings.Contains(err.Error(), "setup: logging in as "+user+" at "+url+": no answer") {
		t.Fatalf("error %v", err)
	}
}

func TestSeveralTargetsAndLoginURL(t *testing.T) {
	// Two instances of parkd on one database are what the multi-instance
	// test runs; here two front ends of one parkd stand in for them: the
	// logins go to one, the requests round-robin over the others.
	ts := startParkd(t)
	inner := ts.Handler()
	var hits [2]atomic.Int64
	var fronts [2]*httptest.Server
	for i := range fronts {
		fronts[i] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/login") {
				t.Errorf("login on target %d", i)
			}
			if strings.HasSuffix(r.URL.Path, "/enterRecord") {
				hits[i].Add(1)
			}
			inner.ServeHTTP(w, r)
		}))
		t.Cleanup(fronts[i].Close)
	}
	cfg := config(fronts[0].URL)
	cfg.URLs = append(cfg.URLs, fronts[1].URL)
	cfg.LoginURL = ts.URL
	cfg.Mix, cfg.Rate, cfg.Arrivals, cfg.Duration = "enterRecord", 20, ArrivalsUniform, time.Second
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Setup.Logins != 2 || rep.Errors() != 0 || rep.Total.Sent != 20 {
		t.Fatalf("report %+v", rep)
	}
	if a, b := hits[0].Load(), hits[1].Load(); a-b < -1 || a-b > 1 || a == 0 {
		t.Fatalf("enterRecord hits %d and %d: want round-robin", a, b)
	}
}

func TestReportJSON(t *testing.T) {
	ts := startParkd(t)
	cfg := config(ts.URL)
	cfg.Mix, cfg.Rate, cfg.Duration = "parkSpaceInfo", 20, 500*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatal(err)
	}
	if back.Total.Sent != rep.Total.Sent || back.Total.Latency != rep.Total.Latency || back.Seed != 7 || back.Mix != "parkSpaceInfo" {
		t.Fatalf("round trip: %+v", back)
	}
	var raw map[string]any
	_ = json.Unmarshal(b.Bytes(), &raw)
	lat := raw["total"].(map[string]any)["latencyMs"].(map[string]any)
	for _, k := range []string{"p50", "p90", "p99", "p99.9", "max"} {
		if _, ok := lat[k]; !ok {
			t.Errorf("latencyMs lacks %s: %v", k, lat)
		}
	}
}

func TestConfigChecks(t *testing.T) {
	base := Config{URLs: []string{"http://127.0.0.1:1"}, UserID: "u", Password: "p", Rate: 10, Duration: time.Second}
	for _, tc := range []struct {
		name string
		edit func(*Config)
		want string
	}{
		{"no url", func(c *Config) { c.URLs = nil }, "at least one URL"},
		{"bad url", func(c *Config) { c.URLs = []string{"x:1"} }, "want http(s)://host[:port]"},
		{"no password", func(c *Config) { c.Password = "" }, "a user id and a password"},
		{"unknown mix", func(c *Config) { c.Mix = "everything" }, `unknown mix "everything"`},
		{"single mix without rate", func(c *Config) { c.Mix, c.Rate = "picture", 0 }, "mix picture needs a rate"},
		{"no duration", func(c *Config) { c.Duration = 0 }, "duration must be positive"},
		{"picture share", func(c *Config) { c.PictureShare = 2 }, "between 0 and 1"},
		{"arrivals", func(c *Config) { c.Arrivals = "bursty" }, "want poisson or uniform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := base
			tc.edit(&c)
			if err := c.Check(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
		})
	}
	if err := base.Check(); err != nil {
		t.Fatal(err)
	}
}

func TestPhotoTemplate(t *testing.T) {
	for _, n := range []int{minPhotoBytes, 100 * 1024, 300 * 1024, 500 * 1024} {
		b, err := photoTemplate(n)
		if err != nil || len(b) != n || protocol.ImageKind(b) != "jpeg" {
			t.Fatalf("%d: %d bytes, %v", n, len(b), err)
		}
		// The id goes inside the first comment segment.
		if b[2] != 0xFF || b[3] != 0xFE || int(b[4])<<8|int(b[5]) < 34 {
			t.Fatalf("%d: no comment segment for the id: % x", n, b[:8])
		}
	}
}

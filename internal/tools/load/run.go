package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/protocol"
)

// target is a platform instance the run sends to, with its token and the
// offset of its clock from the local one.
type target struct {
	base   string
	token  atomic.Pointer[string]
	offset atomic.Int64 // time.Duration
}

func (t *target) tok() string { return *t.token.Load() }

func (t *target) now() time.Time { return time.Now().Add(time.Duration(t.offset.Load())) }

// job is one scheduled request.
type job struct {
	iface    protocol.Interface
	at       time.Time // scheduled send time
	measured bool
	target   *target
	item     any      // the data item of a JSON request
	photo    photoRef // the picture to upload
	park     string   // the park code of the picture
}

// runner is a run in progress.
type runner struct {
	cfg     Config
	plan    Plan
	http    *http.Client
	targets []*target
	world   *world
	rec     *recorder
	photo   []byte // the JPEG template of pictures
	digest  string // the password as login sends it

	inflight atomic.Int64
	peak     atomic.Int64
	wg       sync.WaitGroup
	next     int // round-robin index of the targets (scheduler only)
	notes    []string
	// converted counts exits sent as entries because no visit was open.
	converted int64
	// keepaliveErr is the last keepalive failure.
	keepaliveErr string
}

// Run sets up and runs a load test and returns its report. An error means
// the configuration is wrong or the setup failed; errors of the measured
// requests are in the report. Cancelling ctx stops the schedule early:
// the report covers what was sent.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, http: cfg.HTTPClient, rec: newRecorder(), digest: protocol.PasswordDigest(cfg.Password)}
	r.plan = NewPlan(cfg.Mix, cfg.Rate, cfg.Lots, cfg.VisitsPerHour, cfg.PictureShare)
	if r.plan.Note != "" {
		r.notes = append(r.notes, r.plan.Note)
	}
	seed := cfg.Seed
	if seed == 0 {
		seed = mrand.Uint64()>>1 + 1
	}
	r.world = newWorld(mrand.New(mrand.NewPCG(seed, 2)), cfg.Lots, cfg.PictureShare)
	if r.plan.RateOf(protocol.PictureCode) > 0 {
		if r.photo, err = photoTemplate(cfg.PhotoBytes); err != nil {
			return nil, err
		}
	}
	for _, u := range cfg.URLs {
		r.targets = append(r.targets, &target{base: u})
	}

	rep := &Report{Mix: cfg.Mix, Targets: cfg.URLs, LoginURL: cfg.LoginURL, UserID: cfg.UserID, Lots: cfg.Lots,
		Arrivals: cfg.Arrivals, Seed: seed, AskedRate: cfg.Rate, Plan: r.plan, MaxInFlight: cfg.MaxInFlight,
		WarmupSec: cfg.Warmup.Seconds()}
	if cfg.Mix == MixRealistic {
		rep.VisitsPerHour, rep.PictureShare = cfg.VisitsPerHour, cfg.PictureShare
	}
	if r.photo != nil {
		rep.PhotoBytes = len(r.photo)
	}

	setupStart := time.Now()
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "load: setup: logging in on %d target(s), registering %d parks\n", len(r.targets), cfg.Lots)
	}
	if rep.Setup, err = r.setup(ctx); err != nil {
		return nil, fmt.Errorf("setup: %w", err)
	}
	rep.Setup.Seconds = round(time.Since(setupStart).Seconds(), 2)
	if cfg.Progress != nil {
		fmt.Fprintf(cfg.Progress, "load: setup done in %.1fs; sending %.1f requests/s for %s (warmup) + %s\n",
			rep.Setup.Seconds, r.plan.Rate, cfg.Warmup, cfg.Duration)
	}

	keepCtx, stopKeepalive := context.WithCancel(context.WithoutCancel(ctx))
	var keepDone sync.WaitGroup
	keepDone.Add(1)
	go func() {
		defer keepDone.Done()
		r.keepalive(keepCtx)
	}()
	r.schedule(ctx, seed, rep)
	stopKeepalive()
	keepDone.Wait()

	r.finish(rep)
	return rep, nil
}

// schedule sends the open-loop stream and waits for the last answer.
func (r *runner) schedule(ctx context.Context, seed uint64, rep *Report) {
	cfg := r.cfg
	rng := mrand.New(mrand.NewPCG(seed, 1))
	kinds, cum := r.kinds()
	gap := func() time.Duration {
		if cfg.Arrivals == ArrivalsUniform {
			return time.Duration(float64(time.Second) / r.plan.Rate)
		}
		return time.Duration(rng.ExpFloat64() / r.plan.Rate * float64(time.Second))
	}

	start := time.Now().Add(10 * time.Millisecond)
	measureFrom := start.Add(cfg.Warmup)
	end := measureFrom.Add(cfg.Duration)
	rep.Started = start
	progressDone := make(chan struct{})
	var progressWG sync.WaitGroup
	if cfg.Progress != nil {
		progressWG.Add(1)
		go func() {
			defer progressWG.Done()
			r.progress(start, measureFrom, end, progressDone)
		}()
	}

	next := start
	if cfg.Arrivals == ArrivalsPoisson {
		next = start.Add(gap())
	}
	timer := time.NewTimer(time.Hour)
	stopped := end
loop:
	for next.Before(end) {
		now := time.Now()
		for !next.After(now) && next.Before(end) {
			r.dispatch(rng, kinds, cum, next, !next.Before(measureFrom))
			next = next.Add(gap())
		}
		if !next.Before(end) {
			break
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			stopped = time.Now()
			rep.Interrupted = true
			break loop
		case <-timer.C:
		}
	}
	timer.Stop()
	if !rep.Interrupted {
		// The schedule ends at end even when its last arrival came earlier.
		time.Sleep(time.Until(end))
	}
	measured := stopped.Sub(measureFrom)
	rep.DurationSec = round(max(measured, 0).Seconds(), 3)
	drainFrom := time.Now()
	r.wg.Wait()
	rep.DrainSec = round(time.Since(drainFrom).Seconds(), 3)
	close(progressDone)
	progressWG.Wait()
}

// kinds returns the interfaces of the plan and their cumulative rates.
func (r *runner) kinds() ([]protocol.Interface, []float64) {
	var kinds []protocol.Interface
	var cum []float64
	var sum float64
	for _, p := range r.plan.Interfaces {
		if p.Rate <= 0 {
			continue
		}
		sum += p.Rate
		kinds = append(kinds, protocol.Interface(p.Interface))
		cum = append(cum, sum)
	}
	return kinds, cum
}

// dispatch sends the arrival scheduled at at, or counts it as dropped
// when MaxInFlight requests are in flight.
func (r *runner) dispatch(rng *mrand.Rand, kinds []protocol.Interface, cum []float64, at time.Time, measured bool) {
	iface := kinds[0]
	if len(kinds) > 1 {
		x := rng.Float64() * cum[len(cum)-1]
		for i, c := range cum {
			if x < c {
				iface = kinds[i]
				break
			}
		}
	}
	if r.inflight.Load() >= int64(r.cfg.MaxInFlight) {
		r.rec.drop(iface, measured)
		return
	}
	n := r.inflight.Add(1)
	if n > r.peak.Load() {
		r.peak.Store(n)
	}
	t := r.targets[r.next%len(r.targets)]
	r.next++
	j := r.makeJob(iface, at, t)
	j.measured = measured
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer r.inflight.Add(-1)
		r.rec.record(r.send(j))
	}()
}

// makeJob decides what the request carries, from the lots' state.
func (r *runner) makeJob(iface protocol.Interface, at time.Time, t *target) job {
	w := r.world
	j := job{iface: iface, at: at, target: t}
	pt := at.Add(time.Duration(t.offset.Load())) // the platform's time of the arrival
	switch iface {
	case protocol.Login:
		j.item = protocol.LoginRequest{UserID: r.cfg.UserID, Password: r.digest}
	case protocol.HeartBeats:
		j.item = protocol.HeartbeatRequest{RequestTime: protocol.NewDateTime(pt)}
	case protocol.ParkInfoCode:
		j.item = w.parkInfo(w.randomLot())
	case protocol.EntranceExitCode:
		j.item = w.gates(w.randomLot())[w.rng.IntN(2)]
	case protocol.EnterRecordCode:
		j.item = w.enter(pt)
	case protocol.ExitRecordCode:
		if x, ok := w.exit(pt); ok {
			j.item = x
		} else {
			r.converted++
			j.iface, j.item = protocol.EnterRecordCode, w.enter(pt)
		}
	case protocol.PictureCode:
		j.photo = w.photo(pt)
		j.park = w.lots[j.photo.lot].code
	case protocol.ParkSpaceInfoCode:
		j.item = w.vacancy()
	case protocol.ParkCarInfoCode:
		j.item = w.carInfo()
	case protocol.ReplenishCode:
		j.item = w.replenish(pt)
	}
	return j
}

// send sends one job and says what became of it.
func (r *runner) send(j job) outcome {
	o := outcome{iface: j.iface, measured: j.measured}
	var body []byte
	var contentType string
	var err error
	if j.iface == protocol.PictureCode {
		body, contentType, err = r.pictureBody(j)
	} else {
		body, err = envelope(j.target.now(), j.item)
		contentType = "application/json"
	}
	if err != nil {
		o.transport = "building the request"
		return o
	}
	o.bytes = int64(len(body))
	req, err := http.NewRequest(http.MethodPost, j.target.base+j.iface.Path(), bytes.NewReader(body))
	if err != nil {
		o.transport = "building the request"
		return o
	}
	req.Header.Set("Content-Type", contentType)
	if j.iface.NeedsToken() {
		req.Header.Set("Authorization", j.target.tok())
	}
	o.clientLag = time.Since(j.at)
	resp, err := r.http.Do(req)
	if err != nil {
		o.transport = transportKind(err)
		return o
	}
	raw, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		o.transport = "reading the answer: " + transportKind(err)
		return o
	}
	o.latency = time.Since(j.at)
	o.answered, o.status = true, resp.StatusCode
	if env, ok := parseEnvelope(raw); ok {
		o.envelope, o.code, o.message = true, env.code, env.message
	}
	return o
}

// envelope writes a signed request envelope (table 28) around one item.
func envelope(now time.Time, item any) ([]byte, error) {
	data, err := json.Marshal([]any{item})
	if err != nil {
		return nil, err
	}
	return envelopeOf(now, data), nil
}

// envelopeOf writes a signed request envelope around data, a JSON array.
func envelopeOf(now time.Time, data []byte) []byte {
	var b bytes.Buffer
	b.Grow(len(data) + 128)
	b.WriteString(`{"timestamp":`)
	b.WriteString(strconv.FormatInt(protocol.Millis(now), 10))
	b.WriteString(`,"sign":"`)
	b.WriteString(protocol.Sign(data))
	b.WriteString(`","version":"` + protocol.Version + `","data":`)
	b.Write(data)
	b.WriteByte('}')
	return b.Bytes()
}

// pictureBody writes the multipart form of table 15 for j's photo: the
// template with the photo's id written in, signed with SM3 of the file.
func (r *runner) pictureBody(j job) ([]byte, string, error) {
	file := make([]byte, len(r.photo))
	copy(file, r.photo)
	copy(file[photoIDOffset:], j.photo.id)
	now := j.target.now()
	form := protocol.PictureForm{Timestamp: protocol.Millis(now), Sign: protocol.Sign(file), Version: protocol.Version,
		ParkCode: j.park, ID: j.photo.id,
		FileName:     "parkload" + j.photo.pick.In(protocol.CST).Format("20060102") + j.photo.id[26:] + ".jpg",
		ImageBizType: protocol.ImagePlate, PickTime: protocol.Millis(j.photo.pick)}
	var b bytes.Buffer
	b.Grow(len(file) + 2048)
	mw := multipart.NewWriter(&b)
	fields := form.Fields()
	for _, k := range []string{protocol.FormTimestamp, protocol.FormSign, protocol.FormVersion, protocol.FormParkCode,
		protocol.FormID, protocol.FormFileName, protocol.FormImageBizType, protocol.FormPickTime} {
		if err := mw.WriteField(k, fields[k]); err != nil {
			return nil, "", err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="file"; filename="`+form.FileName+`"`)
	h.Set("Content-Type", "image/jpeg")
	pw, err := mw.CreatePart(h)
	if err != nil {
		return nil, "", err
	}
	if _, err := pw.Write(file); err != nil {
		return nil, "", err
	}
	if err := mw.Close(); err != nil {
		return nil, "", err
	}
	return b.Bytes(), mw.FormDataContentType(), nil
}

// answer is the part of a response envelope (table 29) a run reads.
type answer struct {
	code    protocol.Code
	message string
	data    json.RawMessage
}

func parseEnvelope(raw []byte) (answer, bool) {
	var env struct {
		Code    *int64          `json:"code"`
		Message string          `json:"message"`
		Data    json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(raw, &env); err != nil || env.Code == nil {
		return answer{}, false
	}
	return answer{code: protocol.Code(*env.Code), message: env.Message, data: env.Data}, true
}

// progress writes a line every ProgressEvery until done is closed.
func (r *runner) progress(start, measureFrom, end time.Time, done <-chan struct{}) {
	tick := time.NewTicker(r.cfg.ProgressEvery)
	defer tick.Stop()
	last := time.Now()
	for {
		select {
		case <-done:
			return
		case now := <-tick.C:
			t := r.rec.takeInterval()
			secs := now.Sub(last).Seconds()
			last = now
			phase := "run"
			switch {
			case now.Before(measureFrom):
				phase = "warmup"
			case !now.Before(end):
				phase = "drain"
			}
			lat := Summarize(t.lat)
			fmt.Fprintf(r.cfg.Progress, "load: %5.0fs %-6s sent %d (%.1f/s), answered %d, ok %d, errors %d, dropped %d, in flight %d, p50 %.1f ms, p99 %.1f ms, max %.1f ms\n",
				now.Sub(start).Seconds(), phase, t.sent, float64(t.sent)/secs, t.answered, t.ok, t.sent-t.ok, t.dropped,
				r.inflight.Load(), lat.P50, lat.P99, lat.Max)
		}
	}
}

// finish fills the report's figures from the recorder.
func (r *runner) finish(rep *Report) {
	rec := r.rec
	rec.mu.Lock()
	defer rec.mu.Unlock()
	secs := rep.DurationSec
	all := newTally()
	for _, p := range protocol.Uplink {
		t := rec.measured[p]
		if t == nil {
			if r.plan.RateOf(p) == 0 {
				continue
			}
			t = newTally()
		}
		all.merge(t)
		rep.Interfaces = append(rep.Interfaces, t.stats(string(p), secs))
	}
	rep.Total = all.stats("all", secs)
	rep.ClientLag = Summarize(rec.lag)
	rep.PeakInFlight = r.peak.Load()
	rep.Warmup = rec.warmup.counts()
	rep.Keepalive = rec.keepalive.counts()
	if r.keepaliveErr != "" {
		r.notes = append(r.notes, "last keepalive failure: "+r.keepaliveErr)
	}
	if r.converted > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d exits found no open visit and were sent as entries", r.converted))
	}
	if rep.Total.Dropped > 0 {
		r.notes = append(r.notes, fmt.Sprintf("%d arrivals were dropped: %d requests were in flight (--max-inflight)",
			rep.Total.Dropped, r.cfg.MaxInFlight))
	}
	rep.Notes = r.notes
}

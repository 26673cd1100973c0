package load

import (
	"errors"
	"io"
	"math"
	"net"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Percentile returns the p-th percentile (0 < p ≤ 100) of sorted samples
// by the nearest-rank method: the smallest sample such that at least p%
// of the samples are at or below it. It is 0 for no samples.
func Percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	// The tolerance keeps float error from moving a rank up: 99.9% of
	// 1,000 is rank 999, not 1,000.
	rank := int(math.Ceil(p*float64(n)/100 - 1e-9))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// Latency summarises latencies, in milliseconds.
type Latency struct {
	Count int     `json:"count"`
	Mean  float64 `json:"mean"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p99.9"`
	Max   float64 `json:"max"`
}

// Summarize returns the latency summary of samples (which it sorts).
func Summarize(samples []time.Duration) Latency {
	slices.Sort(samples)
	l := Latency{Count: len(samples)}
	if l.Count == 0 {
		return l
	}
	var sum time.Duration
	for _, s := range samples {
		sum += s
	}
	l.Mean = ms(sum / time.Duration(l.Count))
	l.P50 = ms(Percentile(samples, 50))
	l.P90 = ms(Percentile(samples, 90))
	l.P99 = ms(Percentile(samples, 99))
	l.P999 = ms(Percentile(samples, 99.9))
	l.Max = ms(samples[len(samples)-1])
	return l
}

func ms(d time.Duration) float64 { return math.Round(float64(d)/1e3) / 1e3 }

// CodeCount is how often a non-zero code came back, with the message of
// its first occurrence.
type CodeCount struct {
	Code    int    `json:"code"`
	Count   int64  `json:"count"`
	Message string `json:"message"`
}

// Stats are the measured figures of one interface, or of all ("all").
type Stats struct {
	Interface string `json:"interface"`
	// Sent is the requests sent; Answered those that got an HTTP answer;
	// OK those answered HTTP 200 with code 0; Dropped the arrivals not sent
	// because MaxInFlight requests were in flight.
	Sent     int64 `json:"sent"`
	Answered int64 `json:"answered"`
	OK       int64 `json:"ok"`
	Dropped  int64 `json:"dropped"`
	// Errors is everything that is not OK among the sent: non-zero codes,
	// non-200 answers that are not envelopes, transport errors.
	Errors int64 `json:"errors"`
	// Rate is the achieved rate: Sent per second of the measured duration.
	Rate float64 `json:"rate"`
	// Latency is over the answered requests, from scheduled send time to
	// the answer's last byte.
	Latency Latency `json:"latencyMs"`
	// Codes are the non-zero codes, most frequent first.
	Codes []CodeCount `json:"codes,omitempty"`
	// HTTPStatus counts the answers other than HTTP 200, by status.
	HTTPStatus map[string]int64 `json:"httpStatus,omitempty"`
	// BadEnvelope counts the answers whose body is not a response envelope.
	BadEnvelope int64 `json:"badEnvelope,omitempty"`
	// Transport counts the requests that got no answer, by kind of error.
	Transport map[string]int64 `json:"transportErrors,omitempty"`
	// Bytes is the request bodies sent; MBps per second of the measured
	// duration, in 10^6 bytes.
	Bytes int64   `json:"bytesSent"`
	MBps  float64 `json:"mbPerSec"`
}

// Counts are the figures of the warmup or of the keepalives.
type Counts struct {
	Sent     int64 `json:"sent"`
	Answered int64 `json:"answered"`
	OK       int64 `json:"ok"`
	Dropped  int64 `json:"dropped"`
	Errors   int64 `json:"errors"`
}

// outcome is what became of one sent request.
type outcome struct {
	iface     protocol.Interface
	measured  bool
	bytes     int64
	latency   time.Duration // from the scheduled time; answered only
	clientLag time.Duration // from the scheduled time to the HTTP call
	answered  bool
	status    int
	envelope  bool // the body is a response envelope
	code      protocol.Code
	message   string
	transport string // kind of transport error when not answered
}

func (o outcome) ok() bool {
	return o.answered && o.status == 200 && o.envelope && o.code == protocol.CodeOK
}

// tally accumulates the outcomes of one interface.
type tally struct {
	sent, answered, ok, dropped int64
	lat                         []time.Duration
	codes                       map[protocol.Code]*CodeCount
	status                      map[int]int64
	badEnvelope                 int64
	transport                   map[string]int64
	bytes                       int64
}

func newTally() *tally {
	return &tally{codes: map[protocol.Code]*CodeCount{}, status: map[int]int64{}, transport: map[string]int64{}}
}

func (t *tally) add(o outcome) {
	t.sent++
	t.bytes += o.bytes
	if !o.answered {
		t.transport[o.transport]++
		return
	}
	t.answered++
	t.lat = append(t.lat, o.latency)
	switch {
	case !o.envelope && o.status != 200:
		t.status[o.status]++
	case !o.envelope:
		t.badEnvelope++
	case o.code != protocol.CodeOK:
		if o.status != 200 {
			t.status[o.status]++
		}
		c := t.codes[o.code]
		if c == nil {
			c = &CodeCount{Code: int(o.code), Message: o.message}
			t.codes[o.code] = c
		}
		c.Count++
	case o.status != 200:
		t.status[o.status]++
	default:
		t.ok++
	}
}

func (t *tally) merge(u *tally) {
	t.sent += u.sent
	t.answered += u.answered
	t.ok += u.ok
	t.dropped += u.dropped
	t.lat = append(t.lat, u.lat...)
	for k, v := range u.codes {
		c := t.codes[k]
		if c == nil {
			c = &CodeCount{Code: v.Code, Message: v.Message}
			t.codes[k] = c
		}
		c.Count += v.Count
	}
	for k, v := range u.status {
		t.status[k] += v
	}
	t.badEnvelope += u.badEnvelope
	for k, v := range u.transport {
		t.transport[k] += v
	}
	t.bytes += u.bytes
}

// stats turns the tally into Stats over secs seconds.
func (t *tally) stats(name string, secs float64) Stats {
	s := Stats{Interface: name, Sent: t.sent, Answered: t.answered, OK: t.ok, Dropped: t.dropped,
		Errors: t.sent - t.ok, Bytes: t.bytes, BadEnvelope: t.badEnvelope}
	if secs > 0 {
		s.Rate = round(float64(t.sent)/secs, 1)
		s.MBps = round(float64(t.bytes)/secs/1e6, 3)
	}
	s.Latency = Summarize(slices.Clone(t.lat))
	for _, c := range t.codes {
		s.Codes = append(s.Codes, *c)
	}
	slices.SortFunc(s.Codes, func(a, b CodeCount) int {
		if a.Count != b.Count {
			return int(b.Count - a.Count)
		}
		return a.Code - b.Code
	})
	if len(t.status) > 0 {
		s.HTTPStatus = map[string]int64{}
		for k, v := range t.status {
			s.HTTPStatus[strconv.Itoa(k)] = v
		}
	}
	if len(t.transport) > 0 {
		s.Transport = map[string]int64{}
		for k, v := range t.transport {
			s.Transport[k] = v
		}
	}
	return s
}

func (t *tally) counts() Counts {
	return Counts{Sent: t.sent, Answered: t.answered, OK: t.ok, Dropped: t.dropped, Errors: t.sent - t.ok}
}

func round(x float64, digits int) float64 {
	p := math.Pow(10, float64(digits))
	return math.Round(x*p) / p
}

// recorder collects the outcomes of a run; it is safe for concurrent use.
type recorder struct {
	mu        sync.Mutex
	measured  map[protocol.Interface]*tally
	warmup    *tally
	keepalive *tally
	lag       []time.Duration // client lag of the measured requests
	// interval collects what happened since the last progress line.
	interval *tally
}

func newRecorder() *recorder {
	return &recorder{measured: map[protocol.Interface]*tally{}, warmup: newTally(), keepalive: newTally(), interval: newTally()}
}

func (r *recorder) record(o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.interval.add(o)
	if !o.measured {
		r.warmup.add(o)
		return
	}
	t := r.measured[o.iface]
	if t == nil {
		t = newTally()
		r.measured[o.iface] = t
	}
	t.add(o)
	r.lag = append(r.lag, o.clientLag)
}

func (r *recorder) drop(iface protocol.Interface, measured bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.interval.dropped++
	if !measured {
		r.warmup.dropped++
		return
	}
	t := r.measured[iface]
	if t == nil {
		t = newTally()
		r.measured[iface] = t
	}
	t.dropped++
}

func (r *recorder) recordKeepalive(o outcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keepalive.add(o)
}

// takeInterval returns what happened since the last call.
func (r *recorder) takeInterval() *tally {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.interval
	r.interval = newTally()
	return t
}

// transportKind names the kind of a transport error for the report.
func transportKind(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) && ue.Timeout() {
		return "timeout"
	}
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no local port"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed (EOF)"
	}
	var oe *net.OpError
	if errors.As(err, &oe) {
		return oe.Op + " error"
	}
	return "other"
}

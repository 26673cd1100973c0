package load

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sync"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Setup says what the unmeasured setup did.
type Setup struct {
	// Logins is the tokens obtained, one per target.
	Logins int `json:"logins"`
	// Parks and Gates are the parks and entrances registered.
	Parks int `json:"parks"`
	Gates int `json:"gates"`
	// Inside is the vehicles reported inside before the run, for its exits.
	Inside int `json:"inside"`
	// Requests is the requests setup sent; Seconds how long it took.
	Requests int     `json:"requests"`
	Seconds  float64 `json:"seconds"`
}

// setup logs in on every target, learns the platform clock and registers
// the lots.
func (r *runner) setup(ctx context.Context) (Setup, error) {
	var s Setup
	for _, t := range r.targets {
		at := r.loginBase(t)
		tok, err := r.login(ctx, at)
		s.Requests++
		if err != nil {
			return s, err
		}
		t.token.Store(&tok)
		s.Logins++
		err = r.beat(ctx, t)
		s.Requests++
		if err != nil {
			return s, fmt.Errorf("first heartbeat at %s with the token from %s: %w", t.base, at, err)
		}
	}

	w := r.world
	parks := make([]any, len(w.lots))
	gates := make([]any, 0, 2*len(w.lots))
	for i := range w.lots {
		parks[i] = w.parkInfo(i)
		for _, g := range w.gates(i) {
			gates = append(gates, g)
		}
	}
	n, err := r.batches(ctx, protocol.ParkInfoCode, parks)
	s.Requests += n
	if err != nil {
		return s, fmt.Errorf("registering %d parks: %w", len(parks), err)
	}
	s.Parks = len(parks)
	n, err = r.batches(ctx, protocol.EntranceExitCode, gates)
	s.Requests += n
	if err != nil {
		return s, fmt.Errorf("registering %d gates: %w", len(gates), err)
	}
	s.Gates = len(gates)

	if exits := r.plan.RateOf(protocol.ExitRecordCode); exits > 0 {
		count := int(math.Ceil(1.25*exits*(r.cfg.Warmup+r.cfg.Duration).Seconds())) + 10
		now := r.targets[0].now()
		inside := make([]any, count)
		for i := range inside {
			inside[i] = w.prefill(now)
		}
		n, err = r.batches(ctx, protocol.EnterRecordCode, inside)
		s.Requests += n
		if err != nil {
			return s, fmt.Errorf("reporting %d vehicles inside: %w", count, err)
		}
		s.Inside = count
	}
	return s, nil
}

// loginBase is where t's token comes from.
func (r *runner) loginBase(t *target) string {
	if r.cfg.LoginURL != "" {
		return r.cfg.LoginURL
	}
	return t.base
}

// login logs in at base and returns the token.
func (r *runner) login(ctx context.Context, base string) (string, error) {
	data, _ := json.Marshal([]protocol.LoginRequest{{UserID: r.cfg.UserID, Password: r.digest}})
	ans, err := r.call(ctx, base, protocol.Login, "", envelopeOf(time.Now(), data))
	if err == nil && ans.code == protocol.CodeLogin {
		err = fmt.Errorf("answered code %d %q: wrong user id or password (or the user id is locked for this address after repeated failures)",
			int(ans.code), ans.message)
	}
	if err == nil {
		err = ans.ok()
	}
	var out []protocol.LoginResponse
	if err == nil {
		if json.Unmarshal(ans.data, &out) != nil || len(out) != 1 || out[0].AccessToken == "" {
			err = fmt.Errorf("the answer has no accessToken: %s", ans.data)
		}
	}
	if err != nil {
		return "", fmt.Errorf("logging in as %s at %s: %w", r.cfg.UserID, base, err)
	}
	return out[0].AccessToken, nil
}

// beat sends a heartbeat to t with its token and learns t's clock.
func (r *runner) beat(ctx context.Context, t *target) error {
	sent := time.Now()
	data, _ := json.Marshal([]protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(t.now())}})
	ans, err := r.call(ctx, t.base, protocol.HeartBeats, t.tok(), envelopeOf(t.now(), data))
	if err == nil {
		err = ans.ok()
	}
	if err != nil {
		return err
	}
	recv := time.Now()
	var out []protocol.HeartbeatResponse
	if json.Unmarshal(ans.data, &out) != nil || len(out) != 1 || out[0].Timestamp <= 0 {
		return fmt.Errorf("the answer has no timestamp: %s", ans.data)
	}
	mid := sent.Add(recv.Sub(sent) / 2)
	t.offset.Store(int64(time.UnixMilli(out[0].Timestamp).Sub(mid)))
	return nil
}

// keepalive sends a heartbeat with each token every KeepaliveEvery until
// ctx ends, and logs in again when a token was refused.
func (r *runner) keepalive(ctx context.Context) {
	tick := time.NewTicker(r.cfg.KeepaliveEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		for _, t := range r.targets {
			err := r.beat(ctx, t)
			if ctx.Err() != nil {
				return
			}
			if err != nil && isCode(err, protocol.CodeToken) {
				if tok, lerr := r.login(ctx, r.loginBase(t)); lerr == nil {
					t.token.Store(&tok)
				}
			}
			o := outcome{answered: true, status: http.StatusOK, envelope: true}
			if err != nil {
				o = outcome{transport: "failed"}
				r.keepaliveErr = fmt.Sprintf("%s: %v", t.base, err)
			}
			r.rec.recordKeepalive(o)
		}
	}
}

// batches sends items to iface in batches of BatchSize, round-robin over
// the targets, SetupConcurrency at a time, and returns the requests sent.
// Every batch must be answered with code 0 and one result per item.
func (r *runner) batches(ctx context.Context, iface protocol.Interface, items []any) (int, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	nb := (len(items) + BatchSize - 1) / BatchSize
	var (
		mu    sync.Mutex
		first error
		sent  int
		wg    sync.WaitGroup
		next  = make(chan int)
	)
	for range r.cfg.SetupConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range next {
				chunk := items[b*BatchSize : min((b+1)*BatchSize, len(items))]
				t := r.targets[b%len(r.targets)]
				err := r.batch(ctx, t, iface, chunk)
				mu.Lock()
				sent++
				if err != nil && first == nil {
					first = fmt.Errorf("%s batch %d of %d at %s: %w", iface, b+1, nb, t.base, err)
					cancel()
				}
				mu.Unlock()
			}
		}()
	}
	for b := 0; b < nb && ctx.Err() == nil; b++ {
		select {
		case next <- b:
		case <-ctx.Done():
		}
	}
	close(next)
	wg.Wait()
	if first == nil && ctx.Err() != nil {
		first = ctx.Err()
	}
	return sent, first
}

func (r *runner) batch(ctx context.Context, t *target, iface protocol.Interface, items []any) error {
	data, err := json.Marshal(items)
	if err != nil {
		return err
	}
	ans, err := r.call(ctx, t.base, iface, t.tok(), envelopeOf(t.now(), data))
	if err == nil {
		err = ans.ok()
	}
	if err != nil {
		return err
	}
	var out []json.RawMessage
	if json.Unmarshal(ans.data, &out) != nil || len(out) != len(items) {
		return fmt.Errorf("the answer has %d results for %d items: %.200s", len(out), len(items), ans.data)
	}
	return nil
}

// codeError is an answer with a non-zero code.
type codeError struct {
	code    protocol.Code
	message string
}

func (e *codeError) Error() string { return fmt.Sprintf("answered code %d %q", int(e.code), e.message) }

func isCode(err error, c protocol.Code) bool {
	ce, ok := err.(*codeError)
	return ok && ce.code == c
}

// ok fails unless the answer's code is 0.
func (a answer) ok() error {
	if a.code != protocol.CodeOK {
		return &codeError{a.code, a.message}
	}
	return nil
}

// call sends a setup request and returns the answer envelope; anything
// but HTTP 200 with an envelope is an error.
func (r *runner) call(ctx context.Context, base string, iface protocol.Interface, token string, body []byte) (answer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, base+iface.Path(), bytes.NewReader(body))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("no answer: %w", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return answer{}, fmt.Errorf("reading the answer: %w", err)
	}
	ans, ok := parseEnvelope(raw)
	if resp.StatusCode != http.StatusOK || !ok {
		return answer{}, fmt.Errorf("answered HTTP %d: %.200s", resp.StatusCode, raw)
	}
	return ans, nil
}

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// latLot is a lot's downlink receiver that notes when each order arrives
// and answers 1501 to first deliveries while full is set.
type latLot struct {
	mu       sync.Mutex
	received map[string]time.Time
	full     bool
}

func (l *latLot) Reserve(ctx context.Context, r protocol.Reservation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.full {
		return protocol.Errorf(protocol.CodeNoReservable, "full")
	}
	if _, ok := l.received[r.BookCode]; !ok {
		l.received[r.BookCode] = time.Now()
	}
	return nil
}

func (l *latLot) Cancel(ctx context.Context, r protocol.CancelReservation) error { return nil }

func (l *latLot) at(code string) (time.Time, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	t, ok := l.received[code]
	return t, ok
}

// latRig is a real-time parkd with one vendor owning many reservable
// parks, its lot receiver, and a booking API key.
type latRig struct {
	srv    *testserver.Server
	lot    *latLot
	token  string
	key    string
	parks  []string // isvParkIds
	codes  []string // parkCodes
	client *http.Client
}

func newLatRig(b *testing.B, lots int) *latRig {
	lot := &latLot{received: map[string]time.Time{}}
	recv := httptest.NewServer(&client.Receiver{Token: "downlink-token", Handler: lot})
	b.Cleanup(recv.Close)
	srv := testserver.Start(b, testserver.Options{Clock: testserver.RealClock(),
		Config: server.Config{PlainHTTP: true, Reservation: reservationBenchConfig()}})
	addAccount(b, srv, vendorA)
	update(b, srv, func(tx platform.Tx) error {
		a, err := tx.Account(vendorA)
		if err != nil {
			return err
		}
		a.CallbackURL, a.CallbackToken = recv.URL, "downlink-token"
		return tx.PutAccount(a)
	})
	r := &latRig{srv: srv, lot: lot, token: srv.Login(b, vendorA, password), client: srv.Client}
	k, secret := accounts.NewAPIKey("bench", time.Now())
	update(b, srv, func(tx platform.Tx) error { return tx.PutAPIKey(k) })
	r.key = secret
	for start := 0; start < lots; start += 100 {
		var items []protocol.ParkInfo
		for i := start; i < min(start+100, lots); i++ {
			p := parkInfo(fmt.Sprintf("%032d", i+1))
			p.Reservable, p.ReservableSpaces = protocol.Yes, 10
			items = append(items, p)
			r.codes = append(r.codes, p.ParkCode)
		}
		resp := srv.Post(b, protocol.ParkInfoCode, r.token, items)
		for _, it := range decode[protocol.ParkInfoResponse](b, resp) {
			r.parks = append(r.parks, it.IsvParkID)
		}
	}
	return r
}

func reservationBenchConfig() reservation.Config { return reservation.Config{Workers: 32} }

// book posts one booking and returns its bookCode.
func (r *latRig) book(park string, n int) (string, error) {
	body, _ := json.Marshal(map[string]any{"parkId": park, "plateNo": fmt.Sprintf("粤B%05d", n),
		"bookTime": time.Now().Add(time.Hour).In(protocol.CST).Format(protocol.DateTimeLayout)})
	req, _ := http.NewRequest(http.MethodPost, r.srv.URL+"/api/v1/reservations", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+r.key)
	resp, err := r.client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var env protocol.Response
	if err := json.NewDecoder(resp.Body).Decode(&env); err != nil {
		return "", err
	}
	if env.Code != protocol.CodeOK {
		return "", fmt.Errorf("booking: code %d %s", env.Code, env.Message)
	}
	var views []api.ReservationView
	if err := json.Unmarshal(env.Data, &views); err != nil || len(views) != 1 {
		return "", fmt.Errorf("booking answer %s", env.Data)
	}
	return views[0].BookCode, nil
}

// openLoop runs fn(i) for i in [0, n) at rate per second, each in its own
// goroutine, whatever the latency of the earlier ones.
func openLoop(n int, rate float64, fn func(i int)) {
	var wg sync.WaitGroup
	start := time.Now()
	for i := range n {
		time.Sleep(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second)))))
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

// waitReceived polls until every code has reached the lot, or 30 s pass.
func (r *latRig) waitReceived(b *testing.B, codes []string) {
	deadline := time.Now().Add(30 * time.Second)
	for _, c := range codes {
		for {
			if _, ok := r.lot.at(c); ok {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("order %s never reached the lot", c)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

func reportLatency(b *testing.B, name string, d []time.Duration) {
	slices.Sort(d)
	q := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(q(0.50), name+"-p50-ms")
	b.ReportMetric(q(0.99), name+"-p99-ms")
	b.ReportMetric(float64(d[len(d)-1])/float64(time.Millisecond), name+"-max-ms")
}

// BenchmarkReservationDispatch books b.N orders at 100 bookings/s, open
// loop, spread over 1,000 parks, and reports the latency from the booking
// request to the order's arrival at the lot (docs/protocol.md §8), and of the
// booking API itself. Run with -benchtime 2000x.
func BenchmarkReservationDispatch(b *testing.B) {
	r := newLatRig(b, 1000)
	sent := make([]time.Time, b.N)
	codes := make([]string, b.N)
	api := make([]time.Duration, b.N)
	b.ResetTimer()
	openLoop(b.N, 100, func(i int) {
		sent[i] = time.Now()
		code, err := r.book(r.parks[i%len(r.parks)], i)
		if err != nil {
			b.Error(err)
			return
		}
		api[i], codes[i] = time.Since(sent[i]), code
	})
	r.waitReceived(b, codes)
	b.StopTimer()
	var lat []time.Duration
	for i, c := range codes {
		at, _ := r.lot.at(c)
		lat = append(lat, at.Sub(sent[i]))
	}
	reportLatency(b, "dispatch", lat)
	reportLatency(b, "booking", api)
}

// BenchmarkWaitlistPromotion waitlists one order in each of b.N parks
// (the lot answers 1501), then reports free reservable spaces park by
// park at 100 reports/s and measures from each parkSpaceInfo request to
// the promoted order's arrival at the lot (§6.5.1 f).
func BenchmarkWaitlistPromotion(b *testing.B) {
	n := b.N
	r := newLatRig(b, n)
	r.lot.mu.Lock()
	r.lot.full = true
	r.lot.mu.Unlock()
	codes := make([]string, n)
	for i := range n {
		c, err := r.book(r.parks[i], i)
		if err != nil {
			b.Fatal(err)
		}
		codes[i] = c
	}
	r.waitWaitlisted(b, codes)
	r.lot.mu.Lock()
	r.lot.full = false
	r.lot.mu.Unlock()
	sent := make([]time.Time, n)
	b.ResetTimer()
	openLoop(n, 100, func(i int) {
		sent[i] = time.Now()
		v := space(r.codes[i], 0)
		v.UnusedReservableStalls = 1
		data, _ := json.Marshal([]protocol.ParkSpaceInfo{v})
		body, _ := json.Marshal(protocol.Request{Timestamp: protocol.Millis(time.Now()), Sign: protocol.Sign(data), Version: "1.0.0", Data: data})
		req, _ := http.NewRequest(http.MethodPost, r.srv.URL+protocol.ParkSpaceInfoCode.Path(), bytes.NewReader(body))
		req.Header.Set("Authorization", r.token)
		resp, err := r.client.Do(req)
		if err != nil {
			b.Error(err)
			return
		}
		resp.Body.Close()
	})
	r.waitReceived(b, codes)
	b.StopTimer()
	var lat []time.Duration
	for i, c := range codes {
		at, _ := r.lot.at(c)
		lat = append(lat, at.Sub(sent[i]))
	}
	reportLatency(b, "promotion", lat)
}

// waitWaitlisted polls until every order is waitlisted.
func (r *latRig) waitWaitlisted(b *testing.B, codes []string) {
	deadline := time.Now().Add(60 * time.Second)
	for _, c := range codes {
		for {
			var st platform.ReservationState
			view(b, r.srv, func(tx platform.Tx) error {
				res, err := tx.Reservation(c)
				st = res.State
				return err
			})
			if st == platform.ReservationWaitlisted {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("order %s is %s, not waitlisted", c, st)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
}

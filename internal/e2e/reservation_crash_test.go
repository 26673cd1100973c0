//go:build unix

package e2e

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/protocol"
)

// Parameters of TestReservationQueueSurvivesSIGKILL.
const (
	resvCrashOrders  = 20
	resvCrashVendor  = "resvcrashvendor"
	resvCrashTimeout = 50 * time.Second
)

// TestReservationQueueSurvivesSIGKILL runs the real parkd binary with a
// vendor and a booking API key made by `parkd account add --callback` and
// `parkd apikey add`. The lot's server drops every connection at first, so
// the orders booked through the booking API pile up in the downlink queue,
// each retried with backoff. parkd is killed with SIGKILL while every
// order is queued, the lot comes back, and parkd restarts on the same data
// folder. Asserted: every order is confirmed; the lot's handler saw each
// bookCode exactly once and answered it 0, never 1201 (no call could reach
// the handler before the kill, so none can be a repeat); each order's
// history is booked then confirmed once; the queue ends empty.
func TestReservationQueueSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the parkd binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), resvCrashTimeout)
	defer cancel()

	bin := buildParkd(t)
	lot := startLot(t, resvCrashOrders)
	lot.setDown(true)
	dataDir := t.TempDir()
	runParkd(ctx, t, bin, "account", "add", "--data", dataDir, "--user-id", resvCrashVendor, "--password", password,
		"--callback", lot.URL(), "--callback-token", lotToken)
	out := strings.Fields(runParkd(ctx, t, bin, "apikey", "add", "--data", dataDir, "--name", "city app"))
	if len(out) == 0 || !strings.Contains(out[len(out)-1], ".") {
		t.Fatalf("apikey add printed %q", out)
	}
	key := out[len(out)-1]

	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	serve := parkdSpec{flags: serveFlags(dataDir), ready: 15 * time.Second}
	p := startParkd(ctx, t, bin, serve)
	vendor, err := client.New(client.Config{BaseURL: p.url, UserID: resvCrashVendor, Password: password, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if err := vendor.Login(ctx); err != nil {
		t.Fatalf("login: %v", err)
	}
	isv := sdkPark(t, vendor, parkInfo(parkA))

	bookTime := dtText(time.Now().Add(time.Hour))
	codes := make([]string, resvCrashOrders)
	for i := range codes {
		body := map[string]any{"parkId": isv, "plateNo": plateOf(70001 + i), "bookTime": bookTime}
		status, v := resvCall(ctx, t, hc, http.MethodPost, p.url+"/api/v1/reservations", key, body)
		if status != http.StatusCreated || v.State != string(platform.ReservationPending) {
			t.Fatalf("booking %d: HTTP %d %+v", i, status, v)
		}
		codes[i] = v.BookCode
	}

	// Kill while every order is queued and has failed at least twice,
	// and none is being sent or about to be.
	queue := resvQuietQueue(ctx, t, p, dataDir, codes)
	p.kill(t)
	t.Logf("SIGKILL with %d dispatches queued (attempts %v), the lot dropped %d connections", len(queue), queue, lot.droppedCount())
	if n := len(lot.allCalls()); n != 0 {
		t.Fatalf("the lot's handler saw %d calls while it was down", n)
	}

	lot.setDown(false)
	hc.CloseIdleConnections()
	p = startParkd(ctx, t, bin, serve)
	deadline := time.Now().Add(20 * time.Second)
	for i := 0; i < len(codes); {
		_, v := resvCall(ctx, t, hc, http.MethodGet, p.url+"/api/v1/reservations/"+codes[i], key, nil)
		switch {
		case v.State == string(platform.ReservationConfirmed):
			i++
			continue
		case v.State != string(platform.ReservationPending) && v.State != string(platform.ReservationDispatched):
			t.Fatalf("order %s is %s: %+v", codes[i], v.State, v.History)
		case time.Now().After(deadline):
			t.Fatalf("order %s still pending 20s after the restart\n%s", codes[i], p.log())
		}
		<-time.After(20 * time.Millisecond)
	}

	for _, c := range codes {
		calls := lot.callsOf(protocol.ReservationCode, c)
		if len(calls) != 1 || calls[0].Answer != protocol.CodeOK {
			t.Errorf("order %s: the lot's handler saw %+v, want it once, answered 0", c, calls)
		}
		_, v := resvCall(ctx, t, hc, http.MethodGet, p.url+"/api/v1/reservations/"+c, key, nil)
		if want := []string{">pending: booked", "pending>dispatched: sent to the lot (attempt 1)", "dispatched>confirmed: lot answered 0"}; !slices.Equal(causes(v), want) {
			t.Errorf("order %s: history %q, want %q", c, causes(v), want)
		}
	}
	if calls := lot.allCalls(); len(calls) != len(codes) {
		t.Errorf("the lot's handler saw %d calls, want %d", len(calls), len(codes))
	}
	hc.CloseIdleConnections()
	p.stop(t)

	store, err := server.OpenStore(server.Config{DataDir: dataDir})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.View(ctx, func(tx platform.Tx) error {
		n, err := tx.CountDispatches()
		if err == nil && n != 0 {
			t.Errorf("%d dispatches left in the queue", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// resvCall sends a booking API request with key and decodes the one order
// of the answer (a zero view when there is none).
func resvCall(ctx context.Context, t *testing.T, hc *http.Client, method, url, key string, body any) (int, api.ReservationView) {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = strings.NewReader(string(mustJSON(t, body)))
	}
	req, err := http.NewRequestWithContext(ctx, method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env protocol.Response
	if err := json.Unmarshal(raw, &env); err != nil {
		t.Fatalf("%s %s: HTTP %d, not an envelope: %s", method, url, resp.StatusCode, raw)
	}
	if env.Code != protocol.CodeOK {
		t.Fatalf("%s %s: HTTP %d code %d %s", method, url, resp.StatusCode, env.Code, env.Message)
	}
	vs := decode[api.ReservationView](t, env)
	if len(vs) != 1 {
		t.Fatalf("%s %s: data %s", method, url, env.Data)
	}
	return resp.StatusCode, vs[0]
}

// resvQuietQueue polls the database of the running parkd (read-only)
// until the queue holds one dispatch per order, each tried at least twice,
// none claimed by a sender (a claim moves it a 30 s lease ahead) and none
// due within the next 200 ms, so that a kill now interrupts no call. It
// returns the attempts of each dispatch.
func resvQuietQueue(ctx context.Context, t *testing.T, p *parkdProc, dataDir string, codes []string) []int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "parkd.db")+"?mode=ro&_pragma=busy_timeout(2000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(15 * time.Second)
	for {
		attempts, quiet, err := resvQueueState(ctx, db, codes)
		if err != nil {
			t.Fatalf("reading the queue: %v", err)
		}
		if quiet {
			return attempts
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue never settled: attempts %v\n%s", attempts, p.log())
		}
		<-time.After(20 * time.Millisecond)
	}
}

func resvQueueState(ctx context.Context, db *sql.DB, codes []string) ([]int, bool, error) {
	rows, err := db.QueryContext(ctx, "SELECT book_code, op, attempts, next_at FROM dispatches")
	if err != nil {
		return nil, false, err
	}
	defer rows.Close()
	now := time.Now().UnixMilli()
	byCode := map[string]int{}
	quiet := true
	for rows.Next() {
		var code, op string
		var attempts int
		var next int64
		if err := rows.Scan(&code, &op, &attempts, &next); err != nil {
			return nil, false, err
		}
		if _, dup := byCode[code]; dup || op != "reservation" {
			return nil, false, fmt.Errorf("unexpected dispatch %s of %s", op, code)
		}
		byCode[code] = attempts
		if attempts < 2 || next <= now+200 || next > now+15000 {
			quiet = false
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	attempts := make([]int, 0, len(codes))
	for _, c := range codes {
		n, ok := byCode[c]
		if !ok {
			quiet = false
		}
		attempts = append(attempts, n)
	}
	return attempts, quiet && len(byCode) == len(codes), nil
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/lockedbuf"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/internal/tools/sim"
	"github.com/parkd/parkd/protocol"
)

const (
	user     = "szpark001"
	password = "Parking@2024"
)

// startParkd starts a real parkd over HTTPS with its self-signed
// certificate and the test account.
func startParkd(t *testing.T) *testserver.Server {
	t.Helper()
	ts := testserver.Start(t, testserver.Options{})
	ts.AddAccount(t, user, password)
	return ts
}

func TestRunFillsThePlatform(t *testing.T) {
	ts := startParkd(t)
	var out, errb lockedbuf.Buffer
	code := run(context.Background(), []string{"--url", ts.URL, "--user-id", user, "--password", password,
		"--ca", filepath.Join(ts.Config.DataDir, "tls", "cert.pem"), "--lots", "2", "--rate", "10", "--speed", "3600",
		"--duration", "2s", "--seed", "1", "--start", "2024-01-01 08:00:00", "--progress", "500ms",
		"--dir", t.TempDir(), "--no-sync"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	for _, want := range []string{"parksim summary:", "enterRecord", "outbox: empty at the end", "records:"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
	if !regexp.MustCompile(`\] sim 2024-01-01 \d\d:\d\d:\d\d \| lots 2 \| inside \d+ \| queued \d+ acked \d+ rejected 0 \| outbox \d+ \| [\d.]+ req/s`).MatchString(errb.String()) {
		t.Errorf("no progress line on stderr:\n%s", errb.String())
	}
	err := ts.Store.View(context.Background(), func(tx platform.Tx) error {
		parks, err := tx.ParksOf(user)
		if err != nil {
			return err
		}
		if len(parks) != 2 || parks[0].ParkCode != sim.ParkCode(user, 1) && parks[1].ParkCode != sim.ParkCode(user, 1) {
			t.Errorf("platform parks %+v", parks)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestInterruptFlushesAndServesReservations(t *testing.T) {
	ts := startParkd(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb lockedbuf.Buffer
	done, exited := make(chan int, 1), make(chan struct{})
	go func() {
		defer close(exited)
		done <- run(ctx, []string{"--url", ts.URL, "--user-id", user, "--password", password, "--insecure",
			"--lots", "10", "--rate", "5", "--speed", "600", "--duration", "0", "--dir", t.TempDir(), "--no-sync",
			"--listen", "127.0.0.1:0", "--callback-token", "downlink-token"}, &out, &errb)
	}()
	// Wait for the lines themselves (or the run's end), however long a
	// busy machine takes to print them.
	urlRE := regexp.MustCompile(`set-callback --data DIR --user-id szpark001 --callback (http://\S+) --callback-token-file FILE`)
	printed, ok := errb.Wait(exited, func(s string) bool { return urlRE.MatchString(s) })
	if !ok {
		t.Fatalf("no callback URL printed:\n%s", printed)
	}
	base := urlRE.FindStringSubmatch(printed)[1]
	if started, ok := errb.Wait(exited, func(s string) bool { return strings.Contains(s, "parksim: 10 lots of") }); !ok {
		t.Fatalf("the run did not start:\n%s", started)
	}
	// A reservation for every lot: the reservable ones hold a space (0),
	// the others have none (1501).
	answers := map[protocol.Code]int{}
	for i := 1; i <= 10; i++ {
		r := protocol.Reservation{ParkCode: sim.ParkCode(user, i), BookCode: fmt.Sprintf("book%028d", i),
			PlateNo: fmt.Sprintf("粤B%05d", 12340+i), BookTime: protocol.NewDateTime(time.Now().Add(time.Hour)),
			OverTime: protocol.NewDateTime(time.Now().Add(3 * time.Hour)), ObligatTime: 30, OperateType: protocol.OperateBook}
		answers[postReservation(t, base, r).Code]++
	}
	if answers[protocol.CodeOK] == 0 || answers[protocol.CodeNoReservable] == 0 || answers[protocol.CodeOK]+answers[protocol.CodeNoReservable] != 10 {
		t.Errorf("answers by code %v: want some 0 and some 1501", answers)
	}
	cancel() // as SIGINT does
	if code := <-done; code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, out.String(), errb.String())
	}
	if !strings.Contains(errb.String(), "stopping: no new vehicles") || !strings.Contains(out.String(), "reservations:") ||
		!strings.Contains(out.String(), "outbox: empty at the end") {
		t.Errorf("stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
	}
}

func postReservation(t *testing.T, base string, r protocol.Reservation) protocol.Response {
	t.Helper()
	data, _ := json.Marshal([]protocol.Reservation{r})
	body, _ := json.Marshal(protocol.Request{Timestamp: time.Now().UnixMilli(), Sign: protocol.Sign(data), Version: protocol.Version, Data: data})
	req, _ := http.NewRequest(http.MethodPost, base+protocol.ReservationCode.Path(), bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "downlink-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out protocol.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestBookingThroughTheAPI runs the command as the vendor and the app
// back end at once: the key comes from PARKSIM_API_KEY, the platform
// (HTTPS, its own certificate via --ca) sends the orders to --listen, and
// the summary's bookings match the platform's orders.
func TestBookingThroughTheAPI(t *testing.T) {
	ts := testserver.Start(t, testserver.Options{Clock: testserver.RealClock()})
	ts.AddAccount(t, user, password)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // parksim listens there
	key, secret := accounts.NewAPIKey("parksim", time.Now())
	err = ts.Store.Update(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account(user)
		if err != nil {
			return err
		}
		a.CallbackURL, a.CallbackToken = "http://"+addr, "downlink-token"
		if err := tx.PutAccount(a); err != nil {
			return err
		}
		return tx.PutAPIKey(key)
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PARKSIM_API_KEY", secret)
	var out, errb lockedbuf.Buffer
	code := run(context.Background(), []string{"--url", ts.URL, "--user-id", user, "--password", password,
		"--ca", filepath.Join(ts.Config.DataDir, "tls", "cert.pem"), "--lots", "10", "--rate", "2", "--speed", "1800",
		"--duration", "9s", "--seed", "4", "--progress", "2s", "--dir", t.TempDir(), "--no-sync",
		"--listen", addr, "--callback-token", "downlink-token", "--book-rate", "2", "--change-share", "0.3", "--cancel-share", "0.3"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	m := regexp.MustCompile(`bookings \(app back end\): \d+ tried \(asked 2/s\), (\d+) booked`).FindStringSubmatch(out.String())
	if m == nil || m[1] == "0" {
		t.Fatalf("no bookings in the summary:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "orders at the end (") {
		t.Errorf("summary lacks the orders' final states:\n%s", out.String())
	}
	if !regexp.MustCompile(`req/s \| booked \d+ refused \d+ changed \d+ cancelled \d+`).MatchString(errb.String()) {
		t.Errorf("no booking counts in the progress lines:\n%s", errb.String())
	}
	orders := 0
	err = ts.Store.View(context.Background(), func(tx platform.Tx) error {
		for i := 1; i <= 10; i++ {
			p, err := tx.Park(user, sim.ParkCode(user, i))
			if err != nil {
				return err
			}
			rs, err := tx.ParkReservations(p.IsvParkID, time.Now().Add(-time.Hour), time.Now().Add(time.Hour))
			if err != nil {
				return err
			}
			orders += len(rs)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(orders) != m[1] {
		t.Errorf("the platform has %d orders, the summary says %s booked", orders, m[1])
	}
}

// TestBookingsWithoutACallbackSayWhy: the account has no downlink
// callback, so the platform refuses every booking; the summary gives the
// platform's reason, not just the code, and the hint names the command
// that sets a callback on an existing account.
func TestBookingsWithoutACallbackSayWhy(t *testing.T) {
	ts := testserver.Start(t, testserver.Options{Clock: testserver.RealClock()})
	ts.AddAccount(t, user, password)
	key, secret := accounts.NewAPIKey("parksim", time.Now())
	if err := ts.Store.Update(context.Background(), func(tx platform.Tx) error { return tx.PutAPIKey(key) }); err != nil {
		t.Fatal(err)
	}
	var out, errb lockedbuf.Buffer
	code := run(context.Background(), []string{"--url", ts.URL, "--user-id", user, "--password", password, "--api-key", secret,
		"--ca", filepath.Join(ts.Config.DataDir, "tls", "cert.pem"), "--lots", "6", "--rate", "1", "--speed", "600",
		"--duration", "5s", "--seed", "5", "--dir", t.TempDir(), "--no-sync", "--book-rate", "3"}, &out, &errb)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
	m := regexp.MustCompile(`(\d+) booked \([\d.]+/s\), (\d+) refused: 1501 没有可预约车位 ×(\d+);`).FindStringSubmatch(out.String())
	if m == nil || m[1] != "0" || m[2] == "0" || m[2] != m[3] {
		t.Fatalf("want every booking refused with 1501:\n%s", out.String())
	}
	if !strings.Contains(out.String(), "bookings refused because: 1501 没有可预约车位: parkId (park … has no reservation downlink) ×"+m[2]) {
		t.Errorf("the summary does not give the platform's reason:\n%s", out.String())
	}
	hint := "parkd account set-callback --data DIR --user-id " + user + " --callback http://ADDR --callback-token-file FILE"
	if !strings.Contains(out.String(), "hint: "+m[2]+" bookings were refused because account "+user+" has no reservation downlink") ||
		!strings.Contains(out.String(), hint) || strings.Contains(out.String(), "account add") {
		t.Errorf("the hint must name parkd account set-callback (not account add):\n%s", out.String())
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"--url", "http://x", "--user-id", "u"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "--bad-data", "2"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "--listen", ":0"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "--start", "tomorrow"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "stray"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "--book-rate", "-1"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "--api-key", "k.s", "--book-rate", "0"},
		{"--url", "http://x", "--user-id", "u", "--password", "p", "--cancel-share", "1.5"},
	} {
		var out, errb bytes.Buffer
		if code := run(context.Background(), args, &out, &errb); code != exitUsage || errb.Len() == 0 {
			t.Errorf("%q: exit %d, stderr %q", args, code, errb.String())
		}
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if code := run(context.Background(), []string{"--version"}, &out, &out); code != exitOK {
		t.Fatalf("exit %d: %s", code, out.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "parksim ") || !strings.Contains(got, runtime.Version()) {
		t.Errorf("--version = %q", got)
	}
}

func TestSecretsFromFilesAndStdin(t *testing.T) {
	dir := t.TempDir()
	pw := filepath.Join(dir, "pw")
	tok := filepath.Join(dir, "tok")
	if err := os.WriteFile(pw, []byte("Parking@2024\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tok, []byte("downlink-token\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdin = strings.NewReader("abc.def\n")
	defer func() { stdin = os.Stdin }()
	var errb bytes.Buffer
	o, err := parseFlags([]string{"--url", "https://x.example", "--user-id", "u", "--password-file", pw,
		"--api-key-file", "-", "--listen", "127.0.0.1:0", "--callback-token-file", tok}, &errb)
	if err != nil {
		t.Fatal(err)
	}
	if o.cfg.Password != "Parking@2024" || o.cfg.APIKey != "abc.def" || o.callbackToken != "downlink-token" {
		t.Errorf("password %q, api key %q, token %q", o.cfg.Password, o.cfg.APIKey, o.callbackToken)
	}
	if _, err := parseFlags([]string{"--url", "https://x.example", "--user-id", "u", "--password", "a", "--password-file", pw}, &errb); err == nil {
		t.Error("a password given both ways was accepted")
	}
}

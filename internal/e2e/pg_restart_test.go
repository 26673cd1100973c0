//go:build unix

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/pgtest"
	"github.com/parkd/parkd/protocol"
)

// pgDownFor is how long PostgreSQL stays stopped: the fault being
// reproduced (an operator's restart, a failover), not a wait for an event.
const pgDownFor = 10 * time.Second

// TestPostgresRestartedUnderLoad runs parkd on a PostgreSQL cluster of the
// test's own while two parking systems send entries over the wire. The
// cluster is stopped for 10 s and started again. Meanwhile /readyz answers
// 503 and the uplink answers code 3 (never 0 for what it could not
// store); afterwards /readyz answers 200 and entries are acknowledged
// again by the same process, never restarted; every entry acknowledged
// at any time is in the database.
func TestPostgresRestartedUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the parkd binary")
	}
	pg := pgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 120*time.Second)
	defer cancel()
	bin := buildParkd(t)
	const senders = 2
	for i := range senders {
		runParkd(ctx, t, bin, "account", "add", "--db", pg.DSN, "--user-id", fmt.Sprintf("pgvendor%d", i), "--password", password)
	}
	p := startParkd(ctx, t, bin, parkdSpec{flags: []string{"--data", t.TempDir(), "--db", pg.DSN, "--plain-http", "--log-level", "warn"},
		ready: 15 * time.Second})
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	vendors := make([]*client.Client, senders)
	isv := make([]string, senders)
	for i := range vendors {
		c, err := client.New(client.Config{BaseURL: p.url, UserID: fmt.Sprintf("pgvendor%d", i), Password: password, HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Login(ctx); err != nil {
			t.Fatal(err)
		}
		vendors[i], isv[i] = c, sdkPark(t, c, parkInfo(parkA))
	}

	type tally struct {
		acked     []string
		code3     int
		otherErrs []error
	}
	var mu sync.Mutex
	tallies := make([]tally, senders)
	okCount := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, t := range tallies {
			n += len(t.acked)
		}
		return n
	}
	code3 := func() int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, t := range tallies {
			n += t.code3
		}
		return n
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 1; ; n++ {
				select {
				case <-stop:
					return
				case <-time.After(5 * time.Millisecond):
				}
				id := recordID(i*1_000_000 + n)
				rec := enter(t, parkA, id, plateOf(n%90000+10000), "2024-01-01 08:00:00")
				rec.EnterTime = protocol.NewDateTime(time.Now().Add(-time.Minute))
				_, err := vendors[i].EnterRecord(ctx, rec)
				mu.Lock()
				switch {
				case err == nil:
					tallies[i].acked = append(tallies[i].acked, id)
				case client.CodeOf(err) == protocol.CodeInternal:
					tallies[i].code3++
				default:
					tallies[i].otherErrs = append(tallies[i].otherErrs, err)
				}
				mu.Unlock()
			}
		}()
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for !cond() {
			select {
			case <-ctx.Done():
				t.Fatalf("waiting for %s: %v\n%s", what, ctx.Err(), p.log())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	ready := func() int {
		resp, err := hc.Get(p.url + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	waitFor("entries before the fault", func() bool { return okCount() >= 50 })
	if st := ready(); st != http.StatusOK {
		t.Fatalf("/readyz %d before the fault", st)
	}

	pg.StopServer()
	stoppedAt := time.Now()
	waitFor("/readyz to answer 503", func() bool { return ready() == http.StatusServiceUnavailable })
	waitFor("an uplink answer with code 3", func() bool { return code3() > 0 })
	time.Sleep(time.Until(stoppedAt.Add(pgDownFor)))
	if st := ready(); st != http.StatusServiceUnavailable {
		t.Errorf("/readyz %d with PostgreSQL down for %s, want 503", st, pgDownFor)
	}
	ackedWhileDown := okCount()
	pg.StartServer()

	waitFor("/readyz to answer 200 again", func() bool { return ready() == http.StatusOK })
	waitFor("entries acknowledged again", func() bool { return okCount() >= ackedWhileDown+50 })
	close(stop)
	wg.Wait()
	select {
	case <-p.done:
		t.Fatalf("parkd exited: %v\n%s", p.waitErr, p.log())
	default:
	}
	t.Logf("%d entries acknowledged, %d answered code 3 while PostgreSQL was down", okCount(), code3())
	for i, tl := range tallies {
		for _, err := range tl.otherErrs {
			t.Errorf("sender %d: an answer neither 0 nor 3: %v", i, err)
		}
	}
	hc.CloseIdleConnections()
	p.stop(t)

	store, err := server.OpenStore(server.Config{DB: pg.DSN})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	missing := 0
	err = store.View(ctx, func(tx platform.Tx) error {
		for i, tl := range tallies {
			for _, id := range tl.acked {
				if _, err := tx.Record(platform.KindEnter, isv[i], id); platform.IsNotFound(err) {
					missing++
				} else if err != nil {
					return err
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if missing > 0 {
		t.Errorf("%d acknowledged entries are not stored", missing)
	}
}

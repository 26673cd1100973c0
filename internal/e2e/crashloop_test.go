//go:build unix

package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	mrand "math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Parameters of TestCrashLoop.
const (
	loopUserID      = "loopvendor"
	loopPassword    = "Loop@2024"
	loopDirectLots  = 6 // lots calling the SDK directly: their acknowledgements are recorded
	loopOutboxLots  = 6 // lots queueing through durable SDK outboxes
	loopMinAcks     = 30
	loopMaxKillWait = 1500 * time.Millisecond
)

// TestCrashLoop is the crash loop of docs/performance.md: lots drive
// parkd through the SDK, some calling it directly (every enterRecord and
// exitRecord answered with code 0 is recorded), some through durable
// outboxes; PARKD_CRASH_CYCLES times, parkd is killed with SIGKILL at a
// random moment under that load and restarted on the same data folder and
// address. After each restart every acknowledged record is in the
// database exactly once and PRAGMA integrity_check is ok. At the end the
// outboxes drain: nothing is left or set aside, and every record they
// were given is stored exactly once. It runs only when
// PARKD_CRASH_CYCLES is set (scripts/crashloop.sh sets 20).
func TestCrashLoop(t *testing.T) {
	cycles, _ := strconv.Atoi(os.Getenv("PARKD_CRASH_CYCLES"))
	if cycles <= 0 {
		t.Skip("set PARKD_CRASH_CYCLES=N to run N kill/restart cycles")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(cycles)*30*time.Second+3*time.Minute)
	defer cancel()

	bin := buildParkd(t)
	dataDir := t.TempDir()
	runParkd(ctx, t, bin, "account", "add", "--data", dataDir, "--user-id", loopUserID, "--password", loopPassword)
	// The lots keep one address: parkd restarts on it.
	addr := testserver.FreeAddr(t)
	serve := parkdSpec{addr: addr, flags: serveFlags(dataDir), ready: 15 * time.Second}
	p := startParkd(ctx, t, bin, serve)

	l := &loopLedger{acked: map[loopKey]bool{}, queued: map[loopKey]bool{}}
	lotsCtx, stopLots := context.WithCancel(ctx)
	var wg sync.WaitGroup
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	defer hc.CloseIdleConnections()
	newClient := func() *client.Client {
		c, err := client.New(client.Config{BaseURL: "http://" + addr, UserID: loopUserID, Password: loopPassword, HTTPClient: hc})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	for i := range loopDirectLots {
		wg.Add(1)
		go func() {
			defer wg.Done()
			loopDirectLot(lotsCtx, newClient(), loopParkCode("d", i), l)
		}()
	}
	var outboxes []*client.Outbox
	for i := range loopOutboxLots {
		o, err := client.OpenOutbox(client.OutboxConfig{Dir: t.TempDir(), Client: newClient(),
			MinBackoff: 20 * time.Millisecond, MaxBackoff: 500 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		outboxes = append(outboxes, o)
		wg.Add(1)
		go func() {
			defer wg.Done()
			loopOutboxLot(lotsCtx, t, o, loopParkCode("o", i), l)
		}()
	}

	for cycle := 1; cycle <= cycles; cycle++ {
		// Under load: enough acknowledgements since the restart, then a
		// random moment.
		base := l.ackedCount()
		for l.ackedCount() < base+loopMinAcks {
			select {
			case <-ctx.Done():
				t.Fatalf("cycle %d: no load after the restart: %v\n%s", cycle, ctx.Err(), p.log())
			case <-time.After(10 * time.Millisecond):
			}
		}
		time.Sleep(mrand.N(loopMaxKillWait))
		p.kill(t)
		acked := l.ackedKeys()
		p = startParkd(ctx, t, bin, serve)
		n := loopVerify(ctx, t, dataDir, acked)
		t.Logf("cycle %d: SIGKILL after %d acknowledged records in all; after the restart all %d stored once, integrity ok",
			cycle, len(acked), n)
		if t.Failed() {
			t.FailNow()
		}
	}

	stopLots()
	wg.Wait()
	for i, o := range outboxes {
		fctx, fcancel := context.WithTimeout(ctx, 2*time.Minute)
		err := o.Flush(fctx)
		fcancel()
		st := o.Stats()
		if err != nil || st.Depth != 0 || st.Rejected != 0 {
			t.Errorf("outbox %d: flush %v, %d items left, %d set aside %v", i, err, st.Depth, st.Rejected, o.Rejected())
		}
		if err := o.Close(); err != nil {
			t.Errorf("closing outbox %d: %v", i, err)
		}
	}
	queued := l.queuedKeys()
	n := loopVerify(ctx, t, dataDir, append(l.ackedKeys(), queued...))
	t.Logf("end: %d records acknowledged to direct lots and %d delivered by outboxes, all %d stored once", len(l.ackedKeys()), len(queued), n)
	p.stop(t)
}

// loopKey names a record: its table, park and id.
type loopKey struct{ table, park, id string }

// loopLedger records what the platform acknowledged (direct lots) and
// what the outboxes were given.
type loopLedger struct {
	mu     sync.Mutex
	acked  map[loopKey]bool
	queued map[loopKey]bool
}

func (l *loopLedger) ack(k loopKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.acked[k] = true
}

func (l *loopLedger) queue(k loopKey) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.queued[k] = true
}

func (l *loopLedger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

func (l *loopLedger) ackedKeys() []loopKey { return l.keys(l.acked) }

func (l *loopLedger) queuedKeys() []loopKey { return l.keys(l.queued) }

func (l *loopLedger) keys(m map[loopKey]bool) []loopKey {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]loopKey, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// loopParkCode is the park code of lot i of a kind ("d" direct, "o"
// outbox): 32 characters.
func loopParkCode(kind string, i int) string {
	return fmt.Sprintf("%s%031d", kind, i)
}

// loopVisit returns the entry and exit of a new visit to park.
func loopVisit(park string) (protocol.EnterRecord, protocol.ExitRecord) {
	var b [16]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	plate := fmt.Sprintf("粤B%05d", (int(b[0])<<8|int(b[1]))%100000)
	now := time.Now()
	e := protocol.EnterRecord{ParkCode: park, ID: id, PlateNo: plate, EnterTime: protocol.NewDateTime(now.Add(-time.Hour)),
		EntryCarPhotoID: id, EntranceCode: "GATE01"}
	x := protocol.ExitRecord{ParkCode: park, ID: id, PlateNo: plate, LeaveTime: protocol.NewDateTime(now.Add(-time.Minute)),
		ExitCarPhotoID: id, ExitCode: "GATE02"}
	return e, x
}

// loopDirectLot registers its park, then sends visits one call at a time
// until ctx ends, recording each acknowledged record. Failures (parkd is
// being killed) are retried with new visits.
func loopDirectLot(ctx context.Context, c *client.Client, park string, l *loopLedger) {
	for ctx.Err() == nil {
		if _, err := c.ParkInfo(ctx, parkInfo(park)); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	for ctx.Err() == nil {
		e, x := loopVisit(park)
		if _, err := c.EnterRecord(ctx, e); err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		l.ack(loopKey{"enter_records", park, e.ID})
		if _, err := c.ExitRecord(ctx, x); err != nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		l.ack(loopKey{"exit_records", park, x.ID})
	}
}

// loopOutboxLot queues its park, then a visit every 20 ms until ctx
// ends, noting what it queued.
func loopOutboxLot(ctx context.Context, t *testing.T, o *client.Outbox, park string, l *loopLedger) {
	if err := o.ParkInfo(parkInfo(park)); err != nil {
		t.Errorf("outbox ParkInfo: %v", err)
		return
	}
	for ctx.Err() == nil {
		e, x := loopVisit(park)
		if err := o.EnterRecord(e); err != nil {
			t.Errorf("outbox EnterRecord: %v", err)
			return
		}
		l.queue(loopKey{"enter_records", park, e.ID})
		if err := o.ExitRecord(x); err != nil {
			t.Errorf("outbox ExitRecord: %v", err)
			return
		}
		l.queue(loopKey{"exit_records", park, x.ID})
		time.Sleep(20 * time.Millisecond)
	}
}

// loopVerify checks, on a read-only connection to the database of
// dataDir (parkd may be running), that each key is stored exactly once
// under the test account's park, and that PRAGMA integrity_check is ok.
// It returns the number of keys checked.
func loopVerify(ctx context.Context, t *testing.T, dataDir string, keys []loopKey) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "parkd.db")+"?mode=ro")
	if err != nil {
		t.Fatalf("opening the database read-only: %v", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("PRAGMA integrity_check: %q %v", check, err)
	}
	stmts := map[string]*sql.Stmt{}
	for _, table := range []string{"enter_records", "exit_records"} {
		s, err := db.PrepareContext(ctx, "SELECT COUNT(*) FROM "+table+" r JOIN parks p ON p.isv_park_id = r.isv_park_id"+
			" WHERE p.user_id = ? AND p.park_code = ? AND r.id = ?")
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		stmts[table] = s
	}
	bad := 0
	for _, k := range keys {
		var n int
		if err := stmts[k.table].QueryRowContext(ctx, loopUserID, k.park, k.id).Scan(&n); err != nil {
			t.Fatalf("counting %v: %v", k, err)
		}
		if n != 1 {
			if bad++; bad <= 5 {
				t.Errorf("%s %s of park %s stored %d times, want once", k.table, k.id, k.park, n)
			}
		}
	}
	if bad > 5 {
		t.Errorf("%d of %d records not stored exactly once", bad, len(keys))
	}
	return len(keys)
}

//go:build unix

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/protocol"
)

// Parameters of TestAcknowledgedRecordsSurviveSIGKILL.
const (
	crashCycles      = 3   // kill/restart cycles
	crashSenders     = 8   // concurrent clients
	crashKillAfter   = 300 // acknowledged items per cycle before the kill
	crashUserID      = "crashvendor"
	crashPassword    = "Crash@2024"
	crashParkCode    = "c0ffee00c0ffee00c0ffee00c0ffee00"
	crashTestTimeout = 50 * time.Second
)

// TestAcknowledgedRecordsSurviveSIGKILL runs the real parkd binary, sends
// enterRecord items from several concurrent clients, kills the process
// with SIGKILL while requests are in flight, and checks after each restart
// that every item answered with code 0 was stored, exactly once, and that
// the database passes PRAGMA integrity_check. The cycle runs three times
// on the same data folder.
func TestAcknowledgedRecordsSurviveSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the parkd binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), crashTestTimeout)
	defer cancel()

	bin := buildParkd(t)
	dataDir := t.TempDir()
	runParkd(ctx, t, bin, "account", "add", "--data", dataDir, "--user-id", crashUserID, "--password", crashPassword)
	serve := parkdSpec{flags: serveFlags(dataDir), ready: 15 * time.Second}

	client := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: crashSenders * 2, DisableCompression: true},
	}
	defer client.CloseIdleConnections()

	l := &crashLedger{sent: map[string]string{}, acked: map[string]string{}}
	var isvParkID string
	for cycle := 1; cycle <= crashCycles; cycle++ {
		p := startParkd(ctx, t, bin, serve)
		token := crashLogin(ctx, t, client, p.url)
		id := crashRegisterPark(ctx, t, client, p.url, token)
		if isvParkID != "" && id != isvParkID {
			t.Fatalf("cycle %d: park re-registered as %s, was %s", cycle, id, isvParkID)
		}
		isvParkID = id

		before := l.ackedCount()
		inFlight := crashSendUntilKilled(ctx, t, client, p, token, l, cycle)
		t.Logf("cycle %d: %d items acknowledged in this cycle, %d requests in flight at SIGKILL",
			cycle, l.ackedCount()-before, inFlight)
		if t.Failed() {
			t.FailNow()
		}

		// Restart on the same data folder: the server must come up on what
		// the crash left, serve a login, and shut down cleanly. Then read
		// the store it leaves behind.
		p = startParkd(ctx, t, bin, serve)
		crashLogin(ctx, t, client, p.url)
		client.CloseIdleConnections()
		p.stop(t)
		crashVerify(ctx, t, dataDir, isvParkID, l)
		if t.Failed() {
			t.FailNow()
		}
	}
}

// crashLedger keeps the enterRecord ids the clients have sent and those
// the server acknowledged with code 0, each with its plate.
type crashLedger struct {
	mu    sync.Mutex
	sent  map[string]string
	acked map[string]string
}

// addSent notes ids as sent (before the request leaves).
func (l *crashLedger) addSent(items []protocol.EnterRecord) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, it := range items {
		l.sent[it.ID] = it.PlateNo
	}
}

// addAcked notes ids as acknowledged and returns the number acknowledged
// so far.
func (l *crashLedger) addAcked(items []protocol.EnterRecord) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, it := range items {
		l.acked[it.ID] = it.PlateNo
	}
	return len(l.acked)
}

// ackedCount returns the number of acknowledged ids.
func (l *crashLedger) ackedCount() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.acked)
}

// crashPost sends items to code as a signed envelope stamped with the
// wall clock and decodes the response envelope. Transport failures and
// answers other than HTTP 200 are errors.
func crashPost(ctx context.Context, client *http.Client, baseURL string, code protocol.Interface, token string, items any) (protocol.Response, error) {
	var resp protocol.Response
	data, err := json.Marshal(items)
	if err != nil {
		return resp, err
	}
	body, err := json.Marshal(protocol.Request{Timestamp: protocol.Millis(time.Now()), Sign: protocol.Sign(data),
		Version: protocol.Version, Data: data})
	if err != nil {
		return resp, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, baseURL+code.Path(), bytes.NewReader(body))
	if err != nil {
		return resp, err
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", token)
	}
	hr, err := client.Do(req)
	if err != nil {
		return resp, err
	}
	defer hr.Body.Close()
	raw, err := io.ReadAll(hr.Body)
	if err != nil {
		return resp, err
	}
	if hr.StatusCode != http.StatusOK {
		return resp, fmt.Errorf("HTTP %d: %s", hr.StatusCode, raw)
	}
	if err := json.Unmarshal(raw, &resp); err != nil {
		return resp, fmt.Errorf("not a response envelope: %v: %s", err, raw)
	}
	return resp, nil
}

// crashLogin logs in and returns the access token.
func crashLogin(ctx context.Context, t *testing.T, client *http.Client, baseURL string) string {
	t.Helper()
	resp, err := crashPost(ctx, client, baseURL, protocol.Login, "",
		[]protocol.LoginRequest{protocol.NewLoginRequest(crashUserID, crashPassword)})
	if err != nil || resp.Code != protocol.CodeOK {
		t.Fatalf("login: %v code %d %s", err, resp.Code, resp.Message)
	}
	var out []protocol.LoginResponse
	if err := json.Unmarshal(resp.Data, &out); err != nil || len(out) != 1 || out[0].AccessToken == "" {
		t.Fatalf("login: bad data %s", resp.Data)
	}
	return out[0].AccessToken
}

// crashParkInfo is the table 6 report of the test's park.
const crashParkInfo = `[{"parkName":"崩溃测试停车场","parkCode":"` + crashParkCode + `","permitNo":"",
"parkType":1,"address":"深圳市福田区福华三路100号","longitude":114.057868,"latitude":22.543099,
"areaCode":"440304","serviceType":8,"bizStatus":1,"totalSpaces":5000,"reservable":0,
"reservableSpaces":0,"totalReservableCharingSpaces":0,"imageId":"7c9e6679742540de944be07fc1f90ae7"}]`

// crashRegisterPark reports the test's park and returns its isvParkId.
func crashRegisterPark(ctx context.Context, t *testing.T, client *http.Client, baseURL, token string) string {
	t.Helper()
	resp, err := crashPost(ctx, client, baseURL, protocol.ParkInfoCode, token, json.RawMessage(crashParkInfo))
	if err != nil || resp.Code != protocol.CodeOK {
		t.Fatalf("parkInfo: %v code %d %s", err, resp.Code, resp.Message)
	}
	var out []protocol.ParkInfoResponse
	if err := json.Unmarshal(resp.Data, &out); err != nil || len(out) != 1 || out[0].IsvParkID == "" {
		t.Fatalf("parkInfo: bad data %s", resp.Data)
	}
	return out[0].IsvParkID
}

// crashNewItems returns n enterRecord items with fresh random ids.
func crashNewItems(n int) []protocol.EnterRecord {
	items := make([]protocol.EnterRecord, n)
	enter := protocol.NewDateTime(time.Now().Add(-time.Hour))
	for i := range items {
		var b [16]byte
		_, _ = rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		items[i] = protocol.EnterRecord{ParkCode: crashParkCode, ID: id,
			PlateNo:   fmt.Sprintf("粤B%05d", (int(b[0])<<8|int(b[1]))%100000),
			EnterTime: enter, EntryCarPhotoID: "11112222333344445555666677778888", EntranceCode: "GATE01"}
	}
	return items
}

// crashSendUntilKilled runs crashSenders clients sending enterRecord
// requests of 1 to 4 items to p. Once crashKillAfter items have been
// acknowledged in this cycle, it kills p with SIGKILL while the clients
// are still sending, waits for the clients to stop, and returns how many
// requests were in flight at the kill. A failure seen before the kill
// fails the test.
func crashSendUntilKilled(ctx context.Context, t *testing.T, client *http.Client, p *parkdProc, token string, l *crashLedger, cycle int) int64 {
	t.Helper()
	sendCtx, stopSending := context.WithCancel(ctx)
	defer stopSending()
	target := l.ackedCount() + crashKillAfter
	reached := make(chan struct{})
	var once sync.Once
	var killed atomic.Bool
	var inFlight atomic.Int64
	var wg sync.WaitGroup
	for w := range crashSenders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; sendCtx.Err() == nil; n++ {
				items := crashNewItems(1 + (w+n)%4)
				l.addSent(items)
				inFlight.Add(1)
				resp, err := crashPost(sendCtx, client, p.url, protocol.EnterRecordCode, token, items)
				inFlight.Add(-1)
				if err != nil || resp.Code != protocol.CodeOK {
					if !killed.Load() && sendCtx.Err() == nil {
						t.Errorf("cycle %d: enterRecord before the kill: %v code %d %s", cycle, err, resp.Code, resp.Message)
						once.Do(func() { close(reached) })
					}
					return
				}
				if l.addAcked(items) >= target {
					once.Do(func() { close(reached) })
				}
			}
		}()
	}
	var atKill int64
	select {
	case <-reached:
		killed.Store(true)
		atKill = inFlight.Load()
		p.kill(t)
	case <-ctx.Done():
		killed.Store(true)
		stopSending()
		wg.Wait()
		t.Fatalf("cycle %d: %d acknowledgements not reached: %v\n%s", cycle, crashKillAfter, ctx.Err(), p.log())
	}
	stopSending()
	wg.Wait()
	return atKill
}

// crashVerify opens the store of dataDir (no server running) and checks
// that every acknowledged id is stored once, with its plate, that every
// stored id was sent, and that PRAGMA integrity_check passes.
func crashVerify(ctx context.Context, t *testing.T, dataDir, isvParkID string, l *crashLedger) {
	t.Helper()
	l.mu.Lock()
	defer l.mu.Unlock()

	store, err := server.OpenStore(server.Config{DataDir: dataDir})
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	var stored []platform.Record
	var missing []string
	err = store.View(ctx, func(tx platform.Tx) error {
		if _, err := tx.ParkByID(isvParkID); err != nil {
			return fmt.Errorf("park %s: %w", isvParkID, err)
		}
		for id, plate := range l.acked {
			r, err := tx.Record(platform.KindEnter, isvParkID, id)
			switch {
			case platform.IsNotFound(err):
				missing = append(missing, id)
			case err != nil:
				return fmt.Errorf("record %s: %w", id, err)
			case r.ID != id || r.PlateNo != plate:
				t.Errorf("acknowledged record %s: stored as id %s plate %s, sent plate %s", id, r.ID, r.PlateNo, plate)
			}
		}
		// No exits were sent, so every entry is open.
		stored, err = tx.OpenEntries(isvParkID)
		return err
	})
	if cerr := store.Close(); cerr != nil {
		t.Errorf("closing the store: %v", cerr)
	}
	if err != nil {
		t.Fatalf("reading the store: %v", err)
	}
	if len(missing) > 0 {
		t.Errorf("%d of %d acknowledged records are not stored, e.g. %s", len(missing), len(l.acked),
			strings.Join(missing[:min(len(missing), 5)], " "))
	}
	seen := make(map[string]bool, len(stored))
	for _, r := range stored {
		if seen[r.ID] {
			t.Errorf("record %s stored more than once", r.ID)
		}
		seen[r.ID] = true
		if _, ok := l.sent[r.ID]; !ok {
			t.Errorf("stored record %s was never sent", r.ID)
		}
	}
	if len(seen) < len(l.acked) {
		t.Errorf("%d records stored, %d acknowledged", len(seen), len(l.acked))
	}

	// Independently of the store's code: raw row counts and SQLite's own
	// consistency check, on a read-only connection.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "parkd.db")+"?mode=ro")
	if err != nil {
		t.Fatalf("opening the database read-only: %v", err)
	}
	defer db.Close()
	var check string
	if err := db.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("PRAGMA integrity_check: %q %v", check, err)
	}
	var rows, distinct int
	err = db.QueryRowContext(ctx, "SELECT COUNT(*), COUNT(DISTINCT id) FROM enter_records WHERE isv_park_id = ?", isvParkID).Scan(&rows, &distinct)
	if err != nil {
		t.Errorf("counting enter_records: %v", err)
	} else if rows != distinct || rows != len(stored) {
		t.Errorf("enter_records: %d rows, %d distinct ids, the store lists %d", rows, distinct, len(stored))
	}
	t.Logf("verified: %d acknowledged of %d sent, %d stored, integrity %s", len(l.acked), len(l.sent), len(stored), check)
}

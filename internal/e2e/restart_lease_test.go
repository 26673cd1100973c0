//go:build unix

package e2e

import (
	"context"
	"database/sql"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

// TestSQLiteRestartAfterSIGKILLResumesDispatchAtOnce runs parkd on a
// SQLite data folder with a lease TTL of ten minutes, so that waiting for
// its dead predecessor's lease would outlast the test. A second parkd on
// the same folder is refused while the first runs. The first is killed
// with SIGKILL and started again: an order booked right after the restart
// reaches the lot and is confirmed (well inside the dead lease's ten
// minutes), under the same holder name as before the kill.
func TestSQLiteRestartAfterSIGKILLResumesDispatchAtOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the parkd binary")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bin := buildParkd(t)
	lot := startLot(t, 5)
	dataDir := t.TempDir()
	runParkd(ctx, t, bin, "account", "add", "--data", dataDir, "--user-id", resvCrashVendor, "--password", password,
		"--callback", lot.URL(), "--callback-token", lotToken)
	out := strings.Fields(runParkd(ctx, t, bin, "apikey", "add", "--data", dataDir, "--name", "city app"))
	key := out[len(out)-1]
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()
	serve := parkdSpec{flags: append(serveFlags(dataDir), "--lease-ttl", "10m"), ready: 15 * time.Second}

	p := startParkd(ctx, t, bin, serve)
	vendor, err := client.New(client.Config{BaseURL: p.url, UserID: resvCrashVendor, Password: password, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	if err := vendor.Login(ctx); err != nil {
		t.Fatal(err)
	}
	isv := sdkPark(t, vendor, parkInfo(parkA))
	book := func(p *parkdProc, plate string) string {
		body := map[string]any{"parkId": isv, "plateNo": plate, "bookTime": dtText(time.Now().Add(time.Hour))}
		status, v := resvCall(ctx, t, hc, http.MethodPost, p.url+"/api/v1/reservations", key, body)
		if status != http.StatusCreated {
			t.Fatalf("booking: HTTP %d %+v", status, v)
		}
		return v.BookCode
	}
	confirmed := func(p *parkdProc, code string) {
		for {
			_, v := resvCall(ctx, t, hc, http.MethodGet, p.url+"/api/v1/reservations/"+code, key, nil)
			if v.State == string(platform.ReservationConfirmed) {
				return
			}
			select {
			case <-ctx.Done():
				t.Fatalf("order %s is %s: not confirmed (the old lease would last 10 minutes)\n%s", code, v.State, p.log())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	confirmed(p, book(p, plateOf(71001)))
	before := sqliteLeaseHolder(ctx, t, dataDir)

	// A second process on the same folder is refused.
	second := exec.CommandContext(ctx, bin, "serve", "--addr", testserver.FreeAddr(t), "--data", dataDir, "--plain-http")
	second.Env = parkdEnv()
	if msg, err := second.CombinedOutput(); err == nil || !strings.Contains(string(msg), "data folder in use") {
		t.Fatalf("a second parkd on the same data folder: %v\n%s", err, msg)
	}

	p.kill(t)
	hc.CloseIdleConnections()
	p = startParkd(ctx, t, bin, serve)
	confirmed(p, book(p, plateOf(71002)))
	after := sqliteLeaseHolder(ctx, t, dataDir)
	if before == "" || after != before {
		t.Errorf("reservations lease held by %q before the kill, %q after, want the folder's one holder", before, after)
	}
	p.stop(t)
}

// sqliteLeaseHolder returns the holder of the "reservations" lease in
// the SQLite database of dataDir, read on a read-only connection while
// parkd serves it.
func sqliteLeaseHolder(ctx context.Context, t *testing.T, dataDir string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dataDir, "parkd.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var holder string
	if err := db.QueryRowContext(ctx, "SELECT holder FROM leases WHERE name = 'reservations'").Scan(&holder); err != nil {
		t.Fatalf("reading the reservations lease: %v", err)
	}
	return holder
}

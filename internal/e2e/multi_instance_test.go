//go:build unix

package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/postgres"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Parameters of the tests that run two parkd processes on one PostgreSQL
// database.
const (
	multiDSNVar   = "PARKD_TEST_POSTGRES"
	multiVendor   = "multivendor"
	multiLeaseTTL = 2 * time.Second
	multiOrders   = 15
	// multiTimeout bounds each test once the binary is built.
	multiTimeout = 25 * time.Second
)

// multiLeases are the background jobs that run under a lease.
var multiLeases = []string{"liveness", "reservations", "retention"}

// TestTwoInstancesServeAsOne runs two parkd processes on one schema with
// one picture folder, and a parking system that spreads its calls over
// them: it logs in on A and uses that token on B for parkInfo,
// entranceExitInfo, records, a picture and vacancy, with heartbeats
// alternating between A and B. Asserted: a token issued by one instance is
// honoured by the other; every record is stored once whichever instance
// took it; the picture's file is in the shared folder; A's replenish list
// is built from what B stored; a second login on B gives a second live
// token and both work; each background job's lease is held by exactly one
// instance, which alone ran the job, and a clean shutdown releases it.
func TestTwoInstancesServeAsOne(t *testing.T) {
	ctx, e := multiSetup(t, true)
	runParkd(ctx, t, e.bin, "account", "add", "--db", e.dsn, "--user-id", multiVendor, "--password", password)
	a := multiStart(ctx, t, e, "A")
	b := multiStart(ctx, t, e, "B")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	token := multiLogin(ctx, t, hc, a)
	for _, p := range []*multiProc{b, a, b, a} {
		multiHeartbeat(ctx, t, hc, p, token)
	}
	park := multiCall[protocol.ParkInfoResponse](ctx, t, hc, b, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(parkA)})
	isv := park[0].IsvParkID
	ent := multiCall[protocol.EntranceExitResponse](ctx, t, hc, b, protocol.EntranceExitCode, token,
		[]protocol.EntranceExitInfo{entrance(parkA, "GATE01", "北门入口")})

	// One visit in and out, and an exit whose entry never came: its plate
	// is what the replenish list must ask for.
	enterAt := time.Now().Add(-2 * time.Hour)
	leaveAt := time.Now().Add(-time.Hour)
	in := enter(t, parkA, recordID(1), "粤B10001", "2024-01-01 08:00:00")
	in.EnterTime = protocol.NewDateTime(enterAt)
	out := exit(t, parkA, recordID(1), "粤B10001", "2024-01-01 09:00:00")
	out.LeaveTime = protocol.NewDateTime(leaveAt)
	orphan := exit(t, parkA, recordID(2), "粤B20002", "2024-01-01 09:00:00")
	orphan.LeaveTime = protocol.NewDateTime(leaveAt)
	multiCall[protocol.RecordResponse](ctx, t, hc, b, protocol.EnterRecordCode, token, []protocol.EnterRecord{in})
	multiHeartbeat(ctx, t, hc, b, token)
	multiCall[protocol.RecordResponse](ctx, t, hc, b, protocol.ExitRecordCode, token, []protocol.ExitRecord{out, orphan})
	img := testJPEG(t)
	multiPicture(ctx, t, hc, b, token, parkA, photoID, img)
	multiCall[protocol.ParkCodeResponse](ctx, t, hc, b, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 40)})
	multiHeartbeat(ctx, t, hc, a, token)
	// The same entry again, on the other instance: a success that stores
	// nothing new.
	multiCall[protocol.RecordResponse](ctx, t, hc, a, protocol.EnterRecordCode, token, []protocol.EnterRecord{in})

	rep := multiCall[protocol.ReplenishResponse](ctx, t, hc, a, protocol.ReplenishCode, token,
		[]protocol.ReplenishRequest{{ParkCode: parkA, QueryDate: protocol.NewDate(leaveAt), CurrentPage: 1, PageSize: 50}})
	if len(rep) != 1 || !slices.Equal(rep[0].PlateNoList, []string{"粤B20002"}) || rep[0].Total != 1 {
		t.Errorf("replenishCarInfo on A: %+v, want the plate of B's exit without entry", rep)
	}

	// A second session of the same account, opened on B: both tokens live.
	token2 := multiLogin(ctx, t, hc, b)
	if token2 == token {
		t.Fatal("the second login returned the first token")
	}
	multiHeartbeat(ctx, t, hc, b, token)
	multiHeartbeat(ctx, t, hc, a, token2)
	multiCall[protocol.ParkCodeResponse](ctx, t, hc, a, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 41)})
	multiCall[protocol.ParkCodeResponse](ctx, t, hc, b, protocol.ParkSpaceInfoCode, token2, []protocol.ParkSpaceInfo{space(parkA, 42)})

	// What the two stored, read from the database.
	multiView(ctx, t, e, func(tx platform.Tx) error {
		if en, err := tx.Entrance(isv, "GATE01"); err != nil || en.ID != ent[0].ID {
			t.Errorf("entrance: %+v %v, want id %s", en, err, ent[0].ID)
		}
		for _, c := range []struct {
			kind    platform.RecordKind
			id      string
			plate   string
			noEntry bool
		}{{platform.KindEnter, recordID(1), "粤B10001", false}, {platform.KindExit, recordID(1), "粤B10001", false},
			{platform.KindExit, recordID(2), "粤B20002", true}} {
			r, err := tx.Record(c.kind, isv, c.id)
			if err != nil || r.PlateNo != c.plate || r.NoEntry != c.noEntry {
				t.Errorf("%s record %s: %+v %v", c.kind, c.id, r, err)
			}
		}
		if h, err := tx.History("enter", isv, recordID(1)); err != nil || len(h) != 0 {
			t.Errorf("the identical entry re-sent on A left history %+v %v", h, err)
		}
		if p, err := tx.Picture(multiVendor, parkA, photoID); err != nil || p.Hash != blob.Key(img) || p.Size != len(img) {
			t.Errorf("picture: %+v %v", p, err)
		}
		if v, err := tx.Vacancy(isv); err != nil || v.UsedStalls != 42 {
			t.Errorf("vacancy: %+v %v, want the last report (42 used)", v, err)
		}
		if acct, err := tx.Account(multiVendor); err != nil || !acct.Online {
			t.Errorf("account: online %v, %v", acct.Online, err)
		}
		return nil
	})
	for _, c := range []struct {
		query string
		arg   string
		want  int
	}{
		{"SELECT COUNT(*) FROM enter_records WHERE isv_park_id = $1", isv, 1},
		{"SELECT COUNT(*) FROM exit_records WHERE isv_park_id = $1", isv, 2},
		{"SELECT COUNT(*) FROM parks WHERE isv_park_id = $1", isv, 1},
		{"SELECT COUNT(*) FROM tokens WHERE user_id = $1", multiVendor, 2},
	} {
		if n := multiCount(ctx, t, e, c.query, c.arg); n != c.want {
			t.Errorf("%s: %d rows, want %d", c.query, n, c.want)
		}
	}

	// The picture's bytes are in the shared folder, and nowhere else.
	shared, err := blob.NewFS(e.pictures)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := shared.Get(ctx, blob.Key(img)); err != nil || !bytes.Equal(got, img) {
		t.Errorf("the shared picture folder does not hold the picture: %v", err)
	}
	for _, p := range []*multiProc{a, b} {
		if files := multiFiles(t, p.dataDir); len(files) != 0 {
			t.Errorf("data folder of %s holds %v; pictures belong in the shared folder", p.name, files)
		}
	}

	// Each job's lease has one holder, one of the two, which keeps
	// renewing it; only that instance ever took it.
	holders := multiSteadyLeases(ctx, t, e, a, b)
	for _, name := range multiLeases {
		for _, p := range []*multiProc{a, b} {
			taken := multiLeaseTaken(t, p, name)
			switch {
			case p.pid == holders[name] && taken != 1:
				t.Errorf("%s holds lease %s but logged taking it %d times\n%s", p.name, name, taken, p.log())
			case p.pid != holders[name] && taken != 0:
				t.Errorf("%s does not hold lease %s but logged taking it %d times\n%s", p.name, name, taken, p.log())
			}
		}
	}

	// A clean shutdown of both releases every lease.
	hc.CloseIdleConnections()
	a.stop(t)
	b.stop(t)
	if rows := multiLeaseRows(ctx, t, e); len(rows) != 0 {
		t.Errorf("leases left after both instances stopped: %+v", rows)
	}
}

// TestLeaseHolderKilledOtherTakesOver runs two parkd processes on one
// schema and a lot whose downlink server drops every connection, so the
// orders booked through the booking API on both instances pile up in the
// queue. The instance holding the "reservations" lease is killed with
// SIGKILL at a moment when no dispatch is in flight, and the lot comes
// back. Asserted: the survivor takes the lease within two TTLs and
// delivers every order; the lot's handler saw each bookCode exactly once;
// every order's history is booked then confirmed; the queue ends empty;
// every lease, liveness included, ends with the survivor.
func TestLeaseHolderKilledOtherTakesOver(t *testing.T) {
	ctx, e := multiSetup(t, true)
	started := time.Now()
	lot := startLot(t, multiOrders)
	lot.setDown(true)
	runParkd(ctx, t, e.bin, "account", "add", "--db", e.dsn, "--user-id", multiVendor, "--password", password,
		"--callback", lot.URL(), "--callback-token", lotToken)
	out := strings.Fields(runParkd(ctx, t, e.bin, "apikey", "add", "--db", e.dsn, "--name", "city app"))
	if len(out) == 0 || !strings.Contains(out[len(out)-1], ".") {
		t.Fatalf("apikey add printed %q", out)
	}
	key := out[len(out)-1]

	a := multiStart(ctx, t, e, "A")
	b := multiStart(ctx, t, e, "B")
	procs := []*multiProc{a, b}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	token := multiLogin(ctx, t, hc, a)
	park := multiCall[protocol.ParkInfoResponse](ctx, t, hc, b, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(parkA)})
	isv := park[0].IsvParkID

	bookTime := dtText(time.Now().Add(time.Hour))
	codes := make([]string, multiOrders)
	for i := range codes {
		p := procs[i%2]
		body := map[string]any{"parkId": isv, "plateNo": plateOf(80001 + i), "bookTime": bookTime}
		status, v := resvCall(ctx, t, hc, http.MethodPost, p.url+"/api/v1/reservations", key, body)
		if status != http.StatusCreated || v.State != string(platform.ReservationPending) {
			t.Fatalf("booking %d on %s: HTTP %d %+v", i, p.name, status, v)
		}
		codes[i] = v.BookCode
	}

	rows := multiLeaseRows(ctx, t, e)
	victim, survivor := a, b
	switch pid := multiHolderPID(rows["reservations"].holder); pid {
	case a.pid:
	case b.pid:
		victim, survivor = b, a
	default:
		t.Fatalf("the reservations lease is held by %q, neither A (%d) nor B (%d)", rows["reservations"].holder, a.pid, b.pid)
	}

	attempts := multiQuietQueue(ctx, t, e, victim, codes)
	killedAt := time.Now()
	victim.kill(t)
	t.Logf("SIGKILL %s (pid %d) with %d dispatches queued (attempts %v), the lot dropped %d connections",
		victim.name, victim.pid, len(attempts), attempts, lot.droppedCount())
	if n := len(lot.allCalls()); n != 0 {
		t.Fatalf("the lot's handler saw %d calls while it was down", n)
	}
	lot.setDown(false)
	hc.CloseIdleConnections()

	// The survivor takes the reservation engine over within two TTLs.
	took := multiAwaitHolder(ctx, t, e, survivor, "reservations", killedAt.Add(4*multiLeaseTTL))
	if d := took.Sub(killedAt); d > 2*multiLeaseTTL {
		t.Errorf("%s took the reservations lease %s after the kill, want within %s", survivor.name, d, 2*multiLeaseTTL)
	} else {
		t.Logf("%s took the reservations lease %s after the kill", survivor.name, d.Round(time.Millisecond))
	}

	deadline := time.Now().Add(15 * time.Second)
	for i := 0; i < len(codes); {
		_, v := resvCall(ctx, t, hc, http.MethodGet, survivor.url+"/api/v1/reservations/"+codes[i], key, nil)
		switch {
		case v.State == string(platform.ReservationConfirmed):
			i++
			continue
		case v.State != string(platform.ReservationPending) && v.State != string(platform.ReservationDispatched):
			t.Fatalf("order %s is %s: %+v", codes[i], v.State, v.History)
		case time.Now().After(deadline):
			t.Fatalf("order %s still %s 15s after the takeover\n%s", codes[i], v.State, survivor.log())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for confirmations: %v", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Logf("all %d orders confirmed %s after the kill", len(codes), time.Since(killedAt).Round(time.Millisecond))

	for _, c := range codes {
		calls := lot.callsOf(protocol.ReservationCode, c)
		if len(calls) != 1 || calls[0].Answer != protocol.CodeOK {
			t.Errorf("order %s: the lot's handler saw %+v, want it once, answered 0", c, calls)
		}
		_, v := resvCall(ctx, t, hc, http.MethodGet, survivor.url+"/api/v1/reservations/"+c, key, nil)
		if want := []string{">pending: booked", "pending>dispatched: sent to the lot (attempt 1)", "dispatched>confirmed: lot answered 0"}; !slices.Equal(causes(v), want) {
			t.Errorf("order %s: history %q, want %q", c, causes(v), want)
		}
	}
	if calls := lot.allCalls(); len(calls) != len(codes) {
		t.Errorf("the lot's handler saw %d calls, want %d", len(calls), len(codes))
	}
	if n := multiCount(ctx, t, e, "SELECT COUNT(*) FROM dispatches"); n != 0 {
		t.Errorf("%d dispatches left in the queue", n)
	}

	// Every lease, liveness and retention included, ends with the survivor.
	for _, name := range multiLeases {
		multiAwaitHolder(ctx, t, e, survivor, name, killedAt.Add(4*multiLeaseTTL))
	}
	hc.CloseIdleConnections()
	survivor.stop(t)
	if rows := multiLeaseRows(ctx, t, e); len(rows) != 0 {
		t.Errorf("leases left after the survivor stopped: %+v", rows)
	}
	t.Logf("test body took %s", time.Since(started).Round(time.Millisecond))
}

// TestTwoInstancesRecordEachOnlineChangeOnce runs two platforms
// in-process on one schema with one manual clock, and sends each of them
// logins (after the sweep marked the account offline) and heartbeats
// (after the account was set offline) of one account at the same time.
// Asserted: the online/offline history of the account and of its park
// records each change once, so that its events alternate.
func TestTwoInstancesRecordEachOnlineChangeOnce(t *testing.T) {
	_, e := multiSetup(t, false)
	clock := testserver.NewClock(testserver.Epoch)
	srvs := make([]*testserver.Server, 2)
	for i := range srvs {
		srvs[i] = testserver.Start(t, testserver.Options{Clock: clock,
			Config: server.Config{DB: e.dsn, Pictures: e.pictures, NoBackground: true}})
	}
	addAccount(t, srvs[0], multiVendor)
	isv := registerPark(t, srvs[1], srvs[0].Login(t, multiVendor, password), parkA)
	const racers = 4 // requests at once, spread over both instances
	tokens := make([]string, racers)
	for i := range tokens {
		tokens[i] = srvs[i%2].Login(t, multiVendor, password)
	}
	// race sends body to code on both instances from racers goroutines
	// at once, each with its token, and requires code 0 of each.
	race := func(code protocol.Interface, body func(i int) []byte) {
		t.Helper()
		bodies := make([][]byte, racers)
		for i := range bodies {
			bodies[i] = body(i)
		}
		start := make(chan struct{})
		errs := make([]error, racers)
		var wg sync.WaitGroup
		for i := range racers {
			wg.Go(func() {
				<-start
				resp, err := post(srvs[i%2], code, tokens[i], bodies[i])
				if err == nil && resp.Code != protocol.CodeOK {
					err = fmt.Errorf("code %d %s", resp.Code, resp.Message)
				}
				errs[i] = err
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("%s %d on instance %d: %v", code, i, i%2, err)
			}
		}
	}
	login := mustJSON(t, []protocol.LoginRequest{protocol.NewLoginRequest(multiVendor, password)})
	const rounds = 5
	for round := range rounds {
		// Offline by the sweep (all tokens expired), then logins.
		clock.Advance(srvs[0].Sessions.Config().TTL() + time.Minute)
		if err := srvs[round%2].Sessions.Sweep(context.Background()); err != nil {
			t.Fatal(err)
		}
		race(protocol.Login, func(int) []byte { return envelope(now(srvs[0]), protocol.Sign(login), login) })
		for i := range tokens {
			tokens[i] = srvs[i%2].Login(t, multiVendor, password)
		}

		// Offline as the sweep records it, with the tokens still live,
		// then heartbeats.
		clock.Advance(time.Minute)
		update(t, srvs[0], func(tx platform.Tx) error {
			at := clock.Now()
			if err := tx.SetAccountState(platform.LivenessEvent{UserID: multiVendor, At: at, Cause: "timeout"}); err != nil {
				return err
			}
			return tx.AddLivenessEvent(platform.LivenessEvent{UserID: multiVendor, IsvParkID: isv, At: at, Cause: "timeout"})
		})
		clock.Advance(time.Second)
		race(protocol.HeartBeats, func(int) []byte {
			data := mustJSON(t, []protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(clock.Now())}})
			return envelope(now(srvs[0]), protocol.Sign(data), data)
		})
	}

	var events []platform.LivenessEvent
	view(t, srvs[0], func(tx platform.Tx) error {
		var err error
		events, err = tx.LivenessHistory(multiVendor, 0)
		return err
	})
	for _, id := range []string{"", isv} {
		var states []string
		for _, ev := range events {
			if ev.IsvParkID == id {
				states = append(states, fmt.Sprintf("%t:%s", ev.Online, ev.Cause))
			}
		}
		// The first login (for the park, its first report), then per
		// round: timeout, login, timeout, heartbeat.
		want := []string{"true:login"}
		if id == isv {
			want = []string{"true:registered"}
		}
		for range rounds {
			want = append(want, "false:timeout", "true:login", "false:timeout", "true:heartbeat")
		}
		if !slices.Equal(states, want) {
			t.Errorf("liveness history of %q:\n got %q\nwant %q", id, states, want)
		}
	}
}

// multiEnv is a test's database schema, parkd binary and picture folder.
type multiEnv struct {
	bin      string
	schema   string
	dsn      string // the DSN the processes get: the test's, with search_path=schema
	pictures string // the picture folder the instances share
	db       *pgx.Conn
}

// multiSetup skips the test unless PARKD_TEST_POSTGRES names a database;
// else it builds parkd when the test runs processes, creates a fresh
// schema (dropped when the test ends) and opens a read-only connection on
// it for the test's own queries. The context it returns ends after
// multiTimeout.
func multiSetup(t *testing.T, processes bool) (context.Context, *multiEnv) {
	t.Helper()
	dsn := os.Getenv(multiDSNVar)
	if dsn == "" {
		t.Skipf("multi-instance tests skipped: set %s to a PostgreSQL DSN, e.g. %s=postgres://postgres@127.0.0.1:5432/test?sslmode=disable",
			multiDSNVar, multiDSNVar)
	}
	u, err := url.Parse(dsn)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Skipf("multi-instance tests skipped: %s must be a postgres:// URL (parkd --db takes only those)", multiDSNVar)
	}
	e := &multiEnv{pictures: t.TempDir()}
	if processes {
		if testing.Short() {
			t.Skip("builds and runs the parkd binary")
		}
		// The build has its own bound (see buildParkd): what
		// multiTimeout bounds is the test itself.
		e.bin = buildParkd(t)
	}

	ctx, cancel := context.WithTimeout(context.Background(), multiTimeout)
	t.Cleanup(cancel)

	var b [6]byte
	_, _ = rand.Read(b[:])
	e.schema = "parkd_multi_" + hex.EncodeToString(b[:])
	// Registered first, so it runs last: after the processes are killed.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			t.Errorf("drop schema %s: %v", e.schema, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP SCHEMA "+e.schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", e.schema, err)
		}
	})
	store, err := postgres.Open(ctx, dsn, postgres.Options{Schema: e.schema})
	if err != nil {
		t.Fatalf("creating schema %s: %v", e.schema, err)
	}
	if err := store.Close(); err != nil {
		t.Fatal(err)
	}

	q := u.Query()
	q.Set("search_path", e.schema)
	u.RawQuery = q.Encode()
	e.dsn = u.String()

	cfg, err := pgx.ParseConfig(e.dsn)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	e.db, err = pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatalf("connecting to %s: %v", e.schema, err)
	}
	t.Cleanup(func() { e.db.Close(context.Background()) })
	return ctx, e
}

// multiProc is a running `parkd serve` of a multi-instance test.
type multiProc struct {
	*parkdProc
	name    string
	dataDir string
}

// multiStart starts `parkd serve --plain-http` on the test's schema and
// shared picture folder, with its own data folder, a free loopback port
// and a lease TTL of multiLeaseTTL, and waits (up to 10 s) until /healthz
// answers. If another process took the port meanwhile, it tries another.
// The process is killed when the test ends if it still runs.
func multiStart(ctx context.Context, t *testing.T, e *multiEnv, name string) *multiProc {
	t.Helper()
	dataDir := t.TempDir()
	p := startParkd(ctx, t, e.bin, parkdSpec{name: name, ready: 10 * time.Second,
		flags: []string{"--data", dataDir, "--db", e.dsn, "--pictures", e.pictures,
			"--plain-http", "--lease-ttl", multiLeaseTTL.String(), "--log-level", "info"}})
	return &multiProc{parkdProc: p, name: name, dataDir: dataDir}
}

// resvRunParkd is runParkd under the name multi_login_test.go still
// calls it by.
func resvRunParkd(ctx context.Context, t *testing.T, bin string, args ...string) string {
	t.Helper()
	return runParkd(ctx, t, bin, args...)
}

// multiCall sends items to code on p with token, requires code 0 and
// returns the decoded data.
func multiCall[T any](ctx context.Context, t *testing.T, hc *http.Client, p *multiProc, code protocol.Interface, token string, items any) []T {
	t.Helper()
	resp, err := crashPost(ctx, hc, p.url, code, token, items)
	if err != nil {
		t.Fatalf("%s on %s: %v", code, p.name, err)
	}
	if resp.Code == protocol.CodeInternal {
		t.Fatalf("%s on %s: code %d %s\n%s", code, p.name, resp.Code, resp.Message, p.log())
	}
	if resp.Code != protocol.CodeOK {
		t.Fatalf("%s on %s: code %d %s", code, p.name, resp.Code, resp.Message)
	}
	var out []T
	if err := json.Unmarshal(resp.Data, &out); err != nil {
		t.Fatalf("%s on %s: data %s: %v", code, p.name, resp.Data, err)
	}
	return out
}

// multiLogin logs the test's vendor in on p and returns the token.
func multiLogin(ctx context.Context, t *testing.T, hc *http.Client, p *multiProc) string {
	t.Helper()
	out := multiCall[protocol.LoginResponse](ctx, t, hc, p, protocol.Login, "",
		[]protocol.LoginRequest{protocol.NewLoginRequest(multiVendor, password)})
	if len(out) != 1 || !hex32.MatchString(out[0].AccessToken) {
		t.Fatalf("login on %s: %+v", p.name, out)
	}
	return out[0].AccessToken
}

// multiHeartbeat sends a heartbeat with token to p and checks the server
// time it answers.
func multiHeartbeat(ctx context.Context, t *testing.T, hc *http.Client, p *multiProc, token string) {
	t.Helper()
	sent := time.Now()
	out := multiCall[protocol.HeartbeatResponse](ctx, t, hc, p, protocol.HeartBeats, token,
		[]protocol.HeartbeatRequest{{RequestTime: protocol.NewDateTime(sent)}})
	if len(out) != 1 || out[0].Timestamp < sent.Add(-time.Second).UnixMilli() || out[0].Timestamp > time.Now().Add(time.Second).UnixMilli() {
		t.Errorf("heartBeats on %s: %+v, want the server time", p.name, out)
	}
}

// multiPicture sends a picture to p with token and requires code 0.
func multiPicture(ctx context.Context, t *testing.T, hc *http.Client, p *multiProc, token, park, id string, img []byte) {
	t.Helper()
	now := time.Now()
	fields := protocol.PictureForm{Timestamp: protocol.Millis(now), Sign: protocol.Sign(img), Version: protocol.Version,
		ParkCode: park, ID: id, FileName: id + ".jpg", ImageBizType: protocol.ImagePlate,
		PickTime: protocol.Millis(now.Add(-time.Second))}.Fields()
	body, ct := multipartBody(t, fields, img)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url+protocol.PictureCode.Path(), bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", token)
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatalf("picture on %s: %v", p.name, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var env protocol.Response
	if err := json.Unmarshal(raw, &env); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("picture on %s: HTTP %d %v: %s", p.name, resp.StatusCode, err, raw)
	}
	if env.Code != protocol.CodeOK {
		t.Fatalf("picture on %s: code %d %s", p.name, env.Code, env.Message)
	}
}

// multiView reads the schema through the PostgreSQL store.
func multiView(ctx context.Context, t *testing.T, e *multiEnv, fn func(tx platform.Tx) error) {
	t.Helper()
	store, err := postgres.Open(ctx, e.dsn, postgres.Options{Schema: e.schema, MaxConns: 1})
	if err != nil {
		t.Fatalf("opening the store: %v", err)
	}
	defer store.Close()
	if err := store.View(ctx, fn); err != nil {
		t.Fatalf("reading the store: %v", err)
	}
}

// multiCount runs a COUNT query on the read-only connection.
func multiCount(ctx context.Context, t *testing.T, e *multiEnv, query string, args ...any) int {
	t.Helper()
	var n int
	if err := e.db.QueryRow(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// multiFiles lists the regular files under dir.
func multiFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// multiLease is one row of the leases table.
type multiLease struct {
	holder string
	until  time.Time
}

// multiLeaseRows reads the leases table.
func multiLeaseRows(ctx context.Context, t *testing.T, e *multiEnv) map[string]multiLease {
	t.Helper()
	rows, err := e.db.Query(ctx, "SELECT name, holder, until_at FROM leases")
	if err != nil {
		t.Fatalf("reading leases: %v", err)
	}
	defer rows.Close()
	out := map[string]multiLease{}
	for rows.Next() {
		var name, holder string
		var until int64
		if err := rows.Scan(&name, &holder, &until); err != nil {
			t.Fatalf("reading leases: %v", err)
		}
		out[name] = multiLease{holder: holder, until: time.UnixMilli(until)}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading leases: %v", err)
	}
	return out
}

// multiHolderPID returns the pid in a lease holder's name (host/pid/random),
// or 0.
func multiHolderPID(holder string) int {
	parts := strings.Split(holder, "/")
	if len(parts) < 3 {
		return 0
	}
	pid, _ := strconv.Atoi(parts[len(parts)-2])
	return pid
}

// multiSteadyLeases watches the leases table for a little longer than one
// TTL (several renewals) and requires each job's lease to have one holder
// throughout, one of procs, with a time that is renewed and never runs
// out. It returns the holder's pid of each lease.
func multiSteadyLeases(ctx context.Context, t *testing.T, e *multiEnv, procs ...*multiProc) map[string]int {
	t.Helper()
	holders := map[string]int{}
	first := map[string]time.Time{}
	renewed := map[string]bool{}
	end := time.Now().Add(multiLeaseTTL + multiLeaseTTL/2)
	for time.Now().Before(end) {
		at := time.Now()
		rows := multiLeaseRows(ctx, t, e)
		for _, name := range multiLeases {
			l, ok := rows[name]
			if !ok {
				t.Fatalf("no %s lease: %+v", name, rows)
			}
			pid := multiHolderPID(l.holder)
			if !slices.ContainsFunc(procs, func(p *multiProc) bool { return p.pid == pid }) {
				t.Fatalf("lease %s is held by %q, not by one of the instances", name, l.holder)
			}
			if prev, ok := holders[name]; ok && prev != pid {
				t.Fatalf("lease %s moved from pid %d to %d while both instances run", name, prev, pid)
			}
			holders[name] = pid
			// A lease renewed every TTL/3 never lapses; allow some
			// scheduling slack on a loaded machine.
			if !l.until.After(at.Add(-multiLeaseTTL / 3)) {
				t.Errorf("lease %s of pid %d ran out at %s (now %s)", name, pid, l.until.Format(time.StampMilli), at.Format(time.StampMilli))
			}
			if f, ok := first[name]; !ok {
				first[name] = l.until
			} else if l.until.After(f) {
				renewed[name] = true
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("watching leases: %v", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	for _, name := range multiLeases {
		if !renewed[name] {
			t.Errorf("lease %s was not renewed in %s", name, multiLeaseTTL+multiLeaseTTL/2)
		}
	}
	return holders
}

// multiLeaseTaken counts the "lease taken" lines of lease name in p's log.
func multiLeaseTaken(t *testing.T, p *multiProc, name string) int {
	t.Helper()
	n := 0
	for line := range strings.Lines(p.log()) {
		var entry struct {
			Msg   string `json:"msg"`
			Lease string `json:"lease"`
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "lease taken" && entry.Lease == name {
			n++
		}
	}
	return n
}

// multiAwaitHolder polls the leases table until p holds lease name and
// returns when it saw that; past deadline it fails the test.
func multiAwaitHolder(ctx context.Context, t *testing.T, e *multiEnv, p *multiProc, name string, deadline time.Time) time.Time {
	t.Helper()
	for {
		rows := multiLeaseRows(ctx, t, e)
		if multiHolderPID(rows[name].holder) == p.pid {
			return time.Now()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s (pid %d) does not hold lease %s by %s: %+v\n%s", p.name, p.pid, name,
				deadline.Format(time.StampMilli), rows, p.log())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for lease %s: %v", name, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// multiQuietQueue polls the dispatches table (read-only) until it holds
// one dispatch per order, each tried at least twice, none claimed by a
// sender (a claim moves it 30 s ahead), none due within the next 200 ms
// and all due within 8 s, so that a kill now interrupts no call and the
// survivor's retries come soon. It returns the attempts of each order.
func multiQuietQueue(ctx context.Context, t *testing.T, e *multiEnv, p *multiProc, codes []string) []int {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		attempts, quiet := multiQueueState(ctx, t, e, codes)
		if quiet {
			return attempts
		}
		if time.Now().After(deadline) {
			t.Fatalf("the queue never settled: attempts %v\n%s", attempts, p.log())
		}
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for a quiet queue: %v (attempts %v)", ctx.Err(), attempts)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func multiQueueState(ctx context.Context, t *testing.T, e *multiEnv, codes []string) ([]int, bool) {
	t.Helper()
	rows, err := e.db.Query(ctx, "SELECT book_code, op, attempts, next_at FROM dispatches")
	if err != nil {
		t.Fatalf("reading the queue: %v", err)
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
			t.Fatalf("reading the queue: %v", err)
		}
		if _, dup := byCode[code]; dup || op != "reservation" {
			t.Fatalf("unexpected dispatch %s of %s", op, code)
		}
		byCode[code] = attempts
		if attempts < 2 || next <= now+200 || next > now+8000 {
			quiet = false
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("reading the queue: %v", err)
	}
	attempts := make([]int, 0, len(codes))
	for _, c := range codes {
		n, ok := byCode[c]
		if !ok {
			quiet = false
		}
		attempts = append(attempts, n)
	}
	return attempts, quiet && len(byCode) == len(codes)
}

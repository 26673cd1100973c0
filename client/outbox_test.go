package client_test

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// openOutbox opens an outbox with short back-offs, closed when the test
// ends.
func openOutbox(t testing.TB, cfg client.OutboxConfig) *client.Outbox {
	t.Helper()
	if cfg.MinBackoff == 0 {
		cfg.MinBackoff = 2 * time.Millisecond
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 20 * time.Millisecond
	}
	o, err := client.OpenOutbox(cfg)
	if err != nil {
		t.Fatalf("OpenOutbox: %v", err)
	}
	t.Cleanup(func() { o.Close() })
	return o
}

// queueEntries queues n entries of park numbered from first and returns
// their ids.
func queueEntries(t testing.TB, o *client.Outbox, park, tag string, first, n int) []string {
	t.Helper()
	var ids []string
	for i := first; i < first+n; i++ {
		id := eventID(tag, i)
		if err := o.EnterRecord(enter(t, park, id, plateNo(i), "2024-01-01 07:00:00")); err != nil {
			t.Fatalf("queueing %s: %v", id, err)
		}
		ids = append(ids, id)
	}
	return ids
}

// logRecorder is a slog.Handler that keeps the messages it is given.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (h *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *logRecorder) WithGroup(string) slog.Handler            { return h }
func (h *logRecorder) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.msgs = append(h.msgs, r.Message)
	h.mu.Unlock()
	return nil
}

func (h *logRecorder) count(msg string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, m := range h.msgs {
		if m == msg {
			n++
		}
	}
	return n
}

// Records queued while the platform is down wait in the outbox, ageing,
// and are each stored exactly once after it comes back on the same
// address.
func TestOutboxDeliversAfterOutage(t *testing.T) {
	ts := startPlatform(t, true)
	c := newClient(t, ts)
	isv := registerPark(t, c, parkA)
	cfg := ts.Config
	cfg.Addr = ts.Addr()
	if err := ts.Close(); err != nil {
		t.Fatal(err)
	}

	local := testserver.NewClock(testserver.Epoch)
	logs := &logRecorder{}
	o := openOutbox(t, client.OutboxConfig{Dir: t.TempDir(), Client: c, Now: local.Now, Log: slog.New(logs)})
	const n = 120 // three requests' worth
	ids := queueEntries(t, o, parkA, "down", 0, n)
	waitFor(t, "a failed delivery", func() bool { return logs.count("outbox: delivery failed, will retry") > 0 })
	if s := o.Stats(); s.Depth != n || s.Sent != 0 || s.OldestAge != 0 {
		t.Fatalf("stats while down: %+v, want depth %d", s, n)
	}
	local.Advance(5 * time.Minute)
	if s := o.Stats(); s.Depth != n || s.OldestAge != 5*time.Minute {
		t.Fatalf("stats 5 min into the outage: %+v, want depth %d, oldest 5m", s, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	if err := o.Flush(ctx); err != context.DeadlineExceeded {
		t.Errorf("Flush while down: %v, want the context's deadline", err)
	}
	cancel()

	srv, err := server.New(cfg, ts.Clock.Now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("restarting on %s: %v", cfg.Addr, err)
	}
	t.Cleanup(func() { srv.Close() })
	local.Advance(time.Minute) // past any back-off
	flush(t, o)
	if s := o.Stats(); s.Depth != 0 || s.Sent != n || s.OldestAge != 0 || s.Rejected != 0 {
		t.Errorf("stats after the outage: %+v", s)
	}
	wantSameIDs(t, storedEntries(t, srv.Store, isv), ids)
}

// The lot's process is killed with SIGKILL while it queues records; every
// record it had been told was queued is delivered exactly once by the
// next process that opens the outbox, and nothing else is.
func TestOutboxSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a subprocess")
	}
	ts := startPlatform(t, true)
	c := newClient(t, ts)
	isv := registerPark(t, c, parkA)
	dir := t.TempDir()

	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperLotProcess$", "-test.count=1", "-test.timeout=2m")
	cmd.Env = append(os.Environ(), "PARKD_TEST_LOT=1", "PARKD_TEST_LOT_URL="+ts.URL, "PARKD_TEST_LOT_DIR="+dir,
		"PARKD_TEST_LOT_NOW="+strconv.FormatInt(ts.Clock.Now().UnixMilli(), 10))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	watchdog := time.AfterFunc(time.Minute, func() { cmd.Process.Kill() })
	defer watchdog.Stop()

	var queued []string
	killed := false
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		id, ok := strings.CutPrefix(sc.Text(), "queued ")
		if !ok || len(id) != 32 {
			continue // a torn last line, or the test framework's output
		}
		queued = append(queued, id)
		if len(queued) == 300 && !killed {
			if err := cmd.Process.Kill(); err != nil { // SIGKILL
				t.Fatal(err)
			}
			killed = true
		}
	}
	err = cmd.Wait()
	if !killed || cmd.ProcessState.Exited() {
		t.Fatalf("the lot process ended by itself (%v) after queueing %d: %s", err, len(queued), stderr.String())
	}
	for i, id := range queued {
		if id != eventID("kill", i) {
			t.Fatalf("line %d of the lot process is %s", i, id)
		}
	}
	t.Logf("killed after %d of 2000 records were queued", len(queued))

	o := openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})
	flush(t, o)
	if s := o.Stats(); s.Depth != 0 || s.Rejected != 0 {
		t.Errorf("stats after replay: %+v", s)
	}
	got := storedEntries(t, ts.Store, isv)
	// The record being queued when the kill came may have reached the
	// journal without its id being printed; no other may be stored.
	next := eventID("kill", len(queued))
	if got[next] {
		delete(got, next)
	}
	wantSameIDs(t, got, queued)
}

// TestHelperLotProcess is the lot process of TestOutboxSurvivesSIGKILL: it
// queues 2,000 entries, printing each id once EnterRecord has returned,
// then waits to be killed.
func TestHelperLotProcess(t *testing.T) {
	if os.Getenv("PARKD_TEST_LOT") != "1" {
		t.Skip("run by TestOutboxSurvivesSIGKILL")
	}
	ms, err := strconv.ParseInt(os.Getenv("PARKD_TEST_LOT_NOW"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	now := time.UnixMilli(ms)
	c := clientFor(t, os.Getenv("PARKD_TEST_LOT_URL"), nil, func() time.Time { return now })
	o, err := client.OpenOutbox(client.OutboxConfig{Dir: os.Getenv("PARKD_TEST_LOT_DIR"), Client: c,
		MinBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		id := eventID("kill", i)
		if err := o.EnterRecord(enter(t, parkA, id, plateNo(i), "2024-01-01 07:00:00")); err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(os.Stdout, "queued %s\n", id)
	}
	select {} // until killed
}

// Items the platform refuses for their content are set aside with the
// code and message, kept across reopening, and never block the items
// queued with them; RetryRejected queues them again.
func TestOutboxSetsAsideRejections(t *testing.T) {
	ts := startPlatform(t, true)
	c := newClient(t, ts)
	isv := registerPark(t, c, parkA)
	dir := t.TempDir()
	o := openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})

	var enters []string
	for i := range 3 {
		enters = append(enters, eventID("ok", i))
		if err := o.EnterRecord(enter(t, parkA, enters[i], plateNo(i), "2024-01-01 07:00:00")); err != nil {
			t.Fatal(err)
		}
	}
	// One batch of three exits; the middle one leaves before it entered.
	err := o.ExitRecord(
		exit(t, parkA, enters[0], plateNo(0), "2024-01-01 07:30:00"),
		exit(t, parkA, enters[1], plateNo(1), "2024-01-01 06:00:00"),
		exit(t, parkA, enters[2], plateNo(2), "2024-01-01 07:30:00"))
	if err != nil {
		t.Fatal(err)
	}
	unknown := eventID("nopark", 0)
	if err := o.EnterRecord(enter(t, parkX, unknown, plateNo(9), "2024-01-01 07:00:00")); err != nil {
		t.Fatal(err)
	}
	bad := parkInfo(parkB)
	bad.AreaCode = "999999" // valid for the SDK, not in appendix F
	if err := o.ParkInfo(bad); err != nil {
		t.Fatal(err)
	}
	// Data the SDK can check itself is refused at once.
	if err := o.EnterRecord(enter(t, parkA, "short", plateNo(1), "2024-01-01 07:00:00")); protocol.CodeOf(err) != protocol.CodeTooLong {
		t.Errorf("queueing an id of 5 characters: %v, want 1004", err)
	}
	flush(t, o)

	if s := o.Stats(); s.Depth != 0 || s.Sent != 5 || s.Rejected != 3 {
		t.Errorf("stats: %+v, want 5 sent and 3 rejected", s)
	}
	rejected := o.Rejected()
	byKind := map[protocol.Interface]client.Rejection{}
	for _, r := range rejected {
		byKind[r.Kind] = r
	}
	checks := []struct {
		kind        protocol.Interface
		park        string
		code        protocol.Code
		msg, naming string
	}{
		{protocol.ExitRecordCode, parkA, protocol.CodeRange, "超出规定值范围: data[0].leaveTime", enters[1]},
		{protocol.EnterRecordCode, parkX, protocol.CodeNoPark, "车场不存在: data[0].parkCode", unknown},
		{protocol.ParkInfoCode, parkB, protocol.CodeRange, "超出规定值范围: data[0].areaCode", "999999"},
	}
	for _, ch := range checks {
		r, ok := byKind[ch.kind]
		if !ok {
			t.Errorf("no %s set aside; rejected: %+v", ch.kind, rejected)
			continue
		}
		if r.ParkCode != ch.park || r.Code != ch.code || !strings.HasPrefix(r.Message, ch.msg) || !strings.Contains(string(r.Item), ch.naming) {
			t.Errorf("rejected %s: %+v, want code %d, message %q, item naming %s", ch.kind, r, ch.code, ch.msg, ch.naming)
		}
	}
	view(t, ts.Store, func(tx platform.Tx) error {
		for i, id := range enters {
			if _, err := tx.Record(platform.KindEnter, isv, id); err != nil {
				t.Errorf("entry %d: %v", i, err)
			}
			_, err := tx.Record(platform.KindExit, isv, id)
			if stored := err == nil; stored != (i != 1) {
				t.Errorf("exit %d stored: %v (%v)", i, stored, err)
			}
		}
		return nil
	})
	wantSameIDs(t, storedEntries(t, ts.Store, isv), enters[1:2]) // the only one without an exit

	// Set-aside items survive reopening.
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "rejected.jsonl")); err != nil {
		t.Fatal(err)
	}
	o = openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})
	if got := o.Rejected(); !sameRejections(got, rejected) {
		t.Errorf("after reopening, rejected = %+v, want %+v", got, rejected)
	}
	if s := o.Stats(); s.Depth != 0 || s.Rejected != 3 {
		t.Errorf("stats after reopening: %+v", s)
	}

	// The park is reported after all; retrying delivers its entry, and the
	// other two are refused again.
	registerPark(t, c, parkX)
	if err := o.RetryRejected(); err != nil {
		t.Fatal(err)
	}
	flush(t, o)
	isvX := ""
	view(t, ts.Store, func(tx platform.Tx) error {
		p, err := tx.Park(userID, parkX)
		isvX = p.IsvParkID
		return err
	})
	wantSameIDs(t, storedEntries(t, ts.Store, isvX), []string{unknown})
	again := o.Rejected()
	if len(again) != 2 || o.Stats().Depth != 0 {
		t.Fatalf("after RetryRejected: rejected %+v, stats %+v", again, o.Stats())
	}
	for _, r := range again {
		if r.Kind == protocol.EnterRecordCode {
			t.Errorf("the retried entry was set aside again: %+v", r)
		}
	}
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})
	if got := o.Rejected(); !sameRejections(got, again) {
		t.Errorf("after reopening, rejected = %+v, want %+v", got, again)
	}
}

func sameRejections(a, b []client.Rejection) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if x.Seq != y.Seq || x.Kind != y.Kind || x.ParkCode != y.ParkCode || x.Code != y.Code ||
			x.Message != y.Message || string(x.Item) != string(y.Item) || !x.At.Equal(y.At) {
			return false
		}
	}
	return true
}

// journalSegments returns the journal segment files of an outbox dir.
func journalSegments(t testing.TB, dir string) []string {
	t.Helper()
	segs, err := filepath.Glob(filepath.Join(dir, "journal", "journal-*.log"))
	if err != nil {
		t.Fatal(err)
	}
	return segs
}

// Pending items are replayed from the journal when the outbox is opened
// again, and a torn frame at the journal's end is cut off.
func TestOutboxJournalReplay(t *testing.T) {
	ts := startPlatform(t, true)
	isv := registerPark(t, newClient(t, ts), parkA)
	g := newGate(t, ts.URL, ts.Client)
	gs := httptest.NewServer(g)
	defer gs.Close()
	c := clientFor(t, gs.URL, gs.Client(), ts.Clock.Now)
	dir := t.TempDir()

	g.down.Store(true)
	o := openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})
	ids := queueEntries(t, o, parkA, "replay", 0, 30)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	if err := o.EnterRecord(enter(t, parkA, eventID("late", 0), plateNo(1), "2024-01-01 07:00:00")); err == nil {
		t.Error("queueing into a closed outbox succeeded")
	}

	// A crash in the middle of an append leaves part of a frame.
	segs := journalSegments(t, dir)
	if len(segs) != 1 {
		t.Fatalf("journal segments %v", segs)
	}
	f, err := os.OpenFile(segs[0], os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("\x40\x00\x00\x00\xde\xad\xbe\xef{\"op\":\"add\",\"se")); err != nil {
		t.Fatal(err)
	}
	f.Close()

	o = openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})
	if s := o.Stats(); s.Depth != 30 {
		t.Fatalf("depth after reopening: %+v, want 30", s)
	}
	ids = append(ids, queueEntries(t, o, parkA, "replay", 30, 5)...) // written where the torn frame was
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	o = openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})
	if s := o.Stats(); s.Depth != 35 {
		t.Fatalf("depth after the second reopening: %+v, want 35", s)
	}
	g.down.Store(false)
	flush(t, o)
	if s := o.Stats(); s.Depth != 0 || s.Sent != 35 {
		t.Errorf("stats: %+v", s)
	}
	wantSameIDs(t, storedEntries(t, ts.Store, isv), ids)
}

// Compaction rewrites the journal with only the pending items: delivered
// ones are gone after reopening and pending ones (queued concurrently with
// the compactions) are all kept.
func TestOutboxCompaction(t *testing.T) {
	ts := startPlatform(t, true)
	c0 := newClient(t, ts)
	isvA := registerPark(t, c0, parkA)
	isvB := registerPark(t, c0, parkB)
	g := newGate(t, ts.URL, ts.Client)
	g.block.Store(parkB)
	gs := httptest.NewServer(g)
	defer gs.Close()
	c := clientFor(t, gs.URL, gs.Client(), ts.Clock.Now)
	dir := t.TempDir()

	const rotate = 16 << 10
	o := openOutbox(t, client.OutboxConfig{Dir: dir, Client: c, RotateBytes: rotate, MaxBatch: 10})
	var idsA, idsB []string
	var wg sync.WaitGroup
	wg.Go(func() { idsA = queueEntries(t, o, parkA, "compactA", 0, 400) })
	wg.Go(func() { idsB = queueEntries(t, o, parkB, "compactB", 0, 20) })
	wg.Wait()
	waitFor(t, "park A's entries", func() bool { return o.Stats().Sent == 400 })
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	segs := journalSegments(t, dir)
	if len(segs) != 1 || filepath.Base(segs[0]) == "journal-0000000000000001.log" {
		t.Fatalf("journal segments after compaction: %v", segs)
	}
	st, err := os.Stat(segs[0])
	if err != nil {
		t.Fatal(err)
	}
	if st.Size() > 2*rotate {
		t.Errorf("journal is %d bytes after compaction", st.Size())
	}

	hits := g.hits.Load()
	o = openOutbox(t, client.OutboxConfig{Dir: dir, Client: c, RotateBytes: rotate})
	if s := o.Stats(); s.Depth != 20 {
		t.Fatalf("depth after reopening: %+v, want park B's 20", s)
	}
	g.block.Store("")
	flush(t, o)
	wantSameIDs(t, storedEntries(t, ts.Store, isvA), idsA)
	wantSameIDs(t, storedEntries(t, ts.Store, isvB), idsB)
	if sent := g.hits.Load() - hits; sent > 2 { // park B's 20 in batches of 50
		t.Errorf("%d requests after reopening, want 1 (plus a login)", sent)
	}
}

// A backlog larger than RotateBytes is not rewritten after every batch
// while it drains, and the journal is small again once it has drained.
func TestOutboxCompactionOfBacklog(t *testing.T) {
	ts := startPlatform(t, true)
	isv := registerPark(t, newClient(t, ts), parkA)
	g := newGate(t, ts.URL, ts.Client)
	g.down.Store(true)
	gs := httptest.NewServer(g)
	defer gs.Close()
	c := clientFor(t, gs.URL, gs.Client(), ts.Clock.Now)
	dir := t.TempDir()

	const rotate = 4 << 10
	o := openOutbox(t, client.OutboxConfig{Dir: dir, Client: c, RotateBytes: rotate, NoSync: true})
	ids := queueEntries(t, o, parkA, "backlog", 0, 1000) // 20 batches of 50
	g.down.Store(false)
	flush(t, o)
	if err := o.Close(); err != nil {
		t.Fatal(err)
	}
	segs := journalSegments(t, dir)
	if len(segs) != 1 {
		t.Fatalf("journal segments %v", segs)
	}
	var n int
	if _, err := fmt.Sscanf(filepath.Base(segs[0]), "journal-%d.log", &n); err != nil {
		t.Fatal(err)
	}
	if n-1 > 8 {
		t.Errorf("%d compactions while 20 batches drained", n-1)
	}
	if st, err := os.Stat(segs[0]); err != nil || st.Size() > rotate {
		t.Errorf("journal after draining: %v, %v; want at most %d bytes", st.Size(), err, rotate)
	}
	t.Logf("%d compactions", n-1)
	wantSameIDs(t, storedEntries(t, ts.Store, isv), ids)
}

// Pictures go through the outbox too: a good one is delivered and its
// file removed; one the platform refuses is set aside with its file kept,
// so that RetryRejected can send it again.
func TestOutboxPictures(t *testing.T) {
	ts := startPlatform(t, true)
	c := newClient(t, ts)
	registerPark(t, c, parkA)
	dir := t.TempDir()
	o := openOutbox(t, client.OutboxConfig{Dir: dir, Client: c})

	good := jpegOf(t, 110*1024)
	pick := dt(t, "2024-01-01 07:00:00").Time()
	if err := o.Picture(client.Photo{ParkCode: parkA, ID: photoID, FileName: "vendor20240101000001.jpg",
		ImageBizType: 1, PickTime: pick, Data: good}); err != nil {
		t.Fatal(err)
	}
	const badID = "22223333444455556666777788889999"
	if err := o.Picture(client.Photo{ParkCode: parkA, ID: badID, FileName: "vendor20240101000002.jpg",
		ImageBizType: 1, PickTime: pick, Data: []byte("GIF89a, not a JPEG")}); err != nil {
		t.Fatal(err)
	}
	// A record queued after the refused picture is not held up by it.
	if err := o.EnterRecord(enter(t, parkA, eventID("pic", 0), plateNo(0), "2024-01-01 07:00:00")); err != nil {
		t.Fatal(err)
	}
	flush(t, o)
	if s := o.Stats(); s.Sent != 2 || s.Rejected != 1 {
		t.Fatalf("stats %+v, want 2 sent and 1 rejected", s)
	}
	view(t, ts.Store, func(tx platform.Tx) error {
		p, err := tx.Picture(userID, parkA, photoID)
		if err == nil && p.Size != len(good) {
			t.Errorf("stored picture of %d bytes, want %d", p.Size, len(good))
		}
		return err
	})
	rej := o.Rejected()
	if len(rej) != 1 || rej[0].Kind != protocol.PictureCode || rej[0].Code != protocol.CodeType ||
		!strings.Contains(rej[0].Message, "file") {
		t.Fatalf("rejected %+v, want the GIF with 1005 on file", rej)
	}
	files, err := filepath.Glob(filepath.Join(dir, "pictures", "*"))
	if err != nil || len(files) != 1 {
		t.Fatalf("picture files %v, %v; want only the refused one's", files, err)
	}

	if err := o.RetryRejected(); err != nil {
		t.Fatal(err)
	}
	flush(t, o)
	rej = o.Rejected()
	if len(rej) != 1 || rej[0].Code != protocol.CodeType {
		t.Errorf("after RetryRejected: rejected %+v, want the GIF refused again with 1005", rej)
	}
}

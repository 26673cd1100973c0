package client_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// arrival is one item as it reached the platform.
type arrival struct {
	req    int // the request that carried it, from 0
	kind   protocol.Interface
	id     string // a record's or a picture's id
	cites  string // the picture a record cites
	unused int    // a vacancy report's unusedStalls
}

// recorder is a proxy in front of a platform that notes, in order, every
// item of the data requests it passes on. While down it answers 502;
// while throttling it answers HTTP 429, code 3 and Retry-After.
type recorder struct {
	*gate
	throttle atomic.Int64 // seconds of Retry-After; 0 passes requests
	mu       sync.Mutex
	requests int
	items    []arrival
}

func newRecorder(t testing.TB, ts *testserver.Server) (*recorder, *client.Client) {
	rec := &recorder{gate: newGate(t, ts.URL, ts.Client)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, clientFor(t, srv.URL, srv.Client(), ts.Clock.Now)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	kind := protocol.Interface(path.Base(r.URL.Path))
	if kind == protocol.Login || kind == protocol.HeartBeats || rec.down.Load() {
		rec.gate.ServeHTTP(w, r)
		return
	}
	if secs := rec.throttle.Load(); secs > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(secs))
		w.WriteHeader(http.StatusTooManyRequests)
		json.NewEncoder(w).Encode(protocol.Response{Code: protocol.CodeInternal, Message: "rate limit of this account exceeded"})
		return
	}
	body, err := readBody(r)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	rec.note(kind, r, body)
	rec.gate.ServeHTTP(w, r)
}

// note records the items of one request.
func (rec *recorder) note(kind protocol.Interface, r *http.Request, body string) {
	var got []arrival
	if kind == protocol.PictureCode {
		c := r.Clone(context.Background())
		c.Body = readCloser(body)
		if c.ParseMultipartForm(1<<20) == nil {
			got = append(got, arrival{kind: kind, id: c.FormValue("id")})
		}
	} else {
		var env protocol.Request
		var items []struct {
			ID     string `json:"id"`
			Enter  string `json:"entryCarPhotoId"`
			Exit   string `json:"exitCarPhotoId"`
			Unused int    `json:"unusedStalls"`
		}
		json.Unmarshal([]byte(body), &env)
		json.Unmarshal(env.Data, &items)
		for _, it := range items {
			got = append(got, arrival{kind: kind, id: it.ID, cites: it.Enter + it.Exit, unused: it.Unused})
		}
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for i := range got {
		got[i].req = rec.requests
	}
	rec.requests++
	rec.items = append(rec.items, got...)
}

// reset forgets what arrived so far (the tests' own set-up).
func (rec *recorder) reset() {
	rec.mu.Lock()
	rec.requests, rec.items = 0, nil
	rec.mu.Unlock()
}

func (rec *recorder) arrivals() (int, []arrival) {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.requests, append([]arrival(nil), rec.items...)
}

type bodyReader struct{ *bytes.Reader }

func (bodyReader) Close() error { return nil }

func readCloser(s string) bodyReader { return bodyReader{bytes.NewReader([]byte(s))} }

// vacancy returns a valid table 17 item whose unusedStalls is n.
func vacancy(park string, n int) protocol.ParkSpaceInfo {
	return protocol.ParkSpaceInfo{ParkCode: park, UsedStalls: 100 - n, UnusedStalls: n}
}

// queueWhileDown queues items through fn while rec refuses every request,
// then lets them through, so that the outbox drains a whole backlog.
func queueWhileDown(t testing.TB, rec *recorder, fn func()) {
	rec.down.Store(true)
	rec.reset()
	fn()
	rec.down.Store(false)
}

// A lot's interleaved stream of 310 items (10 pictures, and 100 each of
// entries, vacancy reports and exits) replays in 16 requests: one per
// picture and one per 50 items of each other interface; on the wire each
// picture arrives before the entry that cites it, each entry before its
// exit, and the vacancy reports in the order they were made.
func TestOutboxBatchesAcrossKinds(t *testing.T) {
	ts := startPlatform(t, true)
	rec, c := newRecorder(t, ts)
	registerPark(t, c, parkA)
	o := openOutbox(t, client.OutboxConfig{Dir: t.TempDir(), Client: c, NoSync: true})
	photo := jpegOf(t, 110*1024)
	pick := dt(t, "2024-01-01 07:00:00").Time()
	const n = 100
	queueWhileDown(t, rec, func() {
		for i := range n {
			id := eventID("mix", i)
			e := enter(t, parkA, id, plateNo(i), "2024-01-01 07:00:00")
			if i%10 == 0 {
				e.EntryCarPhotoID = eventID("pic", i)
				if err := o.Picture(client.Photo{ParkCode: parkA, ID: e.EntryCarPhotoID, ImageBizType: 1, PickTime: pick,
					FileName: fmt.Sprintf("vendor20240101%06d.jpg", i), Data: photo}); err != nil {
					t.Fatal(err)
				}
			}
			if err := o.EnterRecord(e); err != nil {
				t.Fatal(err)
			}
			if err := o.ParkSpaceInfo(vacancy(parkA, i)); err != nil {
				t.Fatal(err)
			}
			if err := o.ExitRecord(exit(t, parkA, id, plateNo(i), "2024-01-01 08:00:00")); err != nil {
				t.Fatal(err)
			}
		}
	})
	flush(t, o)
	if s := o.Stats(); s.Sent != 3*n+n/10 || s.Rejected != 0 {
		t.Fatalf("stats %+v, want %d sent, none rejected", s, 3*n+n/10)
	}
	reqs, items := rec.arrivals()
	if reqs != 16 {
		t.Errorf("%d requests for %d items, want 16 (10 pictures, 2 per other interface)", reqs, len(items))
	}
	checkWireOrder(t, items)
	if len(items) != 3*n+n/10 {
		t.Errorf("%d items arrived, want %d", len(items), 3*n+n/10)
	}
}

// checkWireOrder fails the test unless every item arrived once, each
// picture in an earlier request than the records citing it, each entry
// in an earlier request than its exit, and vacancy reports in rising
// order of unusedStalls (the order they were queued in).
func checkWireOrder(t testing.TB, items []arrival) {
	t.Helper()
	seen := map[string]int{} // kind/id -> request
	lastVacancy := -1
	for _, a := range items {
		key := string(a.kind) + "/" + a.id
		if a.kind == protocol.ParkSpaceInfoCode {
			if a.unused <= lastVacancy {
				t.Errorf("vacancy %d arrived after %d", a.unused, lastVacancy)
			}
			lastVacancy = a.unused
			continue
		}
		if _, dup := seen[key]; dup {
			t.Errorf("%s arrived twice", key)
		}
		seen[key] = a.req
		if a.cites != "" && a.cites != photoID {
			if r, ok := seen[string(protocol.PictureCode)+"/"+a.cites]; !ok || r >= a.req {
				t.Errorf("%s (request %d) arrived before the picture %s it cites", key, a.req, a.cites)
			}
		}
		if a.kind == protocol.ExitRecordCode {
			if r, ok := seen[string(protocol.EnterRecordCode)+"/"+a.id]; ok && r >= a.req {
				t.Errorf("exit %s in request %d, its entry in request %d", a.id, a.req, r)
			}
		}
	}
}

// Nothing moves across a park report, and an exit held back by its
// entry holds back the exits queued after it: the requests carry, in
// order, exactly the batches the rules allow.
func TestOutboxKeepsOrderAcrossBarriers(t *testing.T) {
	ts := startPlatform(t, true)
	rec, c := newRecorder(t, ts)
	registerPark(t, c, parkA)
	if _, err := c.EnterRecord(context.Background(), enter(t, parkA, eventID("z", 0), plateNo(0), "2024-01-01 06:00:00")); err != nil {
		t.Fatal(err)
	}
	o := openOutbox(t, client.OutboxConfig{Dir: t.TempDir(), Client: c, NoSync: true})
	a, y, w := eventID("a", 0), eventID("y", 0), eventID("w", 0)
	queueWhileDown(t, rec, func() {
		must := func(err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		must(o.EnterRecord(enter(t, parkA, a, plateNo(1), "2024-01-01 07:00:00")))
		must(o.ParkSpaceInfo(vacancy(parkA, 1)))
		must(o.ParkInfo(parkInfo(parkA)))
		must(o.ExitRecord(exit(t, parkA, eventID("z", 0), plateNo(0), "2024-01-01 07:10:00")))
		must(o.EnterRecord(enter(t, parkA, y, plateNo(2), "2024-01-01 07:20:00")))
		must(o.ParkSpaceInfo(vacancy(parkA, 2)))
		must(o.ExitRecord(exit(t, parkA, y, plateNo(2), "2024-01-01 07:30:00")))
		must(o.ExitRecord(exit(t, parkA, a, plateNo(1), "2024-01-01 07:40:00")))
		must(o.EnterRecord(enter(t, parkA, w, plateNo(3), "2024-01-01 07:50:00")))
	})
	flush(t, o)
	if s := o.Stats(); s.Sent != 9 || s.Rejected != 0 {
		t.Fatalf("stats %+v, want 9 sent, none rejected", s)
	}
	_, items := rec.arrivals()
	var got []string
	for _, it := range items {
		got = append(got, fmt.Sprintf("%d %s %s%d", it.req, it.kind, shortID(it.id), it.unused))
	}
	want := []string{
		"0 enterRecord a0", "1 parkSpaceInfo 1", "2 parkInfo 0",
		// exit z goes alone: exit y is held back by entry y, skipped.
		"3 exitRecord z0",
		"4 enterRecord y0", "4 enterRecord w0",
		"5 parkSpaceInfo 2",
		"6 exitRecord y0", "6 exitRecord a0",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("arrivals\n got %q\nwant %q", got, want)
	}
}

// shortID is the tag of an eventID.
func shortID(id string) string {
	if id == "" {
		return ""
	}
	return id[:1]
}

// A platform over its rate limit answers HTTP 429, code 3 and
// Retry-After: the client reports the wait, and the outbox waits that long
// by its clock (not its own short back-off) before sending again.
func TestOutboxHonoursRetryAfter(t *testing.T) {
	ts := startPlatform(t, true)
	rec, c := newRecorder(t, ts)
	registerPark(t, c, parkA)
	rec.reset()
	rec.throttle.Store(2)
	_, err := c.EnterRecord(context.Background(), enter(t, parkA, eventID("ra", 0), plateNo(0), "2024-01-01 07:00:00"))
	if client.CodeOf(err) != protocol.CodeInternal || client.RetryAfterOf(err) != 2*time.Second {
		t.Fatalf("answer over the limit: %v (code %d, retry after %v), want code 3 and 2s", err, client.CodeOf(err), client.RetryAfterOf(err))
	}

	local := testserver.NewClock(testserver.Epoch)
	o := openOutbox(t, client.OutboxConfig{Dir: t.TempDir(), Client: c, Now: local.Now, NoSync: true})
	ids := queueEntries(t, o, parkA, "ra", 1, 3)
	waitFor(t, "a throttled request", func() bool { return o.Stats().Throttled == 1 })
	rec.throttle.Store(0)
	// The back-off is 2 ms to 20 ms: without Retry-After the outbox would
	// send again at once. By its clock it must wait 2 s to 2.2 s.
	local.Advance(1900 * time.Millisecond)
	if err := o.ParkSpaceInfo(vacancy(parkA, 1)); err != nil { // wakes the workers
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := o.Flush(ctx); err != context.DeadlineExceeded {
		t.Fatalf("Flush 1.9 s after a Retry-After of 2 s: %v, want the context's deadline", err)
	}
	if reqs, _ := rec.arrivals(); reqs != 0 {
		t.Fatalf("%d requests passed before the Retry-After elapsed", reqs)
	}
	local.Advance(400 * time.Millisecond)
	if err := o.ParkSpaceInfo(vacancy(parkA, 2)); err != nil {
		t.Fatal(err)
	}
	flush(t, o)
	s := o.Stats()
	if s.Throttled != 1 || s.Retries != 1 || s.Sent != 5 {
		t.Errorf("stats %+v, want 1 throttled, 1 retry, 5 sent", s)
	}
	_, items := rec.arrivals()
	var entries []string
	for _, it := range items {
		if it.kind == protocol.EnterRecordCode {
			entries = append(entries, it.id)
		}
	}
	if fmt.Sprint(entries) != fmt.Sprint(ids) {
		t.Errorf("entries arrived %v, want %v once each", entries, ids)
	}
}

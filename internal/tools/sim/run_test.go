package sim

import (
	"bytes"
	"context"
	"image/jpeg"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

const (
	testUser     = "szpark001"
	testPassword = "Parking@2024"
)

// startParkd starts a real parkd over plain HTTP with the test account.
func startParkd(t *testing.T) *testserver.Server {
	t.Helper()
	ts := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: true}})
	ts.AddAccount(t, testUser, testPassword)
	return ts
}

// queuedLog collects what a run queued.
type queuedLog struct {
	mu     sync.Mutex
	enters map[string]protocol.EnterRecord
	exits  map[string]protocol.ExitRecord
	photos []client.Photo
}

func (q *queuedLog) add(kind protocol.Interface, v any) {
	q.mu.Lock()
	defer q.mu.Unlock()
	switch x := v.(type) {
	case protocol.EnterRecord:
		q.enters[x.ID] = x
	case protocol.ExitRecord:
		q.exits[x.ID] = x
	case client.Photo:
		q.photos = append(q.photos, x)
	}
}

func TestShortRunIsAcknowledgedInFull(t *testing.T) {
	ts := startParkd(t)
	q := &queuedLog{enters: map[string]protocol.EnterRecord{}, exits: map[string]protocol.ExitRecord{}}
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: testPassword, Lots: 3, Rate: 15, Speed: 3600,
		Duration: 3 * time.Second, Seed: 11, Start: time.Date(2024, 1, 1, 7, 0, 0, 0, protocol.CST),
		Dir: t.TempDir(), NoSync: true, OnQueued: q.add})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Flushed || sum.Depth != 0 || sum.TotalSetAside() != 0 || sum.TotalRefused() != 0 || sum.Failed != 0 {
		t.Fatalf("summary: flushed %v, depth %d, set aside %v, refused %v, failed %d",
			sum.Flushed, sum.Depth, sum.SetAside, sum.Refused, sum.Failed)
	}
	if int(sum.Acknowledged) != sum.TotalQueued() {
		t.Fatalf("acknowledged %d of %d queued", sum.Acknowledged, sum.TotalQueued())
	}
	if sum.Arrivals < 10 || sum.Departures == 0 || sum.Queued[protocol.ParkCarInfoCode] < 3 {
		t.Fatalf("too little traffic to check: %d arrivals, %d departures, queued %v", sum.Arrivals, sum.Departures, sum.Queued)
	}
	if len(q.enters) != sum.Queued[protocol.EnterRecordCode] || len(q.exits) != sum.Queued[protocol.ExitRecordCode] {
		t.Fatalf("OnQueued saw %d entries and %d exits; queued %v", len(q.enters), len(q.exits), sum.Queued)
	}

	inside := map[string]int{}
	for _, ls := range sum.Lots {
		inside[ls.ParkCode] = ls.Inside
	}
	err = ts.Store.View(context.Background(), func(tx platform.Tx) error {
		parks, err := tx.ParksOf(testUser)
		if err != nil {
			return err
		}
		if len(parks) != 3 {
			t.Errorf("platform has %d parks, want 3", len(parks))
		}
		isv := map[string]string{}
		for _, p := range parks {
			isv[p.ParkCode] = p.IsvParkID
			want, ok := inside[p.ParkCode]
			if !ok {
				t.Errorf("platform park %s is not a simulated lot", p.ParkCode)
				continue
			}
			open, err := tx.OpenEntries(p.IsvParkID)
			if err != nil {
				return err
			}
			v, err := tx.Vacancy(p.IsvParkID)
			if err != nil {
				return err
			}
			if len(open) != want || v.UsedStalls != want {
				t.Errorf("park %s: %d open entries, usedStalls %d; the simulator has %d inside", p.Name, len(open), v.UsedStalls, want)
			}
			if ents, err := tx.Entrances(p.IsvParkID); err != nil || len(ents) == 0 {
				t.Errorf("park %s: %d entrances, %v", p.Name, len(ents), err)
			}
		}
		for id, e := range q.enters {
			r, err := tx.Record(platform.KindEnter, isv[e.ParkCode], id)
			if err != nil || r.PlateNo != e.PlateNo || !r.Time.Equal(e.EnterTime.Time()) {
				t.Errorf("entry %s (%s): platform has %+v, %v", id, e.PlateNo, r, err)
			}
			if _, err := tx.Picture(testUser, e.ParkCode, e.EntryCarPhotoID); err != nil {
				t.Errorf("entry %s cites photo %s: %v", id, e.EntryCarPhotoID, err)
			}
		}
		for id, e := range q.exits {
			if _, err := tx.Record(platform.KindExit, isv[e.ParkCode], id); err != nil {
				t.Errorf("exit %s: %v", id, err)
			}
		}
		for i, ph := range q.photos {
			pic, err := tx.Picture(testUser, ph.ParkCode, ph.ID)
			if err != nil {
				t.Errorf("photo %s: %v", ph.ID, err)
				continue
			}
			if pic.Size < 102_400 || pic.Size > 512_000 || pic.Kind != "jpeg" {
				t.Errorf("photo %s: %d bytes of %s", ph.ID, pic.Size, pic.Kind)
			}
			if i < 5 {
				b, err := ts.Blobs.Get(context.Background(), pic.Hash)
				if err == nil {
					_, err = jpeg.Decode(bytes.NewReader(b))
				}
				if err != nil {
					t.Errorf("photo %s as stored: %v", ph.ID, err)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBadDataIsSetAsideAndCounted(t *testing.T) {
	ts := startParkd(t)
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: testPassword, Lots: 2, Rate: 10, Speed: 3600,
		Duration: 2500 * time.Millisecond, Seed: 5, BadData: 1, Start: time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST),
		Dir: t.TempDir(), NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sum.Depth != 0 || sum.Failed != 0 {
		t.Fatalf("depth %d, failed %d", sum.Depth, sum.Failed)
	}
	if sum.TotalSetAside() == 0 || sum.TotalRefused() == 0 {
		t.Fatalf("set aside %v, refused by the SDK %v: want both", sum.SetAside, sum.Refused)
	}
	for kind, want := range sum.Expected {
		for code, n := range want {
			if got := sum.SetAside[kind][code]; got != n {
				t.Errorf("%s code %d: %d set aside, the simulator meant %d", kind, code, got, n)
			}
		}
	}
	if sum.TotalSetAside() != sum.TotalExpected() {
		t.Errorf("set aside %v, expected %v", sum.SetAside, sum.Expected)
	}
	for kind, codes := range sum.Refused {
		for code := range codes {
			if code != protocol.CodeTooLong && code != protocol.CodeRange {
				t.Errorf("%s refused by the SDK with %d", kind, code)
			}
		}
	}
	if int(sum.Acknowledged)+sum.TotalSetAside() != sum.TotalQueued() {
		t.Errorf("acknowledged %d + set aside %d != queued %d", sum.Acknowledged, sum.TotalSetAside(), sum.TotalQueued())
	}
	var out bytes.Buffer
	sum.Write(&out)
	for _, want := range []string{"rejections by code:", "(platform)", "(SDK)", "outbox: empty"} {
		if !bytes.Contains(out.Bytes(), []byte(want)) {
			t.Errorf("summary lacks %q:\n%s", want, out.String())
		}
	}
}

func TestWrongPasswordStopsTheRun(t *testing.T) {
	ts := startParkd(t)
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: "wrong", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Run(context.Background()); client.CodeOf(err) != protocol.CodeLogin {
		t.Fatalf("Run = %v, want code 3001", err)
	}
}

func TestMidnightReplenishResendsMissingEntries(t *testing.T) {
	ts := startParkd(t)
	q := &queuedLog{enters: map[string]protocol.EnterRecord{}, exits: map[string]protocol.ExitRecord{}}
	// The run stops when the midnight lists have been pulled and acted
	// on, however long that takes on a busy machine: a fixed Duration
	// could end the run (and cancel the pull) before the lists came back.
	ctx, stop := context.WithCancel(context.Background())
	defer stop()
	days := make(chan time.Time, 1)
	s, err := New(Config{URL: ts.URL, UserID: testUser, Password: testPassword, Lots: 2, Rate: 40, Speed: 3600,
		Seed: 9, BadData: 1, Start: time.Date(2024, 1, 1, 22, 0, 0, 0, protocol.CST),
		Dir: t.TempDir(), NoSync: true, OnQueued: q.add,
		OnDaily: func(day time.Time) {
			select {
			case days <- day:
			default:
			}
			stop()
		}})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := s.Run(ctx)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case day := <-days:
		if want := time.Date(2024, 1, 1, 23, 0, 0, 0, protocol.CST); !day.Equal(want) {
			t.Errorf("the lists were pulled for %s, want the day of %s", day, want)
		}
	default:
		t.Fatal("the run ended before the midnight lists were pulled")
	}
	if sum.Resent == 0 || sum.Depth != 0 {
		t.Fatalf("resent %d entries, depth %d: want the day's exits without entry re-sent", sum.Resent, sum.Depth)
	}
	// Every exit of the first day the platform kept now has its entry:
	// those whose entry was bad were listed and their entries re-sent.
	midnight := time.Date(2024, 1, 2, 0, 0, 0, 0, protocol.CST)
	err = ts.Store.View(context.Background(), func(tx platform.Tx) error {
		for _, l := range s.Lots() {
			p, err := tx.Park(testUser, l.ParkCode())
			if err != nil {
				return err
			}
			// The lots were held at midnight until the day's records were
			// delivered, so the list named every exit of the day.
			orphans, err := tx.ExitsWithoutEntry(p.IsvParkID, midnight.Add(-24*time.Hour), midnight)
			if err != nil {
				return err
			}
			for _, r := range orphans {
				t.Errorf("park %s: exit %s (%s) at %s still has no entry", p.Name, r.ID, r.PlateNo, r.Time)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

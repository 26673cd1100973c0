package client_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// fakeTimer is a client.Timer that moves only when told. Every After call
// reports its deadline on armed, so a test knows when Run is waiting.
type fakeTimer struct {
	mu      sync.Mutex
	now     time.Time
	waiters []fakeWaiter
	armed   chan time.Time
}

type fakeWaiter struct {
	at time.Time
	ch chan time.Time
}

func newFakeTimer(now time.Time) *fakeTimer {
	return &fakeTimer{now: now, armed: make(chan time.Time, 16)}
}

func (f *fakeTimer) Now() time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.now
}

func (f *fakeTimer) After(d time.Duration) <-chan time.Time {
	f.mu.Lock()
	ch := make(chan time.Time, 1)
	at := f.now.Add(d)
	if d <= 0 {
		ch <- f.now
	} else {
		f.waiters = append(f.waiters, fakeWaiter{at, ch})
	}
	f.mu.Unlock()
	f.armed <- at
	return ch
}

// Set moves the clock to t and fires the waiters that are due.
func (f *fakeTimer) Set(t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.now = t
	rest := f.waiters[:0]
	for _, w := range f.waiters {
		if w.at.After(t) {
			rest = append(rest, w)
		} else {
			w.ch <- t
		}
	}
	f.waiters = rest
}

// nextArmed returns the deadline of the next After call.
func (f *fakeTimer) nextArmed(t *testing.T) time.Time {
	t.Helper()
	select {
	case at := <-f.armed:
		return at
	case <-time.After(20 * time.Second):
		t.Fatal("Run did not wait for the timer")
		return time.Time{}
	}
}

type replenishCall struct {
	park   string
	day    string
	plates []string
}

// Run sends each park's plate list at the top of every hour and, at
// midnight CST, hands the whole of the previous day's replenish list of
// each park to Replenish, while its timer runs in UTC.
func TestDutiesRun(t *testing.T) {
	ts := startPlatform(t, true)
	c := newClient(t, ts)
	ctx := context.Background()
	isvA := registerPark(t, c, parkA)
	isvB := registerPark(t, c, parkB)

	// 60 exits of park A on 2024-01-01 without entries: two pages.
	var exits []protocol.ExitRecord
	var orphans []string
	for n := range 60 {
		at := protocol.NewDateTime(dt(t, "2024-01-01 09:00:00").Time().Add(time.Duration(n) * time.Minute))
		exits = append(exits, exit(t, parkA, eventID("orphan", n), plateNo(n), at.String()))
		orphans = append(orphans, plateNo(n))
	}
	if _, err := c.ExitRecord(ctx, exits...); err != nil {
		t.Fatal(err)
	}

	start := dt(t, "2024-01-01 22:30:00").Time().UTC()
	ts.Clock.Set(start)
	ft := newFakeTimer(start)
	inside := map[string][]string{parkA: {"粤B00001", "粤B00002"}, parkB: {"粤B00003"}}
	var mu sync.Mutex
	failB := true
	var calls []replenishCall
	d := &client.Duties{
		Client: c,
		Parks:  func() []string { return []string{parkA, parkB} },
		PlatesInside: func(park string) ([]string, error) {
			mu.Lock()
			defer mu.Unlock()
			if park == parkB && failB {
				failB = false
				return nil, errors.New("camera offline")
			}
			return inside[park], nil
		},
		Replenish: func(park string, day time.Time, plates []string) {
			mu.Lock()
			calls = append(calls, replenishCall{park, protocol.NewDate(day).String(), slices.Sorted(slices.Values(plates))})
			mu.Unlock()
		},
		Timer: ft,
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		d.Run(runCtx)
		close(done)
	}()
	defer func() {
		cancel()
		<-done
	}()

	// armed waits until Run waits for the timer (its duties done) and
	// checks it waits until want; fire moves both clocks there.
	armed := func(want string) time.Time {
		t.Helper()
		at := ft.nextArmed(t)
		if w := dt(t, want).Time(); !at.Equal(w) {
			t.Fatalf("Run waits until %v, want %v", at.In(protocol.CST), w)
		}
		return at
	}
	fire := func(at time.Time) {
		ts.Clock.Set(at)
		ft.Set(at)
	}
	lists := func(isv, hour string) [][]string {
		t.Helper()
		h := dt(t, hour).Time()
		var out [][]string
		view(t, ts.Store, func(tx platform.Tx) error {
			vs, err := tx.Verifications(isv, h, h.Add(time.Hour))
			for _, v := range vs {
				out = append(out, v.PlateList)
			}
			return err
		})
		return out
	}

	fire(armed("2024-01-01 23:00:00"))
	midnight := armed("2024-01-02 00:00:00")
	if got := lists(isvA, "2024-01-01 23:00:00"); len(got) != 1 || !slices.Equal(got[0], inside[parkA]) {
		t.Errorf("park A's lists at 23:00: %v", got)
	}
	if got := lists(isvB, "2024-01-01 23:00:00"); len(got) != 0 {
		t.Errorf("park B's lists at 23:00, when its plates could not be read: %v", got)
	}
	mu.Lock()
	if len(calls) != 0 {
		t.Errorf("Replenish called before midnight: %+v", calls)
	}
	mu.Unlock()

	fire(midnight)
	armed("2024-01-02 01:00:00")
	if got := lists(isvA, "2024-01-02 00:00:00"); len(got) != 1 || !slices.Equal(got[0], inside[parkA]) {
		t.Errorf("park A's lists at 00:00: %v", got)
	}
	if got := lists(isvB, "2024-01-02 00:00:00"); len(got) != 1 || !slices.Equal(got[0], inside[parkB]) {
		t.Errorf("park B's lists at 00:00: %v", got)
	}
	mu.Lock()
	want := []replenishCall{{parkA, "2024-01-01", orphans}, {parkB, "2024-01-01", nil}}
	if !slices.EqualFunc(calls, want, func(a, b replenishCall) bool {
		return a.park == b.park && a.day == b.day && slices.Equal(a.plates, b.plates)
	}) {
		t.Errorf("Replenish calls %+v, want park A's 60 plates and park B's none for 2024-01-01", calls)
	}
	mu.Unlock()
}

func TestNextHourAndMidnight(t *testing.T) {
	utc := func(s string) time.Time {
		t.Helper()
		v, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name           string
		at             time.Time
		hour, midnight time.Time
	}{
		{"a second before CST midnight", utc("2024-01-01T15:59:59Z"), utc("2024-01-01T16:00:00Z"), utc("2024-01-01T16:00:00Z")},
		{"CST midnight exactly", utc("2024-01-01T16:00:00Z"), utc("2024-01-01T17:00:00Z"), utc("2024-01-02T16:00:00Z")},
		{"just after CST midnight", utc("2024-01-01T16:00:00.001Z"), utc("2024-01-01T17:00:00Z"), utc("2024-01-02T16:00:00Z")},
		{"UTC midnight is 08:00 CST", utc("2024-01-02T00:00:00Z"), utc("2024-01-02T01:00:00Z"), utc("2024-01-02T16:00:00Z")},
		{"the last day of the year", utc("2024-12-31T15:30:00Z"), utc("2024-12-31T16:00:00Z"), utc("2024-12-31T16:00:00Z")},
		{"a leap day", utc("2024-02-28T16:00:00Z"), utc("2024-02-28T17:00:00Z"), utc("2024-02-29T16:00:00Z")},
		{"in CST", dt(t, "2024-01-01 23:59:59").Time(), utc("2024-01-01T16:00:00Z"), utc("2024-01-01T16:00:00Z")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := client.NextHour(tt.at); !got.Equal(tt.hour) {
				t.Errorf("NextHour(%v) = %v, want %v", tt.at, got, tt.hour)
			}
			got := client.NextMidnight(tt.at)
			if !got.Equal(tt.midnight) {
				t.Errorf("NextMidnight(%v) = %v, want %v", tt.at, got, tt.midnight)
			}
			if c := got.In(protocol.CST); c.Hour() != 0 || c.Minute() != 0 || c.Second() != 0 {
				t.Errorf("NextMidnight(%v) = %v is not 00:00 CST", tt.at, c)
			}
		})
	}
}

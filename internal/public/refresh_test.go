package public

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
)

// countingStore counts the full and incremental reads of the public
// snapshot.
type countingStore struct {
	platform.Store
	mu                sync.Mutex
	full, incremental int
	lastSince         time.Time
	views             int
}

type countingTx struct {
	platform.Tx
	s *countingStore
}

func (s *countingStore) View(ctx context.Context, fn func(tx platform.Tx) error) error {
	s.mu.Lock()
	s.views++
	s.mu.Unlock()
	return s.Store.View(ctx, func(tx platform.Tx) error { return fn(countingTx{tx, s}) })
}

func (s *countingStore) counts() (full, incremental, views int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.full, s.incremental, s.views
}

func (t countingTx) AllParks() ([]platform.Park, error) {
	t.s.mu.Lock()
	t.s.full++
	t.s.mu.Unlock()
	return t.Tx.AllParks()
}

func (t countingTx) ParksChangedSince(since time.Time) ([]platform.Park, error) {
	t.s.mu.Lock()
	t.s.incremental++
	t.s.lastSince = since
	t.s.mu.Unlock()
	return t.Tx.ParksChangedSince(since)
}

// refreshFixture is a service over a SQLite store, with a clock the test
// moves, and a handler of its routes.
type refreshFixture struct {
	t     *testing.T
	store *countingStore
	svc   *Service
	h     http.Handler
	clock time.Time
}

func newRefreshFixture(t *testing.T, parks ...platform.Park) *refreshFixture {
	t.Helper()
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	f := &refreshFixture{t: t, store: &countingStore{Store: db}, clock: testTime}
	f.update(func(tx platform.Tx) error {
		for _, a := range accounts() {
			a.PasswordHash, a.CreatedAt = []byte("x"), testTime
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for _, p := range parks {
			if err := tx.PutPark(p); err != nil {
				return err
			}
		}
		return nil
	})
	f.svc = New(f.store, city.Shenzhen(), Config{Rate: -1}, nil)
	f.svc.Now = func() time.Time { return f.clock }
	mux := routes(f.svc)
	f.h = mux
	return f
}

func (f *refreshFixture) update(fn func(tx platform.Tx) error) {
	f.t.Helper()
	if err := f.store.Update(context.Background(), fn); err != nil {
		f.t.Fatal(err)
	}
}

func (f *refreshFixture) putParks(ps ...platform.Park) {
	f.t.Helper()
	f.update(func(tx platform.Tx) error {
		for _, p := range ps {
			if err := tx.PutPark(p); err != nil {
				return err
			}
		}
		return nil
	})
}

func (f *refreshFixture) putVacancy(id string, free int, at time.Time) {
	f.t.Helper()
	f.update(func(tx platform.Tx) error {
		return tx.PutVacancy(platform.Vacancy{IsvParkID: id, Info: []byte(`{}`), UnusedStalls: free, At: at})
	})
}

// tick moves the clock by d and runs one turn of Run.
func (f *refreshFixture) tick(d time.Duration) {
	f.t.Helper()
	f.clock = f.clock.Add(d)
	if err := f.svc.tick(context.Background()); err != nil {
		f.t.Fatal(err)
	}
}

// district returns the district list answer of 440304.
func (f *refreshFixture) district() []ParkSummary {
	f.t.Helper()
	return decode[parksAnswer](f.t, get(f.h, "/api/v1/public/parks?district=440304")).Parks
}

func (f *refreshFixture) wantReads(what string, full, incremental int) {
	f.t.Helper()
	if gf, gi, _ := f.store.counts(); gf != full || gi != incremental {
		f.t.Errorf("%s: %d full and %d incremental reads, want %d and %d", what, gf, gi, full, incremental)
	}
}

func free(p ParkSummary) int {
	if p.FreeSpaces == nil {
		return -1
	}
	return *p.FreeSpaces
}

func TestIncrementalRefreshMergesTheChanges(t *testing.T) {
	a := newParkAt(id32("a", 0), "A", "440304", baseLng, baseLat)
	b := newParkAt(id32("b", 0), "B", "440304", baseLng, baseLat)
	f := newRefreshFixture(t, a, b)
	f.putVacancy(a.IsvParkID, 10, testTime)
	f.tick(0) // the first turn reads everything
	f.wantReads("first turn", 1, 0)
	if got := f.district(); !slices.Equal(ids(got), []string{a.IsvParkID, b.IsvParkID}) || free(got[0]) != 10 || free(got[1]) != -1 {
		t.Fatalf("first snapshot: %+v", got)
	}

	// A renamed, C new, a vacancy for B, all stamped after the last read.
	a.Name, a.UpdatedAt = "A2", testTime.Add(3*time.Second)
	c := newParkAt(id32("c", 0), "C", "440304", baseLng, baseLat)
	c.UpdatedAt = testTime.Add(3 * time.Second)
	f.putParks(a, c)
	f.putVacancy(b.IsvParkID, 20, testTime.Add(4*time.Second))
	f.tick(DefaultRefresh)
	f.wantReads("second turn", 1, 1)
	// The watermark is the earlier of the latest time read and the last
	// read's start, less the overlap.
	if want := testTime.Add(-Overlap); !f.store.lastSince.Equal(want) {
		t.Errorf("read since %v, want %v", f.store.lastSince, want)
	}
	got := f.district()
	if !slices.Equal(ids(got), []string{a.IsvParkID, b.IsvParkID, c.IsvParkID}) {
		t.Fatalf("after the merge: %v", ids(got))
	}
	if got[0].Name != "A2" || free(got[0]) != 10 || free(got[1]) != 20 || free(got[2]) != -1 {
		t.Errorf("after the merge: %+v", got)
	}
	detail := decode[Park](t, get(f.h, "/api/v1/public/parks/"+c.IsvParkID))
	if detail.Name != "C" {
		t.Errorf("new park's detail: %+v", detail)
	}

	// A change stamped within the overlap before the watermark (committed
	// late, or by a clock behind) is read by the next turn.
	f.putVacancy(a.IsvParkID, 11, testTime.Add(4*time.Second-Overlap+time.Second))
	f.tick(DefaultRefresh)
	f.wantReads("third turn", 1, 2)
	if got := f.district(); free(got[0]) != 11 {
		t.Errorf("vacancy within the overlap: %d free, want 11", free(got[0]))
	}
}

func TestFullRefreshCatchesWhatTheIncrementalMisses(t *testing.T) {
	a := newParkAt(id32("a", 0), "A", "440304", baseLng, baseLat)
	b := newParkAt(id32("b", 0), "B", "440304", baseLng, baseLat)
	f := newRefreshFixture(t, a, b)
	f.tick(0)
	get(f.h, "/api/v1/public/city") // keep the API in use
	f.putVacancy(a.IsvParkID, 10, testTime.Add(time.Minute))
	f.tick(DefaultRefresh)
	// B switched off, stamped before the watermark (the last read's start,
	// the service's clock being behind the vacancy's stamp) less the
	// overlap: the incremental turns miss it, the full one hides the park.
	b.BizStatus, b.UpdatedAt = 0, testTime.Add(-Overlap-time.Second)
	f.putParks(b)
	f.tick(DefaultRefresh)
	get(f.h, "/api/v1/public/city")
	f.wantReads("incremental turns", 1, 2)
	if got := ids(f.district()); !slices.Equal(got, []string{a.IsvParkID, b.IsvParkID}) {
		t.Fatalf("before the full refresh: %v", got)
	}
	for f.clock.Sub(testTime) < DefaultFullRefresh-DefaultRefresh {
		f.tick(DefaultRefresh)
		get(f.h, "/api/v1/public/city")
	}
	if fr, _, _ := f.store.counts(); fr != 1 {
		t.Fatalf("full read before FullRefresh: %d", fr)
	}
	f.tick(DefaultRefresh)
	if fr, _, _ := f.store.counts(); fr != 2 {
		t.Fatalf("no full read after FullRefresh: %d", fr)
	}
	if got := ids(f.district()); !slices.Equal(got, []string{a.IsvParkID}) {
		t.Errorf("after the full refresh: %v", got)
	}
	if w := get(f.h, "/api/v1/public/parks/"+b.IsvParkID); w.Code != http.StatusNotFound {
		t.Errorf("hidden park's detail: HTTP %d", w.Code)
	}
}

func TestDisabledAccountHidesItsParksAtTheNextRefreshAndEnabledShowsThem(t *testing.T) {
	a := newParkAt(id32("a", 0), "A", "440304", baseLng, baseLat)
	a.UpdatedAt = testTime.Add(-time.Hour) // before the incremental reads
	f := newRefreshFixture(t, a)
	f.putVacancy(a.IsvParkID, 5, testTime) // the latest stamp read
	f.tick(0)
	get(f.h, "/api/v1/public/city")
	f.update(func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: "vendorA", PasswordHash: []byte("x"), Disabled: true, CreatedAt: testTime})
	})
	f.tick(DefaultRefresh)
	f.wantReads("turns", 1, 1)
	if got := f.district(); len(got) != 0 {
		t.Errorf("disabled vendor's parks: %v", ids(got))
	}
	// Enabled again: the park is back with its parkInfo, though the
	// merged data no longer holds its Info.
	f.update(func(tx platform.Tx) error {
		return tx.PutAccount(platform.Account{UserID: "vendorA", PasswordHash: []byte("x"), CreatedAt: testTime})
	})
	f.tick(DefaultRefresh)
	f.wantReads("turns", 1, 2)
	if got := f.district(); len(got) != 1 || got[0].Address != "深南大道 A" {
		t.Errorf("enabled vendor's parks: %+v", got)
	}
}

func TestIdleServiceSkipsRefreshesUntilAsked(t *testing.T) {
	a := newParkAt(id32("a", 0), "A", "440304", baseLng, baseLat)
	f := newRefreshFixture(t, a)
	f.tick(0)
	// Nobody asked: the turns read nothing.
	for range 5 {
		f.tick(DefaultRefresh)
	}
	_, _, views := f.store.counts()
	f.wantReads("idle turns", 1, 0)
	if views != 1 {
		t.Errorf("idle turns: %d reads of the store, want 1", views)
	}
	// The first request finds the snapshot stale and refreshes it first.
	f.putVacancy(a.IsvParkID, 9, f.clock)
	if got := f.district(); len(got) != 1 || free(got[0]) != 9 {
		t.Fatalf("first request after the pause: %+v", got)
	}
	f.wantReads("first request", 1, 1)
	// In use: every turn refreshes; a request within Refresh reads nothing.
	f.tick(DefaultRefresh)
	f.wantReads("turn in use", 1, 2)
	f.clock = f.clock.Add(time.Second)
	f.district()
	f.wantReads("request in use", 1, 2)
	// Up to 2 × Refresh after the last request the turns go on, then stop.
	f.tick(4 * time.Second)
	f.tick(DefaultRefresh)
	f.wantReads("turns 4 and 9 s after the request", 1, 4)
	f.tick(DefaultRefresh)
	f.tick(DefaultRefresh)
	f.wantReads("turns 14 and 19 s after the request", 1, 4)
}

// A build reuses a park's view while its row, vacancy and online state
// are the same, and makes it again when any of them changes.
func TestBuildReusesUnchangedParks(t *testing.T) {
	a := newParkAt(id32("a", 0), "A", "440304", baseLng, baseLat)
	b := newParkAt(id32("b", 0), "B", "440304", baseLng, baseLat)
	vacancy := func(id string, free int, at time.Time) platform.Vacancy {
		return platform.Vacancy{IsvParkID: id, Info: []byte(`{}`), UnusedStalls: free, At: at}
	}
	log := slog.New(slog.DiscardHandler)
	d := Data{Accounts: accounts(), Parks: []platform.Park{a, b}, Vacancies: []platform.Vacancy{vacancy(a.IsvParkID, 4, testTime)}}
	s1, kept := build(d, city.Shenzhen(), nil, log)
	s2, kept := build(d, city.Shenzhen(), kept, log)
	if s2.byID[a.IsvParkID] != s1.byID[a.IsvParkID] || s2.byID[b.IsvParkID] != s1.byID[b.IsvParkID] {
		t.Errorf("unchanged parks built again")
	}
	// Same stamp, another count (two reports in one millisecond).
	d.Vacancies = []platform.Vacancy{vacancy(a.IsvParkID, 5, testTime), vacancy(b.IsvParkID, 6, testTime)}
	s3, kept := build(d, city.Shenzhen(), kept, log)
	if *s3.byID[a.IsvParkID].FreeSpaces != 5 || *s3.byID[b.IsvParkID].FreeSpaces != 6 {
		t.Errorf("vacancy change: %v, %v", s3.byID[a.IsvParkID].FreeSpaces, s3.byID[b.IsvParkID].FreeSpaces)
	}
	d.Accounts = []platform.Account{{UserID: "vendorA"}}
	s4, kept := build(d, city.Shenzhen(), kept, log)
	if s4.byID[a.IsvParkID].Online || s4.byID[b.IsvParkID].Online {
		t.Errorf("account offline: parks still online")
	}
	a.Name, a.UpdatedAt = "A2", testTime.Add(time.Second)
	d.Parks = []platform.Park{a, b}
	s5, _ := build(d, city.Shenzhen(), kept, log)
	if s5.byID[a.IsvParkID].Name != "A2" || s5.byID[b.IsvParkID] != s4.byID[b.IsvParkID] {
		t.Errorf("park change: %q, other park reused %v", s5.byID[a.IsvParkID].Name, s5.byID[b.IsvParkID] == s4.byID[b.IsvParkID])
	}
	if w := string(listBody(s5.parks).bytes); !strings.Contains(w, `"name":"A2"`) || !strings.Contains(w, `"freeSpaces":6`) {
		t.Errorf("list after the changes: %s", w)
	}
}

// TestMassRegistrationFallsBackToFullReads: while most parks changed
// within the overlap, a refresh reads the whole table, not each changed
// park by its index; once the changes are behind the watermark the
// refreshes are incremental again.
func TestMassRegistrationFallsBackToFullReads(t *testing.T) {
	a := newParkAt(id32("a", 0), "A", "440304", baseLng, baseLat)
	f := newRefreshFixture(t, a)
	f.tick(0)
	get(f.h, "/api/v1/public/city") // keep the API in use
	many := make([]platform.Park, crowdedMin+10)
	for i := range many {
		many[i] = newParkAt(fmt.Sprintf("m%031d", i), fmt.Sprintf("M%d", i), "440304", baseLng, baseLat)
		many[i].UpdatedAt = testTime.Add(time.Second)
	}
	f.putParks(many...)
	f.tick(DefaultRefresh) // incremental: it finds them all
	f.wantReads("the turn after the registration", 1, 1)
	f.tick(DefaultRefresh) // most parks changed: a full read
	f.wantReads("the next turn", 2, 1)
	if got := len(f.district()); got != len(many)+1 {
		t.Fatalf("%d parks served, want %d", got, len(many)+1)
	}
	// Past the overlap (vacancy reports moving the watermark on) the
	// registrations no longer come back: incremental.
	for f.clock.Sub(testTime) < Overlap+3*DefaultRefresh {
		f.putVacancy(a.IsvParkID, 1, f.clock)
		f.tick(DefaultRefresh)
		get(f.h, "/api/v1/public/city")
	}
	full, incr, _ := f.store.counts()
	f.tick(DefaultRefresh)
	f.wantReads("a turn well past the registration", full, incr+1)
}

package console

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/protocol"
)

// benchCity stores n parks with a live vacancy and an entry each, and
// returns a console over them.
func benchCity(b *testing.B, n int) (*Server, *clock) {
	store, err := sqlite.Open(filepath.Join(b.TempDir(), "parkd.db"), sqlite.Options{Synchronous: "NORMAL"})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	c := &clock{t: time.Date(2025, 6, 1, 9, 0, 0, 0, protocol.CST)}
	codes := regionCodes(New(Config{}).cfg.City)
	err = store.Update(context.Background(), func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "v", Online: true, CreatedAt: c.now()}); err != nil {
			return err
		}
		for i := range n {
			id := fmt.Sprintf("%032x", i)
			p := platform.Park{IsvParkID: id, UserID: "v", ParkCode: id, Name: "P" + id, AreaCode: codes[i%len(codes)],
				TotalSpaces: 100, Longitude: 114, Latitude: 22.5, Info: []byte(`{}`), CreatedAt: c.now(), UpdatedAt: c.now()}
			if err := tx.PutPark(p); err != nil {
				return err
			}
			if err := tx.PutVacancy(platform.Vacancy{IsvParkID: id, Info: []byte(`{}`), UsedStalls: i % 100, UnusedStalls: 100 - i%100, At: c.now()}); err != nil {
				return err
			}
			r := platform.Record{IsvParkID: id, ID: id, PlateNo: "粤B12345", Time: c.now().Add(-time.Hour), Payload: []byte(`{}`), ReceivedAt: c.now()}
			if err := tx.PutRecord(platform.KindEnter, r); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return New(Config{Store: store, Now: c.now}), c
}

// benchOverview answers GET /console/api/overview b.N times; with rebuild
// the clock moves past Refresh before each, as if every request came
// after the snapshot aged (what a console without the shared snapshot
// would cost per request).
func benchOverview(b *testing.B, rebuild bool) {
	s, c := benchCity(b, 2000)
	req := httptest.NewRequest("GET", "/console/api/overview", nil)
	b.ResetTimer()
	for b.Loop() {
		if rebuild {
			c.advance(3 * time.Second)
		}
		w := httptest.NewRecorder()
		s.ServeOverview(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("overview: %d", w.Code)
		}
	}
}

// BenchmarkOverviewShared is the cost of an overview request within the
// shared snapshot's 2 s.
func BenchmarkOverviewShared(b *testing.B) { benchOverview(b, false) }

// BenchmarkOverviewRebuilt is the cost of an overview that reads and sums
// the city (2,000 parks).
func BenchmarkOverviewRebuilt(b *testing.B) { benchOverview(b, true) }

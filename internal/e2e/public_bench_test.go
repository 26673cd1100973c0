package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/public"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// benchCityParks is how many parks BenchmarkPublicNearby stores.
const benchCityParks = 10000

// benchNearbyP50 is the parkd median of the last BenchmarkPublicNearby
// run, for the ratio its bare baseline reports.
var benchNearbyP50 time.Duration

// cityPoint draws a point of Shenzhen: seven in ten in the dense centre
// (Nanshan, Futian, Luohu), the rest anywhere in the city's bounds.
func cityPoint(rng *rand.Rand) (lng, lat float64) {
	if rng.IntN(10) < 7 {
		return 113.88 + rng.Float64()*0.27, 22.50 + rng.Float64()*0.10
	}
	return 113.75 + rng.Float64()*0.85, 22.45 + rng.Float64()*0.40
}

// seedCity stores n parks of 10 vendors through the store, each with a
// live vacancy and two entrances, as the uplink would have left them.
func seedCity(b *testing.B, srv *testserver.Server, n int) {
	b.Helper()
	rng := rand.New(rand.NewPCG(1, 1))
	at := srv.Clock.Now()
	codes := []string{"440303", "440304", "440305", "440306", "440307", "440308", "440309", "440310", "440311", "440327"}
	for v := range 10 {
		addAccount(b, srv, fmt.Sprintf("cityvendor%d", v))
	}
	const batch = 500
	for start := 0; start < n; start += batch {
		update(b, srv, func(tx platform.Tx) error {
			for i := start; i < min(n, start+batch); i++ {
				if err := putCityPark(tx, rng, i, codes[i%len(codes)], at); err != nil {
					return err
				}
			}
			return nil
		})
	}
}

// putCityPark stores park i with its vacancy and entrances.
func putCityPark(tx platform.Tx, rng *rand.Rand, i int, area string, at time.Time) error {
	code := fmt.Sprintf("city%028d", i)
	isv := fmt.Sprintf("%032x", i+1)
	lng, lat := cityPoint(rng)
	info := parkAt(code, fmt.Sprintf("深圳第%d停车场", i), area, lng, lat)
	info.TotalSpaces = 50 + rng.IntN(950)
	raw, err := json.Marshal(info)
	if err != nil {
		return err
	}
	err = tx.PutPark(platform.Park{IsvParkID: isv, UserID: fmt.Sprintf("cityvendor%d", i%10), ParkCode: code,
		Name: info.ParkName, AreaCode: area, BizStatus: 1, Reservable: true, ReservableSpaces: info.ReservableSpaces,
		TotalSpaces: info.TotalSpaces, Longitude: lng, Latitude: lat, Info: raw, CreatedAt: at, UpdatedAt: at})
	if err != nil {
		return err
	}
	used := rng.IntN(info.TotalSpaces + 1)
	si := protocol.ParkSpaceInfo{ParkCode: code, UsedStalls: used, UnusedStalls: info.TotalSpaces - used,
		UnusedReservableStalls: 3, UnusedCharingStalls: 2}
	if raw, err = json.Marshal(si); err != nil {
		return err
	}
	err = tx.PutVacancy(platform.Vacancy{IsvParkID: isv, Info: raw, UsedStalls: used, UnusedStalls: si.UnusedStalls,
		UnusedReservableStalls: 3, At: at})
	if err != nil {
		return err
	}
	for g, name := range []string{"北门", "南门"} {
		e := entrance(code, fmt.Sprintf("GATE%02d", g), name)
		e.Longitude, e.Latitude = lng+0.0005, lat
		if raw, err = json.Marshal(e); err != nil {
			return err
		}
		err = tx.PutEntrance(platform.Entrance{ID: fmt.Sprintf("%031x%d", i+1, g), IsvParkID: isv,
			Code: e.EntranceExitCode, Info: raw, UpdatedAt: at})
		if err != nil {
			return err
		}
	}
	return nil
}

// nearbyQueries returns n nearby paths at city points with radius
// 1000-3000 m.
func nearbyQueries(n int) []string {
	rng := rand.New(rand.NewPCG(2, 2))
	out := make([]string, n)
	for i := range out {
		lng, lat := cityPoint(rng)
		out[i] = fmt.Sprintf("/api/v1/public/parks?lng=%.6f&lat=%.6f&radius=%d", lng, lat, 1000+rng.IntN(2001))
	}
	return out
}

// latencies sends b.N GETs of paths in turn over one keep-alive
// connection and reports their median and 99th percentile.
func latencies(b *testing.B, client *http.Client, base string, paths []string) time.Duration {
	b.Helper()
	durations := make([]time.Duration, 0, b.N)
	var bytes int64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		resp, err := client.Get(base + paths[i%len(paths)])
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("HTTP %d: %v", resp.StatusCode, err)
		}
		durations = append(durations, time.Since(start))
		bytes += n
	}
	b.StopTimer()
	slices.Sort(durations)
	p50, p99 := durations[len(durations)/2], durations[len(durations)*99/100]
	b.ReportMetric(float64(p50.Microseconds()), "p50-µs")
	b.ReportMetric(float64(p99.Microseconds()), "p99-µs")
	b.ReportMetric(float64(bytes)/float64(b.N), "bytes/answer")
	return p50
}

// BenchmarkPublicNearby measures nearby queries (radius 1000-3000 m,
// default limit 20) at random points over 10,000 parks stored through the
// real store, over loopback HTTP with keep-alive, one request at a time,
// and a bare net/http handler answering a JSON body of the same mean size
// with the same client: the ceiling on this machine. The bare run reports
// parkd's median as a multiple of its own.
func BenchmarkPublicNearby(b *testing.B) {
	srv := testserver.Start(b, testserver.Options{Clock: testserver.RealClock(), Config: server.Config{
		NoBackground: true, PlainHTTP: true, Sync: "normal", Public: public.Config{Rate: 1e9}}})
	seedCity(b, srv, benchCityParks)
	// The first build decodes every parkInfo; later ones reuse what has
	// not changed.
	var refresh [2]time.Duration
	for i := range refresh {
		start := time.Now()
		if err := srv.Public.Refresh(context.Background()); err != nil {
			b.Fatal(err)
		}
		refresh[i] = time.Since(start)
	}
	paths := nearbyQueries(1000)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	defer client.CloseIdleConnections()
	// The bare handler answers a body of the mean size of parkd's.
	var total int64
	for _, p := range paths {
		resp, err := client.Get(srv.URL + p)
		if err != nil {
			b.Fatal(err)
		}
		n, _ := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		total += n
	}
	bare := []byte(`{"parks":[{"pad":"`)
	for int64(len(bare)) < total/int64(len(paths))-4 {
		bare = append(bare, 'x')
	}
	bare = append(bare, `"}]}`...)
	b.Run("parkd", func(b *testing.B) {
		benchNearbyP50 = latencies(b, client, srv.URL, paths)
		b.ReportMetric(float64(refresh[0].Milliseconds()), "first-build-ms")
		b.ReportMetric(float64(refresh[1].Milliseconds()), "rebuild-ms")
	})
	b.Run("bare", func(b *testing.B) {
		bareSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write(bare)
		}))
		defer bareSrv.Close()
		bareClient := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
		defer bareClient.CloseIdleConnections()
		p50 := latencies(b, bareClient, bareSrv.URL, paths)
		if benchNearbyP50 > 0 && p50 > 0 {
			b.ReportMetric(float64(benchNearbyP50)/float64(p50), "parkd-p50-x")
		}
	})
}

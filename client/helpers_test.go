package client_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// The account every test uses.
const (
	userID   = "lot001"
	password = "Parking@2024"
)

// Park codes and picture ids: 32 characters of [0-9A-Za-z].
const (
	parkA   = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	parkB   = "b1b2c3d4e5f60718293a4b5c6d7e8f90"
	parkX   = "f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0" // never reported
	photoID = "11112222333344445555666677778888"
)

// startPlatform starts a parkd with the test account; plain serves HTTP
// instead of HTTPS.
func startPlatform(t testing.TB, plain bool) *testserver.Server {
	t.Helper()
	ts := testserver.Start(t, testserver.Options{Config: server.Config{PlainHTTP: plain}})
	ts.AddAccount(t, userID, password)
	// Runs before the server's Close: a connection the transport dialled
	// but never used would hold up its shutdown for 5 s.
	t.Cleanup(ts.Client.CloseIdleConnections)
	return ts
}

// newClient returns a client of the test account for ts whose local clock
// is the server's.
func newClient(t testing.TB, ts *testserver.Server) *client.Client {
	t.Helper()
	return clientFor(t, ts.URL, ts.Client, ts.Clock.Now)
}

// clientFor returns a client of the test account for a base URL.
func clientFor(t testing.TB, baseURL string, hc *http.Client, now func() time.Time) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: baseURL, UserID: userID, Password: password, HTTPClient: hc, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// eventID returns the 32-character id of the n-th parking event of a
// series named by tag (letters and digits).
func eventID(tag string, n int) string { return fmt.Sprintf("%s%0*d", tag, 32-len(tag), n) }

// plateNo returns the n-th test plate (n < 100000), a valid Guangdong
// plate.
func plateNo(n int) string { return fmt.Sprintf("粤B%05d", n) }

// parkInfo returns a valid table 6 item for code.
func parkInfo(code string) protocol.ParkInfo {
	charging := 10
	return protocol.ParkInfo{
		ParkName: "福田中心停车场", ParkCode: code, ParkType: protocol.ParkTypeIndoor,
		Address: "深圳市福田区福华路1号", Longitude: 114.0579, Latitude: 22.5431, AreaCode: "440304",
		ServiceType: protocol.ServiceOffice, BizStatus: protocol.BizEnabled, TotalSpaces: 100,
		TotalCharingSpaces: &charging, Reservable: protocol.Yes, ReservableSpaces: 20,
		TotalReservableCharingSpaces: 2, ImageID: photoID,
	}
}

// dt parses a CST DateTime.
func dt(t testing.TB, s string) protocol.DateTime {
	t.Helper()
	d, err := protocol.ParseDateTime(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// enter returns a valid table 11 item.
func enter(t testing.TB, park, id, plate, at string) protocol.EnterRecord {
	return protocol.EnterRecord{ParkCode: park, ID: id, PlateNo: plate, EnterTime: dt(t, at),
		EntryCarPhotoID: photoID, EntranceCode: "GATE01", EntranceName: "北门入口"}
}

// exit returns a valid table 13 item.
func exit(t testing.TB, park, id, plate, at string) protocol.ExitRecord {
	return protocol.ExitRecord{ParkCode: park, ID: id, PlateNo: plate, LeaveTime: dt(t, at),
		ExitCarPhotoID: photoID, ExitCode: "GATE02", ExitName: "南门出口"}
}

// registerPark reports park code through c and returns its isvParkId.
func registerPark(t testing.TB, c *client.Client, code string) string {
	t.Helper()
	out, err := c.ParkInfo(context.Background(), parkInfo(code))
	if err != nil {
		t.Fatalf("parkInfo %s: %v", code, err)
	}
	if len(out) != 1 || out[0].ParkCode != code || len(out[0].IsvParkID) != 32 {
		t.Fatalf("parkInfo %s: answer %+v", code, out)
	}
	return out[0].IsvParkID
}

// view reads the platform's store.
func view(t testing.TB, store platform.Store, fn func(tx platform.Tx) error) {
	t.Helper()
	if err := store.View(context.Background(), fn); err != nil {
		t.Fatalf("store view: %v", err)
	}
}

// storedEntries returns the ids of the entries stored for a park (none of
// the tests' entries has an exit) after checking that none was stored in
// more than one version.
func storedEntries(t testing.TB, store platform.Store, isvParkID string) map[string]bool {
	t.Helper()
	got := map[string]bool{}
	view(t, store, func(tx platform.Tx) error {
		recs, err := tx.OpenEntries(isvParkID)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if got[r.ID] {
				t.Errorf("entry %s stored twice", r.ID)
			}
			got[r.ID] = true
			h, err := tx.History(string(platform.KindEnter), isvParkID, r.ID)
			if err != nil {
				return err
			}
			if len(h) != 0 {
				t.Errorf("entry %s has %d replaced versions", r.ID, len(h))
			}
		}
		return nil
	})
	return got
}

// wantSameIDs fails the test unless got holds exactly the ids of want.
func wantSameIDs(t testing.TB, got map[string]bool, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d ids stored, want %d", len(got), len(want))
	}
	for _, id := range want {
		if !got[id] {
			t.Errorf("id %s not stored", id)
		}
	}
}

// waitFor polls cond until it holds or a deadline passes.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// flush waits for the outbox to drain, failing the test after a deadline.
func flush(t testing.TB, o *client.Outbox) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := o.Flush(ctx); err != nil {
		t.Fatalf("flush: %v (stats %+v)", err, o.Stats())
	}
}

// gate is a proxy in front of a platform that can refuse every request
// (down) or those that name one park (block), with HTTP 502 as a broken
// gateway does.
type gate struct {
	proxy *httputil.ReverseProxy
	down  atomic.Bool
	block atomic.Value // string: a parkCode whose requests fail
	hits  atomic.Int64 // requests passed to the platform
}

func newGate(t testing.TB, target string, hc *http.Client) *gate {
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{proxy: httputil.NewSingleHostReverseProxy(u)}
	g.proxy.Transport = hc.Transport
	g.block.Store("")
	return g
}

func (g *gate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if g.down.Load() {
		http.Error(w, "platform unreachable", http.StatusBadGateway)
		return
	}
	if park := g.block.Load().(string); park != "" {
		body, err := readBody(r)
		if err != nil || strings.Contains(body, park) {
			http.Error(w, "platform unreachable", http.StatusBadGateway)
			return
		}
	}
	g.hits.Add(1)
	g.proxy.ServeHTTP(w, r)
}

// readBody reads r's body and puts it back for the proxy.
func readBody(r *http.Request) (string, error) {
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	return string(b), err
}

package uplink_test

import (
	"regexp"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/protocol"
)

var hex32 = regexp.MustCompile(`^[0-9a-f]{32}$`)

// docs/protocol.md §5: a park gets a platform isvParkId at its first
// report and keeps it; a changed report keeps the old one in history.
func TestParkInfoKeepsItsIDAcrossReports(t *testing.T) {
	e := newEnv(t)
	info := fixture.ParkInfo("P001")
	first, err := e.svc.ParkInfo(ctx, vendor, []protocol.ParkInfo{info})
	if err != nil || len(first) != 1 || !hex32.MatchString(first[0].IsvParkID) || first[0].ParkCode != "P001" {
		t.Fatalf("first report: %+v, %v", first, err)
	}
	again, err := e.svc.ParkInfo(ctx, vendor, []protocol.ParkInfo{info})
	if err != nil || again[0].IsvParkID != first[0].IsvParkID {
		t.Fatalf("identical re-report: %+v, %v; want id %s", again, err, first[0].IsvParkID)
	}
	if hs := e.history(t, "park", first[0].IsvParkID, "P001"); len(hs) != 0 {
		t.Fatalf("an identical re-report kept %d versions in history", len(hs))
	}
	e.clock.Advance(time.Minute)
	info.TotalSpaces = 120
	changed, err := e.svc.ParkInfo(ctx, vendor, []protocol.ParkInfo{info})
	if err != nil || changed[0].IsvParkID != first[0].IsvParkID {
		t.Fatalf("changed report: %+v, %v; want id %s", changed, err, first[0].IsvParkID)
	}
	hs := e.history(t, "park", first[0].IsvParkID, "P001")
	if len(hs) != 1 || !hs[0].ChangedAt.Equal(e.clock.Now()) {
		t.Fatalf("history after a change: %+v", hs)
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		p, err := tx.Park(vendor, "P001")
		if err == nil && (p.TotalSpaces != 120 || !p.CreatedAt.Equal(fixture.Epoch)) {
			t.Errorf("stored park: totalSpaces %d, created %s", p.TotalSpaces, p.CreatedAt)
		}
		return err
	})
}

// Two vendors may use the same parkCode: each gets a park of its own.
func TestParkInfoSameCodeTwoVendorsTwoParks(t *testing.T) {
	e := newEnv(t)
	a, b := e.park(t, vendor, "P001"), e.park(t, other, "P001")
	if a.IsvParkID == b.IsvParkID || a.UserID != vendor || b.UserID != other {
		t.Fatalf("parks %+v and %+v", a, b)
	}
}

func TestParkInfoRefusals(t *testing.T) {
	tests := []struct {
		name   string
		change func(*protocol.ParkInfo)
		path   string
	}{
		{"an areaCode outside the configured regions is 1007", func(p *protocol.ParkInfo) { p.AreaCode = "110101" }, "data[1].areaCode"},
		{"a longitude outside the city is 1007", func(p *protocol.ParkInfo) { p.Longitude = 116.4 }, "data[1].longitude"},
		{"a latitude outside the city is 1007", func(p *protocol.ParkInfo) { p.Latitude = 39.9 }, "data[1].latitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			bad := fixture.ParkInfo("P002")
			tt.change(&bad)
			_, err := e.svc.ParkInfo(ctx, vendor, []protocol.ParkInfo{fixture.ParkInfo("P001"), bad})
			wantCode(t, err, protocol.CodeRange, tt.path)
			fixture.View(t, e.st, func(tx platform.Tx) error {
				if ps, err := tx.ParksOf(vendor); err != nil || len(ps) != 0 {
					t.Errorf("after a refused batch the vendor has %d parks, %v", len(ps), err)
				}
				return nil
			})
		})
	}
}

// Totals of table 6 that do not add up are stored and flagged.
func TestParkInfoTotalsThatDoNotAddUpAreFlagged(t *testing.T) {
	five, sixty := 5, 60
	tests := []struct {
		name   string
		change func(*protocol.ParkInfo)
		detail string
	}{
		{"reservableSpaces over totalSpaces", func(p *protocol.ParkInfo) { p.ReservableSpaces = 101 }, "reservableSpaces 101 > totalSpaces 100"},
		{"reservable 0 with reservableSpaces", func(p *protocol.ParkInfo) { p.Reservable = protocol.No }, "reservable 0 but reservableSpaces 20"},
		{"monthCard+fixed+temp over totalSpaces", func(p *protocol.ParkInfo) { p.MonthCardSpaces, p.TempSpaces = &sixty, &sixty },
			"monthCard+fixed+temp 120 > totalSpaces 100"},
		{"reservable charging over charging", func(p *protocol.ParkInfo) { p.TotalCharingSpaces = &five; p.TotalReservableCharingSpaces = 6 },
			"totalReservableCharingSpaces 6 > totalCharingSpaces 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			info := fixture.ParkInfo("P001")
			tt.change(&info)
			p := fixture.Park(t, e.svc, vendor, info)
			ws := fixture.WarningsOf(t, e.st, p.IsvParkID, "park-totals")
			if len(ws) != 1 || ws[0].Detail != tt.detail {
				t.Fatalf("warnings %+v, want one %q", ws, tt.detail)
			}
		})
	}
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, ""); len(ws) != 0 {
		t.Fatalf("a consistent report is flagged: %+v", ws)
	}
}

// A new park's online/offline history starts in its account's state.
func TestParkInfoRegistersLivenessInTheAccountsState(t *testing.T) {
	e := newEnv(t)
	fixture.Account(t, e.st, platform.Account{UserID: "offline01", Online: false})
	for _, tt := range []struct {
		user   string
		online bool
	}{{vendor, true}, {"offline01", false}} {
		p := e.park(t, tt.user, "P001")
		fixture.View(t, e.st, func(tx platform.Tx) error {
			evs, err := tx.LivenessHistory(tt.user, 0)
			var found bool
			for _, ev := range evs {
				if ev.IsvParkID == p.IsvParkID {
					found = true
					if ev.Online != tt.online || ev.Cause != "registered" {
						t.Errorf("%s: park event %+v, want online %v registered", tt.user, ev, tt.online)
					}
				}
			}
			if !found {
				t.Errorf("%s: no liveness event for the new park in %+v", tt.user, evs)
			}
			return err
		})
	}
}

// docs/protocol.md §5: an entrance keeps its platform id across
// re-reports; a changed one keeps the old version in history.
func TestEntranceKeepsItsIDAcrossReports(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	gate := protocol.EntranceExitInfo{ParkCode: "P001", Name: "北门", EntranceExitCode: "GATE01", Type: 3,
		Longitude: 114.0579, Latitude: 22.5431, Status: 1}
	first, err := e.svc.EntranceExitInfo(ctx, vendor, []protocol.EntranceExitInfo{gate})
	if err != nil || !hex32.MatchString(first[0].ID) {
		t.Fatalf("first report: %+v, %v", first, err)
	}
	again, err := e.svc.EntranceExitInfo(ctx, vendor, []protocol.EntranceExitInfo{gate})
	if err != nil || again[0].ID != first[0].ID || len(e.history(t, "entrance", p.IsvParkID, "GATE01")) != 0 {
		t.Fatalf("identical re-report: %+v, %v", again, err)
	}
	gate.Status = 3
	changed, err := e.svc.EntranceExitInfo(ctx, vendor, []protocol.EntranceExitInfo{gate})
	if err != nil || changed[0].ID != first[0].ID {
		t.Fatalf("changed report: %+v, %v", changed, err)
	}
	if hs := e.history(t, "entrance", p.IsvParkID, "GATE01"); len(hs) != 1 {
		t.Fatalf("history after a change: %+v", hs)
	}
}

func TestEntranceRefusals(t *testing.T) {
	tests := []struct {
		name  string
		park  string
		lng   float64
		code  protocol.Code
		kind  platform.Kind
		field string
	}{
		{"another vendor's park is 1101", "Q001", 114.0579, 0, platform.KindParkNotFound, "data[1].parkCode"},
		{"a park never reported is 1101", "NONE", 114.0579, 0, platform.KindParkNotFound, "data[1].parkCode"},
		{"a position outside the city is 1007", "P001", 120, protocol.CodeRange, 0, "data[1].longitude"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.park(t, vendor, "P001")
			e.park(t, other, "Q001")
			ok := protocol.EntranceExitInfo{ParkCode: "P001", Name: "北门", EntranceExitCode: "GATE01", Type: 3,
				Longitude: 114.0579, Latitude: 22.5431, Status: 1}
			bad := ok
			bad.ParkCode, bad.EntranceExitCode, bad.Longitude = tt.park, "GATE02", tt.lng
			_, err := e.svc.EntranceExitInfo(ctx, vendor, []protocol.EntranceExitInfo{ok, bad})
			if tt.code != 0 {
				wantCode(t, err, tt.code, tt.field)
			} else {
				wantKind(t, err, tt.kind, tt.field)
			}
			fixture.View(t, e.st, func(tx platform.Tx) error {
				if es, _ := tx.Entrances(p.IsvParkID); len(es) != 0 {
					t.Errorf("a refused batch stored %d entrances", len(es))
				}
				return nil
			})
		})
	}
}

package e2e

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// vacancy returns the live vacancy of a park and its series over the test
// day.
func vacancy(t *testing.T, srv *testserver.Server, isv string) (platform.Vacancy, []platform.Vacancy, bool) {
	t.Helper()
	var live platform.Vacancy
	var series []platform.Vacancy
	found := true
	view(t, srv, func(tx platform.Tx) error {
		var err error
		live, err = tx.Vacancy(isv)
		if platform.IsNotFound(err) {
			found = false
		} else if err != nil {
			return err
		}
		series, err = tx.VacancySeries(isv, testserver.Epoch.Add(-24*time.Hour), testserver.Epoch.Add(24*time.Hour))
		return err
	})
	return live, series, found
}

func TestParkSpaceInfoLiveAndSeries(t *testing.T) {
	srv, token, isv := parkFixture(t)
	resp := srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 40)})
	wantData(t, resp, `[{"parkCode":"`+parkA+`"}]`)

	srv.Clock.Advance(time.Minute)
	second := space(parkA, 55)
	tempFree := 30
	second.UnusedTempSpaces = &tempFree
	wantData(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{second}), `[{"parkCode":"`+parkA+`"}]`)

	live, series, ok := vacancy(t, srv, isv)
	if !ok {
		t.Fatal("no live vacancy")
	}
	if live.UsedStalls != 55 || live.UnusedStalls != 45 || live.UnusedReservableStalls != 5 || !live.At.Equal(srv.Clock.Now()) {
		t.Errorf("live vacancy %+v, want the second report", live)
	}
	var info protocol.ParkSpaceInfo
	if err := json.Unmarshal(live.Info, &info); err != nil || info.UnusedTempSpaces == nil || *info.UnusedTempSpaces != 30 {
		t.Errorf("live info %s (%v)", live.Info, err)
	}
	if len(series) != 2 || series[0].UsedStalls != 40 || series[1].UsedStalls != 55 {
		t.Errorf("series %+v, want both reports in order", series)
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "vacancy-totals") != 0 {
		t.Errorf("warnings %v for consistent totals", kinds)
	}
}

func TestParkSpaceInfoInconsistentTotalsFlagged(t *testing.T) {
	srv, token, isv := parkFixture(t)
	odd := space(parkA, 80)
	odd.UnusedStalls = 50 // 80 + 50 > totalSpaces 100
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{odd}))
	live, _, ok := vacancy(t, srv, isv)
	if !ok || live.UsedStalls != 80 || live.UnusedStalls != 50 {
		t.Fatalf("inconsistent report not stored: %+v", live)
	}
	kinds, ws := warnings(t, srv, isv)
	if countKind(kinds, "vacancy-totals") != 1 {
		t.Fatalf("warnings %v, want one vacancy-totals", kinds)
	}
	for _, w := range ws {
		if w.Kind == "vacancy-totals" && w.UserID != vendorA {
			t.Errorf("warning %+v", w)
		}
	}
}

func TestParkSpaceInfoErrors(t *testing.T) {
	tests := []struct {
		name string
		code protocol.Code
		path string
		edit func(m map[string]any)
	}{
		{"negative usedStalls", protocol.CodeRange, "data[0].usedStalls", func(m map[string]any) { m["usedStalls"] = -1 }},
		{"negative optional count", protocol.CodeRange, "data[0].unusedFixedSpaces", func(m map[string]any) { m["unusedFixedSpaces"] = -3 }},
		{"count as a string", protocol.CodeType, "data[0].unusedStalls", func(m map[string]any) { m["unusedStalls"] = "12" }},
		{"count with a fraction", protocol.CodeType, "data[0].unusedStalls", func(m map[string]any) { m["unusedStalls"] = 1.5 }},
		{"missing unusedReservableStalls", protocol.CodeParam, "data[0].unusedReservableStalls", func(m map[string]any) { delete(m, "unusedReservableStalls") }},
		{"unknown park", protocol.CodeNoPark, "data[0].parkCode", func(m map[string]any) { m["parkCode"] = parkB }},
	}
	srv, token, isv := parkFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, postData(t, srv, protocol.ParkSpaceInfoCode, token, editItem(t, space(parkA, 10), tc.edit)), tc.code, tc.path)
			if _, series, ok := vacancy(t, srv, isv); ok || len(series) != 0 {
				t.Error("rejected vacancy stored")
			}
		})
	}
}

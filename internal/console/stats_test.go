package console

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// testCity has two districts.
var testCity = city.City{Name: "T", Regions: protocol.Regions{"440305": "南山区", "440304": "福田区"}}

func TestStatsByDistrictAndHour(t *testing.T) {
	day := time.Date(2025, 6, 1, 0, 0, 0, 0, protocol.CST)
	h := func(n int) time.Time { return day.Add(time.Duration(n) * time.Hour).UTC() }
	in := statsInput{
		day: day,
		parks: []platform.Park{
			{IsvParkID: "a", AreaCode: "440304", TotalSpaces: 100},
			{IsvParkID: "b", AreaCode: "440304", TotalSpaces: 300},
			{IsvParkID: "c", AreaCode: "440305", TotalSpaces: 50},
			{IsvParkID: "x", AreaCode: "110101", TotalSpaces: 100}, // not the city's
			{IsvParkID: "z", AreaCode: "440305", TotalSpaces: 0},   // no spaces
		},
		counts: []platform.HourCount{
			{IsvParkID: "a", Hour: h(0), Entries: 2, Exits: 1},
			{IsvParkID: "b", Hour: h(0), Entries: 4},
			{IsvParkID: "c", Hour: h(23), Entries: 5, Exits: 5},
			{IsvParkID: "x", Hour: h(0), Entries: 100},
			{IsvParkID: "a", Hour: h(-1), Entries: 100}, // the day before
			{IsvParkID: "a", Hour: h(24), Entries: 100}, // the day after
			{IsvParkID: "gone", Hour: h(1), Entries: 100},
		},
		vacancy: []platform.VacancyHour{
			{IsvParkID: "a", Hour: h(0), Samples: 2, AvgUsed: 50, MaxUsed: 80},
			{IsvParkID: "b", Hour: h(0), Samples: 1, AvgUsed: 150, MaxUsed: 150},
			{IsvParkID: "a", Hour: h(1), Samples: 1, AvgUsed: 10, MaxUsed: 10}, // b silent at 1
			{IsvParkID: "c", Hour: h(23), Samples: 3, AvgUsed: 45, MaxUsed: 50},
			{IsvParkID: "x", Hour: h(5), Samples: 1, AvgUsed: 100, MaxUsed: 100},
			{IsvParkID: "z", Hour: h(5), Samples: 1, AvgUsed: 7, MaxUsed: 7},
		},
	}
	st := computeStats(testCity, in)
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if st.Date != "2025-06-01" || len(st.Hours) != 24 || len(st.Districts) != 2 || st.Districts[0].AreaCode != "440304" {
		t.Fatalf("shape: %s, %d hours, districts %+v", st.Date, len(st.Hours), st.Districts)
	}
	futian0 := st.Hours[0].Districts[0]
	// (50 + 150) / (100 + 300); max (80 + 150) / 400; turnover 6 / 400.
	if futian0.Entries != 6 || futian0.Exits != 1 || !near(futian0.AvgOccupancy, 0.5) || !near(futian0.MaxOccupancy, 0.575) || !near(futian0.Turnover, 0.015) {
		t.Errorf("福田 at 0: %+v", futian0)
	}
	// Only a reported at 1: 10 / 100, not 10 / 400.
	if f1 := st.Hours[1].Districts[0]; f1.Entries != 0 || !near(f1.AvgOccupancy, 0.1) {
		t.Errorf("福田 at 1: %+v", f1)
	}
	if n23 := st.Hours[23].Districts[1]; n23.Entries != 5 || !near(n23.AvgOccupancy, 0.9) || !near(n23.MaxOccupancy, 1) || !near(n23.Turnover, 0.1) {
		t.Errorf("南山 at 23: %+v", n23)
	}
	if n5 := st.Hours[5].Districts[1]; n5.AvgOccupancy != 0 {
		t.Errorf("南山 at 5 (a park without spaces reported): %+v", n5)
	}
	f := st.Districts[0]
	if f.Entries != 6 || f.Exits != 1 || !near(f.AvgOccupancy, 0.3) || f.PeakHour != 0 || !near(f.PeakOccupancy, 0.5) || !near(f.Turnover, 0.015) {
		t.Errorf("福田 day: %+v", f)
	}
	n := st.Districts[1]
	if n.Entries != 5 || !near(n.AvgOccupancy, 0.9) || n.PeakHour != 23 || !near(n.Turnover, 0.1) {
		t.Errorf("南山 day: %+v", n)
	}
	// The city counts x too: hour 5 is 100 / 100.
	if st.Peak.Hour != 5 || !near(st.Peak.Occupancy, 1) {
		t.Errorf("peak %+v", st.Peak)
	}
}

func TestStatsOfAnEmptyDay(t *testing.T) {
	st := computeStats(testCity, statsInput{day: time.Date(2025, 6, 1, 0, 0, 0, 0, protocol.CST)})
	for _, d := range st.Districts {
		if d.Entries != 0 || d.AvgOccupancy != 0 || d.PeakHour != 0 || d.PeakOccupancy != 0 || d.Turnover != 0 {
			t.Errorf("district %+v of an empty day", d)
		}
	}
	if st.Peak != (peak{}) {
		t.Errorf("peak %+v", st.Peak)
	}
	csv := string(statsCSV(st))
	lines := strings.Split(strings.TrimSuffix(csv, "\n"), "\n")
	if len(lines) != 1+24*2 || lines[0] != strings.Join(csvHeader, ",") || lines[1] != "2025-06-01,0,440304,福田区,0,0,0.0000,0.0000,0.0000" {
		t.Errorf("csv: %d lines, %q %q", len(lines), lines[0], lines[1])
	}
}

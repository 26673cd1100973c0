package sim

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/parkd/parkd/client"
	"github.com/parkd/parkd/protocol"
)

func TestRhythmPeaksInTheMorningAndEvening(t *testing.T) {
	hour := func(h float64) float64 { // mean intensity over [h, h+1)
		s := 0.0
		for i := range 60 {
			s += Rhythm(h + (float64(i)+0.5)/60)
		}
		return s / 60
	}
	var day float64
	for h := range 24 {
		day += hour(float64(h))
	}
	if math.Abs(day/24-1) > 0.01 {
		t.Errorf("mean over a day = %.3f, want 1", day/24)
	}
	if m, n := hour(8), hour(3); m < 10*n {
		t.Errorf("8-9 h intensity %.2f, 3-4 h %.2f: want the morning peak at least 10x the night", m, n)
	}
	if e, noon := hour(18), hour(13); e <= noon {
		t.Errorf("18-19 h intensity %.2f not above 13-14 h %.2f", e, noon)
	}
	if Rhythm(-1) != Rhythm(23) || Rhythm(24.5) != Rhythm(0.5) {
		t.Error("Rhythm does not wrap around the day")
	}
}

func TestArrivalsFollowTheRhythm(t *testing.T) {
	s := newTestSim(t, Config{Lots: 1, Rate: 1, Speed: 60, Seed: 3})
	l := s.lots[0]
	start := time.Date(2024, 3, 4, 0, 0, 0, 0, protocol.CST)
	l.begin(start)
	byHour := make([]int, 24)
	for t := l.nextArr; t.Before(start.AddDate(0, 0, 20)); t = nextArrival(l.rng, t, l.base) {
		byHour[t.In(protocol.CST).Hour()]++
	}
	if byHour[8] <= 5*byHour[3] || byHour[18] <= 5*byHour[3] {
		t.Errorf("arrivals by hour %v: want 8-9 and 18-19 well above 3-4", byHour)
	}
	// The mean rate is Rate per real second: 1/60 per simulated second.
	total := 0
	for _, n := range byHour {
		total += n
	}
	if want := 20 * 86400 / 60.0; math.Abs(float64(total)-want) > 0.1*want {
		t.Errorf("%d arrivals in 20 simulated days, want about %.0f", total, want)
	}
}

func TestPhotosAreJPEGsWithinTheSizeLimits(t *testing.T) {
	p, err := DefaultPhotos()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for i := range p.Len() + 1 {
		b := p.Photo(i, "parksim photo "+strings.Repeat("x", i))
		if len(b) < 102_400 || len(b) > 512_000 {
			t.Errorf("photo %d is %d bytes, want 102,400-512,000", i, len(b))
		}
		if protocol.ImageKind(b) != "jpeg" {
			t.Errorf("photo %d is not a JPEG by content", i)
		}
		if _, err := jpeg.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("photo %d: image/jpeg: %v", i, err)
		}
		if _, kind, err := image.Decode(bytes.NewReader(b)); err != nil || kind != "jpeg" {
			t.Errorf("photo %d: image.Decode: %q %v", i, kind, err)
		}
		if seen[string(b)] {
			t.Errorf("photo %d repeats the bytes of an earlier one", i)
		}
		seen[string(b)] = true
	}
	big := p.Oversized(0, "too big")
	if len(big) <= protocol.MaxPictureBytes {
		t.Errorf("oversized photo is %d bytes, want over %d", len(big), protocol.MaxPictureBytes)
	}
	if _, err := jpeg.Decode(bytes.NewReader(big)); err != nil {
		t.Errorf("oversized photo: %v", err)
	}
}

func TestSameSeedSameTraffic(t *testing.T) {
	start := time.Date(2024, 1, 1, 7, 0, 0, 0, protocol.CST)
	trace := func(seed int64) []string {
		s := newTestSim(t, Config{Lots: 3, Rate: 50, Speed: 600, Seed: seed, BadData: 0.1})
		var out []string
		for _, l := range s.lots {
			l.begin(start)
			for range 40 {
				at, items := l.step()
				for _, it := range items {
					out = append(out, at.Format(time.RFC3339)+" "+describe(it))
				}
			}
		}
		return out
	}
	a, b, c := trace(42), trace(42), trace(43)
	if strings.Join(a, "\n") != strings.Join(b, "\n") {
		t.Fatalf("same seed, different traffic:\n%s\n---\n%s", strings.Join(a[:10], "\n"), strings.Join(b[:10], "\n"))
	}
	if strings.Join(a, "\n") == strings.Join(c, "\n") {
		t.Fatal("seeds 42 and 43 gave the same traffic")
	}
	var enters int
	for _, line := range a {
		if strings.Contains(line, " enterRecord ") {
			enters++
		}
	}
	if enters < 10 {
		t.Fatalf("only %d entries in the trace:\n%s", enters, strings.Join(a, "\n"))
	}
}

// describe renders the identifying fields of an item.
func describe(it item) string {
	switch v := it.value.(type) {
	case photo:
		return "picture " + v.ID + " " + v.PickTime.Format(time.RFC3339)
	case protocol.EnterRecord:
		return "enterRecord " + v.ID + " " + v.PlateNo + " " + v.EnterTime.String() + " " + v.EntryCarPhotoID
	case protocol.ExitRecord:
		return "exitRecord " + v.ID + " " + v.PlateNo + " " + v.LeaveTime.String()
	case protocol.ParkSpaceInfo:
		return "parkSpaceInfo " + strconv.Itoa(v.UsedStalls) + " " + strconv.Itoa(v.UnusedStalls)
	case protocol.ParkCarInfo:
		return "parkCarInfo " + v.PlateNoList
	}
	return string(it.kind)
}

func TestLotsAreRealisticShenzhenParks(t *testing.T) {
	s := newTestSim(t, Config{Lots: 40, Seed: 1})
	reservable, commercial := 0, 0
	for i, l := range s.lots {
		info := l.Info()
		if err := info.Validate(); err != nil {
			t.Errorf("lot %d: %v", i+1, err)
		}
		if err := protocol.Shenzhen.Check("areaCode", info.AreaCode); err != nil {
			t.Errorf("lot %d: %v", i+1, err)
		}
		if !strings.HasSuffix(info.ParkName, "停车场 "+pad3(i+1)) || !strings.HasPrefix(info.Address, "深圳市") {
			t.Errorf("lot %d: name %q, address %q", i+1, info.ParkName, info.Address)
		}
		if info.Longitude < MinLng || info.Longitude > MaxLng || info.Latitude < MinLat || info.Latitude > MaxLat {
			t.Errorf("lot %d at %.6f,%.6f: outside Shenzhen", i+1, info.Longitude, info.Latitude)
		}
		if info.TotalSpaces < 50 || info.TotalSpaces > 2000 {
			t.Errorf("lot %d: %d spaces", i+1, info.TotalSpaces)
		}
		if info.ImageID == "" || info.ImageID != tariffID(info.ParkCode) {
			t.Errorf("lot %d: imageId %q", i+1, info.ImageID)
		}
		if info.Reservable == protocol.Yes {
			reservable++
			if info.ReservableSpaces <= 0 || info.ReservableSpaces > info.TotalSpaces {
				t.Errorf("lot %d: %d reservable of %d", i+1, info.ReservableSpaces, info.TotalSpaces)
			}
		}
		if info.PermitNo != "" {
			commercial++
		}
		gates := l.Entrances()
		if len(gates) < 1 || len(gates) > 4 || len(l.ins) == 0 || len(l.outs) == 0 {
			t.Errorf("lot %d: %d entrances, %d in, %d out", i+1, len(gates), len(l.ins), len(l.outs))
		}
		for _, g := range gates {
			if err := g.Validate(); err != nil {
				t.Errorf("lot %d entrance %s: %v", i+1, g.EntranceExitCode, err)
			}
		}
	}
	if reservable == 0 || reservable == len(s.lots) || commercial == 0 || commercial == len(s.lots) {
		t.Errorf("%d reservable and %d commercial lots of %d: want some of each", reservable, commercial, len(s.lots))
	}
	again := newTestSim(t, Config{Lots: 2, Seed: 99})
	if again.lots[1].Info().ParkName != s.lots[1].Info().ParkName || again.lots[1].code != ParkCode("simtest", 2) {
		t.Error("a lot depends on the seed, not only on the account and its number")
	}
}

func pad3(n int) string { return fmt.Sprintf("%03d", n) }

func TestPlatesLookRealAndDiffer(t *testing.T) {
	s := newTestSim(t, Config{Lots: 1, Seed: 5})
	r := s.lots[0].rng
	seen := map[string]bool{}
	var yueB, nev, other int
	for range 2000 {
		p := newPlate(r)
		if !protocol.PlateLooksValid(p.plate) {
			t.Errorf("plate %q fits no Chinese format", p.plate)
		}
		switch n := utf8.RuneCountInString(p.plate); {
		case strings.HasPrefix(p.plate, "粤B") && n == 8 && p.carModel == protocol.CarModelSmallNEV:
			nev++
			if c := p.plate[len("粤B")]; c != 'D' && c != 'F' {
				t.Errorf("new-energy plate %q does not start with D or F", p.plate)
			}
		case strings.HasPrefix(p.plate, "粤B") && n == 7:
			yueB++
		case n == 7:
			other++
		default:
			t.Errorf("plate %q has an unexpected shape", p.plate)
		}
		seen[p.plate] = true
	}
	if yueB < 1200 || nev < 250 || other < 100 {
		t.Errorf("粤B %d, new-energy %d, elsewhere %d of 2000", yueB, nev, other)
	}
	if len(seen) < 1990 {
		t.Errorf("only %d distinct plates of 2000", len(seen))
	}
}

func TestOccupancyNeverExceedsCapacity(t *testing.T) {
	s := newTestSim(t, Config{Lots: 1, Rate: 2000, Speed: 1, Seed: 8})
	l := s.lots[0]
	l.begin(time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST))
	cap := l.Info().TotalSpaces
	for range 6 * cap {
		_, items := l.step()
		for _, it := range items {
			if v, ok := it.value.(protocol.ParkSpaceInfo); ok {
				if v.UsedStalls > cap || v.UsedStalls+v.UnusedStalls+v.ReservedStalls != cap {
					t.Fatalf("vacancy %+v of a %d-space lot", v, cap)
				}
			}
		}
	}
	if st := l.State(); st.Inside != cap || st.TurnedAway == 0 {
		t.Fatalf("after a rush: %+v, want the lot full and vehicles turned away", st)
	}
}

// newTestSim makes a Sim for account simtest with the default photo pool,
// without contacting anything.
func newTestSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	cfg.URL, cfg.UserID, cfg.Password = "http://127.0.0.1:1", "simtest", "pw"
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

var _ client.ReservationHandler = (*Sim)(nil)

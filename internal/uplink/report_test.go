package uplink_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/protocol"
)

// docs/protocol.md §5: parkSpaceInfo replaces the park's live vacancy and
// appends to its series.
func TestParkSpaceInfoReplacesTheLiveValueAndKeepsTheSeries(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	for i, used := range []int{10, 12} {
		if i > 0 {
			e.clock.Advance(time.Minute)
		}
		v := protocol.ParkSpaceInfo{ParkCode: "P001", UsedStalls: used, UnusedStalls: 100 - used, UnusedReservableStalls: 5}
		out, err := e.svc.ParkSpaceInfo(ctx, vendor, []protocol.ParkSpaceInfo{v})
		if err != nil || out[0].ParkCode != "P001" {
			t.Fatalf("parkSpaceInfo: %+v, %v", out, err)
		}
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		v, err := tx.Vacancy(p.IsvParkID)
		if err != nil {
			return err
		}
		if v.UsedStalls != 12 || v.UnusedStalls != 88 || !v.At.Equal(e.clock.Now()) {
			t.Errorf("live vacancy %+v, want the last report", v)
		}
		series, err := tx.VacancySeries(p.IsvParkID, fixture.Epoch, fixture.Epoch.Add(time.Hour))
		if len(series) != 2 {
			t.Errorf("series of %d, want 2", len(series))
		}
		return err
	})
	if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, ""); len(ws) != 0 {
		t.Fatalf("consistent reports are flagged: %+v", ws)
	}
}

// Vacancy figures beyond the park's table 6 totals are stored as sent
// (never clamped) and flagged.
func TestParkSpaceInfoBeyondTheTotalsIsStoredAndFlagged(t *testing.T) {
	tests := []struct {
		name   string
		v      protocol.ParkSpaceInfo
		detail string
	}{
		{"used+unused over totalSpaces", protocol.ParkSpaceInfo{UsedStalls: 80, UnusedStalls: 30}, "usedStalls+unusedStalls 110 > totalSpaces 100"},
		{"unused reservable over reservableSpaces", protocol.ParkSpaceInfo{UnusedReservableStalls: 21}, "unusedReservableStalls 21 > reservableSpaces 20"},
		{"charging over totalCharingSpaces", protocol.ParkSpaceInfo{UsedCharingStalls: 6, UnusedCharingStalls: 5}, "usedCharingStalls+unusedCharingStalls 11 > totalCharingSpaces 10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.park(t, vendor, "P001")
			tt.v.ParkCode = "P001"
			if _, err := e.svc.ParkSpaceInfo(ctx, vendor, []protocol.ParkSpaceInfo{tt.v}); err != nil {
				t.Fatal(err)
			}
			fixture.View(t, e.st, func(tx platform.Tx) error {
				v, err := tx.Vacancy(p.IsvParkID)
				if err == nil && (v.UsedStalls != tt.v.UsedStalls || v.UnusedStalls != tt.v.UnusedStalls || v.UnusedReservableStalls != tt.v.UnusedReservableStalls) {
					t.Errorf("stored %+v, want the figures as sent", v)
				}
				return err
			})
			ws := fixture.WarningsOf(t, e.st, p.IsvParkID, "vacancy-totals")
			if len(ws) != 1 || ws[0].Detail != tt.detail {
				t.Fatalf("warnings %+v, want %q", ws, tt.detail)
			}
		})
	}
}

// docs/protocol.md §5: the hourly plate list is compared with the open
// entries and the last usedStalls; the result is kept per park per hour,
// a later list of the same hour replacing it.
func TestParkCarInfoVerifiesTheListAgainstOpenEntries(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	entries := []protocol.EnterRecord{enter("P001", 1, "粤B11111", in), enter("P001", 2, "粤B22222", in)}
	if _, err := e.svc.EnterRecord(ctx, vendor, entries); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ParkSpaceInfo(ctx, vendor, []protocol.ParkSpaceInfo{{ParkCode: "P001", UsedStalls: 2, UnusedStalls: 98}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		list            string
		noEntry, missed []string
		warnings        []string
	}{
		{"a list that matches", "粤B11111,粤B22222", []string{}, []string{}, nil},
		{"a plate inside with no entry and an entry not inside", "粤B11111，粤B33333", []string{"粤B33333"}, []string{"粤B22222"},
			[]string{"1 plates inside with no open entry, 1 open entries not in the list"}},
		{"a list shorter than usedStalls", "粤B11111", []string{}, []string{"粤B22222"},
			[]string{"plate list has 1 vehicles, usedStalls is 2", "0 plates inside with no open entry, 1 open entries not in the list"}},
	}
	seen := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Advance(time.Minute) // the same hour: the list replaces the last
			if _, err := e.svc.ParkCarInfo(ctx, vendor, []protocol.ParkCarInfo{{ParkCode: "P001", PlateNoList: tt.list}}); err != nil {
				t.Fatal(err)
			}
			fixture.View(t, e.st, func(tx platform.Tx) error {
				vs, err := tx.Verifications(p.IsvParkID, fixture.Epoch, fixture.Epoch.Add(time.Hour))
				if err != nil {
					return err
				}
				if len(vs) != 1 {
					t.Fatalf("%d verifications in the hour, want 1", len(vs))
				}
				v := vs[0]
				if !slices.Equal(v.NoEntry, tt.noEntry) || !slices.Equal(v.Missing, tt.missed) || v.UsedStalls != 2 ||
					v.Plates != len(strings.FieldsFunc(tt.list, func(r rune) bool { return r == ',' || r == '，' })) || !v.Hour.Equal(fixture.Epoch) {
					t.Errorf("verification %+v, want no entry %v, missing %v", v, tt.noEntry, tt.missed)
				}
				return nil
			})
			ws := fixture.WarningsOf(t, e.st, p.IsvParkID, "verification")
			got := ws[:len(ws)-seen]
			seen = len(ws)
			var details []string
			for _, w := range got {
				details = append(details, w.Detail)
			}
			slices.Sort(details)
			want := slices.Clone(tt.warnings)
			slices.Sort(want)
			if !slices.Equal(details, want) {
				t.Errorf("new warnings %q, want %q", details, want)
			}
		})
	}
	e.clock.Advance(time.Hour)
	if _, err := e.svc.ParkCarInfo(ctx, vendor, []protocol.ParkCarInfo{{ParkCode: "P001", PlateNoList: "粤B11111,粤B22222"}}); err != nil {
		t.Fatal(err)
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		vs, err := tx.Verifications(p.IsvParkID, fixture.Epoch, fixture.Epoch.Add(3*time.Hour))
		if len(vs) != 2 {
			t.Errorf("%d verifications over two hours, want 2", len(vs))
		}
		return err
	})
}

// A list before any parkSpaceInfo has no usedStalls to compare (-1).
func TestParkCarInfoWithoutVacancyComparesNoCount(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	if _, err := e.svc.ParkCarInfo(ctx, vendor, []protocol.ParkCarInfo{{ParkCode: "P001", PlateNoList: ""}}); err != nil {
		t.Fatal(err)
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		vs, err := tx.Verifications(p.IsvParkID, fixture.Epoch, fixture.Epoch.Add(time.Hour))
		if len(vs) != 1 || vs[0].UsedStalls != -1 || vs[0].Plates != 0 {
			t.Errorf("verifications %+v", vs)
		}
		return err
	})
	if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, ""); len(ws) != 0 {
		t.Fatalf("an empty list of an empty park is flagged: %+v", ws)
	}
}

// docs/protocol.md §5: the replenish list of a CST day names the plates of
// the day's exits without entry, sorted and once each, paged.
func TestReplenishListsTheDaysExitsWithoutEntry(t *testing.T) {
	e := newEnv(t)
	e.park(t, vendor, "P001")
	day := fixture.Epoch // 2024-01-01 08:00 CST
	exits := []protocol.ExitRecord{
		exit("P001", 1, "粤B33333", day.Add(time.Hour)),
		exit("P001", 2, "粤B11111", day.Add(2*time.Hour)),
		exit("P001", 3, "粤B33333", day.Add(3*time.Hour)),              // the same plate twice
		exit("P001", 4, "粤B22222", day.Add(-9*time.Hour)),             // 2023-12-31 23:00 CST: the day before
		exit("P001", 5, "粤B44444", day.Add(16*time.Hour-time.Second)), // 23:59:59 CST: still the day
		exit("P001", 6, "粤B55555", day.Add(16*time.Hour)),             // 2024-01-02 00:00 CST: the next day
		exit("P001", 7, "粤B66666", day.Add(4*time.Hour)),              // its entry comes below
	}
	if _, err := e.svc.ExitRecord(ctx, vendor, exits); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 7, "粤B66666", day)}); err != nil {
		t.Fatal(err)
	}
	query := func(page, size int) (protocol.ReplenishResponse, error) {
		out, err := e.svc.ReplenishCarInfo(ctx, vendor, []protocol.ReplenishRequest{{ParkCode: "P001",
			QueryDate: protocol.NewDate(day), CurrentPage: page, PageSize: size}})
		if err != nil {
			return protocol.ReplenishResponse{}, err
		}
		return out[0], nil
	}
	tests := []struct {
		name       string
		page, size int
		want       []string
	}{
		{"all on one page", 1, 10, []string{"粤B11111", "粤B33333", "粤B44444"}},
		{"the first page of two", 1, 2, []string{"粤B11111", "粤B33333"}},
		{"the last page", 2, 2, []string{"粤B44444"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := query(tt.page, tt.size)
			if err != nil || !slices.Equal(got.PlateNoList, tt.want) || got.Total != 3 || got.ParkCode != "P001" {
				t.Fatalf("page %d of %d: %+v, %v; want %v of 3", tt.page, tt.size, got, err, tt.want)
			}
		})
	}
	t.Run("a page past the last is 1107", func(t *testing.T) {
		_, err := query(3, 2)
		wantKind(t, err, platform.KindNoPage, "data[0].currentPage")
	})
	t.Run("an empty first page is no error", func(t *testing.T) {
		out, err := e.svc.ReplenishCarInfo(ctx, vendor, []protocol.ReplenishRequest{{ParkCode: "P001",
			QueryDate: protocol.NewDate(day.AddDate(0, 0, 5)), CurrentPage: 1, PageSize: 10}})
		if err != nil || len(out) != 1 || out[0].Total != 0 || out[0].PlateNoList == nil || len(out[0].PlateNoList) != 0 {
			t.Fatalf("empty day: %+v, %v", out, err)
		}
	})
}

// pngOf returns n bytes that start as a PNG does (the platform checks
// the signature, not the image), filled with fill.
func pngOf(n int, fill byte) []byte {
	sig := []byte("\x89PNG\r\n\x1a\n")
	return append(sig, bytes.Repeat([]byte{fill}, n-len(sig))...)
}

func picForm(park, id string) protocol.PictureForm {
	return protocol.PictureForm{ParkCode: park, ID: id, FileName: "gate.png", ImageBizType: 1, PickTime: fixture.Epoch.UnixMilli()}
}

// docs/protocol.md §6: pictures are kept per account by id; the same id
// with the same bytes stores nothing, with other bytes it replaces the
// picture and keeps the old version in history. A picture may come before
// its park.
func TestPictureIsIdempotentByIDAndKeptPerAccount(t *testing.T) {
	e := newEnv(t)
	big := pngOf(protocol.MinPictureBytes, 1)
	for range 2 {
		out, err := e.svc.Picture(ctx, vendor, picForm("P001", photo), big)
		if err != nil || out.ID != photo {
			t.Fatalf("picture before its park: %+v, %v", out, err)
		}
	}
	p := e.park(t, vendor, "P001")
	var first platform.Picture
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		first, err = tx.Picture(vendor, "P001", photo)
		if err == nil && (first.Kind != "png" || first.Size != len(big)) {
			t.Errorf("stored %+v", first)
		}
		if _, err := tx.Picture(other, "P001", photo); !platform.IsNotFound(err) {
			t.Errorf("another account sees the picture: %v", err)
		}
		return err
	})
	if hs := e.history(t, "picture", p.IsvParkID, photo); len(hs) != 0 {
		t.Fatalf("the same bytes re-sent kept %d versions", len(hs))
	}
	if _, err := e.svc.Picture(ctx, vendor, picForm("P001", photo), pngOf(protocol.MinPictureBytes, 2)); err != nil {
		t.Fatal(err)
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		pic, err := tx.Picture(vendor, "P001", photo)
		if err == nil && pic.Hash == first.Hash {
			t.Errorf("other bytes did not replace the picture")
		}
		return err
	})
	if hs := e.history(t, "picture", p.IsvParkID, photo); len(hs) != 1 {
		t.Fatalf("a replaced picture kept %d versions, want 1", len(hs))
	}
}

func TestPictureRules(t *testing.T) {
	small := pngOf(1000, 1)
	tests := []struct {
		name    string
		data    []byte
		strict  bool
		code    protocol.Code
		warning bool
	}{
		{"bytes that are neither JPEG nor PNG are 1005", []byte("GIF89a not a picture at all"), false, protocol.CodeType, false},
		{"a picture over the maximum is 1007", pngOf(protocol.MaxPictureBytes+1, 1), false, protocol.CodeRange, false},
		{"a small picture is stored and flagged", small, false, 0, true},
		{"a small picture under strict pictures is 1007", small, true, protocol.CodeRange, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.park(t, vendor, "P001")
			e.svc.StrictPictures = tt.strict
			_, err := e.svc.Picture(ctx, vendor, picForm("P001", photo), tt.data)
			if tt.code != 0 {
				wantCode(t, err, tt.code, protocol.FormFile)
			} else if err != nil {
				t.Fatal(err)
			}
			fixture.View(t, e.st, func(tx platform.Tx) error {
				_, err := tx.Picture(vendor, "P001", photo)
				if stored := err == nil; stored != (tt.code == 0) {
					t.Errorf("stored %v (%v), want %v", stored, err, tt.code == 0)
				}
				return nil
			})
			if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, "small-picture"); (len(ws) == 1) != tt.warning {
				t.Fatalf("small-picture warnings %+v, want %v", ws, tt.warning)
			}
		})
	}
}

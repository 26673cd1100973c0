package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

func TestParkInfoAssignsIsvParkID(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	resp := srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(parkA), parkInfo(parkB)})
	wantOK(t, resp)
	out := decode[protocol.ParkInfoResponse](t, resp)
	if len(out) != 2 {
		t.Fatalf("data %s, want two items", resp.Data)
	}
	for i, code := range []string{parkA, parkB} {
		if out[i].ParkCode != code || !hex32.MatchString(out[i].IsvParkID) {
			t.Errorf("item %d: %+v, want parkCode %s and a 32-hex isvParkId", i, out[i], code)
		}
	}
	if out[0].IsvParkID == out[1].IsvParkID {
		t.Error("two parks share an isvParkId")
	}
	if want := `[{"parkCode":"` + parkA + `","isvParkId":"` + out[0].IsvParkID + `"},{"parkCode":"` + parkB + `","isvParkId":"` + out[1].IsvParkID + `"}]`; string(resp.Data) != want {
		t.Errorf("data %s, want %s", resp.Data, want)
	}
	view(t, srv, func(tx platform.Tx) error {
		p, err := tx.Park(vendorA, parkA)
		if err != nil {
			return err
		}
		if p.IsvParkID != out[0].IsvParkID || p.UserID != vendorA || p.Name != "福田中心停车场" || p.AreaCode != "440304" ||
			p.TotalSpaces != 100 || !p.Reservable || p.ReservableSpaces != 20 || p.BizStatus != 1 {
			t.Errorf("stored park %+v", p)
		}
		var info protocol.ParkInfo
		if err := json.Unmarshal(p.Info, &info); err != nil || info.ParkName != "福田中心停车场" || len(info.PublicInfos) != 1 {
			t.Errorf("stored info %s (%v)", p.Info, err)
		}
		byID, err := tx.ParkByID(out[1].IsvParkID)
		if err != nil || byID.ParkCode != parkB {
			t.Errorf("ParkByID: %+v %v", byID, err)
		}
		return nil
	})
}

func TestParkInfoReReportKeepsIDAndHistory(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	isv := registerPark(t, srv, token, parkA)

	srv.Clock.Advance(time.Minute)
	if again := registerPark(t, srv, token, parkA); again != isv {
		t.Fatalf("identical re-report: isvParkId %s, was %s", again, isv)
	}
	if h := history(t, srv, "park", isv, parkA); len(h) != 0 {
		t.Errorf("identical re-report made history %+v", h)
	}

	changed := parkInfo(parkA)
	changed.ParkName = "福田中心停车场（二期）"
	changed.TotalSpaces = 120
	resp := srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{changed})
	wantData(t, resp, `[{"parkCode":"`+parkA+`","isvParkId":"`+isv+`"}]`)
	view(t, srv, func(tx platform.Tx) error {
		p, err := tx.Park(vendorA, parkA)
		if err != nil {
			return err
		}
		if p.Name != changed.ParkName || p.TotalSpaces != 120 || p.IsvParkID != isv {
			t.Errorf("park after the change %+v", p)
		}
		return nil
	})
	h := history(t, srv, "park", isv, parkA)
	if len(h) != 1 || !strings.Contains(string(h[0].Old), `"parkName":"福田中心停车场"`) {
		t.Errorf("history %+v, want the old report", h)
	}
}

func TestParkInfoFieldErrors(t *testing.T) {
	tests := []struct {
		name string
		code protocol.Code
		path string
		edit func(m map[string]any)
	}{
		{"missing parkName", protocol.CodeParam, "data[0].parkName", func(m map[string]any) { delete(m, "parkName") }},
		{"missing permitNo key", protocol.CodeParam, "data[0].permitNo", func(m map[string]any) { delete(m, "permitNo") }},
		{"totalSpaces as a string", protocol.CodeType, "data[0].totalSpaces", func(m map[string]any) { m["totalSpaces"] = "100" }},
		{"longitude as a string", protocol.CodeType, "data[0].longitude", func(m map[string]any) { m["longitude"] = "114.05" }},
		{"parkName of 256 characters", protocol.CodeTooLong, "data[0].parkName", func(m map[string]any) { m["parkName"] = strings.Repeat("场", 256) }},
		{"parkType outside the table", protocol.CodeRange, "data[0].parkType", func(m map[string]any) { m["parkType"] = 3 }},
		{"serviceType outside appendix B", protocol.CodeRange, "data[0].serviceType", func(m map[string]any) { m["serviceType"] = 18 }},
		{"bizStatus 2", protocol.CodeRange, "data[0].bizStatus", func(m map[string]any) { m["bizStatus"] = 2 }},
		{"longitude outside China", protocol.CodeRange, "data[0].longitude", func(m map[string]any) { m["longitude"] = 139.69 }},
		{"latitude outside China", protocol.CodeRange, "data[0].latitude", func(m map[string]any) { m["latitude"] = 60.0 }},
		{"areaCode not in appendix F", protocol.CodeRange, "data[0].areaCode", func(m map[string]any) { m["areaCode"] = "110101" }},
		{"negative totalSpaces", protocol.CodeRange, "data[0].totalSpaces", func(m map[string]any) { m["totalSpaces"] = -1 }},
		{"publicInfos endTime malformed", protocol.CodeType, "data[0].publicInfos[0].endTime", func(m map[string]any) {
			m["publicInfos"] = []any{map[string]any{"type": 1, "startTime": "00:00:00", "endTime": "24:00:00"}}
		}},
		{"special day without dates", protocol.CodeParam, "data[0].publicInfos[0].startDateTime", func(m map[string]any) {
			m["publicInfos"] = []any{map[string]any{"type": 4, "startTime": "08:00:00", "endTime": "20:00:00"}}
		}},
	}
	srv := start(t)
	token := vendor(t, srv, vendorA)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := editItem(t, parkInfo(parkA), tc.edit)
			wantCode(t, postData(t, srv, protocol.ParkInfoCode, token, data), tc.code, tc.path)
			view(t, srv, func(tx platform.Tx) error {
				if _, err := tx.Park(vendorA, parkA); !platform.IsNotFound(err) {
					t.Errorf("rejected park stored (%v)", err)
				}
				return nil
			})
		})
	}
	// A special day with Date-only bounds is valid (docs/protocol.md §3).
	data := editItem(t, parkInfo(parkA), func(m map[string]any) {
		m["publicInfos"] = []any{map[string]any{"type": 4, "startTime": "08:00:00", "endTime": "20:00:00",
			"startDateTime": "2024-02-10", "endDateTime": "2024-02-17 23:59:59"}}
	})
	wantOK(t, postData(t, srv, protocol.ParkInfoCode, token, data))
}

// TestParkInfoBadAreaCodeInBatch: the region check names the item and
// nothing of the batch is stored.
func TestParkInfoBadAreaCodeInBatch(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	bad := parkInfo(parkB)
	bad.AreaCode = "440399"
	wantCode(t, srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(parkA), bad}), protocol.CodeRange, "data[1].areaCode")
	view(t, srv, func(tx platform.Tx) error {
		parks, err := tx.ParksOf(vendorA)
		if len(parks) != 0 {
			t.Errorf("parks stored from a rejected batch: %+v", parks)
		}
		return err
	})
}

func TestParkTotalsFlagged(t *testing.T) {
	srv := start(t)
	token := vendor(t, srv, vendorA)
	odd := parkInfo(parkA)
	odd.ReservableSpaces = 150 // more than totalSpaces
	resp := srv.Post(t, protocol.ParkInfoCode, token, []protocol.ParkInfo{odd})
	wantOK(t, resp)
	isv := decode[protocol.ParkInfoResponse](t, resp)[0].IsvParkID
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "park-totals") != 1 {
		t.Errorf("warnings %v, want one park-totals", kinds)
	}
}

func TestEntranceStableID(t *testing.T) {
	srv, token, isv := parkFixture(t)
	gate := entrance(parkA, "GATE01", "北门")
	resp := srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{gate, entrance(parkA, "GATE02", "南门")})
	wantOK(t, resp)
	out := decode[protocol.EntranceExitResponse](t, resp)
	if len(out) != 2 || !hex32.MatchString(out[0].ID) || !hex32.MatchString(out[1].ID) || out[0].ID == out[1].ID {
		t.Fatalf("data %s, want two distinct 32-hex ids", resp.Data)
	}
	id := out[0].ID

	// Re-reporting it unchanged returns the same id and keeps no history.
	wantData(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{gate}), `[{"id":"`+id+`"}]`)
	if h := history(t, srv, "entrance", isv, "GATE01"); len(h) != 0 {
		t.Errorf("identical re-report made history %+v", h)
	}

	// A change keeps the id and the old version.
	gate.Status = protocol.EntranceClosed
	gate.Name = "北门（临时）"
	srv.Clock.Advance(time.Minute)
	wantData(t, srv.Post(t, protocol.EntranceExitCode, token, []protocol.EntranceExitInfo{gate}), `[{"id":"`+id+`"}]`)
	view(t, srv, func(tx platform.Tx) error {
		e, err := tx.Entrance(isv, "GATE01")
		if err != nil {
			return err
		}
		var info protocol.EntranceExitInfo
		if err := json.Unmarshal(e.Info, &info); err != nil {
			return err
		}
		if e.ID != id || info.Status != protocol.EntranceClosed || info.Name != gate.Name {
			t.Errorf("entrance after the change %+v (%s)", e, e.Info)
		}
		all, err := tx.Entrances(isv)
		if len(all) != 2 {
			t.Errorf("%d entrances, want 2", len(all))
		}
		return err
	})
	h := history(t, srv, "entrance", isv, "GATE01")
	if len(h) != 1 || !strings.Contains(string(h[0].Old), `"name":"北门"`) || !strings.Contains(string(h[0].Old), `"status":1`) {
		t.Errorf("history %+v, want the old entrance", h)
	}
}

func TestEntranceFieldErrors(t *testing.T) {
	tests := []struct {
		name string
		code protocol.Code
		path string
		edit func(m map[string]any)
	}{
		{"missing name", protocol.CodeParam, "data[0].name", func(m map[string]any) { delete(m, "name") }},
		{"code of 5 characters", protocol.CodeTooLong, "data[0].entranceExitCode", func(m map[string]any) { m["entranceExitCode"] = "GATE1" }},
		{"type as a string", protocol.CodeType, "data[0].type", func(m map[string]any) { m["type"] = "1" }},
		{"type 4", protocol.CodeRange, "data[0].type", func(m map[string]any) { m["type"] = 4 }},
		{"status 0", protocol.CodeRange, "data[0].status", func(m map[string]any) { m["status"] = 0 }},
		{"latitude 0", protocol.CodeRange, "data[0].latitude", func(m map[string]any) { m["latitude"] = 0 }},
		{"unknown park", protocol.CodeNoPark, "data[0].parkCode", func(m map[string]any) { m["parkCode"] = parkB }},
	}
	srv, token, isv := parkFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := editItem(t, entrance(parkA, "GATE01", "北门"), tc.edit)
			wantCode(t, postData(t, srv, protocol.EntranceExitCode, token, data), tc.code, tc.path)
			view(t, srv, func(tx platform.Tx) error {
				all, err := tx.Entrances(isv)
				if len(all) != 0 {
					t.Errorf("rejected entrance stored: %+v", all)
				}
				return err
			})
		})
	}
}

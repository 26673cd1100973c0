package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// verifications returns a park's verifications over the test day.
func verifications(t *testing.T, srv *testserver.Server, isv string) []platform.Verification {
	t.Helper()
	var vs []platform.Verification
	view(t, srv, func(tx platform.Tx) error {
		var err error
		vs, err = tx.Verifications(isv, testserver.Epoch.Add(-24*time.Hour), testserver.Epoch.Add(24*time.Hour))
		return err
	})
	return vs
}

func TestParkCarInfoVerification(t *testing.T) {
	srv, token, isv := parkFixture(t)
	// Three vehicles entered; one of them has left.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(1), "粤B11111", "2024-01-01 07:00:00"),
		enter(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:10:00"),
		enter(t, parkA, recordID(3), "粤B33333", "2024-01-01 07:20:00"),
		enter(t, parkA, recordID(4), "粤B44444", "2024-01-01 07:25:00"),
	}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(4), "粤B44444", "2024-01-01 07:40:00")}))
	wantOK(t, srv.Post(t, protocol.ParkSpaceInfoCode, token, []protocol.ParkSpaceInfo{space(parkA, 3)}))

	advance(t, srv, token, 10*time.Minute) // 08:10
	// Full-width commas, spaces and lower-case letters are accepted;
	// 粤B33333 is missing and 粤X99999 has no open entry.
	list := " 粤b11111，粤B22222 , 粤x99999，"
	resp := srv.Post(t, protocol.ParkCarInfoCode, token, []protocol.ParkCarInfo{{ParkCode: parkA, PlateNoList: list}})
	wantData(t, resp, `[{"parkCode":"`+parkA+`"}]`)

	vs := verifications(t, srv, isv)
	if len(vs) != 1 {
		t.Fatalf("verifications %+v, want one", vs)
	}
	v := vs[0]
	hour := cst(t, "2024-01-01 08:00:00")
	if !v.Hour.Equal(hour) || !v.At.Equal(srv.Clock.Now()) {
		t.Errorf("hour %v at %v, want %v", v.Hour, v.At, hour)
	}
	if v.Plates != 3 || v.UsedStalls != 3 {
		t.Errorf("plates %d usedStalls %d, want 3 and 3", v.Plates, v.UsedStalls)
	}
	if !slices.Equal(v.NoEntry, []string{"粤X99999"}) {
		t.Errorf("NoEntry %q, want [粤X99999]", v.NoEntry)
	}
	if !slices.Equal(v.Missing, []string{"粤B33333"}) {
		t.Errorf("Missing %q, want [粤B33333]", v.Missing)
	}
	if !slices.Equal(v.PlateList, []string{"粤B11111", "粤B22222", "粤X99999"}) {
		t.Errorf("PlateList %q", v.PlateList)
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "verification") == 0 {
		t.Errorf("warnings %v, want a verification warning", kinds)
	}

	// A second list in the same hour replaces the first.
	advance(t, srv, token, 20*time.Minute) // 08:30
	wantOK(t, srv.Post(t, protocol.ParkCarInfoCode, token, []protocol.ParkCarInfo{{ParkCode: parkA, PlateNoList: "粤B11111,粤B22222,粤B33333"}}))
	vs = verifications(t, srv, isv)
	if len(vs) != 1 {
		t.Fatalf("verifications %+v, want the hour's one replaced", vs)
	}
	if v := vs[0]; !v.Hour.Equal(hour) || len(v.NoEntry) != 0 || len(v.Missing) != 0 || v.Plates != 3 || !v.At.Equal(srv.Clock.Now()) {
		t.Errorf("replaced verification %+v", v)
	}

	// The next hour gets its own.
	advance(t, srv, token, 40*time.Minute) // 09:10
	wantOK(t, srv.Post(t, protocol.ParkCarInfoCode, token, []protocol.ParkCarInfo{{ParkCode: parkA, PlateNoList: ""}}))
	vs = verifications(t, srv, isv)
	if len(vs) != 2 {
		t.Fatalf("%d verifications, want 2", len(vs))
	}
	last := vs[1]
	if !last.Hour.Equal(hour.Add(time.Hour)) || last.Plates != 0 || len(last.NoEntry) != 0 ||
		!slices.Equal(last.Missing, []string{"粤B11111", "粤B22222", "粤B33333"}) {
		t.Errorf("empty list verification %+v", last)
	}
}

func TestParkCarInfoErrors(t *testing.T) {
	srv, token, isv := parkFixture(t)
	tests := []struct {
		name string
		item map[string]any
		code protocol.Code
		path string
	}{
		{"plate of 21 characters", map[string]any{"parkCode": parkA, "plateNoList": "粤B11111,粤B" + strings.Repeat("1", 19)}, protocol.CodeTooLong, "data[0].plateNoList[1]"},
		{"list as an array", map[string]any{"parkCode": parkA, "plateNoList": []string{"粤B11111"}}, protocol.CodeType, "data[0].plateNoList"},
		{"missing list", map[string]any{"parkCode": parkA}, protocol.CodeParam, "data[0].plateNoList"},
		{"unknown park", map[string]any{"parkCode": parkB, "plateNoList": "粤B11111"}, protocol.CodeNoPark, "data[0].parkCode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, postData(t, srv, protocol.ParkCarInfoCode, token, mustJSON(t, []any{tc.item})), tc.code, tc.path)
		})
	}
	if vs := verifications(t, srv, isv); len(vs) != 0 {
		t.Errorf("rejected lists stored: %+v", vs)
	}
}

package e2e

import (
	"testing"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// TestVendorCannotUseAnotherVendorsPark: every interface that names a park
// answers 1101 for another vendor's parkCode, as if it did not exist, and
// stores nothing.
func TestVendorCannotUseAnotherVendorsPark(t *testing.T) {
	srv, tokenA, isvA := parkFixture(t)
	tokenB := vendor(t, srv, vendorB)
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, tokenA, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, tokenA, []protocol.ExitRecord{exit(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:40:00")}))

	tests := []struct {
		name  string
		code  protocol.Interface
		items any
	}{
		{"enterRecord", protocol.EnterRecordCode, []protocol.EnterRecord{enter(t, parkA, recordID(3), "粤B33333", "2024-01-01 07:50:00")}},
		{"enterRecord over A's id", protocol.EnterRecordCode, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B99999", "2024-01-01 07:30:00")}},
		{"exitRecord", protocol.ExitRecordCode, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:55:00")}},
		{"entranceExitInfo", protocol.EntranceExitCode, []protocol.EntranceExitInfo{entrance(parkA, "GATE01", "北门")}},
		{"parkSpaceInfo", protocol.ParkSpaceInfoCode, []protocol.ParkSpaceInfo{space(parkA, 1)}},
		{"parkCarInfo", protocol.ParkCarInfoCode, []protocol.ParkCarInfo{{ParkCode: parkA, PlateNoList: "粤B12345"}}},
		{"replenishCarInfo", protocol.ReplenishCode, []protocol.ReplenishRequest{{ParkCode: parkA, QueryDate: date(t, "2024-01-01"), CurrentPage: 1, PageSize: 10}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, srv.Post(t, tc.code, tokenB, tc.items), protocol.CodeNoPark, "data[0].parkCode")
		})
	}
	view(t, srv, func(tx platform.Tx) error {
		if r, err := tx.Record(platform.KindEnter, isvA, recordID(1)); err != nil || r.PlateNo != "粤B12345" {
			t.Errorf("A's entry %+v (%v)", r, err)
		}
		if _, err := tx.Record(platform.KindEnter, isvA, recordID(3)); !platform.IsNotFound(err) {
			t.Errorf("B wrote an entry into A's park (%v)", err)
		}
		if _, err := tx.Record(platform.KindExit, isvA, recordID(1)); !platform.IsNotFound(err) {
			t.Errorf("B wrote an exit into A's park (%v)", err)
		}
		if es, _ := tx.Entrances(isvA); len(es) != 0 {
			t.Errorf("B wrote entrances into A's park: %+v", es)
		}
		if _, err := tx.Vacancy(isvA); !platform.IsNotFound(err) {
			t.Errorf("B wrote A's vacancy (%v)", err)
		}
		if h, _ := tx.History("enter", isvA, recordID(1)); len(h) != 0 {
			t.Errorf("B changed A's entry: %+v", h)
		}
		return nil
	})
	// A still reads its own replenish list.
	wantData(t, srv.Post(t, protocol.ReplenishCode, tokenA, []protocol.ReplenishRequest{{ParkCode: parkA, QueryDate: date(t, "2024-01-01"), CurrentPage: 1, PageSize: 10}}),
		`[{"parkCode":"`+parkA+`","plateNoList":["粤B22222"],"total":1}]`)
}

// TestSameParkCodeForTwoVendors: parkCode is unique only within a vendor;
// each vendor's park gets its own isvParkId and its own records.
func TestSameParkCodeForTwoVendors(t *testing.T) {
	srv, tokenA, isvA := parkFixture(t)
	tokenB := vendor(t, srv, vendorB)
	infoB := parkInfo(parkA)
	infoB.ParkName = "B公司停车场"
	resp := srv.Post(t, protocol.ParkInfoCode, tokenB, []protocol.ParkInfo{infoB})
	wantOK(t, resp)
	isvB := decode[protocol.ParkInfoResponse](t, resp)[0].IsvParkID
	if !hex32.MatchString(isvB) || isvB == isvA {
		t.Fatalf("B's isvParkId %q, A's %q: want two different ids", isvB, isvA)
	}
	if h := history(t, srv, "park", isvA, parkA); len(h) != 0 {
		t.Errorf("B's report changed A's park: %+v", h)
	}

	// The same record id in both parks is two records.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, tokenA, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B11111", "2024-01-01 07:30:00")}))
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, tokenB, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B22222", "2024-01-01 07:31:00")}))
	view(t, srv, func(tx platform.Tx) error {
		a, err := tx.Park(vendorA, parkA)
		if err != nil || a.IsvParkID != isvA || a.Name != "福田中心停车场" {
			t.Errorf("A's park %+v (%v)", a, err)
		}
		b, err := tx.Park(vendorB, parkA)
		if err != nil || b.IsvParkID != isvB || b.Name != "B公司停车场" {
			t.Errorf("B's park %+v (%v)", b, err)
		}
		ra, err := tx.Record(platform.KindEnter, isvA, recordID(1))
		if err != nil || ra.PlateNo != "粤B11111" {
			t.Errorf("A's record %+v (%v)", ra, err)
		}
		rb, err := tx.Record(platform.KindEnter, isvB, recordID(1))
		if err != nil || rb.PlateNo != "粤B22222" {
			t.Errorf("B's record %+v (%v)", rb, err)
		}
		return nil
	})
	if h := history(t, srv, "enter", isvA, recordID(1)); len(h) != 0 {
		t.Errorf("B's record changed A's: %+v", h)
	}
}

// TestPicturesAreKeptPerAccount: the same picture id from two vendors is
// two pictures.
func TestPicturesAreKeptPerAccount(t *testing.T) {
	srv, tokenA, _ := parkFixture(t)
	tokenB := vendor(t, srv, vendorB)
	imgA, imgB := testJPEG(t), otherJPEG(t)
	wantOK(t, postPicture(t, srv, tokenA, pictureFields(srv, parkA, photoID, imgA), imgA))
	wantOK(t, postPicture(t, srv, tokenB, pictureFields(srv, parkA, photoID, imgB), imgB))
	if p, ok := picture(t, srv, vendorA, parkA, photoID); !ok || p.Hash != blob.Key(imgA) {
		t.Errorf("A's picture %+v (found %v) was replaced by B's", p, ok)
	}
	if p, ok := picture(t, srv, vendorB, parkA, photoID); !ok || p.Hash != blob.Key(imgB) {
		t.Errorf("B's picture %+v (found %v)", p, ok)
	}
}

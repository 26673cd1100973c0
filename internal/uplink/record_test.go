package uplink_test

import (
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/protocol"
)

const photo = "00000000000000000000000000000009"

func enter(park string, n int, plate string, at time.Time) protocol.EnterRecord {
	return protocol.EnterRecord{ParkCode: park, ID: fixture.RecordID(n), PlateNo: plate, EnterTime: fixture.DateTime(at),
		EntryCarPhotoID: photo, EntranceCode: "GATE01"}
}

func exit(park string, n int, plate string, at time.Time) protocol.ExitRecord {
	return protocol.ExitRecord{ParkCode: park, ID: fixture.RecordID(n), PlateNo: plate, LeaveTime: fixture.DateTime(at),
		ExitCarPhotoID: photo, ExitCode: "GATE02"}
}

// record returns a stored record, or fails.
func (e *env) record(t *testing.T, kind platform.RecordKind, isvParkID string, n int) platform.Record {
	t.Helper()
	var r platform.Record
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		r, err = tx.Record(kind, isvParkID, fixture.RecordID(n))
		return err
	})
	return r
}

func (e *env) openEntries(t *testing.T, isvParkID string) []platform.Record {
	t.Helper()
	var rs []platform.Record
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		rs, err = tx.OpenEntries(isvParkID)
		return err
	})
	return rs
}

var in = fixture.Epoch.Add(-2 * time.Hour) // 06:00 CST, when the vehicles of these tests enter

// docs/protocol.md §5: records are idempotent by id. An identical re-send
// stores nothing, a changed one replaces the stored version and keeps it
// in history.
func TestEnterRecordIsIdempotentByID(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	rec := enter("P001", 1, "粤B12345", in)
	for range 2 {
		out, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{rec})
		if err != nil || len(out) != 1 || out[0].ID != rec.ID {
			t.Fatalf("enterRecord: %+v, %v", out, err)
		}
		e.clock.Advance(time.Minute)
	}
	got := e.record(t, platform.KindEnter, p.IsvParkID, 1)
	if got.PlateNo != "粤B12345" || !got.Time.Equal(in) || !got.ReceivedAt.Equal(fixture.Epoch) {
		t.Fatalf("stored entry %+v: want the first one kept", got)
	}
	if hs := e.history(t, string(platform.KindEnter), p.IsvParkID, rec.ID); len(hs) != 0 {
		t.Fatalf("an identical re-send kept %d versions", len(hs))
	}
	if open := e.openEntries(t, p.IsvParkID); len(open) != 1 {
		t.Fatalf("%d open entries, want 1", len(open))
	}

	rec.PlateNo = "粤B54321"
	if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{rec}); err != nil {
		t.Fatal(err)
	}
	if got := e.record(t, platform.KindEnter, p.IsvParkID, 1); got.PlateNo != "粤B54321" {
		t.Fatalf("a corrected entry was not stored: %+v", got)
	}
	if hs := e.history(t, string(platform.KindEnter), p.IsvParkID, rec.ID); len(hs) != 1 {
		t.Fatalf("a correction kept %d versions, want 1", len(hs))
	}
}

// Plates are normalised (trimmed, ASCII letters upper-cased) before they
// are stored (docs/protocol.md §3).
func TestEnterRecordNormalisesThePlate(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 1, " 粤b12345 ", in)}); err != nil {
		t.Fatal(err)
	}
	if got := e.record(t, platform.KindEnter, p.IsvParkID, 1); got.PlateNo != "粤B12345" {
		t.Fatalf("stored plate %q", got.PlateNo)
	}
}

// An exit closes its entry; an identical exit re-sent stores nothing.
func TestExitRecordClosesItsEntry(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 1, "粤B12345", in)}); err != nil {
		t.Fatal(err)
	}
	out := exit("P001", 1, "粤B12345", in.Add(time.Hour))
	for range 2 {
		if _, err := e.svc.ExitRecord(ctx, vendor, []protocol.ExitRecord{out}); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.record(t, platform.KindExit, p.IsvParkID, 1); got.NoEntry || !got.Time.Equal(in.Add(time.Hour)) {
		t.Fatalf("stored exit %+v", got)
	}
	if open := e.openEntries(t, p.IsvParkID); len(open) != 0 {
		t.Fatalf("%d open entries after the exit", len(open))
	}
	if hs := e.history(t, string(platform.KindExit), p.IsvParkID, out.ID); len(hs) != 0 {
		t.Fatalf("an identical exit re-sent kept %d versions", len(hs))
	}
	if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, ""); len(ws) != 0 {
		t.Fatalf("a clean visit is flagged: %+v", ws)
	}
}

// docs/protocol.md §5: an exit whose entry has not arrived is stored and
// flagged, never refused; the entry that comes later clears the flag.
func TestExitWithoutEntryIsStoredAndFlaggedUntilItsEntryComes(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	if _, err := e.svc.ExitRecord(ctx, vendor, []protocol.ExitRecord{exit("P001", 1, "粤B12345", in.Add(time.Hour))}); err != nil {
		t.Fatalf("an exit without entry was refused: %v", err)
	}
	if got := e.record(t, platform.KindExit, p.IsvParkID, 1); !got.NoEntry {
		t.Fatalf("exit without entry stored %+v, want NoEntry", got)
	}
	if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, "exit-without-entry"); len(ws) != 1 {
		t.Fatalf("warnings %+v, want one exit-without-entry", ws)
	}
	if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 1, "粤B12345", in)}); err != nil {
		t.Fatal(err)
	}
	if got := e.record(t, platform.KindExit, p.IsvParkID, 1); got.NoEntry {
		t.Fatalf("the entry came and the exit is still flagged: %+v", got)
	}
	if open := e.openEntries(t, p.IsvParkID); len(open) != 0 {
		t.Fatalf("the late entry of a finished visit is open: %+v", open)
	}
}

func TestRecordTimeOrderRefusals(t *testing.T) {
	tests := []struct {
		name  string
		send  func(e *env) error
		field string
	}{
		{"an exit before its entry's enterTime is 1007 on leaveTime", func(e *env) error {
			if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 1, "粤B12345", in)}); err != nil {
				return err
			}
			_, err := e.svc.ExitRecord(ctx, vendor, []protocol.ExitRecord{exit("P001", 2, "粤A00001", in), exit("P001", 1, "粤B12345", in.Add(-time.Minute))})
			return err
		}, "data[1].leaveTime"},
		{"an entry after its exit's leaveTime is 1007 on enterTime", func(e *env) error {
			if _, err := e.svc.ExitRecord(ctx, vendor, []protocol.ExitRecord{exit("P001", 1, "粤B12345", in)}); err != nil {
				return err
			}
			_, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 2, "粤A00001", in), enter("P001", 1, "粤B12345", in.Add(time.Minute))})
			return err
		}, "data[1].enterTime"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			p := e.park(t, vendor, "P001")
			wantKind(t, tt.send(e), platform.KindInvalid, tt.field)
			fixture.View(t, e.st, func(tx platform.Tx) error {
				for _, kind := range []platform.RecordKind{platform.KindEnter, platform.KindExit} {
					if _, err := tx.Record(kind, p.IsvParkID, fixture.RecordID(2)); !platform.IsNotFound(err) {
						t.Errorf("the refused batch stored its first %s: %v", kind, err)
					}
				}
				return nil
			})
		})
	}
}

// docs/protocol.md §5: a vendor reports only for its own parks; another
// vendor's park, or one never reported, is 1101 on parkCode.
func TestRecordsForAnotherVendorsParkAreRefused(t *testing.T) {
	e := newEnv(t)
	q := e.park(t, other, "Q001")
	e.park(t, vendor, "P001")
	tests := []struct {
		name string
		send func() error
	}{
		{"enterRecord", func() error {
			_, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 1, "粤B12345", in), enter("Q001", 2, "粤B12345", in)})
			return err
		}},
		{"exitRecord", func() error {
			_, err := e.svc.ExitRecord(ctx, vendor, []protocol.ExitRecord{exit("P001", 1, "粤B12345", in), exit("Q001", 2, "粤B12345", in)})
			return err
		}},
		{"parkSpaceInfo", func() error {
			_, err := e.svc.ParkSpaceInfo(ctx, vendor, []protocol.ParkSpaceInfo{{ParkCode: "P001"}, {ParkCode: "Q001"}})
			return err
		}},
		{"parkCarInfo", func() error {
			_, err := e.svc.ParkCarInfo(ctx, vendor, []protocol.ParkCarInfo{{ParkCode: "P001"}, {ParkCode: "Q001"}})
			return err
		}},
		{"replenishCarInfo", func() error {
			day := protocol.NewDate(in)
			_, err := e.svc.ReplenishCarInfo(ctx, vendor, []protocol.ReplenishRequest{
				{ParkCode: "P001", QueryDate: day, CurrentPage: 1, PageSize: 10}, {ParkCode: "Q001", QueryDate: day, CurrentPage: 1, PageSize: 10}})
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantKind(t, tt.send(), platform.KindParkNotFound, "data[1].parkCode")
		})
	}
	fixture.View(t, e.st, func(tx platform.Tx) error {
		if _, err := tx.Record(platform.KindEnter, q.IsvParkID, fixture.RecordID(2)); !platform.IsNotFound(err) {
			t.Errorf("another vendor's park got a record: %v", err)
		}
		if _, err := tx.Vacancy(q.IsvParkID); !platform.IsNotFound(err) {
			t.Errorf("another vendor's park got a vacancy: %v", err)
		}
		return nil
	})
}

// A plate that fits no known format is stored and flagged.
func TestRecordWithAnOddPlateIsFlagged(t *testing.T) {
	e := newEnv(t)
	p := e.park(t, vendor, "P001")
	if _, err := e.svc.EnterRecord(ctx, vendor, []protocol.EnterRecord{enter("P001", 1, "XYZ", in)}); err != nil {
		t.Fatal(err)
	}
	if ws := fixture.WarningsOf(t, e.st, p.IsvParkID, "plate-format"); len(ws) != 1 {
		t.Fatalf("warnings %+v, want one plate-format", ws)
	}
}

package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// parkFixture starts a server with vendor A logged in and park A
// registered.
func parkFixture(t *testing.T) (srv *testserver.Server, token, isv string) {
	t.Helper()
	srv = start(t)
	token = vendor(t, srv, vendorA)
	return srv, token, registerPark(t, srv, token, parkA)
}

func TestEnterRecordStored(t *testing.T) {
	srv, token, isv := parkFixture(t)
	resp := srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(1), " 粤b12345 ", "2024-01-01 07:30:00"),
		enter(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:40:00"),
	})
	wantData(t, resp, `[{"id":"`+recordID(1)+`"},{"id":"`+recordID(2)+`"}]`)

	r, ok := record(t, srv, platform.KindEnter, isv, recordID(1))
	if !ok {
		t.Fatal("entry not stored")
	}
	if r.PlateNo != "粤B12345" {
		t.Errorf("plate %q, want it normalised to 粤B12345", r.PlateNo)
	}
	if !r.Time.Equal(cst(t, "2024-01-01 07:30:00")) {
		t.Errorf("time %v", r.Time)
	}
	var payload protocol.EnterRecord
	if err := json.Unmarshal(r.Payload, &payload); err != nil || payload.EntranceCode != "GATE01" || payload.PlateNo != "粤B12345" {
		t.Errorf("payload %s (%v)", r.Payload, err)
	}
	if _, ok := record(t, srv, platform.KindEnter, isv, recordID(2)); !ok {
		t.Error("second entry of the batch not stored")
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "plate-format") != 0 {
		t.Errorf("warnings %v for well-formed plates", kinds)
	}
}

func TestExitRecordStored(t *testing.T) {
	srv, token, isv := parkFixture(t)
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}))
	resp := srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:55:00")})
	wantData(t, resp, `[{"id":"`+recordID(1)+`"}]`)
	r, ok := record(t, srv, platform.KindExit, isv, recordID(1))
	if !ok {
		t.Fatal("exit not stored")
	}
	if r.NoEntry || !r.Time.Equal(cst(t, "2024-01-01 07:55:00")) || r.PlateNo != "粤B12345" {
		t.Errorf("exit %+v", r)
	}
	var open []platform.Record
	view(t, srv, func(tx platform.Tx) error {
		var err error
		open, err = tx.OpenEntries(isv)
		return err
	})
	if len(open) != 0 {
		t.Errorf("open entries %v after the exit", open)
	}
}

// TestPlateOddFormatStoredWithWarning: a plate that fits no known format
// is stored and counted, never rejected; length counts characters.
func TestPlateOddFormatStoredWithWarning(t *testing.T) {
	srv, token, isv := parkFixture(t)
	plate20 := "粤B" + strings.Repeat("1", 18) // 20 characters, 22 bytes
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(1), plate20, "2024-01-01 07:30:00")}))
	r, ok := record(t, srv, platform.KindEnter, isv, recordID(1))
	if !ok || r.PlateNo != plate20 {
		t.Fatalf("record %+v (found %v)", r, ok)
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "plate-format") != 1 {
		t.Errorf("warnings %v, want one plate-format", kinds)
	}
}

func TestRecordFieldErrors(t *testing.T) {
	type edit = func(m map[string]any)
	tests := []struct {
		name  string
		code  protocol.Code
		path  string
		edit  edit
		exact string // the whole message, when set
	}{
		{"missing plateNo", protocol.CodeParam, "data[0].plateNo", func(m map[string]any) { delete(m, "plateNo") }, "参数错误: data[0].plateNo is required"},
		{"null entranceCode", protocol.CodeParam, "data[0].entranceCode", func(m map[string]any) { m["entranceCode"] = nil }, ""},
		{"plate of spaces only", protocol.CodeParam, "data[0].plateNo", func(m map[string]any) { m["plateNo"] = " \u3000 " }, "参数错误: data[0].plateNo is required"},
		{"empty id", protocol.CodeParam, "data[0].id", func(m map[string]any) { m["id"] = "" }, ""},
		{"plate of 21 characters", protocol.CodeTooLong, "data[0].plateNo", func(m map[string]any) { m["plateNo"] = "粤B" + strings.Repeat("1", 19) }, "超出规定长度: data[0].plateNo (max 20)"},
		{"entranceName of 21 characters", protocol.CodeTooLong, "data[0].entranceName", func(m map[string]any) { m["entranceName"] = strings.Repeat("门", 21) }, ""},
		{"plate of wrong JSON type", protocol.CodeType, "data[0].plateNo", func(m map[string]any) { m["plateNo"] = 12345 }, ""},
		{"carModel as a string", protocol.CodeType, "data[0].carModel", func(m map[string]any) { m["carModel"] = "01" }, ""},
		{"enterTime with a T", protocol.CodeType, "data[0].enterTime", func(m map[string]any) { m["enterTime"] = "2024-01-01T07:30:00" }, ""},
		{"enterTime without seconds", protocol.CodeType, "data[0].enterTime", func(m map[string]any) { m["enterTime"] = "2024-01-01 07:30" }, ""},
		{"enterTime a date only", protocol.CodeType, "data[0].enterTime", func(m map[string]any) { m["enterTime"] = "2024-01-01" }, ""},
		{"enterTime impossible", protocol.CodeType, "data[0].enterTime", func(m map[string]any) { m["enterTime"] = "2024-02-30 07:30:00" }, ""},
		{"enterTime a number", protocol.CodeType, "data[0].enterTime", func(m map[string]any) { m["enterTime"] = 1704065400000 }, ""},
		{"id with hyphens", protocol.CodeType, "data[0].id", func(m map[string]any) { m["id"] = "-" + strings.Repeat("0", 31) }, ""},
		{"id of 31 characters", protocol.CodeTooLong, "data[0].id", func(m map[string]any) { m["id"] = strings.Repeat("1", 31) }, ""},
		{"carColor outside appendix D", protocol.CodeRange, "data[0].carColor", func(m map[string]any) { m["carColor"] = 9 }, ""},
		{"carModel outside appendix C", protocol.CodeRange, "data[0].carModel", func(m map[string]any) { m["carModel"] = 30 }, ""},
		{"plateColor outside appendix E", protocol.CodeRange, "data[0].plateColor", func(m map[string]any) { m["plateColor"] = 0 }, ""},
	}
	srv, token, isv := parkFixture(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data := editItem(t, enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00"), tc.edit)
			resp := postData(t, srv, protocol.EnterRecordCode, token, data)
			wantCode(t, resp, tc.code, tc.path)
			if tc.exact != "" && resp.Message != tc.exact {
				t.Errorf("message %q, want %q", resp.Message, tc.exact)
			}
			if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
				t.Error("a rejected entry was stored")
			}
		})
	}
	// The same checks apply to exits.
	data := editItem(t, exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00"), func(m map[string]any) { m["leaveTime"] = "01/01/2024 07:30:00" })
	wantCode(t, postData(t, srv, protocol.ExitRecordCode, token, data), protocol.CodeType, "data[0].leaveTime")
	data = editItem(t, exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00"), func(m map[string]any) { m["plateNo"] = "  " })
	wantCode(t, postData(t, srv, protocol.ExitRecordCode, token, data), protocol.CodeParam, "data[0].plateNo")
	data = editItem(t, exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00"), func(m map[string]any) { delete(m, "exitCode") })
	wantCode(t, postData(t, srv, protocol.ExitRecordCode, token, data), protocol.CodeParam, "data[0].exitCode")
	if _, ok := record(t, srv, platform.KindExit, isv, recordID(1)); ok {
		t.Error("a rejected exit was stored")
	}
}

// TestBatchWithOneBadItemStoresNothing: a batch is validated whole, and
// stored whole or not at all.
func TestBatchWithOneBadItemStoresNothing(t *testing.T) {
	tooLong := "粤B" + strings.Repeat("9", 19)
	tests := []struct {
		name string
		bad  int // index of the bad item
		make func(t *testing.T, i int) protocol.EnterRecord
		code protocol.Code
		path string
	}{
		{"bad plate in the middle", 1, func(t *testing.T, i int) protocol.EnterRecord {
			return enter(t, parkA, recordID(10+i), tooLong, "2024-01-01 07:30:00")
		}, protocol.CodeTooLong, "data[1].plateNo"},
		{"bad plate last", 2, func(t *testing.T, i int) protocol.EnterRecord {
			return enter(t, parkA, recordID(10+i), tooLong, "2024-01-01 07:30:00")
		}, protocol.CodeTooLong, "data[2].plateNo"},
		{"missing plate in the middle", 1, func(t *testing.T, i int) protocol.EnterRecord {
			return enter(t, parkA, recordID(10+i), "", "2024-01-01 07:30:00")
		}, protocol.CodeParam, "data[1].plateNo"},
		{"unknown park in the middle", 1, func(t *testing.T, i int) protocol.EnterRecord {
			return enter(t, parkB, recordID(10+i), "粤B12345", "2024-01-01 07:30:00")
		}, protocol.CodeNoPark, "data[1].parkCode"},
		{"unknown park last", 2, func(t *testing.T, i int) protocol.EnterRecord {
			return enter(t, parkB, recordID(10+i), "粤B12345", "2024-01-01 07:30:00")
		}, protocol.CodeNoPark, "data[2].parkCode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			srv, token, isv := parkFixture(t)
			items := make([]protocol.EnterRecord, 3)
			for i := range items {
				items[i] = enter(t, parkA, recordID(10+i), "粤B1234"+string(rune('0'+i)), "2024-01-01 07:30:00")
			}
			items[tc.bad] = tc.make(t, tc.bad)
			wantCode(t, srv.Post(t, protocol.EnterRecordCode, token, items), tc.code, tc.path)
			for i := range items {
				if _, ok := record(t, srv, platform.KindEnter, isv, recordID(10+i)); ok {
					t.Errorf("item %d of a rejected batch was stored", i)
				}
			}
			if kinds, _ := warnings(t, srv, isv); len(kinds) != 0 {
				t.Errorf("a rejected batch left warnings %v", kinds)
			}
		})
	}
}

// TestBatchRejectedByOrderRuleStoresNothing: the 1007 of a leaveTime
// before its entry rolls back the items before it.
func TestBatchRejectedByOrderRuleStoresNothing(t *testing.T) {
	srv, token, isv := parkFixture(t)
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:30:00")}))
	resp := srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{
		exit(t, parkA, recordID(1), "粤B11111", "2024-01-01 07:50:00"), // no entry: would be stored and flagged
		exit(t, parkA, recordID(2), "粤B22222", "2024-01-01 07:00:00"), // before its entry
	})
	wantCode(t, resp, protocol.CodeRange, "data[1].leaveTime")
	for _, id := range []string{recordID(1), recordID(2)} {
		if _, ok := record(t, srv, platform.KindExit, isv, id); ok {
			t.Errorf("exit %s of a rejected batch was stored", id)
		}
	}
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "exit-without-entry") != 0 {
		t.Errorf("rejected batch left warnings %v", kinds)
	}
}

func TestLeaveTimeBeforeEnterTime(t *testing.T) {
	t.Run("exit arrives second", func(t *testing.T) {
		srv, token, isv := parkFixture(t)
		wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}))
		resp := srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:29:59")})
		wantCode(t, resp, protocol.CodeRange, "data[0].leaveTime")
		if _, ok := record(t, srv, platform.KindExit, isv, recordID(1)); ok {
			t.Error("the rejected exit was stored")
		}
		// Leaving in the same second as entering is fine.
		wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}))
	})
	t.Run("entry arrives second", func(t *testing.T) {
		srv, token, isv := parkFixture(t)
		wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")}))
		resp := srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:45:00")})
		wantCode(t, resp, protocol.CodeRange, "data[0].enterTime")
		if _, ok := record(t, srv, platform.KindEnter, isv, recordID(1)); ok {
			t.Error("the rejected entry was stored")
		}
		if r, _ := record(t, srv, platform.KindExit, isv, recordID(1)); !r.NoEntry {
			t.Error("the exit lost its no-entry flag to a rejected entry")
		}
	})
}

func TestRecordResendIdempotent(t *testing.T) {
	srv, token, isv := parkFixture(t)
	item := enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{item}))
	first, _ := record(t, srv, platform.KindEnter, isv, recordID(1))

	advance(t, srv, token, 5*time.Minute)
	resp := srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{item})
	wantData(t, resp, `[{"id":"`+recordID(1)+`"}]`)
	// Only the case of the plate differs: the same record after
	// normalisation.
	lower := item
	lower.PlateNo = "粤b12345"
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{lower}))

	again, _ := record(t, srv, platform.KindEnter, isv, recordID(1))
	if !again.ReceivedAt.Equal(first.ReceivedAt) || string(again.Payload) != string(first.Payload) {
		t.Errorf("identical re-send rewrote the record: %+v, was %+v", again, first)
	}
	if h := history(t, srv, "enter", isv, recordID(1)); len(h) != 0 {
		t.Errorf("identical re-send made history %+v", h)
	}
}

func TestRecordChangeKeepsHistory(t *testing.T) {
	srv, token, isv := parkFixture(t)
	item := enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{item}))
	old, _ := record(t, srv, platform.KindEnter, isv, recordID(1))

	changed := item
	changed.PlateNo = "粤B54321"
	wantData(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{changed}), `[{"id":"`+recordID(1)+`"}]`)
	r, _ := record(t, srv, platform.KindEnter, isv, recordID(1))
	if r.PlateNo != "粤B54321" {
		t.Errorf("plate %q after the change", r.PlateNo)
	}
	h := history(t, srv, "enter", isv, recordID(1))
	if len(h) != 1 {
		t.Fatalf("history %+v, want one entry", h)
	}
	if string(h[0].Old) != string(old.Payload) || !strings.Contains(string(h[0].Old), "粤B12345") {
		t.Errorf("history keeps %s, want the old payload %s", h[0].Old, old.Payload)
	}
	// Re-sending the change stores nothing more.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{changed}))
	if h := history(t, srv, "enter", isv, recordID(1)); len(h) != 1 {
		t.Errorf("history has %d entries after an identical re-send", len(h))
	}

	// Exits are kept the same way.
	out := exit(t, parkA, recordID(1), "粤B54321", "2024-01-01 08:00:00")
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{out}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{out}))
	if h := history(t, srv, "exit", isv, recordID(1)); len(h) != 0 {
		t.Errorf("identical exit re-send made history %+v", h)
	}
	out.ExitName = "东门出口"
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{out}))
	if h := history(t, srv, "exit", isv, recordID(1)); len(h) != 1 || !strings.Contains(string(h[0].Old), "南门出口") {
		t.Errorf("exit history %+v, want the old exitName", h)
	}
}

func TestExitWithoutEntryFlaggedThenCleared(t *testing.T) {
	srv, token, isv := parkFixture(t)
	replenish := func() protocol.Response {
		t.Helper()
		return srv.Post(t, protocol.ReplenishCode, token, []protocol.ReplenishRequest{
			{ParkCode: parkA, QueryDate: date(t, "2024-01-01"), CurrentPage: 1, PageSize: 50}})
	}

	wantData(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:50:00")}),
		`[{"id":"`+recordID(1)+`"}]`)
	r, ok := record(t, srv, platform.KindExit, isv, recordID(1))
	if !ok || !r.NoEntry {
		t.Fatalf("exit %+v (found %v), want stored with NoEntry", r, ok)
	}
	kinds, ws := warnings(t, srv, isv)
	if countKind(kinds, "exit-without-entry") != 1 {
		t.Errorf("warnings %v, want one exit-without-entry", kinds)
	}
	for _, w := range ws {
		if w.Kind == "exit-without-entry" && (w.UserID != vendorA || !strings.Contains(w.Detail, recordID(1))) {
			t.Errorf("warning %+v", w)
		}
	}
	wantData(t, replenish(), `[{"parkCode":"`+parkA+`","plateNoList":["粤B12345"],"total":1}]`)

	// The exit re-sent unchanged stays flagged and warns no more.
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:50:00")}))
	if kinds, _ := warnings(t, srv, isv); countKind(kinds, "exit-without-entry") != 1 {
		t.Errorf("warnings %v after an identical re-send", kinds)
	}

	// The entry arrives late: the flag is cleared and the plate leaves the
	// replenish list.
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:10:00")}))
	r, _ = record(t, srv, platform.KindExit, isv, recordID(1))
	if r.NoEntry {
		t.Error("exit still flagged after its entry arrived")
	}
	wantData(t, replenish(), `[{"parkCode":"`+parkA+`","plateNoList":[],"total":0}]`)
}

// TestBatchOfMaxItems: 100 items is the default limit and is accepted.
func TestBatchOfMaxItems(t *testing.T) {
	srv, token, isv := parkFixture(t)
	items := make([]protocol.EnterRecord, protocol.DefaultMaxItems)
	for i := range items {
		items[i] = enter(t, parkA, recordID(100+i), "粤B12345", "2024-01-01 07:30:00")
	}
	resp := srv.Post(t, protocol.EnterRecordCode, token, items)
	wantOK(t, resp)
	out := decode[protocol.RecordResponse](t, resp)
	if len(out) != len(items) {
		t.Fatalf("%d results for %d items", len(out), len(items))
	}
	for i, o := range out {
		if o.ID != items[i].ID {
			t.Fatalf("result %d is %s, want %s (request order)", i, o.ID, items[i].ID)
		}
	}
	var open []platform.Record
	view(t, srv, func(tx platform.Tx) error {
		var err error
		open, err = tx.OpenEntries(isv)
		return err
	})
	if len(open) != len(items) {
		t.Errorf("%d open entries stored, want %d", len(open), len(items))
	}
}

// date parses a CST Date.
func date(t testing.TB, s string) protocol.Date {
	t.Helper()
	d, err := protocol.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestConcurrentRequests: concurrent re-sends of one record store it once;
// concurrent distinct records are all stored (the store groups commits).
func TestConcurrentRequests(t *testing.T) {
	srv, token, isv := parkFixture(t)
	const n = 8
	send := func(items []protocol.EnterRecord) <-chan error {
		data := mustJSON(t, items)
		body := envelope(now(srv), protocol.Sign(data), data)
		errs := make(chan error, 1)
		go func() {
			resp, err := post(srv, protocol.EnterRecordCode, token, body)
			if err == nil && resp.Code != protocol.CodeOK {
				err = fmt.Errorf("code %d %s", resp.Code, resp.Message)
			}
			errs <- err
		}()
		return errs
	}
	var results []<-chan error
	same := enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:30:00")
	for i := 0; i < n; i++ {
		results = append(results, send([]protocol.EnterRecord{same}))
		results = append(results, send([]protocol.EnterRecord{enter(t, parkA, recordID(100+i), "粤B12345", "2024-01-01 07:31:00")}))
	}
	for _, r := range results {
		if err := <-r; err != nil {
			t.Error(err)
		}
	}
	if h := history(t, srv, "enter", isv, recordID(1)); len(h) != 0 {
		t.Errorf("concurrent identical re-sends made history %+v", h)
	}
	var open []platform.Record
	view(t, srv, func(tx platform.Tx) error {
		var err error
		open, err = tx.OpenEntries(isv)
		return err
	})
	if len(open) != n+1 {
		t.Errorf("%d open entries, want %d", len(open), n+1)
	}
}

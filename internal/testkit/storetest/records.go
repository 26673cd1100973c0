package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

func recordCases() []testCase {
	return []testCase{
		{"records round trip per kind and replace by park and id", testRecords},
		{"JSON documents round-trip byte for byte", testRawJSON},
		{"OpenEntries lists the park's entries without an exit by time", testOpenEntries},
		{"ExitsWithoutEntry filters on the flag, the park and [from, to)", testExitsWithoutEntry},
		{"History is per object, oldest first, ties in insertion order", testHistory},
		{"RecordPair reads a park's entry and exit of one id together", testRecordPair},
		{"InsertNewEntry inserts only an id the park has used for neither kind", testInsertNewEntry},
	}
}

func newRecord(park, id, plate string, minute int) platform.Record {
	return platform.Record{
		IsvParkID: park, ID: id, PlateNo: plate, Time: at(minute),
		Payload:    json.RawMessage(fmt.Sprintf(`{"id":%q,"plateNo":%q}`, id, plate)),
		ReceivedAt: at(minute + 1),
	}
}

// putRecords stores records of one kind.
func putRecords(t *testing.T, s platform.Store, kind platform.RecordKind, rs ...platform.Record) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, r := range rs {
			if err := tx.PutRecord(kind, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func getRecord(t *testing.T, s platform.Store, kind platform.RecordKind, park, id string) platform.Record {
	t.Helper()
	return get(t, s, func(tx platform.Tx) (platform.Record, error) { return tx.Record(kind, park, id) })
}

func testRecords(t *testing.T, s platform.Store) {
	seed(t, s)
	in := newRecord(p1, "r1", "粤B12345", 10)
	in.BookCode = "BK1"
	out := newRecord(p1, "r1", "粤B12345", 50)
	out.NoEntry = true
	putRecords(t, s, platform.KindEnter, in)
	putRecords(t, s, platform.KindExit, out)
	same(t, "entry", getRecord(t, s, platform.KindEnter, p1, "r1"), in)
	same(t, "exit", getRecord(t, s, platform.KindExit, p1, "r1"), out)
	err := s.View(t.Context(), func(tx platform.Tx) error { _, err := tx.Record(platform.KindEnter, p2, "r1"); return err })
	notFound(t, "record of another park", err)

	in.PlateNo, in.Time, in.BookCode = "粤B54321", at(12), ""
	in.Payload = json.RawMessage(`{"id":"r1","plateNo":"粤B54321"}`)
	out.NoEntry = false
	putRecords(t, s, platform.KindEnter, in)
	putRecords(t, s, platform.KindExit, out)
	same(t, "replaced entry", getRecord(t, s, platform.KindEnter, p1, "r1"), in)
	same(t, "replaced exit", getRecord(t, s, platform.KindExit, p1, "r1"), out)
}

func testRawJSON(t *testing.T, s platform.Store) {
	seed(t, s)
	docs := []json.RawMessage{
		nil,
		{},
		json.RawMessage(`{ "b" : [1, 2.50, "\u00e9"],"a":null }`),
		json.RawMessage("{\n\t\"plateNo\": \"粤B·12345\"\n}\n"),
	}
	for i, doc := range docs {
		p := newPark(u1, fmt.Sprintf("J%02d", i), fmt.Sprintf("isv-j%02d", i))
		p.Info = doc
		r := newRecord(p1, fmt.Sprintf("j%02d", i), "粤B1", i)
		r.Payload = doc
		h := platform.HistoryEntry{Object: "enter", IsvParkID: p1, Key: r.ID, Old: doc, ChangedAt: at(i)}
		update(t, s, func(tx platform.Tx) error {
			if err := tx.PutPark(p); err != nil {
				return err
			}
			if err := tx.PutRecord(platform.KindEnter, r); err != nil {
				return err
			}
			return tx.AddHistory(h)
		})
		same(t, fmt.Sprintf("park info %q", doc), getPark(t, s, u1, p.ParkCode).Info, doc)
		same(t, fmt.Sprintf("payload %q", doc), getRecord(t, s, platform.KindEnter, p1, r.ID).Payload, doc)
		hs := get(t, s, func(tx platform.Tx) ([]platform.HistoryEntry, error) { return tx.History("enter", p1, r.ID) })
		same(t, fmt.Sprintf("history %q", doc), hs, []platform.HistoryEntry{h})
	}
}

func testOpenEntries(t *testing.T, s platform.Store) {
	seed(t, s)
	a, b, c, d := newRecord(p1, "a", "粤B1", 30), newRecord(p1, "b", "粤B2", 10), newRecord(p1, "c", "粤B3", 20), newRecord(p1, "d", "粤B4", 10)
	other := newRecord(p2, "x", "粤B9", 5)
	putRecords(t, s, platform.KindEnter, a, b, c, d, other)
	// c has left; an exit with id a at another park closes nothing here.
	putRecords(t, s, platform.KindExit, newRecord(p1, "c", "粤B3", 40), newRecord(p2, "a", "粤B1", 45))
	open := get(t, s, func(tx platform.Tx) ([]platform.Record, error) { return tx.OpenEntries(p1) })
	same(t, "open entries", open, []platform.Record{b, d, a})
	none := get(t, s, func(tx platform.Tx) ([]platform.Record, error) { return tx.OpenEntries(p3) })
	if len(none) != 0 {
		t.Errorf("park without entries: %d open entries", len(none))
	}
}

func testExitsWithoutEntry(t *testing.T, s platform.Store) {
	seed(t, s)
	exit := func(park, id string, minute int, noEntry bool) platform.Record {
		r := newRecord(park, id, "粤B"+id, minute)
		r.NoEntry = noEntry
		return r
	}
	before, first, second, last, atEnd := exit(p1, "e0", 9, true), exit(p1, "e1", 10, true), exit(p1, "e2", 15, true), exit(p1, "e3", 19, true), exit(p1, "e4", 20, true)
	putRecords(t, s, platform.KindExit, atEnd, second, before, exit(p1, "e5", 12, false), last, first, exit(p2, "e6", 12, true))
	list := func(from, to time.Time) []platform.Record {
		return get(t, s, func(tx platform.Tx) ([]platform.Record, error) { return tx.ExitsWithoutEntry(p1, from, to) })
	}
	same(t, "exits in [10, 20)", list(at(10), at(20)), []platform.Record{first, second, last})

	// The entry arrives: the flag is cleared and the exit leaves the list.
	second.NoEntry = false
	putRecords(t, s, platform.KindExit, second)
	same(t, "after clearing the flag", list(at(10), at(20)), []platform.Record{first, last})
	if got := list(at(30), at(40)); len(got) != 0 {
		t.Errorf("empty range: %d exits", len(got))
	}
}

func testHistory(t *testing.T, s platform.Store) {
	seed(t, s)
	h := func(object, park, key string, minute int, old string) platform.HistoryEntry {
		return platform.HistoryEntry{Object: object, IsvParkID: park, Key: key, Old: json.RawMessage(old), ChangedAt: at(minute)}
	}
	entries := []platform.HistoryEntry{
		h("enter", p1, "r1", 5, `{"v":3}`), h("enter", p1, "r1", 2, `{"v":1}`), h("enter", p1, "r1", 5, `{"v":4}`),
		h("exit", p1, "r1", 3, `{"v":9}`), h("enter", p2, "r1", 1, `{"v":8}`), h("enter", p1, "r2", 1, `{"v":7}`),
		h("picture", "", "pic1", 4, `{"v":6}`),
	}
	update(t, s, func(tx platform.Tx) error {
		for _, e := range entries {
			if err := tx.AddHistory(e); err != nil {
				return err
			}
		}
		return nil
	})
	history := func(object, park, key string) []platform.HistoryEntry {
		return get(t, s, func(tx platform.Tx) ([]platform.HistoryEntry, error) { return tx.History(object, park, key) })
	}
	same(t, "history of enter r1", history("enter", p1, "r1"), []platform.HistoryEntry{entries[1], entries[0], entries[2]})
	same(t, "history of a picture", history("picture", "", "pic1"), []platform.HistoryEntry{entries[6]})
	if got := history("park", p1, p1); len(got) != 0 {
		t.Errorf("history of an unchanged park: %d entries", len(got))
	}
}

func recordPair(t *testing.T, s platform.Store, park, id string) platform.RecordPair {
	t.Helper()
	return get(t, s, func(tx platform.Tx) (platform.RecordPair, error) { return tx.RecordPair(park, id) })
}

func testRecordPair(t *testing.T, s platform.Store) {
	seed(t, s)
	same(t, "neither", recordPair(t, s, p1, "r1"), platform.RecordPair{})

	// Entry only; records of other ids and other parks stay out.
	in := newRecord(p1, "r1", "粤B12345", 10)
	in.BookCode = "BK1"
	putRecords(t, s, platform.KindEnter, in, newRecord(p1, "r2", "粤B2", 11), newRecord(p2, "r1", "粤B3", 12))
	putRecords(t, s, platform.KindExit, newRecord(p1, "r2", "粤B2", 20), newRecord(p2, "r1", "粤B3", 21))
	same(t, "entry only", recordPair(t, s, p1, "r1"), platform.RecordPair{Enter: in, HasEnter: true})

	// Exit only.
	out := newRecord(p1, "x1", "粤B54321", 50)
	out.NoEntry = true
	out.Payload = json.RawMessage(`{ "id" : "x1",  "leave": 1 }`)
	putRecords(t, s, platform.KindExit, out)
	same(t, "exit only", recordPair(t, s, p1, "x1"), platform.RecordPair{Exit: out, HasExit: true})

	// Both, each with its own fields.
	both := newRecord(p1, "r1", "粤B12345", 40)
	both.Payload = json.RawMessage(`{"id":"r1","leaveTime":"x"}`)
	putRecords(t, s, platform.KindExit, both)
	same(t, "both", recordPair(t, s, p1, "r1"), platform.RecordPair{Enter: in, Exit: both, HasEnter: true, HasExit: true})

	// In an Update too, seeing the transaction's own writes.
	in.Payload = json.RawMessage(`{"id":"r1","v":2}`)
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutRecord(platform.KindEnter, in); err != nil {
			return err
		}
		got, err := tx.RecordPair(p1, "r1")
		if err != nil {
			return err
		}
		same(t, "both in an update", got, platform.RecordPair{Enter: in, Exit: both, HasEnter: true, HasExit: true})
		return nil
	})
	same(t, "an id of another park", recordPair(t, s, p2, "x1"), platform.RecordPair{})
}

// insertNewEntry runs InsertNewEntry in its own Update.
func insertNewEntry(t *testing.T, s platform.Store, r platform.Record) bool {
	t.Helper()
	var inserted bool
	update(t, s, func(tx platform.Tx) (err error) {
		inserted, err = tx.InsertNewEntry(r)
		return err
	})
	return inserted
}

func testInsertNewEntry(t *testing.T, s platform.Store) {
	seed(t, s)
	in := newRecord(p1, "r1", "粤B12345", 10)
	in.BookCode = "BK1"
	if !insertNewEntry(t, s, in) {
		t.Fatal("a new id: InsertNewEntry did not insert")
	}
	same(t, "inserted", recordPair(t, s, p1, "r1"), platform.RecordPair{Enter: in, HasEnter: true})

	// The id again, even changed: nothing written.
	changed := in
	changed.PlateNo, changed.Payload = "粤B99999", json.RawMessage(`{"id":"r1","v":2}`)
	if insertNewEntry(t, s, changed) {
		t.Error("an id with an entry: InsertNewEntry inserted")
	}
	same(t, "kept", recordPair(t, s, p1, "r1"), platform.RecordPair{Enter: in, HasEnter: true})

	// An id the park has an exit of: nothing written.
	out := newRecord(p1, "x1", "粤B54321", 50)
	out.NoEntry = true
	putRecords(t, s, platform.KindExit, out)
	if insertNewEntry(t, s, newRecord(p1, "x1", "粤B54321", 40)) {
		t.Error("an id with an exit: InsertNewEntry inserted")
	}
	same(t, "exit only", recordPair(t, s, p1, "x1"), platform.RecordPair{Exit: out, HasExit: true})

	// The same ids in another park are new there.
	other := newRecord(p2, "x1", "粤B3", 12)
	if !insertNewEntry(t, s, other) {
		t.Error("another park's id: InsertNewEntry did not insert")
	}
	same(t, "other park", recordPair(t, s, p2, "x1"), platform.RecordPair{Enter: other, HasEnter: true})
}

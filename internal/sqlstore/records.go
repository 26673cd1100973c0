package sqlstore

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Entry and exit records, and the change history.

const recordCols = "isv_park_id, id, plate_no, at, book_code, payload, received_at, no_entry"

func scanRecord(s Row) (r platform.Record, err error) {
	err = s.Scan(&r.IsvParkID, &r.ID, &r.PlateNo, asTime(&r.Time), &r.BookCode,
		asRaw(&r.Payload), asTime(&r.ReceivedAt), &r.NoEntry)
	return r, err
}

// byKind is a statement on the entry table and its twin on the exit
// table.
type byKind [2]stmt

// defineByKind defines the statement build writes for each record table.
func defineByKind(build func(d Dialect, table string) string) byKind {
	return byKind{
		defineFor(func(d Dialect) string { return build(d, "enter_records") }),
		defineFor(func(d Dialect) string { return build(d, "exit_records") }),
	}
}

// of returns the statement on the table that keeps records of kind.
func (b byKind) of(kind platform.RecordKind) (stmt, error) {
	switch kind {
	case platform.KindEnter:
		return b[0], nil
	case platform.KindExit:
		return b[1], nil
	}
	return 0, platform.Errorf(platform.KindInvalid, "unknown record kind %q", kind)
}

var (
	selectRecord = defineByKind(func(_ Dialect, table string) string {
		return "SELECT " + recordCols + " FROM " + table + " WHERE isv_park_id = ? AND id = ?"
	})
	recordPair = define(`SELECT 0, ` + recordCols + ` FROM enter_records
		WHERE isv_park_id = ? AND id = ?
		UNION ALL SELECT 1, ` + recordCols + ` FROM exit_records
		WHERE isv_park_id = ? AND id = ?`)
	putRecord = defineByKind(func(d Dialect, table string) string {
		return upsertText(d, table, recordCols, "isv_park_id, id", "")
	})
	// The values are cast because nothing else types them in a SELECT
	// list (PostgreSQL would take them for text).
	insertNewEntry = defineFor(func(d Dialect) string {
		return `INSERT INTO enter_records (` + recordCols + `)
		SELECT CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT),
			CAST(? AS TEXT), CAST(? AS TEXT), CAST(? AS BIGINT), CAST(? AS BOOLEAN)
		WHERE NOT EXISTS (SELECT 1 FROM exit_records WHERE isv_park_id = ? AND id = ?)
		` + d.Upsert("isv_park_id, id", nil, "")
	})
	openEntries = define(`SELECT ` + recordCols + ` FROM enter_records e
		WHERE e.isv_park_id = ? AND NOT EXISTS (
			SELECT 1 FROM exit_records x WHERE x.isv_park_id = e.isv_park_id AND x.id = e.id)
		ORDER BY e.at, e.id`)
	exitsWithoutEntry = defineFor(func(d Dialect) string {
		return `SELECT ` + recordCols + ` FROM exit_records
		WHERE isv_park_id = ? AND ` + d.True("no_entry") + ` AND at >= ? AND at < ?
		ORDER BY at, id`
	})
	addHistory = insert("history", "object, isv_park_id, object_key, old_value, changed_at")
	history    = define(`SELECT object, isv_park_id, object_key, old_value, changed_at
		FROM history WHERE object = ? AND isv_park_id = ? AND object_key = ?
		ORDER BY changed_at, seq`)
)

// Record returns the park's record id of kind.
func (t *Tx) Record(kind platform.RecordKind, isvParkID, id string) (platform.Record, error) {
	q, err := selectRecord.of(kind)
	if err != nil {
		return platform.Record{}, err
	}
	return getOne(t, scanRecord, q, isvParkID, id)
}

var _ platform.RecordPairTx = (*Tx)(nil)

// pairHalf is a row of the RecordPair query: a record and whether it is
// the exit.
type pairHalf struct {
	exit bool
	rec  platform.Record
}

func scanPairHalf(s Row) (h pairHalf, err error) {
	var kind int
	r := &h.rec
	err = s.Scan(&kind, &r.IsvParkID, &r.ID, &r.PlateNo, asTime(&r.Time), &r.BookCode,
		asRaw(&r.Payload), asTime(&r.ReceivedAt), &r.NoEntry)
	h.exit = kind == 1
	return h, err
}

// RecordPair returns the park's entry and exit with id in one query: the
// two tables' rows for (isvParkID, id), at most one each.
func (t *Tx) RecordPair(isvParkID, id string) (platform.RecordPair, error) {
	halves, err := getAll(t, scanPairHalf, recordPair, isvParkID, id, isvParkID, id)
	var pair platform.RecordPair
	if err != nil {
		return pair, err
	}
	for _, h := range halves {
		if h.exit {
			pair.Exit, pair.HasExit = h.rec, true
		} else {
			pair.Enter, pair.HasEnter = h.rec, true
		}
	}
	return pair, nil
}

// PutRecord inserts r or replaces the record of kind with its
// (IsvParkID, ID).
func (t *Tx) PutRecord(kind platform.RecordKind, r platform.Record) error {
	q, err := putRecord.of(kind)
	if err != nil {
		return err
	}
	_, err = t.exec(q, r.IsvParkID, r.ID, r.PlateNo, ms(r.Time), r.BookCode, rawArg(r.Payload),
		ms(r.ReceivedAt), r.NoEntry)
	return t.wrap("put "+string(kind)+" record", err)
}

var _ platform.NewEntryTx = (*Tx)(nil)

// InsertNewEntry inserts r into enter_records unless the park has an
// entry or an exit with its id, and reports whether it did.
func (t *Tx) InsertNewEntry(r platform.Record) (bool, error) {
	n, err := t.exec(insertNewEntry, r.IsvParkID, r.ID, r.PlateNo, ms(r.Time), r.BookCode,
		rawArg(r.Payload), ms(r.ReceivedAt), r.NoEntry, r.IsvParkID, r.ID)
	return n == 1, t.wrap("insert new entry", err)
}

// OpenEntries returns the park's entries that have no exit of the same id,
// by time (then id).
func (t *Tx) OpenEntries(isvParkID string) ([]platform.Record, error) {
	return getAll(t, scanRecord, openEntries, isvParkID)
}

// ExitsWithoutEntry returns the park's exits flagged NoEntry whose Time is
// in [from, to), by time (then id).
func (t *Tx) ExitsWithoutEntry(isvParkID string, from, to time.Time) ([]platform.Record, error) {
	return getAll(t, scanRecord, exitsWithoutEntry, isvParkID, ms(from), ms(to))
}

// AddHistory appends h to the change history.
func (t *Tx) AddHistory(h platform.HistoryEntry) error {
	_, err := t.exec(addHistory, h.Object, h.IsvParkID, h.Key, rawArg(h.Old), ms(h.ChangedAt))
	return t.wrap("add history", err)
}

func scanHistory(s Row) (h platform.HistoryEntry, err error) {
	err = s.Scan(&h.Object, &h.IsvParkID, &h.Key, asRaw(&h.Old), asTime(&h.ChangedAt))
	return h, err
}

// History returns an object's replaced versions, oldest first.
func (t *Tx) History(object, isvParkID, key string) ([]platform.HistoryEntry, error) {
	return getAll(t, scanHistory, history, object, isvParkID, key)
}

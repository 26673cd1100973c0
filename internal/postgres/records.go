package postgres

import (
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// Entry and exit records, and the change history.

const recordCols = "isv_park_id, id, plate_no, at, book_code, payload, received_at, no_entry"

func scanRecord(s pgx.Row) (r platform.Record, err error) {
	err = s.Scan(&r.IsvParkID, &r.ID, &r.PlateNo, asTime(&r.Time), &r.BookCode,
		asRaw(&r.Payload), asTime(&r.ReceivedAt), &r.NoEntry)
	return r, err
}

// recordTable returns the table that keeps records of kind.
func recordTable(kind platform.RecordKind) (string, error) {
	switch kind {
	case platform.KindEnter:
		return "enter_records", nil
	case platform.KindExit:
		return "exit_records", nil
	}
	return "", platform.Errorf(platform.KindInvalid, "unknown record kind %q", kind)
}

// Record returns the park's record id of kind.
func (t *tx) Record(kind platform.RecordKind, isvParkID, id string) (platform.Record, error) {
	table, err := recordTable(kind)
	if err != nil {
		return platform.Record{}, err
	}
	return getOne(t, scanRecord, "SELECT "+recordCols+" FROM "+table+" WHERE isv_park_id = $1 AND id = $2",
		isvParkID, id)
}

var _ platform.RecordPairTx = (*tx)(nil)

// pairHalf is a row of the RecordPair query: a record and whether it is
// the exit.
type pairHalf struct {
	exit bool
	rec  platform.Record
}

func scanPairHalf(s pgx.Row) (h pairHalf, err error) {
	var kind int
	r := &h.rec
	err = s.Scan(&kind, &r.IsvParkID, &r.ID, &r.PlateNo, asTime(&r.Time), &r.BookCode,
		asRaw(&r.Payload), asTime(&r.ReceivedAt), &r.NoEntry)
	h.exit = kind == 1
	return h, err
}

// RecordPair returns the park's entry and exit with id in one query: the
// two tables' rows for (isvParkID, id), at most one each.
func (t *tx) RecordPair(isvParkID, id string) (platform.RecordPair, error) {
	halves, err := getAll(t, scanPairHalf, `SELECT 0, `+recordCols+` FROM enter_records
		WHERE isv_park_id = $1 AND id = $2
		UNION ALL SELECT 1, `+recordCols+` FROM exit_records
		WHERE isv_park_id = $1 AND id = $2`, isvParkID, id)
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
func (t *tx) PutRecord(kind platform.RecordKind, r platform.Record) error {
	table, err := recordTable(kind)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO `+table+` (`+recordCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
		ON CONFLICT (isv_park_id, id) DO UPDATE SET plate_no = excluded.plate_no,
			at = excluded.at, book_code = excluded.book_code, payload = excluded.payload,
			received_at = excluded.received_at, no_entry = excluded.no_entry`,
		r.IsvParkID, r.ID, r.PlateNo, ms(r.Time), r.BookCode, rawArg(r.Payload),
		ms(r.ReceivedAt), r.NoEntry)
	return wrap("put "+string(kind)+" record", err)
}

var _ platform.NewEntryTx = (*tx)(nil)

// InsertNewEntry inserts r into enter_records unless the park has an
// entry or an exit with its id, and reports whether it did.
func (t *tx) InsertNewEntry(r platform.Record) (bool, error) {
	n, err := t.exec(`INSERT INTO enter_records (`+recordCols+`)
		SELECT $1::text, $2::text, $3::text, $4::bigint, $5::text, $6::text, $7::bigint, $8::boolean
		WHERE NOT EXISTS (SELECT 1 FROM exit_records WHERE isv_park_id = $1 AND id = $2)
		ON CONFLICT (isv_park_id, id) DO NOTHING`,
		r.IsvParkID, r.ID, r.PlateNo, ms(r.Time), r.BookCode, rawArg(r.Payload), ms(r.ReceivedAt), r.NoEntry)
	return n == 1, wrap("insert new entry", err)
}

// OpenEntries returns the park's entries that have no exit of the same id,
// by time (then id).
func (t *tx) OpenEntries(isvParkID string) ([]platform.Record, error) {
	return getAll(t, scanRecord, `SELECT `+recordCols+` FROM enter_records e
		WHERE e.isv_park_id = $1 AND NOT EXISTS (
			SELECT 1 FROM exit_records x WHERE x.isv_park_id = e.isv_park_id AND x.id = e.id)
		ORDER BY e.at, e.id`, isvParkID)
}

// ExitsWithoutEntry returns the park's exits flagged NoEntry whose Time is
// in [from, to), by time (then id).
func (t *tx) ExitsWithoutEntry(isvParkID string, from, to time.Time) ([]platform.Record, error) {
	return getAll(t, scanRecord, `SELECT `+recordCols+` FROM exit_records
		WHERE isv_park_id = $1 AND no_entry AND at >= $2 AND at < $3
		ORDER BY at, id`, isvParkID, ms(from), ms(to))
}

// AddHistory appends h to the change history.
func (t *tx) AddHistory(h platform.HistoryEntry) error {
	_, err := t.exec(`INSERT INTO history (object, isv_park_id, object_key, old_value, changed_at)
		VALUES ($1, $2, $3, $4, $5)`, h.Object, h.IsvParkID, h.Key, rawArg(h.Old), ms(h.ChangedAt))
	return wrap("add history", err)
}

func scanHistory(s pgx.Row) (h platform.HistoryEntry, err error) {
	err = s.Scan(&h.Object, &h.IsvParkID, &h.Key, asRaw(&h.Old), asTime(&h.ChangedAt))
	return h, err
}

// History returns an object's replaced versions, oldest first.
func (t *tx) History(object, isvParkID, key string) ([]platform.HistoryEntry, error) {
	return getAll(t, scanHistory, `SELECT object, isv_park_id, object_key, old_value, changed_at
		FROM history WHERE object = $1 AND isv_park_id = $2 AND object_key = $3
		ORDER BY changed_at, seq`, object, isvParkID, key)
}

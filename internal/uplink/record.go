package uplink

import (
	"bytes"
	"context"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// EnterRecord stores table 11 entries (interface enterRecord, clause 6.4.1).
// Records are idempotent by id: an identical re-send stores nothing, a
// changed one replaces the earlier version and keeps it in history
// (docs/protocol.md §5).
func (s *Service) EnterRecord(ctx context.Context, userID string, items []protocol.EnterRecord) ([]protocol.RecordResponse, error) {
	now := s.Now()
	recs := make([]parkedRecord, len(items))
	for i, it := range items {
		if err := notAhead(i, "enterTime", it.EnterTime.Time(), now); err != nil {
			return nil, err
		}
		it.PlateNo = protocol.NormalizePlate(it.PlateNo)
		recs[i] = parkedRecord{it.ParkCode, platform.Record{ID: it.ID, PlateNo: it.PlateNo, Time: it.EnterTime.Time(),
			BookCode: it.BookCode, Payload: mustJSON(it), ReceivedAt: now}}
	}
	return s.storeRecords(ctx, userID, recs, s.putEnter)
}

// MaxAhead is how far ahead of the platform's clock an entry's enterTime
// or an exit's leaveTime may be: more is 1007 naming the field, so that a
// record dated 9999-12-31 cannot top every list (docs/protocol.md §5).
// A day leaves room for any lot's clock error and time zone mistake.
const MaxAhead = 24 * time.Hour

// notAhead refuses t, the time of item i's field name, when it is more
// than MaxAhead after now.
func notAhead(i int, name string, t, now time.Time) error {
	if t.After(now.Add(MaxAhead)) {
		return platform.FieldErrorf(platform.KindInvalid, field(i, name),
			"(%s is more than 24 h ahead of the platform's clock, %s)", fmtCST(t), fmtCST(now))
	}
	return nil
}

// parkedRecord is a record and the parkCode it was reported under.
type parkedRecord struct {
	parkCode string
	rec      platform.Record
}

// storeRecords stores a batch of records in one transaction with put,
// after resolving each one's park, and answers their ids (tables 12, 14).
func (s *Service) storeRecords(ctx context.Context, userID string, recs []parkedRecord,
	put func(tx platform.Tx, p platform.Park, rec platform.Record, i int) error) ([]protocol.RecordResponse, error) {
	out := make([]protocol.RecordResponse, len(recs))
	for i, r := range recs {
		out[i] = protocol.RecordResponse{ID: r.rec.ID}
	}
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		for i, r := range recs {
			p, err := s.parkRef(tx, userID, r.parkCode, i)
			if err != nil {
				return err
			}
			rec := r.rec
			rec.IsvParkID = p.IsvParkID
			if err := put(tx, p, rec, i); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// putEnter stores one entry. Most carry an id the park has used for
// neither an entry nor an exit: one statement stores those, with nothing
// to compare or keep in history.
func (s *Service) putEnter(tx platform.Tx, p platform.Park, rec platform.Record, i int) error {
	inserted, err := tx.InsertNewEntry(rec)
	if err != nil {
		return err
	}
	if !inserted {
		return s.replaceEnter(tx, p, rec, i)
	}
	if s.Reservations != nil {
		if err := s.Reservations.Entered(tx, p, rec); err != nil {
			return err
		}
	}
	return plateWarning(tx, p, rec.PlateNo, rec.ReceivedAt)
}

// replaceEnter stores an entry whose id the park has used before: a
// re-send (identical: nothing stored), a correction (the old version goes
// to history), or the entry of an exit that came first.
func (s *Service) replaceEnter(tx platform.Tx, p platform.Park, rec platform.Record, i int) error {
	pair, err := tx.RecordPair(rec.IsvParkID, rec.ID)
	if err != nil {
		return err
	}
	changed, err := replaceRecord(tx, platform.KindEnter, rec, pair.Enter, pair.HasEnter)
	if err != nil || !changed {
		return err
	}
	if s.Reservations != nil {
		if err := s.Reservations.Entered(tx, p, rec); err != nil {
			return err
		}
	}
	if !pair.HasExit {
		return plateWarning(tx, p, rec.PlateNo, rec.ReceivedAt)
	}
	exit := pair.Exit
	if exit.Time.Before(rec.Time) {
		return platform.FieldErrorf(platform.KindInvalid, field(i, "enterTime"),
			"(%s is after the exit's leaveTime %s)", fmtCST(rec.Time), fmtCST(exit.Time))
	}
	if exit.NoEntry {
		exit.NoEntry = false
		if err := tx.PutRecord(platform.KindExit, exit); err != nil {
			return err
		}
	}
	return plateWarning(tx, p, rec.PlateNo, rec.ReceivedAt)
}

// ExitRecord stores table 13 exits (interface exitRecord, clause 6.4.2). An
// exit whose entry has not arrived is stored and flagged, never rejected.
func (s *Service) ExitRecord(ctx context.Context, userID string, items []protocol.ExitRecord) ([]protocol.RecordResponse, error) {
	now := s.Now()
	recs := make([]parkedRecord, len(items))
	for i, it := range items {
		if err := notAhead(i, "leaveTime", it.LeaveTime.Time(), now); err != nil {
			return nil, err
		}
		it.PlateNo = protocol.NormalizePlate(it.PlateNo)
		recs[i] = parkedRecord{it.ParkCode, platform.Record{ID: it.ID, PlateNo: it.PlateNo, Time: it.LeaveTime.Time(),
			BookCode: it.BookCode, Payload: mustJSON(it), ReceivedAt: now}}
	}
	return s.storeRecords(ctx, userID, recs, s.putExit)
}

func (s *Service) putExit(tx platform.Tx, p platform.Park, rec platform.Record, i int) error {
	pair, err := tx.RecordPair(rec.IsvParkID, rec.ID)
	if err != nil {
		return err
	}
	if pair.HasExit && bytes.Equal(pair.Exit.Payload, rec.Payload) {
		return nil
	}
	switch {
	case !pair.HasEnter:
		rec.NoEntry = true
	case rec.Time.Before(pair.Enter.Time):
		return platform.FieldErrorf(platform.KindInvalid, field(i, "leaveTime"),
			"(%s is before the entry's enterTime %s)", fmtCST(rec.Time), fmtCST(pair.Enter.Time))
	}
	if _, err := replaceRecord(tx, platform.KindExit, rec, pair.Exit, pair.HasExit); err != nil {
		return err
	}
	if s.Reservations != nil {
		if err := s.Reservations.Exited(tx, p, rec); err != nil {
			return err
		}
	}
	if rec.NoEntry {
		w := platform.Warning{IsvParkID: p.IsvParkID, UserID: p.UserID, Kind: "exit-without-entry",
			Detail: "exit " + rec.ID + " (" + rec.PlateNo + ") has no entry", At: rec.ReceivedAt}
		if err := warn(tx, w); err != nil {
			return err
		}
	}
	return plateWarning(tx, p, rec.PlateNo, rec.ReceivedAt)
}

// replaceRecord stores rec unless old, the stored record of its kind and
// id (when has), is identical, keeping a replaced version in history. It
// reports whether anything changed.
func replaceRecord(tx platform.Tx, kind platform.RecordKind, rec, old platform.Record, has bool) (bool, error) {
	if has {
		if bytes.Equal(old.Payload, rec.Payload) {
			return false, nil
		}
		h := platform.HistoryEntry{Object: string(kind), IsvParkID: rec.IsvParkID, Key: rec.ID, Old: old.Payload, ChangedAt: rec.ReceivedAt}
		if err := tx.AddHistory(h); err != nil {
			return false, err
		}
	}
	return true, tx.PutRecord(kind, rec)
}

// plateWarning flags a plate that fits no known Chinese format.
func plateWarning(tx platform.Tx, p platform.Park, plate string, at time.Time) error {
	if protocol.PlateLooksValid(plate) {
		return nil
	}
	return warn(tx, platform.Warning{IsvParkID: p.IsvParkID, UserID: p.UserID, Kind: "plate-format",
		Detail: "plate " + plate + " fits no known format", At: at})
}

func fmtCST(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

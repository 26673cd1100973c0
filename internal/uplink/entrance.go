package uplink

import (
	"bytes"
	"context"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// EntranceExitInfo stores table 9 reports (interface entranceExitInfo,
// clause 6.3.2). An entrance keeps its platform id across re-reports.
func (s *Service) EntranceExitInfo(ctx context.Context, userID string, items []protocol.EntranceExitInfo) ([]protocol.EntranceExitResponse, error) {
	for i, it := range items {
		if err := s.checkPosition(i, it.Longitude, it.Latitude); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	out := make([]protocol.EntranceExitResponse, len(items))
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			p, err := parkOf(tx, userID, it.ParkCode, i)
			if err != nil {
				return err
			}
			id, err := putEntrance(tx, p, it, now)
			if err != nil {
				return err
			}
			out[i] = protocol.EntranceExitResponse{ID: id}
		}
		return nil
	})
	return out, err
}

func putEntrance(tx platform.Tx, p platform.Park, it protocol.EntranceExitInfo, now time.Time) (string, error) {
	payload := mustJSON(it)
	old, err := tx.Entrance(p.IsvParkID, it.EntranceExitCode)
	isNew := platform.IsNotFound(err)
	if err != nil && !isNew {
		return "", err
	}
	if !isNew && bytes.Equal(old.Info, payload) {
		return old.ID, nil
	}
	e := platform.Entrance{ID: platform.NewID(), IsvParkID: p.IsvParkID, Code: it.EntranceExitCode, Info: payload, UpdatedAt: now}
	if !isNew {
		e.ID = old.ID
		h := platform.HistoryEntry{Object: "entrance", IsvParkID: p.IsvParkID, Key: it.EntranceExitCode, Old: old.Info, ChangedAt: now}
		if err := tx.AddHistory(h); err != nil {
			return "", err
		}
	}
	return e.ID, tx.PutEntrance(e)
}

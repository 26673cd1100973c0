package uplink

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// ParkSpaceInfo stores table 17 reports (interface parkSpaceInfo, clause
// 6.4.1 e): the park's live vacancy is replaced and the report appended to
// its time series. Totals that do not add up are stored and flagged.
func (s *Service) ParkSpaceInfo(ctx context.Context, userID string, items []protocol.ParkSpaceInfo) ([]protocol.ParkCodeResponse, error) {
	now := s.Now()
	out := make([]protocol.ParkCodeResponse, len(items))
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			p, err := parkOf(tx, userID, it.ParkCode, i)
			if err != nil {
				return err
			}
			v := platform.Vacancy{IsvParkID: p.IsvParkID, Info: mustJSON(it), UsedStalls: it.UsedStalls,
				UnusedStalls: it.UnusedStalls, UnusedReservableStalls: it.UnusedReservableStalls, At: now}
			if err := tx.PutVacancy(v); err != nil {
				return err
			}
			if err := vacancyWarnings(tx, p, it, now); err != nil {
				return err
			}
			if s.Reservations != nil {
				if err := s.Reservations.Vacancy(tx, p, v); err != nil {
					return err
				}
			}
			out[i] = protocol.ParkCodeResponse{ParkCode: it.ParkCode}
		}
		return nil
	})
	return out, err
}

// vacancyWarnings compares a table 17 report with the park's table 6 totals.
func vacancyWarnings(tx platform.Tx, p platform.Park, it protocol.ParkSpaceInfo, now time.Time) error {
	var info protocol.ParkInfo
	if err := json.Unmarshal(p.Info, &info); err != nil {
		return err
	}
	var issues []string
	if n := it.UsedStalls + it.UnusedStalls; n > info.TotalSpaces {
		issues = append(issues, fmt.Sprintf("usedStalls+unusedStalls %d > totalSpaces %d", n, info.TotalSpaces))
	}
	if it.UnusedReservableStalls > info.ReservableSpaces {
		issues = append(issues, fmt.Sprintf("unusedReservableStalls %d > reservableSpaces %d", it.UnusedReservableStalls, info.ReservableSpaces))
	}
	if c := deref(info.TotalCharingSpaces); it.UsedCharingStalls+it.UnusedCharingStalls > c {
		issues = append(issues, fmt.Sprintf("usedCharingStalls+unusedCharingStalls %d > totalCharingSpaces %d", it.UsedCharingStalls+it.UnusedCharingStalls, c))
	}
	for _, d := range issues {
		w := platform.Warning{IsvParkID: p.IsvParkID, UserID: p.UserID, Kind: "vacancy-totals", Detail: d, At: now}
		if err := warn(tx, w); err != nil {
			return err
		}
	}
	return nil
}

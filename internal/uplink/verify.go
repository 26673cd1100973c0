package uplink

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// ParkCarInfo verifies the hourly plate lists of table 23 (interface
// parkCarInfo, clause 6.6.1): each list is compared with the park's open
// entries and with its last usedStalls, and the result is kept per park
// per hour (a later list in the same hour replaces it).
func (s *Service) ParkCarInfo(ctx context.Context, userID string, items []protocol.ParkCarInfo) ([]protocol.ParkCodeResponse, error) {
	now := s.Now()
	out := make([]protocol.ParkCodeResponse, len(items))
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			p, err := parkOf(tx, userID, it.ParkCode, i)
			if err != nil {
				return err
			}
			if err := verifyPlates(tx, p, it.Plates(), now); err != nil {
				return err
			}
			out[i] = protocol.ParkCodeResponse{ParkCode: it.ParkCode}
		}
		return nil
	})
	return out, err
}

func verifyPlates(tx platform.Tx, p platform.Park, plates []string, now time.Time) error {
	open, err := tx.OpenEntries(p.IsvParkID)
	if err != nil {
		return err
	}
	used := -1
	if v, err := tx.Vacancy(p.IsvParkID); err == nil {
		used = v.UsedStalls
	} else if !platform.IsNotFound(err) {
		return err
	}
	inside := map[string]bool{}
	for _, pl := range plates {
		inside[pl] = true
	}
	entered := map[string]bool{}
	v := platform.Verification{IsvParkID: p.IsvParkID, Hour: now.Truncate(time.Hour), Plates: len(inside),
		UsedStalls: used, At: now, PlateList: plates, NoEntry: []string{}, Missing: []string{}}
	for _, r := range open {
		entered[r.PlateNo] = true
		if !inside[r.PlateNo] {
			v.Missing = append(v.Missing, r.PlateNo)
		}
	}
	for pl := range inside {
		if !entered[pl] {
			v.NoEntry = append(v.NoEntry, pl)
		}
	}
	slices.Sort(v.NoEntry)
	v.Missing = slices.Compact(sortedCopy(v.Missing))
	if err := tx.PutVerification(v); err != nil {
		return err
	}
	return verificationWarnings(tx, p, v, plates)
}

func verificationWarnings(tx platform.Tx, p platform.Park, v platform.Verification, plates []string) error {
	var issues []string
	if v.UsedStalls >= 0 && v.UsedStalls != v.Plates {
		issues = append(issues, fmt.Sprintf("plate list has %d vehicles, usedStalls is %d", v.Plates, v.UsedStalls))
	}
	if len(v.NoEntry) > 0 || len(v.Missing) > 0 {
		issues = append(issues, fmt.Sprintf("%d plates inside with no open entry, %d open entries not in the list", len(v.NoEntry), len(v.Missing)))
	}
	for _, pl := range plates {
		if !protocol.PlateLooksValid(pl) {
			issues = append(issues, "plate "+pl+" fits no known format")
		}
	}
	for _, d := range issues {
		w := platform.Warning{IsvParkID: p.IsvParkID, UserID: p.UserID, Kind: "verification", Detail: d, At: v.At}
		if err := warn(tx, w); err != nil {
			return err
		}
	}
	return nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

package uplink

import (
	"context"
	"slices"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// ReplenishCarInfo answers table 25 (interface replenishCarInfo, clause
// 6.6.2): the plates whose records need re-reporting for queryDate (CST),
// paged. Today's rule is the record-only one of PROTOCOL §5: every exit
// with no entry, under the CST date of its leaveTime. An empty first page
// is not an error; a page past the last is 1107.
func (s *Service) ReplenishCarInfo(ctx context.Context, userID string, items []protocol.ReplenishRequest) ([]protocol.ReplenishResponse, error) {
	out := make([]protocol.ReplenishResponse, len(items))
	err := s.Store.View(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			p, err := parkOf(tx, userID, it.ParkCode, i)
			if err != nil {
				return err
			}
			plates, err := replenishPlates(tx, p, it.QueryDate)
			if err != nil {
				return err
			}
			page, err := pageOf(plates, it.CurrentPage, it.PageSize, i)
			if err != nil {
				return err
			}
			out[i] = protocol.ReplenishResponse{ParkCode: it.ParkCode, PlateNoList: page, Total: len(plates)}
		}
		return nil
	})
	return out, err
}

// replenishPlates lists, sorted and without repeats, the plates of a park
// whose records for day need re-reporting.
func replenishPlates(tx platform.Tx, p platform.Park, day protocol.Date) ([]string, error) {
	from := day.Time()
	exits, err := tx.ExitsWithoutEntry(p.IsvParkID, from, from.AddDate(0, 0, 1))
	if err != nil {
		return nil, err
	}
	plates := make([]string, 0, len(exits))
	for _, r := range exits {
		plates = append(plates, r.PlateNo)
	}
	slices.Sort(plates)
	return slices.Compact(plates), nil
}

func pageOf(all []string, page, size, i int) ([]string, error) {
	start := (page - 1) * size
	if page > 1 && start >= len(all) {
		return nil, platform.FieldErrorf(platform.KindNoPage, field(i, "currentPage"), "(%d pages of %d)", (len(all)+size-1)/size, size)
	}
	end := min(start+size, len(all))
	if start >= end {
		return []string{}, nil
	}
	return all[start:end], nil
}

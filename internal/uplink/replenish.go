package uplink

import (
	"context"
	"slices"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// ReplenishCarInfo answers table 25 (interface replenishCarInfo, clause
// 6.6.2): the plates whose records need re-reporting for queryDate (CST),
// paged, by the rules of docs/protocol.md §5: every exit with no entry, under the
// CST date of its leaveTime, and the reservation-linked plates. An empty first page
// is not an error; a page past the last is 1107. The reservation-linked
// rules come from Reservations when it is set.
func (s *Service) ReplenishCarInfo(ctx context.Context, userID string, items []protocol.ReplenishRequest) ([]protocol.ReplenishResponse, error) {
	out := make([]protocol.ReplenishResponse, len(items))
	err := s.Store.View(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			p, err := parkOf(tx, userID, it.ParkCode, i)
			if err != nil {
				return err
			}
			plates, err := s.replenishPlates(tx, p, it.QueryDate)
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
func (s *Service) replenishPlates(tx platform.Tx, p platform.Park, day protocol.Date) ([]string, error) {
	from := day.Time()
	to := from.AddDate(0, 0, 1)
	exits, err := tx.ExitsWithoutEntry(p.IsvParkID, from, to)
	if err != nil {
		return nil, err
	}
	plates := make([]string, 0, len(exits))
	for _, r := range exits {
		plates = append(plates, r.PlateNo)
	}
	if s.Reservations != nil {
		more, err := s.Reservations.ReplenishPlates(tx, p, from, to)
		if err != nil {
			return nil, err
		}
		plates = append(plates, more...)
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

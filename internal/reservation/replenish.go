package reservation

import (
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// ReplenishPlates returns the reservation-linked plates of a park whose
// records for the CST day [from, to) need re-reporting (docs/protocol.md §5):
// entered with no exit by day end while absent from the day's last plate
// list, and present in a plate list of the day while the order has no
// entry.
func (s *Service) ReplenishPlates(tx platform.Tx, p platform.Park, from, to time.Time) ([]string, error) {
	lists, err := tx.Verifications(p.IsvParkID, from, to)
	if err != nil {
		return nil, err
	}
	orders, err := tx.ParkReservations(p.IsvParkID, from.Add(-24*time.Hour), to)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range orders {
		bad, err := needsReplenish(tx, r, lists, from, to)
		if err != nil {
			return nil, err
		}
		if bad {
			out = append(out, r.PlateNo)
		}
	}
	return out, nil
}

func needsReplenish(tx platform.Tx, r platform.Reservation, lists []platform.Verification, from, to time.Time) (bool, error) {
	entry, err := tx.RecordByBookCode(platform.KindEnter, r.IsvParkID, r.BookCode)
	if platform.IsNotFound(err) {
		return inAnyList(r.PlateNo, lists, r.BookTime), nil
	}
	if err != nil || entry.Time.Before(from) || !entry.Time.Before(to) {
		return false, err
	}
	exit, err := tx.Record(platform.KindExit, r.IsvParkID, entry.ID)
	if err == nil && exit.Time.Before(to) {
		return false, nil
	}
	if err != nil && !platform.IsNotFound(err) {
		return false, err
	}
	// No list, or none taken since the entry: nothing to be absent from.
	if len(lists) == 0 || lists[len(lists)-1].At.Before(entry.Time) {
		return false, nil
	}
	return !contains(lists[len(lists)-1].PlateList, r.PlateNo), nil
}

// inAnyList reports whether plate is in a list received at or after since.
func inAnyList(plate string, lists []platform.Verification, since time.Time) bool {
	for _, v := range lists {
		if !v.At.Before(since) && contains(v.PlateList, plate) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

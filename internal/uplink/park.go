package uplink

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// ParkInfo stores table 6 reports (interface parkInfo, clause 6.3.1). A new
// park gets a platform isvParkId; a re-report keeps it, and a changed
// report keeps the old version in history.
func (s *Service) ParkInfo(ctx context.Context, userID string, items []protocol.ParkInfo) ([]protocol.ParkInfoResponse, error) {
	for i, it := range items {
		if err := s.Regions.Check(field(i, "areaCode"), it.AreaCode); err != nil {
			return nil, err
		}
		if err := s.checkPosition(i, it.Longitude, it.Latitude); err != nil {
			return nil, err
		}
	}
	now := s.Now()
	out := make([]protocol.ParkInfoResponse, len(items))
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			id, err := putPark(tx, userID, it, now)
			if err != nil {
				return err
			}
			out[i] = protocol.ParkInfoResponse{ParkCode: it.ParkCode, IsvParkID: id}
		}
		return nil
	})
	return out, err
}

func putPark(tx platform.Tx, userID string, it protocol.ParkInfo, now time.Time) (string, error) {
	payload := mustJSON(it)
	// Two first reports of one park on two instances must not both insert.
	if err := tx.Lock("park-code:" + userID + "\x00" + it.ParkCode); err != nil {
		return "", err
	}
	old, err := tx.Park(userID, it.ParkCode)
	isNew := platform.IsNotFound(err)
	if err != nil && !isNew {
		return "", err
	}
	if !isNew && bytes.Equal(old.Info, payload) {
		return old.IsvParkID, nil
	}
	p := platform.Park{
		IsvParkID: platform.NewID(), UserID: userID, ParkCode: it.ParkCode, Name: it.ParkName,
		AreaCode: it.AreaCode, BizStatus: int(it.BizStatus), Reservable: it.Reservable == protocol.Yes,
		ReservableSpaces: it.ReservableSpaces, TotalSpaces: it.TotalSpaces,
		Longitude: it.Longitude, Latitude: it.Latitude, Info: payload, CreatedAt: now, UpdatedAt: now,
	}
	if !isNew {
		p.IsvParkID, p.CreatedAt = old.IsvParkID, old.CreatedAt
		h := platform.HistoryEntry{Object: "park", IsvParkID: old.IsvParkID, Key: it.ParkCode, Old: old.Info, ChangedAt: now}
		if err := tx.AddHistory(h); err != nil {
			return "", err
		}
	}
	if err := tx.PutPark(p); err != nil {
		return "", err
	}
	if err := parkWarnings(tx, p, it, now); err != nil {
		return "", err
	}
	if isNew {
		return p.IsvParkID, registerLiveness(tx, p, now)
	}
	return p.IsvParkID, nil
}

// registerLiveness starts a new park's online/offline history in the
// state of its account.
func registerLiveness(tx platform.Tx, p platform.Park, now time.Time) error {
	acct, err := tx.Account(p.UserID)
	if err != nil {
		return err
	}
	return tx.AddLivenessEvent(platform.LivenessEvent{UserID: p.UserID, IsvParkID: p.IsvParkID, Online: acct.Online, At: now, Cause: "registered"})
}

// parkWarnings flags table 6 totals that do not add up.
func parkWarnings(tx platform.Tx, p platform.Park, it protocol.ParkInfo, now time.Time) error {
	var issues []string
	if it.ReservableSpaces > it.TotalSpaces {
		issues = append(issues, fmt.Sprintf("reservableSpaces %d > totalSpaces %d", it.ReservableSpaces, it.TotalSpaces))
	}
	if it.Reservable == protocol.No && it.ReservableSpaces > 0 {
		issues = append(issues, fmt.Sprintf("reservable 0 but reservableSpaces %d", it.ReservableSpaces))
	}
	sum := deref(it.MonthCardSpaces) + deref(it.FixedSpaces) + deref(it.TempSpaces)
	if sum > it.TotalSpaces {
		issues = append(issues, fmt.Sprintf("monthCard+fixed+temp %d > totalSpaces %d", sum, it.TotalSpaces))
	}
	if c := deref(it.TotalCharingSpaces); it.TotalReservableCharingSpaces > c {
		issues = append(issues, fmt.Sprintf("totalReservableCharingSpaces %d > totalCharingSpaces %d", it.TotalReservableCharingSpaces, c))
	}
	for _, d := range issues {
		w := platform.Warning{IsvParkID: p.IsvParkID, UserID: p.UserID, Kind: "park-totals", Detail: d, At: now}
		if err := warn(tx, w); err != nil {
			return err
		}
	}
	return nil
}

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

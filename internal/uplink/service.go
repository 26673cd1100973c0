// Package uplink implements what the platform does with each uplink
// interface of table 30 once a request is authenticated and its items are
// validated: parks and entrances with their platform ids, idempotent
// entry and exit records with change history, pictures, live vacancy,
// hourly verification and the replenish list. Every batch is stored in one
// transaction: all of it or nothing.
package uplink

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Service handles uplink data for authenticated accounts.
type Service struct {
	Store platform.Store
	Blobs blob.Store
	Now   platform.Clock
	Log   *slog.Logger
	// Regions are the area codes parkInfo accepts (appendix F by default).
	Regions protocol.Regions
	// City, when set, bounds the coordinates of parks and entrances:
	// outside its Bounds is 1007 naming longitude or latitude.
	City *city.City
	// StrictPictures rejects pictures under 100 KB with 1007 instead of
	// storing them with a warning (docs/protocol.md §6).
	StrictPictures bool
	// Reservations, when set, is told of records, vacancy and replenish
	// queries inside the same transaction (docs/protocol.md §9, §6.5.1 f).
	Reservations ReservationHooks

	parkIDs sync.Map // userID+"\x00"+parkCode -> isvParkId (ids never change)
}

// ReservationHooks is what the reservation engine needs to see of the
// uplink data. Each hook runs inside the transaction that stores the data:
// an error from it rejects the batch.
type ReservationHooks interface {
	// Entered and Exited are called for each new or changed record.
	Entered(tx platform.Tx, p platform.Park, rec platform.Record) error
	Exited(tx platform.Tx, p platform.Park, rec platform.Record) error
	// Vacancy is called for each parkSpaceInfo report.
	Vacancy(tx platform.Tx, p platform.Park, v platform.Vacancy) error
	// ReplenishPlates adds the reservation-linked plates of the CST day
	// [from, to) to the replenish list.
	ReplenishPlates(tx platform.Tx, p platform.Park, from, to time.Time) ([]string, error)
}

// field returns the path of a field of item i.
func field(i int, name string) string { return fmt.Sprintf("data[%d].%s", i, name) }

// checkPosition refuses item i's coordinates outside the city (1007).
func (s *Service) checkPosition(i int, lng, lat float64) error {
	if s.City == nil {
		return nil
	}
	return s.City.CheckPosition(field(i, ""), lng, lat)
}

// parkOf loads the caller's park; another vendor's park, or none, is
// KindParkNotFound on data[i].parkCode (docs/protocol.md §5).
func parkOf(tx platform.Tx, userID, parkCode string, i int) (platform.Park, error) {
	p, err := tx.Park(userID, parkCode)
	if platform.IsNotFound(err) {
		return p, platform.FieldErrorf(platform.KindParkNotFound, field(i, "parkCode"), "(%s is not a park of this account)", parkCode)
	}
	return p, err
}

// parkRef returns the caller's park with only its keys filled in (the
// records need no more), from a cache: a park's isvParkId never changes
// and parks are never deleted, so a cached id stays right. A miss reads
// the store inside tx.
func (s *Service) parkRef(tx platform.Tx, userID, parkCode string, i int) (platform.Park, error) {
	key := userID + "\x00" + parkCode
	if id, ok := s.parkIDs.Load(key); ok {
		return platform.Park{IsvParkID: id.(string), UserID: userID, ParkCode: parkCode}, nil
	}
	p, err := parkOf(tx, userID, parkCode, i)
	if err != nil {
		return p, err
	}
	s.parkIDs.Store(key, p.IsvParkID)
	return platform.Park{IsvParkID: p.IsvParkID, UserID: userID, ParkCode: parkCode}, nil
}

// mustJSON marshals a validated protocol item; it cannot fail.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// warn records a data-quality warning.
func warn(tx platform.Tx, w platform.Warning) error { return tx.AddWarning(w) }

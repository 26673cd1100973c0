// Package offpeak implements off-peak parking (错峰停车, clause 6.7,
// docs/offpeak.md): the packages and orders that third-party off-peak
// platforms report, and the reads of the public API and the console.
//
// A platform names a park by its isvParkId or by the permitNo the park
// reported in parkInfo. It may sell packages at any park of the city (it is
// not the park's vendor) but sees and changes only its own packages and
// orders: packages are keyed by (platform, park, packageNo) and orders by
// (platform, orderNo). Re-sending an identical item is a success that
// stores nothing new; a changed item replaces the stored one and the old
// version is kept in history (orders also keep their status changes).
// Every batch is stored in one transaction: all of it or nothing.
package offpeak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Service handles off-peak data for authenticated off-peak accounts.
type Service struct {
	Store platform.Store
	Now   platform.Clock
	Log   *slog.Logger
}

// History object names (platform.HistoryEntry.Object).
const (
	historyPackage = "offpeakPackage"
	historyOrder   = "offpeakOrder"
)

// field returns the path of a field of item i.
func field(i int, name string) string { return fmt.Sprintf("data[%d].%s", i, name) }

// parkOf resolves a park reference: 1101 on the field that names no park
// (or, for a permitNo that several parks reported, asks for isvParkId).
func parkOf(tx platform.Tx, ref protocol.ParkRef, i int) (platform.Park, error) {
	if ref.IsvParkID != "" {
		p, err := tx.ParkByID(ref.IsvParkID)
		if platform.IsNotFound(err) {
			return p, platform.FieldErrorf(platform.KindParkNotFound, field(i, "isvParkId"), "(no park %s)", ref.IsvParkID)
		}
		if err != nil || ref.PermitNo == "" {
			return p, err
		}
		if len(platform.WithPermitNo([]platform.Park{p}, ref.PermitNo)) == 0 {
			return p, platform.FieldErrorf(platform.KindParkNotFound, field(i, "permitNo"),
				"(park %s did not report this permitNo)", ref.IsvParkID)
		}
		return p, nil
	}
	parks, err := tx.ParksByPermitNo(ref.PermitNo)
	if err != nil {
		return platform.Park{}, err
	}
	switch len(parks) {
	case 0:
		return platform.Park{}, platform.FieldErrorf(platform.KindParkNotFound, field(i, "permitNo"), "(no park reported this permitNo)")
	case 1:
		return parks[0], nil
	}
	return platform.Park{}, platform.FieldErrorf(platform.KindParkNotFound, field(i, "permitNo"),
		"(%d parks reported this permitNo; name the park by isvParkId)", len(parks))
}

// mustJSON marshals a validated protocol item; it cannot fail.
func mustJSON(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// historyKey is the key of a platform's object in history.
func historyKey(userID, key string) string { return userID + "/" + key }

// keepReplaced adds the replaced version old of a platform's object to
// history.
func keepReplaced(tx platform.Tx, object, isvParkID, userID, key string, old json.RawMessage, now time.Time) error {
	return tx.AddHistory(platform.HistoryEntry{Object: object, IsvParkID: isvParkID, Key: historyKey(userID, key), Old: old, ChangedAt: now})
}

// stored takes the answer of a look-up: found is false when nothing is
// stored, which is not an error.
func stored[T any](v T, err error) (_ T, found bool, _ error) {
	if platform.IsNotFound(err) {
		return v, false, nil
	}
	return v, err == nil, err
}

// batch stores items in one transaction, all or nothing: put stores item i
// at the park it names (parkOf) and returns the item's answer. The answers
// are in the order of the items.
func batch[I interface{ Park() protocol.ParkRef }, O any](ctx context.Context, s *Service, items []I,
	put func(tx platform.Tx, i int, it I, p platform.Park) (O, error)) ([]O, error) {
	out := make([]O, len(items))
	err := s.Store.Update(ctx, func(tx platform.Tx) error {
		for i, it := range items {
			p, err := parkOf(tx, it.Park(), i)
			if err != nil {
				return err
			}
			o, err := put(tx, i, it, p)
			if err != nil {
				return err
			}
			out[i] = o
		}
		return nil
	})
	return out, err
}

// ownPackage reads the account's package packageNo at park isvParkID for
// item i: 1100 on packageNo when it has none there.
func ownPackage(tx platform.Tx, userID, isvParkID, packageNo string, i int) (platform.OffPeakPackage, error) {
	pkg, err := tx.OffPeakPackage(userID, isvParkID, packageNo)
	if platform.IsNotFound(err) {
		return pkg, platform.FieldErrorf(platform.KindNotFound, field(i, "packageNo"),
			"(this account has no package %s at park %s)", packageNo, isvParkID)
	}
	return pkg, err
}

// Packages stores offPeakPackage items: create or update by packageNo.
func (s *Service) Packages(ctx context.Context, userID string, items []protocol.OffPeakPackage) ([]protocol.OffPeakPackageResponse, error) {
	now := s.Now()
	return batch(ctx, s, items, func(tx platform.Tx, _ int, it protocol.OffPeakPackage, p platform.Park) (protocol.OffPeakPackageResponse, error) {
		it.IsvParkID, it.PermitNo = p.IsvParkID, ""
		err := s.putPackage(tx, userID, it, now)
		return protocol.OffPeakPackageResponse{IsvParkID: p.IsvParkID, PackageNo: it.PackageNo, Status: it.Status}, err
	})
}

// putPackage stores a package whose IsvParkID is resolved, keeping the
// replaced version in history; an identical re-send changes nothing.
func (s *Service) putPackage(tx platform.Tx, userID string, it protocol.OffPeakPackage, now time.Time) error {
	info := mustJSON(it)
	old, found, err := stored(tx.OffPeakPackage(userID, it.IsvParkID, it.PackageNo))
	if err != nil || (found && bytes.Equal(old.Info, info)) {
		return err
	}
	p := platform.OffPeakPackage{
		UserID: userID, IsvParkID: it.IsvParkID, PackageNo: it.PackageNo, ProviderCode: it.ProviderCode,
		Name: it.PackageName, Type: int(it.PackageType), PriceCents: it.Price.Cents(),
		OnSale: it.Status == protocol.PackageOnSale, StartTime: it.StartTime.String(), EndTime: it.EndTime.String(),
		Info: info, CreatedAt: now, UpdatedAt: now,
	}
	if found {
		p.CreatedAt = old.CreatedAt
		if err := keepReplaced(tx, historyPackage, it.IsvParkID, userID, it.PackageNo, old.Info, now); err != nil {
			return err
		}
	}
	return tx.PutOffPeakPackage(p)
}

// PackageStatus stores offPeakPackageStatus items: put on sale or take off
// sale the platform's own packages; another platform's package, or none,
// is 1100 on packageNo.
func (s *Service) PackageStatus(ctx context.Context, userID string, items []protocol.OffPeakPackageStatus) ([]protocol.OffPeakPackageResponse, error) {
	now := s.Now()
	return batch(ctx, s, items, func(tx platform.Tx, i int, it protocol.OffPeakPackageStatus, p platform.Park) (protocol.OffPeakPackageResponse, error) {
		out := protocol.OffPeakPackageResponse{IsvParkID: p.IsvParkID, PackageNo: it.PackageNo, Status: it.Status}
		old, err := ownPackage(tx, userID, p.IsvParkID, it.PackageNo, i)
		if err != nil {
			return out, err
		}
		var pkg protocol.OffPeakPackage
		if err := json.Unmarshal(old.Info, &pkg); err != nil {
			return out, fmt.Errorf("offpeak: stored package %s: %w", it.PackageNo, err)
		}
		pkg.Status = it.Status
		return out, s.putPackage(tx, userID, pkg, now)
	})
}

// Orders stores offPeakOrder items: create or update by orderNo. The
// package must be the platform's own at that park (1100 on packageNo
// otherwise); a change of status is kept as an order event.
func (s *Service) Orders(ctx context.Context, userID string, items []protocol.OffPeakOrder) ([]protocol.OffPeakOrderResponse, error) {
	now := s.Now()
	return batch(ctx, s, items, func(tx platform.Tx, i int, it protocol.OffPeakOrder, p platform.Park) (protocol.OffPeakOrderResponse, error) {
		out := protocol.OffPeakOrderResponse{OrderNo: it.OrderNo, Status: it.Status}
		if _, err := ownPackage(tx, userID, p.IsvParkID, it.PackageNo, i); err != nil {
			return out, err
		}
		it.IsvParkID, it.PermitNo = p.IsvParkID, ""
		it.PlateNo = protocol.NormalizePlate(it.PlateNo)
		return out, s.putOrder(tx, userID, it, now)
	})
}

// putOrder stores a normalised order, keeping the replaced version in
// history and each change of status as an event.
func (s *Service) putOrder(tx platform.Tx, userID string, it protocol.OffPeakOrder, now time.Time) error {
	info := mustJSON(it)
	old, found, err := stored(tx.OffPeakOrder(userID, it.OrderNo))
	if err != nil || (found && bytes.Equal(old.Info, info)) {
		return err
	}
	o := platform.OffPeakOrder{
		UserID: userID, OrderNo: it.OrderNo, IsvParkID: it.IsvParkID, PackageNo: it.PackageNo,
		PlateNo: it.PlateNo, AmountCents: it.Amount.Cents(), Status: int(it.Status),
		OrderTime: it.OrderTime.Time(), Day: protocol.NewDate(it.OrderTime.Time()).String(),
		Info: info, CreatedAt: now, UpdatedAt: now,
	}
	from := -1
	if found {
		o.CreatedAt, from = old.CreatedAt, old.Status
		if err := keepReplaced(tx, historyOrder, old.IsvParkID, userID, it.OrderNo, old.Info, now); err != nil {
			return err
		}
	}
	if err := tx.PutOffPeakOrder(o); err != nil {
		return err
	}
	if from == o.Status {
		return nil
	}
	return tx.AddOffPeakOrderEvent(platform.OffPeakOrderEvent{UserID: userID, OrderNo: it.OrderNo, From: from, To: o.Status, At: now})
}

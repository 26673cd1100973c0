package offpeak

import (
	"context"
	"sort"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// PublicPackage is a package on sale as the public read API shows it: no
// platform account, no plates, no orders.
type PublicPackage struct {
	PackageNo    string               `json:"packageNo"`
	PackageName  string               `json:"packageName"`
	PackageType  protocol.PackageType `json:"packageType"`
	Price        protocol.Decimal     `json:"price"` // yuan, 2 places
	StartTime    string               `json:"startTime"`
	EndTime      string               `json:"endTime"`
	ProviderCode string               `json:"providerCode"`
}

// OnSale returns the packages on sale at the park, of every platform,
// by platform then package number (an empty list when none).
func (s *Service) OnSale(ctx context.Context, isvParkID string) ([]PublicPackage, error) {
	var pkgs []platform.OffPeakPackage
	err := s.Store.View(ctx, func(tx platform.Tx) (err error) {
		pkgs, err = tx.OffPeakPackages(platform.OffPeakFilter{IsvParkID: isvParkID, OnSale: true})
		return err
	})
	out := make([]PublicPackage, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, PublicPackage{PackageNo: p.PackageNo, PackageName: p.Name, PackageType: protocol.PackageType(p.Type),
			Price: protocol.Cents(p.PriceCents), StartTime: p.StartTime, EndTime: p.EndTime, ProviderCode: p.ProviderCode})
	}
	return out, err
}

// cst formats a time for the console: CST with its offset.
func cst(t time.Time) string { return t.In(protocol.CST).Format(time.RFC3339) }

// PackageView is a package as the console lists it.
type PackageView struct {
	UserID       string           `json:"userId"`
	IsvParkID    string           `json:"isvParkId"`
	PackageNo    string           `json:"packageNo"`
	ProviderCode string           `json:"providerCode"`
	Name         string           `json:"name"`
	Type         int              `json:"type"`
	Price        protocol.Decimal `json:"price"`
	OnSale       bool             `json:"onSale"`
	StartTime    string           `json:"startTime"`
	EndTime      string           `json:"endTime"`
	CreatedAt    string           `json:"createdAt"`
	UpdatedAt    string           `json:"updatedAt"`
}

// ListPackages returns the packages of a park and/or a platform (empty
// filters match all), by park, platform and package number.
func (s *Service) ListPackages(ctx context.Context, isvParkID, userID string) ([]PackageView, error) {
	var pkgs []platform.OffPeakPackage
	err := s.Store.View(ctx, func(tx platform.Tx) (err error) {
		pkgs, err = tx.OffPeakPackages(platform.OffPeakFilter{IsvParkID: isvParkID, UserID: userID})
		return err
	})
	out := make([]PackageView, 0, len(pkgs))
	for _, p := range pkgs {
		out = append(out, PackageView{UserID: p.UserID, IsvParkID: p.IsvParkID, PackageNo: p.PackageNo,
			ProviderCode: p.ProviderCode, Name: p.Name, Type: p.Type, Price: protocol.Cents(p.PriceCents),
			OnSale: p.OnSale, StartTime: p.StartTime, EndTime: p.EndTime, CreatedAt: cst(p.CreatedAt), UpdatedAt: cst(p.UpdatedAt)})
	}
	return out, err
}

// OrderView is an order as the console lists it, with its status changes.
type OrderView struct {
	UserID    string           `json:"userId"`
	OrderNo   string           `json:"orderNo"`
	IsvParkID string           `json:"isvParkId"`
	PackageNo string           `json:"packageNo"`
	PlateNo   string           `json:"plateNo"`
	Amount    protocol.Decimal `json:"amount"`
	Status    int              `json:"status"`
	OrderTime string           `json:"orderTime"`
	UpdatedAt string           `json:"updatedAt"`
	Events    []EventView      `json:"events"`
}

// EventView is one change of an order's status; from is -1 for the first.
type EventView struct {
	From int    `json:"from"`
	To   int    `json:"to"`
	At   string `json:"at"`
}

// MaxOrders bounds one listing of orders.
const MaxOrders = 500

// ListOrders returns the orders of a park and/or a platform placed on the
// CST day (yyyy-MM-dd; "" for any day), newest first, at most MaxOrders.
func (s *Service) ListOrders(ctx context.Context, isvParkID, userID, day string) ([]OrderView, error) {
	out := []OrderView{}
	err := s.Store.View(ctx, func(tx platform.Tx) error {
		orders, err := tx.OffPeakOrders(platform.OffPeakFilter{IsvParkID: isvParkID, UserID: userID, Day: day, Limit: MaxOrders})
		if err != nil {
			return err
		}
		for _, o := range orders {
			events, err := tx.OffPeakOrderEvents(o.UserID, o.OrderNo)
			if err != nil {
				return err
			}
			v := OrderView{UserID: o.UserID, OrderNo: o.OrderNo, IsvParkID: o.IsvParkID, PackageNo: o.PackageNo,
				PlateNo: o.PlateNo, Amount: protocol.Cents(o.AmountCents), Status: o.Status,
				OrderTime: cst(o.OrderTime), UpdatedAt: cst(o.UpdatedAt), Events: []EventView{}}
			for _, e := range events {
				v.Events = append(v.Events, EventView{From: e.From, To: e.To, At: cst(e.At)})
			}
			out = append(out, v)
		}
		return nil
	})
	return out, err
}

// DayTotal sums orders: all placed, the paid ones (paid or completed) and
// their amount in yuan.
type DayTotal struct {
	IsvParkID string           `json:"isvParkId,omitempty"`
	UserID    string           `json:"userId,omitempty"`
	Orders    int              `json:"orders"`
	Paid      int              `json:"paid"`
	Amount    protocol.Decimal `json:"amount"`
}

// Daily is one CST day's off-peak orders per park, per platform, and per
// park and platform.
type Daily struct {
	Date      string     `json:"date"`
	Parks     []DayTotal `json:"parks"`     // by isvParkId
	Platforms []DayTotal `json:"platforms"` // by userId
	Rows      []DayTotal `json:"rows"`      // per park and platform
	Total     DayTotal   `json:"total"`
}

// DailyTotals sums the orders placed on the CST day.
func (s *Service) DailyTotals(ctx context.Context, day string) (Daily, error) {
	var rows []platform.OffPeakDay
	err := s.Store.View(ctx, func(tx platform.Tx) (err error) {
		rows, err = tx.OffPeakDays(platform.OffPeakFilter{}, day, day)
		return err
	})
	d := Daily{Date: day, Parks: []DayTotal{}, Platforms: []DayTotal{}, Rows: []DayTotal{}}
	parks, platforms := map[string]*DayTotal{}, map[string]*DayTotal{}
	var total DayTotal
	for _, r := range rows {
		d.Rows = append(d.Rows, DayTotal{IsvParkID: r.IsvParkID, UserID: r.UserID, Orders: r.Orders, Paid: r.Paid, Amount: protocol.Cents(r.AmountCents)})
		addTo(parks, r.IsvParkID, DayTotal{IsvParkID: r.IsvParkID}, r)
		addTo(platforms, r.UserID, DayTotal{UserID: r.UserID}, r)
		add(&total, r)
	}
	d.Parks, d.Platforms, d.Total = sorted(parks), sorted(platforms), total
	d.Total.Amount = protocol.Cents(total.Amount.Cents())
	return d, err
}

func addTo(m map[string]*DayTotal, key string, zero DayTotal, r platform.OffPeakDay) {
	t, ok := m[key]
	if !ok {
		t = &zero
		m[key] = t
	}
	add(t, r)
}

func add(t *DayTotal, r platform.OffPeakDay) {
	t.Orders += r.Orders
	t.Paid += r.Paid
	t.Amount = protocol.Cents(t.Amount.Cents() + r.AmountCents)
}

func sorted(m map[string]*DayTotal) []DayTotal {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]DayTotal, 0, len(keys))
	for _, k := range keys {
		out = append(out, *m[k])
	}
	return out
}

// PublicPackages is OnSale in the form of the public API's hook
// (public.Service.Packages): nil when the park has none on sale, so the
// detail leaves the field out.
func (s *Service) PublicPackages(ctx context.Context, isvParkID string) (any, error) {
	pkgs, err := s.OnSale(ctx, isvParkID)
	if err != nil || len(pkgs) == 0 {
		return nil, err
	}
	return pkgs, nil
}

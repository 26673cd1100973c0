package platform

import (
	"encoding/json"
	"time"
)

// Account roles: a parking system (PLMS) reports parks and records; a
// third-party off-peak platform (第三方错峰停车平台) reports off-peak packages
// and orders. Both log in and heartbeat alike.
const (
	RolePLMS    = "plms"
	RoleOffPeak = "offpeak"
)

// RoleOf returns the account's role; an empty Role is RolePLMS.
func (a Account) RoleOf() string {
	if a.Role == "" {
		return RolePLMS
	}
	return a.Role
}

// ValidRole reports whether r is a role an account may have.
func ValidRole(r string) bool { return r == RolePLMS || r == RoleOffPeak }

// OffPeakPackage is an off-peak package (错峰套餐) of one off-peak platform
// at one park, identified by (UserID, IsvParkID, PackageNo): another
// platform's package of the same number is another package.
type OffPeakPackage struct {
	UserID       string // the off-peak platform's account
	IsvParkID    string
	PackageNo    string
	ProviderCode string
	Name         string
	Type         int
	PriceCents   int64
	OnSale       bool
	StartTime    string          // HH:mm:ss
	EndTime      string          // HH:mm:ss
	Info         json.RawMessage // the normalised protocol.OffPeakPackage
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// OffPeakOrder is an order of an off-peak package, identified by (UserID,
// OrderNo).
type OffPeakOrder struct {
	UserID      string
	OrderNo     string
	IsvParkID   string
	PackageNo   string
	PlateNo     string // normalised
	AmountCents int64
	Status      int
	OrderTime   time.Time
	Day         string          // CST date of OrderTime, yyyy-MM-dd
	Info        json.RawMessage // the normalised protocol.OffPeakOrder
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// OffPeakOrderEvent is one change of an order's status, kept in order.
type OffPeakOrderEvent struct {
	UserID  string
	OrderNo string
	From    int // -1 for the order's first status
	To      int
	At      time.Time
}

// OffPeakFilter selects packages or orders. Zero fields match everything.
type OffPeakFilter struct {
	UserID    string
	IsvParkID string
	OnSale    bool   // packages on sale only
	Day       string // orders of one CST day (yyyy-MM-dd)
	Limit     int    // 0 or less: all
}

// OffPeakDay sums one park's orders from one platform on one CST day.
type OffPeakDay struct {
	Day         string
	IsvParkID   string
	UserID      string
	Orders      int   // every order placed that day
	Paid        int   // of them, paid or completed
	AmountCents int64 // the amounts of the paid ones
}

// OffPeakTx keeps off-peak packages and orders. Rules every store enforces
// (internal/testkit/storetest): a package needs its account and its park, an order
// its account and its park (KindInvalid otherwise); puts insert or
// replace by key; lists are ordered as stated.
type OffPeakTx interface {
	OffPeakPackage(userID, isvParkID, packageNo string) (OffPeakPackage, error)
	// PutOffPeakPackage inserts or replaces by (UserID, IsvParkID, PackageNo).
	PutOffPeakPackage(p OffPeakPackage) error
	// OffPeakPackages returns the packages f selects by IsvParkID, then
	// UserID, then PackageNo.
	OffPeakPackages(f OffPeakFilter) ([]OffPeakPackage, error)

	OffPeakOrder(userID, orderNo string) (OffPeakOrder, error)
	// PutOffPeakOrder inserts or replaces by (UserID, OrderNo).
	PutOffPeakOrder(o OffPeakOrder) error
	// OffPeakOrders returns the orders f selects (OnSale ignored), newest
	// OrderTime first, then UserID and OrderNo.
	OffPeakOrders(f OffPeakFilter) ([]OffPeakOrder, error)
	AddOffPeakOrderEvent(e OffPeakOrderEvent) error
	// OffPeakOrderEvents returns the order's status changes oldest first.
	OffPeakOrderEvents(userID, orderNo string) ([]OffPeakOrderEvent, error)
	// OffPeakDays sums orders per CST day, park and platform for the days
	// in [from, to] (yyyy-MM-dd), filtered by f's UserID and IsvParkID,
	// by Day, then IsvParkID, then UserID.
	OffPeakDays(f OffPeakFilter, from, to string) ([]OffPeakDay, error)

	// ParksByPermitNo returns the parks whose reported permitNo is
	// permitNo (never for ""), by IsvParkID.
	ParksByPermitNo(permitNo string) ([]Park, error)
}

// WithPermitNo keeps the parks whose Info holds permitNo as its permitNo.
func WithPermitNo(parks []Park, permitNo string) []Park {
	var out []Park
	for _, p := range parks {
		var info struct {
			PermitNo string `json:"permitNo"`
		}
		if json.Unmarshal(p.Info, &info) == nil && info.PermitNo == permitNo {
			out = append(out, p)
		}
	}
	return out
}

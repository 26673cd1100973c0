package storetest

import (
	"encoding/json"
	"testing"

	"github.com/parkd/parkd/internal/platform"
)

func offPeakCases() []testCase {
	return []testCase{
		{"an off-peak package round-trips and is replaced by its key", testOffPeakPackagePut},
		{"an off-peak package needs its account and park", testOffPeakPackageNeedsPark},
		{"off-peak packages are listed by park, platform and number, on sale or all", testOffPeakPackageList},
		{"an off-peak order round-trips, is replaced by its key and keeps its status events", testOffPeakOrderPut},
		{"off-peak orders are listed newest first and summed per day, park and platform", testOffPeakOrderList},
		{"ParksByPermitNo finds the parks that reported a permit number", testParksByPermitNo},
		{"an account keeps its role", testAccountRole},
	}
}

// offPeakFixtures stores accounts u1, u2 and the off-peak platforms op1,
// op2, with u1's parks p1 and p2 and u2's p3.
func offPeakFixtures(t *testing.T, s platform.Store) {
	t.Helper()
	update(t, s, func(tx platform.Tx) error {
		for _, id := range []string{u1, u2, "op1", "op2"} {
			a := newAccount(id)
			if id[0] == 'o' {
				a.Role = platform.RoleOffPeak
			}
			if err := tx.PutAccount(a); err != nil {
				return err
			}
		}
		for _, p := range []platform.Park{newPark(u1, code1, p1), newPark(u1, code2, p2), newPark(u2, code1, p3)} {
			if err := tx.PutPark(p); err != nil {
				return err
			}
		}
		return nil
	})
}

func newPackage(userID, park, no string, onSale bool) platform.OffPeakPackage {
	return platform.OffPeakPackage{
		UserID: userID, IsvParkID: park, PackageNo: no, ProviderCode: "SP1", Name: "night " + no,
		Type: 3, PriceCents: 30050, OnSale: onSale, StartTime: "19:00:00", EndTime: "08:00:00",
		Info: json.RawMessage(`{"packageNo":"` + no + `"}`), CreatedAt: at(1), UpdatedAt: at(2),
	}
}

func newOrder(userID, no, park, pkg string, status int, minute int, day string, cents int64) platform.OffPeakOrder {
	return platform.OffPeakOrder{
		UserID: userID, OrderNo: no, IsvParkID: park, PackageNo: pkg, PlateNo: "粤B12345",
		AmountCents: cents, Status: status, OrderTime: at(minute), Day: day,
		Info: json.RawMessage(`{"orderNo":"` + no + `"}`), CreatedAt: at(minute), UpdatedAt: at(minute),
	}
}

func testOffPeakPackagePut(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	p := newPackage("op1", p1, "N1", true)
	update(t, s, func(tx platform.Tx) error { return tx.PutOffPeakPackage(p) })
	same(t, "OffPeakPackage", get(t, s, func(tx platform.Tx) (platform.OffPeakPackage, error) {
		return tx.OffPeakPackage("op1", p1, "N1")
	}), p)
	view(t, s, func(tx platform.Tx) error {
		_, err := tx.OffPeakPackage("op2", p1, "N1")
		notFound(t, "another platform's package", err)
		_, err = tx.OffPeakPackage("op1", p2, "N1")
		notFound(t, "the same number at another park", err)
		return nil
	})
	p.OnSale, p.PriceCents, p.UpdatedAt = false, 1, at(5)
	update(t, s, func(tx platform.Tx) error { return tx.PutOffPeakPackage(p) })
	same(t, "replaced package", get(t, s, func(tx platform.Tx) (platform.OffPeakPackage, error) {
		return tx.OffPeakPackage("op1", p1, "N1")
	}), p)
}

func testOffPeakPackageNeedsPark(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	for name, p := range map[string]platform.OffPeakPackage{
		"no park":    newPackage("op1", "isv-none", "N1", true),
		"no account": newPackage("nobody", p1, "N1", true),
	} {
		err := s.Update(t.Context(), func(tx platform.Tx) error { return tx.PutOffPeakPackage(p) })
		if platform.KindOf(err) != platform.KindInvalid {
			t.Errorf("%s: got %v, want KindInvalid", name, err)
		}
	}
	err := s.Update(t.Context(), func(tx platform.Tx) error {
		return tx.PutOffPeakOrder(newOrder("op1", "O1", "isv-none", "N1", 1, 3, "2025-03-01", 100))
	})
	if platform.KindOf(err) != platform.KindInvalid {
		t.Errorf("order without park: got %v, want KindInvalid", err)
	}
}

func testOffPeakPackageList(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	a := newPackage("op2", p1, "B", true)
	b := newPackage("op1", p1, "Z", false)
	c := newPackage("op1", p1, "A", true)
	d := newPackage("op1", p2, "A", true)
	update(t, s, func(tx platform.Tx) error {
		for _, p := range []platform.OffPeakPackage{a, b, c, d} {
			if err := tx.PutOffPeakPackage(p); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(f platform.OffPeakFilter) []platform.OffPeakPackage {
		return get(t, s, func(tx platform.Tx) ([]platform.OffPeakPackage, error) {
			return tx.OffPeakPackages(f)
		})
	}
	same(t, "all", list(platform.OffPeakFilter{}), []platform.OffPeakPackage{c, b, a, d})
	same(t, "park p1 on sale", list(platform.OffPeakFilter{IsvParkID: p1, OnSale: true}), []platform.OffPeakPackage{c, a})
	same(t, "platform op1", list(platform.OffPeakFilter{UserID: "op1"}), []platform.OffPeakPackage{c, b, d})
	same(t, "op1 at p2", list(platform.OffPeakFilter{UserID: "op1", IsvParkID: p2}), []platform.OffPeakPackage{d})
	same(t, "limit 1", list(platform.OffPeakFilter{Limit: 1}), []platform.OffPeakPackage{c})
	if got := list(platform.OffPeakFilter{IsvParkID: p3}); got != nil {
		t.Errorf("park without packages: %+v, want nil", got)
	}
}

func testOffPeakOrderPut(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	o := newOrder("op1", "O1", p1, "N1", 0, 3, "2025-03-01", 30050)
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutOffPeakOrder(o); err != nil {
			return err
		}
		return tx.AddOffPeakOrderEvent(platform.OffPeakOrderEvent{UserID: "op1", OrderNo: "O1", From: -1, To: 0, At: at(3)})
	})
	o.Status, o.UpdatedAt = 1, at(4)
	update(t, s, func(tx platform.Tx) error {
		if err := tx.PutOffPeakOrder(o); err != nil {
			return err
		}
		return tx.AddOffPeakOrderEvent(platform.OffPeakOrderEvent{UserID: "op1", OrderNo: "O1", From: 0, To: 1, At: at(4)})
	})
	same(t, "OffPeakOrder", get(t, s, func(tx platform.Tx) (platform.OffPeakOrder, error) {
		return tx.OffPeakOrder("op1", "O1")
	}), o)
	view(t, s, func(tx platform.Tx) error {
		_, err := tx.OffPeakOrder("op2", "O1")
		notFound(t, "another platform's order", err)
		return nil
	})
	same(t, "events", get(t, s, func(tx platform.Tx) ([]platform.OffPeakOrderEvent, error) {
		return tx.OffPeakOrderEvents("op1", "O1")
	}), []platform.OffPeakOrderEvent{
		{UserID: "op1", OrderNo: "O1", From: -1, To: 0, At: at(3)},
		{UserID: "op1", OrderNo: "O1", From: 0, To: 1, At: at(4)},
	})
}

func testOffPeakOrderList(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	o1 := newOrder("op1", "O1", p1, "N1", 1, 10, "2025-03-01", 1000)
	o2 := newOrder("op1", "O2", p1, "N1", 3, 20, "2025-03-01", 500)
	o3 := newOrder("op2", "O1", p1, "N1", 2, 20, "2025-03-01", 250)
	o4 := newOrder("op1", "O3", p2, "N1", 1, 30, "2025-03-02", 700)
	update(t, s, func(tx platform.Tx) error {
		for _, o := range []platform.OffPeakOrder{o1, o2, o3, o4} {
			if err := tx.PutOffPeakOrder(o); err != nil {
				return err
			}
		}
		return nil
	})
	list := func(f platform.OffPeakFilter) []platform.OffPeakOrder {
		return get(t, s, func(tx platform.Tx) ([]platform.OffPeakOrder, error) { return tx.OffPeakOrders(f) })
	}
	same(t, "all", list(platform.OffPeakFilter{}), []platform.OffPeakOrder{o4, o2, o3, o1})
	same(t, "p1 on 2025-03-01", list(platform.OffPeakFilter{IsvParkID: p1, Day: "2025-03-01"}), []platform.OffPeakOrder{o2, o3, o1})
	same(t, "op2", list(platform.OffPeakFilter{UserID: "op2"}), []platform.OffPeakOrder{o3})
	same(t, "limit 2", list(platform.OffPeakFilter{Limit: 2}), []platform.OffPeakOrder{o4, o2})

	days := func(f platform.OffPeakFilter, from, to string) []platform.OffPeakDay {
		return get(t, s, func(tx platform.Tx) ([]platform.OffPeakDay, error) {
			return tx.OffPeakDays(f, from, to)
		})
	}
	same(t, "days", days(platform.OffPeakFilter{}, "2025-03-01", "2025-03-02"), []platform.OffPeakDay{
		{Day: "2025-03-01", IsvParkID: p1, UserID: "op1", Orders: 2, Paid: 1, AmountCents: 1000},
		{Day: "2025-03-01", IsvParkID: p1, UserID: "op2", Orders: 1, Paid: 1, AmountCents: 250},
		{Day: "2025-03-02", IsvParkID: p2, UserID: "op1", Orders: 1, Paid: 1, AmountCents: 700},
	})
	same(t, "one day of op1", days(platform.OffPeakFilter{UserID: "op1"}, "2025-03-02", "2025-03-02"), []platform.OffPeakDay{
		{Day: "2025-03-02", IsvParkID: p2, UserID: "op1", Orders: 1, Paid: 1, AmountCents: 700},
	})
	if got := days(platform.OffPeakFilter{}, "2025-04-01", "2025-04-30"); got != nil {
		t.Errorf("a month without orders: %+v", got)
	}
}

func testParksByPermitNo(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	withPermit := func(p platform.Park, permit string) platform.Park {
		b, _ := json.Marshal(map[string]any{"parkCode": p.ParkCode, "permitNo": permit})
		p.Info = b
		return p
	}
	a := withPermit(newPark(u1, code1, p1), "深停许字001")
	b := withPermit(newPark(u2, code1, p3), "深停许字001")
	c := withPermit(newPark(u1, code2, p2), "深停许字0011") // a longer permit that contains the first
	odd := newPark(u2, code2, "isv-p4")
	odd.Info = []byte(`not JSON "permitNo":"深停许字001"`) // an info that is not JSON is stored, never matched
	update(t, s, func(tx platform.Tx) error {
		for _, p := range []platform.Park{a, b, c, odd} {
			if err := tx.PutPark(p); err != nil {
				return err
			}
		}
		return nil
	})
	find := func(permit string) []platform.Park {
		return get(t, s, func(tx platform.Tx) ([]platform.Park, error) { return tx.ParksByPermitNo(permit) })
	}
	same(t, "shared permit", find("深停许字001"), []platform.Park{a, b})
	same(t, "longer permit", find("深停许字0011"), []platform.Park{c})
	if got := find("深停许字00"); got != nil {
		t.Errorf("a prefix of a permit: %+v", got)
	}
	if got := find(""); got != nil {
		t.Errorf("the empty permit: %+v", got)
	}
}

func testAccountRole(t *testing.T, s platform.Store) {
	offPeakFixtures(t, s)
	for id, want := range map[string]string{u1: platform.RolePLMS, "op1": platform.RoleOffPeak} {
		a := get(t, s, func(tx platform.Tx) (platform.Account, error) { return tx.Account(id) })
		if a.RoleOf() != want {
			t.Errorf("%s: role %q, want %q", id, a.RoleOf(), want)
		}
	}
}

package sqlstore

import (
	"github.com/parkd/parkd/internal/platform"
)

// Off-peak packages and orders (platform.OffPeakTx).

var _ platform.OffPeakTx = (*Tx)(nil)

const offPeakPackageCols = `user_id, isv_park_id, package_no, provider_code, name, type,
	price_cents, on_sale, start_time, end_time, info, created_at, updated_at`

func scanOffPeakPackage(s Row) (p platform.OffPeakPackage, err error) {
	err = s.Scan(&p.UserID, &p.IsvParkID, &p.PackageNo, &p.ProviderCode, &p.Name, &p.Type,
		&p.PriceCents, &p.OnSale, &p.StartTime, &p.EndTime, asRaw(&p.Info),
		asTime(&p.CreatedAt), asTime(&p.UpdatedAt))
	return p, err
}

var (
	selectOffPeakPackage = define("SELECT " + offPeakPackageCols + ` FROM offpeak_packages
		WHERE user_id = ? AND isv_park_id = ? AND package_no = ?`)
	putOffPeakPackage = upsert("offpeak_packages", offPeakPackageCols, "user_id, isv_park_id, package_no", "")
)

// OffPeakPackage returns the platform's package packageNo at the park.
func (t *Tx) OffPeakPackage(userID, isvParkID, packageNo string) (platform.OffPeakPackage, error) {
	return getOne(t, scanOffPeakPackage, selectOffPeakPackage, userID, isvParkID, packageNo)
}

// PutOffPeakPackage inserts p or replaces the package with its key.
func (t *Tx) PutOffPeakPackage(p platform.OffPeakPackage) error {
	_, err := t.exec(putOffPeakPackage, p.UserID, p.IsvParkID, p.PackageNo, p.ProviderCode, p.Name,
		p.Type, p.PriceCents, p.OnSale, p.StartTime, p.EndTime, rawArg(p.Info), ms(p.CreatedAt), ms(p.UpdatedAt))
	return t.wrap("put off-peak package", err)
}

// OffPeakPackages returns the packages f selects, by park, platform and
// package number.
func (t *Tx) OffPeakPackages(f platform.OffPeakFilter) ([]platform.OffPeakPackage, error) {
	where, args := offPeakWhere(f)
	if f.OnSale {
		where = append(where, t.sql.d.True("on_sale"))
	}
	return getBuilt(t, scanOffPeakPackage, "SELECT "+offPeakPackageCols+" FROM offpeak_packages"+
		whereClause(where)+" ORDER BY isv_park_id, user_id, package_no LIMIT ?", append(args, limitArg(f.Limit))...)
}

// offPeakWhere returns the conditions of f's UserID and IsvParkID.
func offPeakWhere(f platform.OffPeakFilter) ([]string, []any) {
	var where []string
	var args []any
	if f.UserID != "" {
		where, args = append(where, "user_id = ?"), append(args, f.UserID)
	}
	if f.IsvParkID != "" {
		where, args = append(where, "isv_park_id = ?"), append(args, f.IsvParkID)
	}
	return where, args
}

const offPeakOrderCols = `user_id, order_no, isv_park_id, package_no, plate_no, amount_cents,
	status, order_time, day, info, created_at, updated_at`

func scanOffPeakOrder(s Row) (o platform.OffPeakOrder, err error) {
	err = s.Scan(&o.UserID, &o.OrderNo, &o.IsvParkID, &o.PackageNo, &o.PlateNo, &o.AmountCents,
		&o.Status, asTime(&o.OrderTime), &o.Day, asRaw(&o.Info), asTime(&o.CreatedAt), asTime(&o.UpdatedAt))
	return o, err
}

var (
	selectOffPeakOrder = define("SELECT " + offPeakOrderCols + ` FROM offpeak_orders
		WHERE user_id = ? AND order_no = ?`)
	putOffPeakOrder      = upsert("offpeak_orders", offPeakOrderCols, "user_id, order_no", "")
	addOffPeakOrderEvent = insert("offpeak_order_events", "user_id, order_no, from_status, to_status, at")
	offPeakOrderEvents   = define(`SELECT user_id, order_no, from_status, to_status, at
		FROM offpeak_order_events WHERE user_id = ? AND order_no = ? ORDER BY seq`)
	parksByPermitNo = defineFor(func(d Dialect) string {
		return "SELECT " + parkCols + " FROM parks WHERE " + d.JSONText("info", "permitNo") +
			" = ? ORDER BY isv_park_id"
	})
)

// OffPeakOrder returns the platform's order orderNo.
func (t *Tx) OffPeakOrder(userID, orderNo string) (platform.OffPeakOrder, error) {
	return getOne(t, scanOffPeakOrder, selectOffPeakOrder, userID, orderNo)
}

// PutOffPeakOrder inserts o or replaces the order with its key.
func (t *Tx) PutOffPeakOrder(o platform.OffPeakOrder) error {
	_, err := t.exec(putOffPeakOrder, o.UserID, o.OrderNo, o.IsvParkID, o.PackageNo, o.PlateNo,
		o.AmountCents, o.Status, ms(o.OrderTime), o.Day, rawArg(o.Info), ms(o.CreatedAt), ms(o.UpdatedAt))
	return t.wrap("put off-peak order", err)
}

// OffPeakOrders returns the orders f selects, newest first.
func (t *Tx) OffPeakOrders(f platform.OffPeakFilter) ([]platform.OffPeakOrder, error) {
	where, args := offPeakWhere(f)
	if f.Day != "" {
		where, args = append(where, "day = ?"), append(args, f.Day)
	}
	return getBuilt(t, scanOffPeakOrder, "SELECT "+offPeakOrderCols+" FROM offpeak_orders"+
		whereClause(where)+" ORDER BY order_time DESC, user_id, order_no LIMIT ?", append(args, limitArg(f.Limit))...)
}

// AddOffPeakOrderEvent appends a status change.
func (t *Tx) AddOffPeakOrderEvent(e platform.OffPeakOrderEvent) error {
	_, err := t.exec(addOffPeakOrderEvent, e.UserID, e.OrderNo, e.From, e.To, ms(e.At))
	return t.wrap("add off-peak order event", err)
}

func scanOffPeakEvent(s Row) (e platform.OffPeakOrderEvent, err error) {
	err = s.Scan(&e.UserID, &e.OrderNo, &e.From, &e.To, asTime(&e.At))
	return e, err
}

// OffPeakOrderEvents returns the order's status changes oldest first.
func (t *Tx) OffPeakOrderEvents(userID, orderNo string) ([]platform.OffPeakOrderEvent, error) {
	return getAll(t, scanOffPeakEvent, offPeakOrderEvents, userID, orderNo)
}

func scanOffPeakDay(s Row) (d platform.OffPeakDay, err error) {
	err = s.Scan(&d.Day, &d.IsvParkID, &d.UserID, &d.Orders, &d.Paid, &d.AmountCents)
	return d, err
}

// OffPeakDays sums the orders per day, park and platform.
func (t *Tx) OffPeakDays(f platform.OffPeakFilter, from, to string) ([]platform.OffPeakDay, error) {
	where, args := offPeakWhere(f)
	where, args = append(where, "day >= ?", "day <= ?"), append(args, from, to)
	return getBuilt(t, scanOffPeakDay, `SELECT day, isv_park_id, user_id, CAST(COUNT(*) AS INTEGER),
			CAST(COALESCE(SUM(CASE WHEN status IN (1, 2) THEN 1 ELSE 0 END), 0) AS INTEGER),
			CAST(COALESCE(SUM(CASE WHEN status IN (1, 2) THEN amount_cents ELSE 0 END), 0) AS BIGINT)
		FROM offpeak_orders`+whereClause(where)+`
		GROUP BY day, isv_park_id, user_id ORDER BY day, isv_park_id, user_id`, args...)
}

// ParksByPermitNo returns the parks that reported permitNo, by id,
// through the index of migration 0007 on the permit in the stored
// parkInfo.
func (t *Tx) ParksByPermitNo(permitNo string) ([]platform.Park, error) {
	if permitNo == "" {
		return nil, nil
	}
	parks, err := getAll(t, scanPark, parksByPermitNo, permitNo)
	if err != nil {
		return nil, err
	}
	return platform.WithPermitNo(parks, permitNo), nil
}

package postgres

import (
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/parkd/parkd/internal/platform"
)

// Off-peak packages and orders (platform.OffPeakTx).

var _ platform.OffPeakTx = (*tx)(nil)

const offPeakPackageCols = `user_id, isv_park_id, package_no, provider_code, name, type,
	price_cents, on_sale, start_time, end_time, info, created_at, updated_at`

func scanOffPeakPackage(s pgx.Row) (p platform.OffPeakPackage, err error) {
	err = s.Scan(&p.UserID, &p.IsvParkID, &p.PackageNo, &p.ProviderCode, &p.Name, &p.Type,
		&p.PriceCents, &p.OnSale, &p.StartTime, &p.EndTime, asRaw(&p.Info),
		asTime(&p.CreatedAt), asTime(&p.UpdatedAt))
	return p, err
}

// OffPeakPackage returns the platform's package packageNo at the park.
func (t *tx) OffPeakPackage(userID, isvParkID, packageNo string) (platform.OffPeakPackage, error) {
	return getOne(t, scanOffPeakPackage, "SELECT "+offPeakPackageCols+` FROM offpeak_packages
		WHERE user_id = $1 AND isv_park_id = $2 AND package_no = $3`, userID, isvParkID, packageNo)
}

// PutOffPeakPackage inserts p or replaces the package with its key.
func (t *tx) PutOffPeakPackage(p platform.OffPeakPackage) error {
	_, err := t.exec(`INSERT INTO offpeak_packages (`+offPeakPackageCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
		ON CONFLICT (user_id, isv_park_id, package_no) DO UPDATE SET
			provider_code = excluded.provider_code, name = excluded.name, type = excluded.type,
			price_cents = excluded.price_cents, on_sale = excluded.on_sale,
			start_time = excluded.start_time, end_time = excluded.end_time, info = excluded.info,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		p.UserID, p.IsvParkID, p.PackageNo, p.ProviderCode, p.Name, p.Type, p.PriceCents,
		p.OnSale, p.StartTime, p.EndTime, rawArg(p.Info), ms(p.CreatedAt), ms(p.UpdatedAt))
	return wrap("put off-peak package", err)
}

// OffPeakPackages returns the packages f selects, by park, platform and
// package number.
func (t *tx) OffPeakPackages(f platform.OffPeakFilter) ([]platform.OffPeakPackage, error) {
	where, args := offPeakWhere(f)
	if f.OnSale {
		where = append(where, "on_sale")
	}
	return getAll(t, scanOffPeakPackage, "SELECT "+offPeakPackageCols+" FROM offpeak_packages"+
		whereClause(where)+" ORDER BY isv_park_id, user_id, package_no"+limitOf(f.Limit, len(args)+1), append(args, limitArg(f.Limit))...)
}

// offPeakWhere returns the conditions of f's UserID and IsvParkID.
func offPeakWhere(f platform.OffPeakFilter) ([]string, []any) {
	var where []string
	var args []any
	if f.UserID != "" {
		args = append(args, f.UserID)
		where = append(where, fmt.Sprintf("user_id = $%d", len(args)))
	}
	if f.IsvParkID != "" {
		args = append(args, f.IsvParkID)
		where = append(where, fmt.Sprintf("isv_park_id = $%d", len(args)))
	}
	return where, args
}

func whereClause(where []string) string {
	if len(where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(where, " AND ")
}

const offPeakOrderCols = `user_id, order_no, isv_park_id, package_no, plate_no, amount_cents,
	status, order_time, day, info, created_at, updated_at`

func scanOffPeakOrder(s pgx.Row) (o platform.OffPeakOrder, err error) {
	err = s.Scan(&o.UserID, &o.OrderNo, &o.IsvParkID, &o.PackageNo, &o.PlateNo, &o.AmountCents,
		&o.Status, asTime(&o.OrderTime), &o.Day, asRaw(&o.Info), asTime(&o.CreatedAt), asTime(&o.UpdatedAt))
	return o, err
}

// OffPeakOrder returns the platform's order orderNo.
func (t *tx) OffPeakOrder(userID, orderNo string) (platform.OffPeakOrder, error) {
	return getOne(t, scanOffPeakOrder, "SELECT "+offPeakOrderCols+` FROM offpeak_orders
		WHERE user_id = $1 AND order_no = $2`, userID, orderNo)
}

// PutOffPeakOrder inserts o or replaces the order with its key.
func (t *tx) PutOffPeakOrder(o platform.OffPeakOrder) error {
	_, err := t.exec(`INSERT INTO offpeak_orders (`+offPeakOrderCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT (user_id, order_no) DO UPDATE SET isv_park_id = excluded.isv_park_id,
			package_no = excluded.package_no, plate_no = excluded.plate_no,
			amount_cents = excluded.amount_cents, status = excluded.status,
			order_time = excluded.order_time, day = excluded.day, info = excluded.info,
			created_at = excluded.created_at, updated_at = excluded.updated_at`,
		o.UserID, o.OrderNo, o.IsvParkID, o.PackageNo, o.PlateNo, o.AmountCents, o.Status,
		ms(o.OrderTime), o.Day, rawArg(o.Info), ms(o.CreatedAt), ms(o.UpdatedAt))
	return wrap("put off-peak order", err)
}

// OffPeakOrders returns the orders f selects, newest first.
func (t *tx) OffPeakOrders(f platform.OffPeakFilter) ([]platform.OffPeakOrder, error) {
	where, args := offPeakWhere(f)
	if f.Day != "" {
		args = append(args, f.Day)
		where = append(where, fmt.Sprintf("day = $%d", len(args)))
	}
	return getAll(t, scanOffPeakOrder, "SELECT "+offPeakOrderCols+" FROM offpeak_orders"+
		whereClause(where)+" ORDER BY order_time DESC, user_id, order_no"+limitOf(f.Limit, len(args)+1), append(args, limitArg(f.Limit))...)
}

// AddOffPeakOrderEvent appends a status change.
func (t *tx) AddOffPeakOrderEvent(e platform.OffPeakOrderEvent) error {
	_, err := t.exec(`INSERT INTO offpeak_order_events (user_id, order_no, from_status, to_status, at)
		VALUES ($1, $2, $3, $4, $5)`, e.UserID, e.OrderNo, e.From, e.To, ms(e.At))
	return wrap("add off-peak order event", err)
}

func scanOffPeakEvent(s pgx.Row) (e platform.OffPeakOrderEvent, err error) {
	err = s.Scan(&e.UserID, &e.OrderNo, &e.From, &e.To, asTime(&e.At))
	return e, err
}

// OffPeakOrderEvents returns the order's status changes oldest first.
func (t *tx) OffPeakOrderEvents(userID, orderNo string) ([]platform.OffPeakOrderEvent, error) {
	return getAll(t, scanOffPeakEvent, `SELECT user_id, order_no, from_status, to_status, at
		FROM offpeak_order_events WHERE user_id = $1 AND order_no = $2 ORDER BY seq`, userID, orderNo)
}

func scanOffPeakDay(s pgx.Row) (d platform.OffPeakDay, err error) {
	err = s.Scan(&d.Day, &d.IsvParkID, &d.UserID, &d.Orders, &d.Paid, &d.AmountCents)
	return d, err
}

// OffPeakDays sums the orders per day, park and platform.
func (t *tx) OffPeakDays(f platform.OffPeakFilter, from, to string) ([]platform.OffPeakDay, error) {
	where, args := offPeakWhere(f)
	args = append(args, from, to)
	where = append(where, fmt.Sprintf("day >= $%d", len(args)-1), fmt.Sprintf("day <= $%d", len(args)))
	return getAll(t, scanOffPeakDay, `SELECT day, isv_park_id, user_id, COUNT(*)::INTEGER,
			COALESCE(SUM(CASE WHEN status IN (1, 2) THEN 1 ELSE 0 END), 0)::INTEGER,
			COALESCE(SUM(CASE WHEN status IN (1, 2) THEN amount_cents ELSE 0 END), 0)::BIGINT
		FROM offpeak_orders`+whereClause(where)+`
		GROUP BY day, isv_park_id, user_id ORDER BY day, isv_park_id, user_id`, args...)
}

// ParksByPermitNo returns the parks that reported permitNo, by id,
// through the index of migration 0007 on the permit in the stored
// parkInfo.
func (t *tx) ParksByPermitNo(permitNo string) ([]platform.Park, error) {
	if permitNo == "" {
		return nil, nil
	}
	parks, err := getAll(t, scanPark, "SELECT "+parkCols+` FROM parks
		WHERE parkd_permit_no(info) = $1 ORDER BY isv_park_id`, permitNo)
	if err != nil {
		return nil, err
	}
	return platform.WithPermitNo(parks, permitNo), nil
}

// limitOf is " LIMIT $n" with n the position of the limit argument.
func limitOf(_ int, n int) string { return fmt.Sprintf(" LIMIT $%d", n) }

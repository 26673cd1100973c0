package protocol

// OrderStatus is the state of an off-peak order (订单状态).
type OrderStatus int

// Order states.
const (
	OrderUnpaid    OrderStatus = 0 // 待支付
	OrderPaid      OrderStatus = 1 // 已支付
	OrderCompleted OrderStatus = 2 // 已完成
	OrderCancelled OrderStatus = 3 // 已取消
	OrderRefunded  OrderStatus = 4 // 已退款
)

// Valid reports whether s is 0-4.
func (s OrderStatus) Valid() bool { return s >= OrderUnpaid && s <= OrderRefunded }

// Paid reports whether the order's amount counts as earned: paid or
// completed.
func (s OrderStatus) Paid() bool { return s == OrderPaid || s == OrderCompleted }

// OffPeakOrder is the data item of `offPeakOrder`: an order of an
// off-peak package created or updated, keyed by (platform, orderNo). A
// change of status is kept in the order's history.
type OffPeakOrder struct {
	IsvParkID  string      `json:"isvParkId,omitempty"`  // 32, the platform's park id (or permitNo)
	PermitNo   string      `json:"permitNo,omitempty"`   // 100, the park's permitNo (or isvParkId)
	OrderNo    string      `json:"orderNo"`              // 64, 订单号, required
	PackageNo  string      `json:"packageNo"`            // 32, the platform's package of that park, required
	PlateNo    string      `json:"plateNo"`              // 20, 车牌号, normalised, required
	PlateColor *PlateColor `json:"plateColor,omitempty"` // appendix E
	Amount     Decimal     `json:"amount"`               // 订单金额, yuan, 2 places, required
	Status     OrderStatus `json:"status"`               // 订单状态, required
	OrderTime  DateTime    `json:"orderTime"`            // when the order was placed, required
	StartTime  DateTime    `json:"startTime,omitzero"`   // start of the period it buys, optional
	EndTime    DateTime    `json:"endTime,omitzero"`     // end of that period, optional
}

// RequiredFields implements Item. isvParkId/permitNo is checked by Validate.
func (OffPeakOrder) RequiredFields() []string {
	return []string{"orderNo", "packageNo", "plateNo", "amount", "status", "orderTime"}
}

// Validate checks every field; endTime before startTime is 1007.
func (o OffPeakOrder) Validate() error {
	var c checker
	o.Park().check(&c)
	c.str("orderNo", o.OrderNo, true, 64)
	c.str("packageNo", o.PackageNo, true, 32)
	c.str("plateNo", o.PlateNo, true, 20)
	c.str("plateNo", NormalizePlate(o.PlateNo), true, 0) // only spaces: missing
	optDict(&c, "plateColor", o.PlateColor)
	c.money("amount", o.Amount, true)
	c.dict("status", o.Status.Valid(), int(o.Status))
	c.dateTime("orderTime", o.OrderTime, true, false)
	c.dateTime("startTime", o.StartTime, false, false)
	c.dateTime("endTime", o.EndTime, false, false)
	if o.StartTime.Valid() && o.EndTime.Valid() && o.EndTime.Time().Before(o.StartTime.Time()) {
		c.fail(CodeRange, "endTime", "(before startTime)")
	}
	return c.result()
}

// OffPeakOrderResponse answers each item of offPeakOrder.
type OffPeakOrderResponse struct {
	OrderNo string      `json:"orderNo"`
	Status  OrderStatus `json:"status"`
}

// Park returns the item's park reference.
func (o OffPeakOrder) Park() ParkRef { return ParkRef{IsvParkID: o.IsvParkID, PermitNo: o.PermitNo} }

package protocol

// Off-peak parking (错峰停车, clause 4.14 and 6.7). The standard names the
// data (停车场（库）编码、许可决定文书号、服务商编码、套餐编号、套餐类型、套餐价格、
// 套餐状态、订单号、车牌号、订单金额、订单状态) and leaves the interfaces to
// agreement between the platforms; these are parkd's, documented in
// docs/offpeak.md. Only accounts with the off-peak role may call them.

// PackageType is the kind of an off-peak package (套餐类型).
type PackageType int

// Package types.
const (
	PackagePerVisit PackageType = 1 // 按次: one stay within the package's hours
	PackageDaily    PackageType = 2 // 包日: any stays within the hours of one day
	PackageMonthly  PackageType = 3 // 包月: the hours of every day for a month
	PackageOther    PackageType = 9 // 其他
)

// Valid reports whether t is 1, 2, 3 or 9.
func (t PackageType) Valid() bool { return t >= 1 && t <= 3 || t == PackageOther }

// PackageStatus is whether a package is on sale (套餐状态).
type PackageStatus int

// Package states.
const (
	PackageOffSale PackageStatus = 0 // 下架
	PackageOnSale  PackageStatus = 1 // 上架
)

// Valid reports whether s is 0 or 1.
func (s PackageStatus) Valid() bool { return s == PackageOffSale || s == PackageOnSale }

// ParkRef names a park to an off-peak platform, which is not the park's
// vendor: by the platform's isvParkId (the 停车场（库）编码 the platform
// assigned) or by the permitNo (许可决定文书号) the park reported in
// parkInfo. One of the two is required; when both are given they must name
// the same park.
type ParkRef struct {
	IsvParkID string `json:"isvParkId,omitempty"` // 32, the platform's park id
	PermitNo  string `json:"permitNo,omitempty"`  // 100, as in the park's parkInfo
}

// check validates the reference: missing both is 4 naming isvParkId.
func (r ParkRef) check(c *checker) {
	if r.IsvParkID == "" && r.PermitNo == "" {
		c.fail(CodeParam, "isvParkId", "(or permitNo) is required")
		return
	}
	c.str("isvParkId", r.IsvParkID, false, 32)
	c.str("permitNo", r.PermitNo, false, 100)
}

// OffPeakPackage is the data item of `offPeakPackage`: an off-peak
// package created or updated, keyed by (platform, park, packageNo).
type OffPeakPackage struct {
	IsvParkID    string        `json:"isvParkId,omitempty"`   // 32, the platform's park id (or permitNo)
	PermitNo     string        `json:"permitNo,omitempty"`    // 100, the park's permitNo (or isvParkId)
	ProviderCode string        `json:"providerCode"`          // 32, 服务商编码, required
	PackageNo    string        `json:"packageNo"`             // 32, 套餐编号, required
	PackageName  string        `json:"packageName,omitempty"` // 50
	PackageType  PackageType   `json:"packageType"`           // 套餐类型, required
	Price        Decimal       `json:"price"`                 // 套餐价格, yuan, 2 places, required
	Status       PackageStatus `json:"status"`                // 套餐状态, 1 on sale, 0 off sale, required
	StartTime    Time          `json:"startTime"`             // HH:mm:ss, start of the hours covered
	EndTime      Time          `json:"endTime"`               // HH:mm:ss, end (may be past midnight)
	Spaces       *int          `json:"spaces,omitempty"`      // spaces offered, optional
	Remark       string        `json:"remark,omitempty"`      // 255
}

// RequiredFields implements Item. isvParkId/permitNo is checked by Validate.
func (OffPeakPackage) RequiredFields() []string {
	return []string{"providerCode", "packageNo", "packageType", "price", "status", "startTime", "endTime"}
}

// Validate checks every field.
func (p OffPeakPackage) Validate() error {
	var c checker
	p.Park().check(&c)
	c.str("providerCode", p.ProviderCode, true, 32)
	c.str("packageNo", p.PackageNo, true, 32)
	c.str("packageName", p.PackageName, false, 50)
	c.dict("packageType", p.PackageType.Valid(), int(p.PackageType))
	c.money("price", p.Price, true)
	c.dict("status", p.Status.Valid(), int(p.Status))
	c.time("startTime", p.StartTime, true)
	c.time("endTime", p.EndTime, true)
	c.optCount("spaces", p.Spaces)
	c.str("remark", p.Remark, false, 255)
	return c.result()
}

// OffPeakPackageStatus is the data item of `offPeakPackageStatus`: put a
// package on sale (1) or take it off sale (0).
type OffPeakPackageStatus struct {
	IsvParkID string        `json:"isvParkId,omitempty"` // 32, the platform's park id (or permitNo)
	PermitNo  string        `json:"permitNo,omitempty"`  // 100, the park's permitNo (or isvParkId)
	PackageNo string        `json:"packageNo"`           // 32, required
	Status    PackageStatus `json:"status"`              // required
}

// RequiredFields implements Item.
func (OffPeakPackageStatus) RequiredFields() []string { return []string{"packageNo", "status"} }

// Validate checks every field.
func (p OffPeakPackageStatus) Validate() error {
	var c checker
	p.Park().check(&c)
	c.str("packageNo", p.PackageNo, true, 32)
	c.dict("status", p.Status.Valid(), int(p.Status))
	return c.result()
}

// OffPeakPackageResponse answers each item of offPeakPackage and
// offPeakPackageStatus.
type OffPeakPackageResponse struct {
	IsvParkID string        `json:"isvParkId"`
	PackageNo string        `json:"packageNo"`
	Status    PackageStatus `json:"status"`
}

// Park returns the item's park reference.
func (p OffPeakPackage) Park() ParkRef { return ParkRef{IsvParkID: p.IsvParkID, PermitNo: p.PermitNo} }

// Park returns the item's park reference.
func (p OffPeakPackageStatus) Park() ParkRef {
	return ParkRef{IsvParkID: p.IsvParkID, PermitNo: p.PermitNo}
}

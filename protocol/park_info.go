package protocol

import "encoding/json"

// ParkInfo is table 6, the data item of `parkInfo` (停车场（库）上报请求数据).
// JSON names are the standard's, typos included (totalCharingSpaces).
type ParkInfo struct {
	ParkName                     string          `json:"parkName"`                     // 255, required
	ParkCode                     string          `json:"parkCode"`                     // Uuid, unique within the vendor
	PermitNo                     string          `json:"permitNo"`                     // 100, key required, may be ""
	ParkType                     ParkType        `json:"parkType"`                     // required
	Address                      string          `json:"address"`                      // 255, required
	Longitude                    float64         `json:"longitude"`                    // GCJ-02, required
	Latitude                     float64         `json:"latitude"`                     // GCJ-02, required
	AreaCode                     string          `json:"areaCode"`                     // 50, appendix F
	ServiceType                  ServiceType     `json:"serviceType"`                  // appendix B
	BizStatus                    BizStatus       `json:"bizStatus"`                    // 0 disabled, 1 enabled
	TotalSpaces                  int             `json:"totalSpaces"`                  // required
	MonthCardSpaces              *int            `json:"monthCardSpaces,omitempty"`    // optional
	FixedSpaces                  *int            `json:"fixedSpaces,omitempty"`        // optional
	TempSpaces                   *int            `json:"tempSpaces,omitempty"`         // optional
	TotalCharingSpaces           *int            `json:"totalCharingSpaces,omitempty"` // optional, 0 if none
	Reservable                   Flag            `json:"reservable"`                   // required
	ReservableSpaces             int             `json:"reservableSpaces"`             // required, 0 if none
	TotalReservableCharingSpaces int             `json:"totalReservableCharingSpaces"` // required, 0 if none
	ImageID                      string          `json:"imageId"`                      // 32, tariff board picture
	ChargeDesc                   string          `json:"chargeDesc,omitempty"`         // 255
	PublicInfos                  []PublicInfo    `json:"publicInfos,omitempty"`        // at most 200 (table 7)
	Contacts                     string          `json:"contacts,omitempty"`           // 50
	Tel                          string          `json:"tel,omitempty"`                // 20
	CommitteeInfo                *Flag           `json:"committeeInfo,omitempty"`      // residential parks
	StructuralType               *StructuralType `json:"structuralType,omitempty"`
	StructuralPhotoID            string          `json:"structuralPhotoId,omitempty"`   // 255
	MapImageID                   string          `json:"mapImageId,omitempty"`          // 32
	ParkingSpaceImageID          string          `json:"parkingSpaceImageId,omitempty"` // 32
	PhotoIDs                     []string        `json:"photoIds,omitempty"`
}

// MaxPublicInfos bounds table 6 publicInfos (docs/protocol.md §3).
const MaxPublicInfos = 200

// RequiredFields implements Item.
func (ParkInfo) RequiredFields() []string {
	return []string{"parkName", "parkCode", "permitNo", "parkType", "address", "longitude", "latitude",
		"areaCode", "serviceType", "bizStatus", "totalSpaces", "reservable", "reservableSpaces",
		"totalReservableCharingSpaces", "imageId"}
}

func (ParkInfo) checkNested(fields map[string]json.RawMessage) error {
	return decodeList[PublicInfo](fields, "publicInfos")
}

// Validate checks table 6 and the table 7 items of publicInfos. The
// membership of areaCode in the deployment's regions is checked by the
// platform (Regions.Check).
func (p ParkInfo) Validate() error {
	var c checker
	c.str("parkName", p.ParkName, true, 255)
	c.uuid("parkCode", p.ParkCode, true)
	c.str("permitNo", p.PermitNo, false, 100)
	c.dict("parkType", p.ParkType.Valid(), int(p.ParkType))
	c.str("address", p.Address, true, 255)
	c.lngLat("", p.Longitude, p.Latitude)
	c.str("areaCode", p.AreaCode, true, 50)
	c.dict("serviceType", p.ServiceType.Valid(), int(p.ServiceType))
	c.dict("bizStatus", p.BizStatus.Valid(), int(p.BizStatus))
	c.count("totalSpaces", p.TotalSpaces)
	c.optCount("monthCardSpaces", p.MonthCardSpaces)
	c.optCount("fixedSpaces", p.FixedSpaces)
	c.optCount("tempSpaces", p.TempSpaces)
	c.optCount("totalCharingSpaces", p.TotalCharingSpaces)
	c.dict("reservable", p.Reservable.Valid(), int(p.Reservable))
	c.count("reservableSpaces", p.ReservableSpaces)
	c.count("totalReservableCharingSpaces", p.TotalReservableCharingSpaces)
	c.str("imageId", p.ImageID, true, 32)
	c.str("chargeDesc", p.ChargeDesc, false, 255)
	if len(p.PublicInfos) > MaxPublicInfos {
		c.fail(CodeTooLong, "publicInfos", "(max %d items)", MaxPublicInfos)
	}
	for i, pi := range p.PublicInfos {
		if err := pi.Validate(); err != nil && c.err == nil {
			c.err = err.(*Error).Prefix("publicInfos" + "[" + itoa(i) + "]")
		}
	}
	c.str("contacts", p.Contacts, false, 50)
	c.str("tel", p.Tel, false, 20)
	optDict(&c, "committeeInfo", p.CommitteeInfo)
	optDict(&c, "structuralType", p.StructuralType)
	c.str("structuralPhotoId", p.StructuralPhotoID, false, 255)
	c.str("mapImageId", p.MapImageID, false, 32)
	c.str("parkingSpaceImageId", p.ParkingSpaceImageID, false, 32)
	for i, id := range p.PhotoIDs {
		c.str("photoIds["+itoa(i)+"]", id, true, 32)
	}
	return c.result()
}

// PublicInfo is table 7, one entry of business hours (经营信息).
type PublicInfo struct {
	Type          BusinessType `json:"type"`
	StartTime     Time         `json:"startTime"`              // HH:mm:ss
	EndTime       Time         `json:"endTime"`                // HH:mm:ss
	StartDateTime DateTime     `json:"startDateTime,omitzero"` // Date or DateTime; type 4 only
	EndDateTime   DateTime     `json:"endDateTime,omitzero"`   // Date or DateTime; type 4 only
}

// RequiredFields implements Item.
func (PublicInfo) RequiredFields() []string { return []string{"type", "startTime", "endTime"} }

// Validate checks table 7: startDateTime and endDateTime are required for
// type 4 (特殊日) and accept a Date or a DateTime (docs/protocol.md §3).
func (p PublicInfo) Validate() error {
	var c checker
	c.dict("type", p.Type.Valid(), int(p.Type))
	c.time("startTime", p.StartTime, true)
	c.time("endTime", p.EndTime, true)
	special := p.Type == BusinessSpecial
	c.dateTime("startDateTime", p.StartDateTime, special, true)
	c.dateTime("endDateTime", p.EndDateTime, special, true)
	return c.result()
}

// ParkInfoResponse is table 8.
type ParkInfoResponse struct {
	ParkCode  string `json:"parkCode"`
	IsvParkID string `json:"isvParkId"` // assigned by the platform, kept across updates
}

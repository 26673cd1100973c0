package protocol

// Reservation is table 19, the data item of the downlink `reservation`
// (预约停车请求数据) that the platform sends to a parking system.
// OperateType 2 re-sends a changed order with the same BookCode (docs/protocol.md §8).
type Reservation struct {
	ParkCode    string      `json:"parkCode"`             // Uuid
	BookCode    string      `json:"bookCode"`             // 32, made by the platform
	PlateNo     string      `json:"plateNo"`              // 20
	BookTime    DateTime    `json:"bookTime"`             // expected arrival
	OverTime    DateTime    `json:"overTime"`             // the order lapses then
	ObligatTime int         `json:"obligatTime"`          // minutes the space is held from bookTime
	BookType    BookType    `json:"bookType"`             // 0 check vacancy, 1 do not
	SpaceType   SpaceType   `json:"spaceType"`            // 0 ordinary, 1 charging, 2 accessible
	OperateType OperateType `json:"operateType"`          // 1 book, 2 change
	CarModel    *CarModel   `json:"carModel,omitempty"`   // appendix C
	CarColor    *CarColor   `json:"carColor,omitempty"`   // appendix D
	PlateColor  *PlateColor `json:"plateColor,omitempty"` // appendix E
}

// RequiredFields implements Item.
func (Reservation) RequiredFields() []string {
	return []string{"parkCode", "bookCode", "plateNo", "bookTime", "overTime", "obligatTime",
		"bookType", "spaceType", "operateType"}
}

// Validate checks table 19.
func (r Reservation) Validate() error {
	var c checker
	c.uuid("parkCode", r.ParkCode, true)
	c.str("bookCode", r.BookCode, true, 32)
	c.str("plateNo", r.PlateNo, true, 20)
	c.dateTime("bookTime", r.BookTime, true, false)
	c.dateTime("overTime", r.OverTime, true, false)
	c.count("obligatTime", r.ObligatTime)
	c.dict("bookType", r.BookType.Valid(), int(r.BookType))
	c.dict("spaceType", r.SpaceType.Valid(), int(r.SpaceType))
	c.dict("operateType", r.OperateType.Valid(), int(r.OperateType))
	optDict(&c, "carModel", r.CarModel)
	optDict(&c, "carColor", r.CarColor)
	optDict(&c, "plateColor", r.PlateColor)
	return c.result()
}

// BookCodeResponse is tables 20 and 22: the order the answer is about.
type BookCodeResponse struct {
	BookCode string `json:"bookCode"`
}

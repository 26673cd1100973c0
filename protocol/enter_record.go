package protocol

// EnterRecord is table 11, the data item of `enterRecord` (车辆入场记录).
// Records are idempotent by ID (docs/protocol.md §5).
type EnterRecord struct {
	ParkCode        string      `json:"parkCode"`               // Uuid
	ID              string      `json:"id"`                     // Uuid of the parking event
	PlateNo         string      `json:"plateNo"`                // 20, normalised by the platform
	EnterTime       DateTime    `json:"enterTime"`              // CST
	EntryCarPhotoID string      `json:"entryCarPhotoId"`        // 32, a picture id
	EntranceCode    string      `json:"entranceCode"`           // 32 (docs/protocol.md §3)
	EntranceName    string      `json:"entranceName,omitempty"` // 20 (docs/protocol.md §3)
	CarModel        *CarModel   `json:"carModel,omitempty"`     // appendix C
	CarColor        *CarColor   `json:"carColor,omitempty"`     // appendix D
	PlateColor      *PlateColor `json:"plateColor,omitempty"`   // appendix E
	BookCode        string      `json:"bookCode,omitempty"`     // 32, required for reserved vehicles
}

// RequiredFields implements Item.
func (EnterRecord) RequiredFields() []string {
	return []string{"parkCode", "id", "plateNo", "enterTime", "entryCarPhotoId", "entranceCode"}
}

// Validate checks table 11.
func (r EnterRecord) Validate() error {
	var c checker
	c.uuid("parkCode", r.ParkCode, true)
	c.uuid("id", r.ID, true)
	c.str("plateNo", r.PlateNo, true, 20)
	c.str("plateNo", NormalizePlate(r.PlateNo), true, 0) // only spaces: missing
	c.dateTime("enterTime", r.EnterTime, true, false)
	c.str("entryCarPhotoId", r.EntryCarPhotoID, true, 32)
	c.str("entranceCode", r.EntranceCode, true, 32)
	c.str("entranceName", r.EntranceName, false, 20)
	optDict(&c, "carModel", r.CarModel)
	optDict(&c, "carColor", r.CarColor)
	optDict(&c, "plateColor", r.PlateColor)
	c.str("bookCode", r.BookCode, false, 32)
	return c.result()
}

// RecordResponse is tables 12 and 14: the id of the stored record.
type RecordResponse struct {
	ID string `json:"id"`
}

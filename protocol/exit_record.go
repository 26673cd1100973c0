package protocol

// ExitRecord is table 13, the data item of `exitRecord` (车辆出场记录). Its
// ID is the ID of the matching EnterRecord. An exit whose entry has not
// arrived is stored and flagged, not rejected (docs/protocol.md §5).
type ExitRecord struct {
	ParkCode       string      `json:"parkCode"`           // Uuid
	ID             string      `json:"id"`                 // Uuid, same as the entry's
	PlateNo        string      `json:"plateNo"`            // 20
	LeaveTime      DateTime    `json:"leaveTime"`          // CST
	ExitCarPhotoID string      `json:"exitCarPhotoId"`     // 32 (docs/protocol.md §3)
	ExitCode       string      `json:"exitCode"`           // 32 (docs/protocol.md §3)
	ExitName       string      `json:"exitName,omitempty"` // 20 (docs/protocol.md §3)
	CarModel       *CarModel   `json:"carModel,omitempty"`
	CarColor       *CarColor   `json:"carColor,omitempty"`
	PlateColor     *PlateColor `json:"plateColor,omitempty"`
	BookCode       string      `json:"bookCode,omitempty"` // 32
}

// RequiredFields implements Item.
func (ExitRecord) RequiredFields() []string {
	return []string{"parkCode", "id", "plateNo", "leaveTime", "exitCarPhotoId", "exitCode"}
}

// Validate checks table 13.
func (r ExitRecord) Validate() error {
	var c checker
	c.uuid("parkCode", r.ParkCode, true)
	c.uuid("id", r.ID, true)
	c.str("plateNo", r.PlateNo, true, 20)
	c.str("plateNo", NormalizePlate(r.PlateNo), true, 0) // only spaces: missing
	c.dateTime("leaveTime", r.LeaveTime, true, false)
	c.str("exitCarPhotoId", r.ExitCarPhotoID, true, 32)
	c.str("exitCode", r.ExitCode, true, 32)
	c.str("exitName", r.ExitName, false, 20)
	optDict(&c, "carModel", r.CarModel)
	optDict(&c, "carColor", r.CarColor)
	optDict(&c, "plateColor", r.PlateColor)
	c.str("bookCode", r.BookCode, false, 32)
	return c.result()
}

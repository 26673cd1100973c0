package protocol

// CancelReservation is table 21, the data item of the downlink
// `cancelReservation` (取消预约请求数据).
type CancelReservation struct {
	ParkCode string `json:"parkCode"` // Uuid
	BookCode string `json:"bookCode"` // 32
}

// RequiredFields implements Item.
func (CancelReservation) RequiredFields() []string { return []string{"parkCode", "bookCode"} }

// Validate checks table 21.
func (r CancelReservation) Validate() error {
	var c checker
	c.uuid("parkCode", r.ParkCode, true)
	c.str("bookCode", r.BookCode, true, 32)
	return c.result()
}

package protocol

// ParkSpaceInfo is table 17, the data item of `parkSpaceInfo`
// (车位数动态上报请求数据): the live vacancy of a park. Counts must be >= 0;
// totals that do not add up are stored and flagged (docs/protocol.md §5).
type ParkSpaceInfo struct {
	ParkCode               string `json:"parkCode"`                        // Uuid
	UsedStalls             int    `json:"usedStalls"`                      // occupied
	ReservedStalls         int    `json:"reservedStalls"`                  // reserved
	UsedCharingStalls      int    `json:"usedCharingStalls"`               // charging in use, 0 if none
	UnusedStalls           int    `json:"unusedStalls"`                    // free: the published figure
	UnusedReservableStalls int    `json:"unusedReservableStalls"`          // free reservable quota
	UnusedCharingStalls    int    `json:"unusedCharingStalls"`             // free charging, 0 if none
	UnusedMonthCardSpaces  *int   `json:"unusedMonthCardSpaces,omitempty"` // optional
	UnusedFixedSpaces      *int   `json:"unusedFixedSpaces,omitempty"`     // optional
	UnusedTempSpaces       *int   `json:"unusedTempSpaces,omitempty"`      // optional
}

// RequiredFields implements Item.
func (ParkSpaceInfo) RequiredFields() []string {
	return []string{"parkCode", "usedStalls", "reservedStalls", "usedCharingStalls", "unusedStalls",
		"unusedReservableStalls", "unusedCharingStalls"}
}

// Validate checks table 17.
func (s ParkSpaceInfo) Validate() error {
	var c checker
	c.uuid("parkCode", s.ParkCode, true)
	c.count("usedStalls", s.UsedStalls)
	c.count("reservedStalls", s.ReservedStalls)
	c.count("usedCharingStalls", s.UsedCharingStalls)
	c.count("unusedStalls", s.UnusedStalls)
	c.count("unusedReservableStalls", s.UnusedReservableStalls)
	c.count("unusedCharingStalls", s.UnusedCharingStalls)
	c.optCount("unusedMonthCardSpaces", s.UnusedMonthCardSpaces)
	c.optCount("unusedFixedSpaces", s.UnusedFixedSpaces)
	c.optCount("unusedTempSpaces", s.UnusedTempSpaces)
	return c.result()
}

// ParkCodeResponse is tables 18 and 24: the park the report was for.
type ParkCodeResponse struct {
	ParkCode string `json:"parkCode"`
}

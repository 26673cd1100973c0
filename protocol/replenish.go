package protocol

import "encoding/json"

// MaxPageSize is table 25's largest pageSize.
const MaxPageSize = 50

// ReplenishRequest is table 25, the data item of `replenishCarInfo`
// (拉取补报车辆上报请求数据), pulled daily at 24:00 (clause 6.6.2).
type ReplenishRequest struct {
	ParkCode    string `json:"parkCode"`    // Uuid
	QueryDate   Date   `json:"queryDate"`   // CST date, e.g. 2023-09-25
	CurrentPage int    `json:"currentPage"` // from 1
	PageSize    int    `json:"pageSize"`    // 1..50
}

// RequiredFields implements Item.
func (ReplenishRequest) RequiredFields() []string {
	return []string{"parkCode", "queryDate", "currentPage", "pageSize"}
}

// Validate checks table 25: currentPage from 1, pageSize 1..50
// (outside: 1007).
func (r ReplenishRequest) Validate() error {
	var c checker
	c.uuid("parkCode", r.ParkCode, true)
	c.date("queryDate", r.QueryDate, true)
	c.intRange("currentPage", r.CurrentPage, 1, 1<<31-1)
	c.intRange("pageSize", r.PageSize, 1, MaxPageSize)
	return c.result()
}

// ReplenishResponse is table 26: plates whose records must be re-reported.
// Total (the number of plates over all pages) is an extension.
type ReplenishResponse struct {
	ParkCode    string   `json:"parkCode"`
	PlateNoList []string `json:"plateNoList"`
	Total       int      `json:"total"`
}

// MarshalJSON writes plateNoList as an array even when it is nil: table 26
// requires the list, and an empty page is [] (docs/protocol.md §5).
func (r ReplenishResponse) MarshalJSON() ([]byte, error) {
	type plain ReplenishResponse
	if r.PlateNoList == nil {
		r.PlateNoList = []string{}
	}
	return json.Marshal(plain(r))
}

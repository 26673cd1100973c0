package protocol

import "strings"

// ParkCarInfo is table 23, the data item of `parkCarInfo`
// (停车场（库）车辆上报请求数据): the plates inside a park, sent at the top of
// every hour so the platform can verify vacancy (clause 6.6.1).
type ParkCarInfo struct {
	ParkCode    string `json:"parkCode"`    // Uuid
	PlateNoList string `json:"plateNoList"` // comma-separated plates
}

// RequiredFields implements Item.
func (ParkCarInfo) RequiredFields() []string { return []string{"parkCode", "plateNoList"} }

// Validate checks table 23. An empty plateNoList (an empty park) is
// valid; each plate must be at most 20 characters.
func (p ParkCarInfo) Validate() error {
	var c checker
	c.uuid("parkCode", p.ParkCode, true)
	for i, plate := range p.Plates() {
		c.str("plateNoList["+itoa(i)+"]", plate, true, 20)
	}
	return c.result()
}

// Plates splits PlateNoList on ASCII or full-width commas, trims spaces,
// normalises each plate and drops empty entries (docs/protocol.md §3).
func (p ParkCarInfo) Plates() []string {
	f := strings.FieldsFunc(p.PlateNoList, func(r rune) bool { return r == ',' || r == '，' })
	out := make([]string, 0, len(f))
	for _, s := range f {
		if s = NormalizePlate(strings.Trim(s, " \u3000\t")); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// JoinPlates writes plates as a plateNoList.
func JoinPlates(plates []string) string { return strings.Join(plates, ",") }

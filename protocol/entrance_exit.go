package protocol

// EntranceExitInfo is table 9, the data item of `entranceExitInfo`
// (出入口上报请求数据). An entrance is identified by (park,
// entranceExitCode); re-reporting it updates it (docs/protocol.md §5).
type EntranceExitInfo struct {
	ParkCode         string         `json:"parkCode"`           // Uuid
	Name             string         `json:"name"`               // 20
	EntranceExitCode string         `json:"entranceExitCode"`   // 6-32, unique within the park
	Type             EntranceType   `json:"type"`               // 1 in, 2 out, 3 both
	Longitude        float64        `json:"longitude"`          // GCJ-02
	Latitude         float64        `json:"latitude"`           // GCJ-02
	Status           EntranceStatus `json:"status"`             // 1 normal, 2 removed, 3 closed
	RoadName         string         `json:"roadName,omitempty"` // 10
}

// RequiredFields implements Item.
func (EntranceExitInfo) RequiredFields() []string {
	return []string{"parkCode", "name", "entranceExitCode", "type", "longitude", "latitude", "status"}
}

// Validate checks table 9.
func (e EntranceExitInfo) Validate() error {
	var c checker
	c.uuid("parkCode", e.ParkCode, true)
	c.str("name", e.Name, true, 20)
	c.strRange("entranceExitCode", e.EntranceExitCode, true, 6, 32)
	c.dict("type", e.Type.Valid(), int(e.Type))
	c.lngLat("", e.Longitude, e.Latitude)
	c.dict("status", e.Status.Valid(), int(e.Status))
	c.str("roadName", e.RoadName, false, 10)
	return c.result()
}

// EntranceExitResponse is table 10: the platform's stable id of the
// entrance.
type EntranceExitResponse struct {
	ID string `json:"id"` // Uuid
}

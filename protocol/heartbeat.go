package protocol

// HeartbeatRequest is table 4, the data item of `heartBeats` (心跳请求数据).
// The token travels in the authorization header. A parking system sends
// one every 30 seconds (clause 6.2 b).
type HeartbeatRequest struct {
	RequestTime DateTime `json:"requestTime"` // e.g. 2024-01-01 23:59:00
}

// RequiredFields implements Item.
func (HeartbeatRequest) RequiredFields() []string { return []string{"requestTime"} }

// Validate checks table 4.
func (r HeartbeatRequest) Validate() error {
	var c checker
	c.dateTime("requestTime", r.RequestTime, true, false)
	return c.result()
}

// HeartbeatResponse is table 5: the platform's clock, for time correction.
type HeartbeatResponse struct {
	Timestamp int64 `json:"timestamp"` // ms since the Unix epoch
}

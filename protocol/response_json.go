package protocol

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// AppendJSON appends r encoded as JSON to b: the bytes json.Marshal(r)
// gives (FuzzResponseJSON holds it to that), written without reflection,
// since every answer is one.
func (r Response) AppendJSON(b []byte) ([]byte, error) {
	msg, err := json.Marshal(r.Message)
	if err != nil {
		return b, err
	}
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(r.Code), 10)
	b = append(b, `,"message":`...)
	b = append(b, msg...)
	b = append(b, `,"timestamp":`...)
	b = strconv.AppendInt(b, r.Timestamp, 10)
	b = append(b, `,"data":`...)
	if r.Data == nil {
		b = append(b, "null"...)
	} else {
		buf := bytes.NewBuffer(b)
		if err := json.Compact(buf, r.Data); err != nil {
			return b, err
		}
		b = buf.Bytes()
	}
	return append(b, '}'), nil
}

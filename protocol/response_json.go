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
		// As encoding/json writes a json.RawMessage: compacted, with <, >,
		// & and U+2028/U+2029 escaped.
		var compact bytes.Buffer
		if err := json.Compact(&compact, r.Data); err != nil {
			return b, err
		}
		buf := bytes.NewBuffer(b)
		json.HTMLEscape(buf, compact.Bytes())
		b = buf.Bytes()
	}
	return append(b, '}'), nil
}

package protocol

import (
	"encoding/json"
	"testing"
	"time"
)

// checkResponseJSON fails unless AppendJSON gives what json.Marshal
// gives, or both fail.
func checkResponseJSON(t *testing.T, r Response) {
	t.Helper()
	want, wantErr := json.Marshal(r)
	got, err := r.AppendJSON([]byte("prefix"))
	if (err != nil) != (wantErr != nil) {
		t.Fatalf("%+v: AppendJSON error %v, json.Marshal error %v", r, err, wantErr)
	}
	if err == nil && string(got) != "prefix"+string(want) {
		t.Fatalf("%+v:\nAppendJSON   %s\njson.Marshal prefix%s", r, got, want)
	}
}

var responseCases = []Response{
	NewResponse(CodeOK, "", time.UnixMilli(1704067200000), []RecordResponse{{ID: "00000000000000000000000000000000"}}),
	NewResponse(CodeOK, "", time.UnixMilli(0), nil),
	NewResponse(CodeParam, "data[0].plateNo is required <&>", time.UnixMilli(-5), nil),
	{Code: -3, Message: "\x00\x1f\"\\\u2028\u2029\xff", Timestamp: 1, Data: json.RawMessage(` [ 1 , { "a" : "b" } ] `)},
	{Code: 1001, Message: "日本語", Data: nil},
	{Data: json.RawMessage(``)},
	{Data: json.RawMessage(`[1,`)},
	{Data: json.RawMessage(`"x"`)},
	{Data: json.RawMessage(`["<a href=\"x\">&</a>", "  "]`)},
}

func TestResponseAppendJSON(t *testing.T) {
	for _, r := range responseCases {
		checkResponseJSON(t, r)
	}
}

func FuzzResponseJSON(f *testing.F) {
	for _, r := range responseCases {
		f.Add(int(r.Code), r.Message, r.Timestamp, []byte(r.Data), r.Data == nil)
	}
	f.Fuzz(func(t *testing.T, code int, message string, ts int64, data []byte, nilData bool) {
		r := Response{Code: Code(code), Message: message, Timestamp: ts, Data: data}
		if nilData {
			r.Data = nil
		}
		checkResponseJSON(t, r)
	})
}

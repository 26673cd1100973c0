package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden responses in testdata/responses")

// body returns a request body with the given members, in order; each
// value is raw JSON.
func body(members ...string) []byte {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i < len(members); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", members[i], members[i+1])
	}
	b.WriteByte('}')
	return []byte(b.String())
}

// envelope returns a valid request body around data, with one member
// replaced (value != "") or removed (value == "").
func envelope(data, member, value string) []byte {
	m := []string{"timestamp", "1704069000000", "sign", str(Sign([]byte(data))), "version", `"1.0.0"`, "data", data}
	var out []string
	for i := 0; i < len(m); i += 2 {
		switch {
		case m[i] != member:
			out = append(out, m[i], m[i+1])
		case value != "":
			out = append(out, m[i], value)
		}
	}
	return body(out...)
}

func itemsOf(n int, item string) string {
	items := make([]string, n)
	for i := range items {
		items[i] = item
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestParseRequest(t *testing.T) {
	const item = `{"requestTime":"2024-01-01 23:59:00"}`
	data := "[" + item + "]"
	tests := []struct {
		name  string
		body  []byte
		max   int
		code  Code
		path  string
		items int
	}{
		{"a valid request", envelope(data, "", ""), 100, CodeOK, "", 1},
		{"a pretty-printed request", []byte("{\n  \"timestamp\": 1704069000000,\n  \"sign\": \"x\",\n  \"version\": \"1.0.0\",\n  \"data\": [\n    " + item + "\n  ]\n}"), 100, CodeOK, "", 1},
		{"unknown members are ignored", append(envelope(data, "", "")[:1], []byte(`"extra":{"a":[1]},`+string(envelope(data, "", "")[1:]))...), 100, CodeOK, "", 1},
		{"a single object is one item", envelope(item, "", ""), 100, CodeOK, "", 1},
		{"100 items with maxItems 100", envelope(itemsOf(100, item), "", ""), 100, CodeOK, "", 100},
		{"101 items with maxItems 100", envelope(itemsOf(101, item), "", ""), 100, CodeParam, "data", 0},
		{"101 items with no limit", envelope(itemsOf(101, item), "", ""), 0, CodeOK, "", 101},
		{"2 items with maxItems 1", envelope(itemsOf(2, item), "", ""), 1, CodeParam, "data", 0},
		{"not JSON", []byte("timestamp=1&sign=x"), 100, CodeFormat, "", 0},
		{"truncated JSON", envelope(data, "", "")[:40], 100, CodeFormat, "", 0},
		{"an empty body", []byte{}, 100, CodeFormat, "", 0},
		{"JSON null", []byte("null"), 100, CodeFormat, "", 0},
		{"a JSON array", []byte("[" + string(envelope(data, "", "")) + "]"), 100, CodeFormat, "", 0},
		{"trailing garbage", append(envelope(data, "", ""), "x"...), 100, CodeFormat, "", 0},
		{"missing timestamp", envelope(data, "timestamp", ""), 100, CodeParam, "timestamp", 0},
		{"missing sign", envelope(data, "sign", ""), 100, CodeParam, "sign", 0},
		{"missing version", envelope(data, "version", ""), 100, CodeParam, "version", 0},
		{"missing data", envelope(data, "data", ""), 100, CodeParam, "data", 0},
		{"null timestamp", envelope(data, "timestamp", "null"), 100, CodeParam, "timestamp", 0},
		{"null sign", envelope(data, "sign", "null"), 100, CodeParam, "sign", 0},
		{"null version", envelope(data, "version", "null"), 100, CodeParam, "version", 0},
		{"null data", envelope(data, "data", "null"), 100, CodeParam, "data", 0},
		{"empty sign", envelope(data, "sign", `""`), 100, CodeParam, "sign", 0},
		{"empty version", envelope(data, "version", `""`), 100, CodeParam, "version", 0},
		{"timestamp a string", envelope(data, "timestamp", `"1704069000000"`), 100, CodeFormat, "timestamp", 0},
		{"timestamp a fraction", envelope(data, "timestamp", `1704069000000.5`), 100, CodeFormat, "timestamp", 0},
		{"sign a number", envelope(data, "sign", `12`), 100, CodeFormat, "sign", 0},
		{"version a number", envelope(data, "version", `1.0`), 100, CodeFormat, "version", 0},
		{"version of 10 characters", envelope(data, "version", str(runes("版", 10))), 100, CodeOK, "", 1},
		{"version of 11 characters", envelope(data, "version", `"1.0.0-beta1"`), 100, CodeTooLong, "version", 0},
		{"data an empty array", envelope("[]", "", ""), 100, CodeParam, "data", 0},
		{"data a string", envelope(`"W3t9XQ=="`, "", ""), 100, CodeFormat, "data", 0},
		{"data a number", envelope(`1`, "", ""), 100, CodeFormat, "data", 0},
		{"an item that is an array", envelope("["+item+",[1]]", "", ""), 100, CodeFormat, "data[1]", 0},
		{"an item that is a string", envelope(`["x"]`, "", ""), 100, CodeFormat, "data[0]", 0},
		{"an item that is null", envelope("["+item+",null]", "", ""), 100, CodeFormat, "data[1]", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, items, err := ParseRequest(tc.body, tc.max)
			assertError(t, err, tc.code, tc.path)
			if len(items) != tc.items {
				t.Errorf("%d items, want %d", len(items), tc.items)
			}
			if err == nil && (req.Timestamp != 1704069000000 || req.Sign == "" || req.Version == "") {
				t.Errorf("request = %+v", req)
			}
		})
	}
}

// TestParseRequestKeepsTheExactDataBytes checks that Data is the data
// value as it stands in the body, so that its sign verifies.
func TestParseRequestKeepsTheExactDataBytes(t *testing.T) {
	data := "[\n  {\"userId\": \"szpark001\",\n   \"password\": \"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0=\"}\n]"
	b := body("timestamp", "1704069000000", "sign", str(loginSign), "version", `"1.0.0"`, "data", data)
	req, items, err := ParseRequest(b, DefaultMaxItems)
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Data) != data {
		t.Errorf("Data = %q, want %q", req.Data, data)
	}
	if !Verify(req.Data, req.Sign) {
		t.Error("the compact-form sign does not verify the pretty data")
	}
	if _, err := DecodeItems[LoginRequest](items); err != nil {
		t.Error(err)
	}

	req, _, err = ParseRequest(body("timestamp", "1", "sign", str(enterSign), "version", `"1.0.0"`, "data", enterData), DefaultMaxItems)
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Data) != enterData || !Verify(req.Data, req.Sign) {
		t.Errorf("Data = %s does not verify", req.Data)
	}
}

func TestSplitData(t *testing.T) {
	tests := []struct {
		name  string
		data  string
		items []string
		code  Code
		path  string
	}{
		{"an array", `[{"a":1}, {"b":2}]`, []string{`{"a":1}`, `{"b":2}`}, CodeOK, ""},
		{"one object", ` {"a":1} `, []string{`{"a":1}`}, CodeOK, ""},
		{"an array with spaces", "[ {\"a\":1} ,\n {} ]", []string{`{"a":1}`, `{}`}, CodeOK, ""},
		{"an empty array", `[ ]`, nil, CodeParam, "data"},
		{"an element that is not an object", `[{"a":1},2]`, nil, CodeFormat, "data[1]"},
		{"not JSON", `[{"a":1}`, nil, CodeFormat, "data"},
		{"a string", `"x"`, nil, CodeFormat, "data"},
		{"nothing", ``, nil, CodeFormat, "data"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			items, err := SplitData(json.RawMessage(tc.data), 10)
			assertError(t, err, tc.code, tc.path)
			if len(items) != len(tc.items) {
				t.Fatalf("items = %q, want %q", items, tc.items)
			}
			for i := range items {
				if string(items[i]) != tc.items[i] {
					t.Errorf("item %d = %s, want %s", i, items[i], tc.items[i])
				}
			}
		})
	}
}

func TestNewRequest(t *testing.T) {
	now := time.Date(2024, 1, 1, 8, 30, 0, 0, CST)
	rec, err := Decode[EnterRecord]([]byte(strings.TrimSuffix(strings.TrimPrefix(enterData, "["), "]")))
	if err != nil {
		t.Fatal(err)
	}
	req, err := NewRequest(now, []EnterRecord{rec})
	if err != nil {
		t.Fatal(err)
	}
	if req.Timestamp != 1704069000000 || req.Version != Version || string(req.Data) != enterData || req.Sign != enterSign {
		t.Errorf("request = %+v", req)
	}
	b, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"timestamp":1704069000000,"sign":"` + enterSign + `","version":"1.0.0","data":` + enterData + `}`
	if string(b) != want {
		t.Errorf("body = %s\nwant %s", b, want)
	}
	back, items, err := ParseRequest(b, DefaultMaxItems)
	if err != nil || len(items) != 1 || !Verify(back.Data, back.Sign) {
		t.Errorf("ParseRequest of NewRequest: %+v, %d items, %v", back, len(items), err)
	}
}

func TestNewResponse(t *testing.T) {
	now := time.UnixMilli(1704069000000)
	tests := []struct {
		name string
		resp Response
		want string
	}{
		{"items", NewResponse(CodeOK, "", now, []RecordResponse{{ID: "a"}, {ID: "b"}}),
			`{"code":0,"message":"成功","timestamp":1704069000000,"data":[{"id":"a"},{"id":"b"}]}`},
		{"nil data is an empty array", NewResponse(CodeOK, "", now, nil),
			`{"code":0,"message":"成功","timestamp":1704069000000,"data":[]}`},
		{"a nil slice is an empty array", NewResponse(CodeOK, "", now, []RecordResponse(nil)),
			`{"code":0,"message":"成功","timestamp":1704069000000,"data":[]}`},
		{"a single object is a one-item array", NewResponse(CodeOK, "", now, LoginResponse{AccessToken: "t"}),
			`{"code":0,"message":"成功","timestamp":1704069000000,"data":[{"accessToken":"t"}]}`},
		{"data that cannot be an array is an empty array", NewResponse(CodeOK, "", now, "text"),
			`{"code":0,"message":"成功","timestamp":1704069000000,"data":[]}`},
		{"a given message", NewResponse(CodeNoPage, "指定页码不存在: currentPage 3 (last 2)", now, nil),
			`{"code":1107,"message":"指定页码不存在: currentPage 3 (last 2)","timestamp":1704069000000,"data":[]}`},
		{"the default message of a code", NewResponse(CodeNoReservable, "", now, nil),
			`{"code":1501,"message":"没有可预约车位","timestamp":1704069000000,"data":[]}`},
		{"a message of 255 characters is kept", NewResponse(CodeRange, runes("长", 255), now, nil),
			`{"code":1007,"message":"` + runes("长", 255) + `","timestamp":1704069000000,"data":[]}`},
		{"a longer message is cut to 255 characters", NewResponse(CodeRange, runes("长", 300), now, nil),
			`{"code":1007,"message":"` + runes("长", 255) + `","timestamp":1704069000000,"data":[]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("response = %s\n    want %s", b, tc.want)
			}
		})
	}
}

func TestErrorResponse(t *testing.T) {
	now := time.UnixMilli(1704069000000)
	tests := []struct {
		name    string
		err     error
		code    Code
		message string
	}{
		{"a field error", FieldErrorf(CodeTooLong, "data[3].plateNo", "(max 20)"), CodeTooLong, "超出规定长度: data[3].plateNo (max 20)"},
		{"a wrapped field error", fmt.Errorf("decode: %w", FieldErrorf(CodeParam, "data[0].id", "is required")), CodeParam, "参数错误: data[0].id is required"},
		{"an error without detail", &Error{Code: CodeToken}, CodeToken, "Token校验失败"},
		{"an internal fault is code 3 without its text", errors.New("database is locked"), CodeInternal, "其他错误"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := ErrorResponse(tc.err, now)
			if r.Code != tc.code || r.Message != tc.message || string(r.Data) != "[]" || r.Timestamp != 1704069000000 {
				t.Errorf("ErrorResponse = %+v", r)
			}
		})
	}
}

// TestGoldenResponses marshals the response envelope and every response
// type and compares the bytes with testdata/responses, then decodes the
// golden bytes and marshals them again.
func TestGoldenResponses(t *testing.T) {
	now := time.Date(2024, 1, 1, 8, 30, 0, 0, CST)
	const parkCode = "a1b2c3d4e5f60718293a4b5c6d7e8f90"
	tests := []struct {
		file  string
		value any
		empty any // a pointer to decode the golden bytes into
	}{
		{"envelope_ok.json", NewResponse(CodeOK, "", now, []RecordResponse{{ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}}), new(Response)},
		{"envelope_error.json", ErrorResponse(FieldErrorf(CodeTooLong, "data[3].plateNo", "(max 20)"), now), new(Response)},
		{"envelope_heartbeat.json", NewResponse(CodeOK, "", now, []HeartbeatResponse{{Timestamp: Millis(now)}}), new(Response)},
		{"login.json", LoginResponse{AccessToken: "9f86d081884c7d659a2feaa0c55ad015"}, new(LoginResponse)},
		{"heartbeat.json", HeartbeatResponse{Timestamp: 1704069000000}, new(HeartbeatResponse)},
		{"park_info.json", ParkInfoResponse{ParkCode: parkCode, IsvParkID: "3c59dc048e8850243be8079a5c74d079"}, new(ParkInfoResponse)},
		{"entrance_exit.json", EntranceExitResponse{ID: "b6d767d2f8ed5d21a44b0e5886680cb9"}, new(EntranceExitResponse)},
		{"record.json", RecordResponse{ID: "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, new(RecordResponse)},
		{"picture.json", PictureResponse{ID: "11112222333344445555666677778888"}, new(PictureResponse)},
		{"park_code.json", ParkCodeResponse{ParkCode: parkCode}, new(ParkCodeResponse)},
		{"book_code.json", BookCodeResponse{BookCode: "d41d8cd98f00b204e9800998ecf8427e"}, new(BookCodeResponse)},
		{"replenish.json", ReplenishResponse{ParkCode: parkCode, PlateNoList: []string{"粤BPQR123", "粤BLMN456"}, Total: 2}, new(ReplenishResponse)},
		{"replenish_empty.json", ReplenishResponse{ParkCode: parkCode}, new(ReplenishResponse)},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := filepath.Join("testdata", "responses", tc.file)
			got, err := json.Marshal(tc.value)
			if err != nil {
				t.Fatal(err)
			}
			if *update {
				if err := os.WriteFile(path, append(got, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want := bytes.TrimSuffix(readTestdata(t, filepath.Join("responses", tc.file)), []byte("\n"))
			if !bytes.Equal(got, want) {
				t.Errorf("marshal:\n got %s\nwant %s", got, want)
			}
			if err := json.Unmarshal(want, tc.empty); err != nil {
				t.Fatal(err)
			}
			again, err := json.Marshal(tc.empty)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again, want) {
				t.Errorf("decode and marshal:\n got %s\nwant %s", again, want)
			}
		})
	}
}

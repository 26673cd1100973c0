package protocol

import (
	"encoding/json"
	"reflect"
	"testing"
)

// membersCases are JSON texts objectMembers must read as encoding/json
// does, or leave to it.
var membersCases = []string{
	`{}`, ` { } `, `{"a":1}`, `{"a":null,"b":"x"}`, "{\n\t\"a\" :\r\n [1, {\"b\": [2, \"]}\"]}] , \"c\":true}",
	`{"a":"q\"uo}te","b":{"c":{"d":[]}}}`, `{"a":1,"a":2}`, `{"a":-1.5e3,"b":false}`, `{"\u0061":1}`,
	`{"a\"b":1}`, `[]`, `[{"a":1}]`, `null`, `"x"`, `1`, `{"a":1`, `{"a":1,}`, `{"a":tru}`, ``, `{"a":"\u00e9"}`,
	`{"日本":"語"}`, `{"a":[{"b":"}"},{"c":"\\"}]}`,
}

// checkMembers fails unless objectMembers(raw) agrees with decoding raw
// into a map, or declines.
func checkMembers(t *testing.T, raw []byte) {
	ms, ok := objectMembers(raw)
	var want map[string]json.RawMessage
	err := json.Unmarshal(raw, &want)
	if !ok {
		return // the caller falls back to encoding/json
	}
	if err != nil || want == nil {
		t.Fatalf("%q: objectMembers read an object encoding/json refuses (%v)", raw, err)
	}
	got := map[string]json.RawMessage{}
	for _, m := range ms {
		got[m.key] = json.RawMessage(m.val)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: members %q, encoding/json %q", raw, got, want)
	}
	for k := range want {
		if v, ok := ms.get(k); !ok || string(v) != string(want[k]) {
			t.Fatalf("%q: get(%q) = %q, %v; want %q", raw, k, v, ok, want[k])
		}
	}
}

func TestObjectMembers(t *testing.T) {
	for _, c := range membersCases {
		checkMembers(t, []byte(c))
	}
	for _, c := range []string{`{"\u0061":1}`, `{"a\"b":1}`, `[]`, `null`, `{"a":1`, `{"a":tru}`} {
		if _, ok := objectMembers([]byte(c)); ok {
			t.Errorf("%q: objectMembers read it; want it left to encoding/json", c)
		}
	}
	ms, _ := objectMembers([]byte(`{"a":1,"b":2,"a":3}`))
	if v, _ := ms.get("a"); string(v) != "3" {
		t.Errorf("repeated key: got %s, want the last value 3", v)
	}
}

func FuzzObjectMembers(f *testing.F) {
	for _, c := range membersCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { checkMembers(t, raw) })
}

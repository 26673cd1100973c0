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
		got[string(m.key)] = json.RawMessage(m.val)
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

// scalarCases are JSON values the envelope's fast paths must read as
// encoding/json does, or leave to it.
var scalarCases = []string{
	`0`, `-0`, `1704067200000`, `-17`, `007`, `1.5`, `1e3`, `999999999999999999`, `9223372036854775807`,
	`99999999999999999999`, `-`, `""`, `"abc"`, `"a\"b"`, `"\u00e9"`, `"日本"`, "\"\xff\"", `"a\\b"`, `null`,
	`true`, `[1]`, `{}`,
}

// checkScalars fails unless plainInt and plainString agree with
// encoding/json on raw, or decline.
func checkScalars(t *testing.T, raw []byte) {
	if !json.Valid(raw) {
		return // the envelope's values are valid JSON
	}
	if v, ok := plainInt(raw); ok {
		var want int64
		if err := json.Unmarshal(raw, &want); err != nil || want != v {
			t.Fatalf("%q: plainInt %d, encoding/json %d (%v)", raw, v, want, err)
		}
	}
	if v, ok := plainString(raw); ok {
		var want string
		if err := json.Unmarshal(raw, &want); err != nil || want != v {
			t.Fatalf("%q: plainString %q, encoding/json %q (%v)", raw, v, want, err)
		}
	}
}

// checkSplit fails unless splitArray agrees with decoding raw into a
// slice of raw messages, or declines.
func checkSplit(t *testing.T, raw []byte) {
	if !json.Valid(raw) {
		return
	}
	got, ok := splitArray(raw)
	var want []json.RawMessage
	err := json.Unmarshal(raw, &want)
	if !ok {
		if err == nil && want != nil {
			t.Fatalf("%q: splitArray declined an array", raw)
		}
		return
	}
	if err != nil || len(got) != len(want) {
		t.Fatalf("%q: splitArray %q, encoding/json %q (%v)", raw, got, want, err)
	}
	for i := range got {
		if string(got[i]) != string(want[i]) {
			t.Fatalf("%q: element %d is %q, encoding/json %q", raw, i, got[i], want[i])
		}
	}
}

func TestEnvelopeFastPaths(t *testing.T) {
	for _, c := range scalarCases {
		checkScalars(t, []byte(c))
	}
	for _, c := range append(membersCases, `[]`, ` [ ] `, `[1, "a]" , {"b":[2]}, null]`, `[[],[[]]]`, "[\n{\"a\":1}\n]") {
		checkSplit(t, []byte(c))
	}
	if v, ok := plainInt([]byte(`-42`)); !ok || v != -42 {
		t.Errorf("plainInt(-42) = %d, %v", v, ok)
	}
	if _, ok := plainString([]byte(`"a\nb"`)); ok {
		t.Error(`plainString read an escape`)
	}
	if got, ok := splitArray([]byte(`[{"a":1}, {"b":2}]`)); !ok || len(got) != 2 || string(got[1]) != `{"b":2}` {
		t.Errorf("splitArray = %q, %v", got, ok)
	}
}

func FuzzEnvelopeFastPaths(f *testing.F) {
	for _, c := range append(scalarCases, membersCases...) {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkScalars(t, raw)
		checkSplit(t, raw)
	})
}

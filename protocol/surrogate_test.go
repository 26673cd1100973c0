package protocol

import (
	"encoding/json"
	"testing"
)

func TestLoneSurrogateEscapes(t *testing.T) {
	for _, tc := range []struct {
		item string
		path string // "" when the item passes
	}{
		{`{"a":"plain"}`, ""},
		{`{"a":"\u7ca4B"}`, ""},
		{`{"a":"\ud83d\ude00"}`, ""},
		{`{"a":"\\ud800"}`, ""}, // a backslash, then the text ud800
		{`{"a":"x","b":"\ud800"}`, "b"},
		{`{"a":"\ud800x"}`, "a"},
		{`{"a":"\ud800\u0041"}`, "a"},
		{`{"a":"\uDC00"}`, "a"},
		{`{"a":"\ud83d\ude00\ud83d"}`, "a"},
		{`{"a":[{"b":"ok"},{"b":"\udfff"}]}`, "a[1].b"},
	} {
		if !json.Valid([]byte(tc.item)) {
			t.Fatalf("%s is not JSON", tc.item)
		}
		err := checkSurrogates([]byte(tc.item))
		if tc.path == "" {
			if err != nil {
				t.Errorf("%s: %v, want nil", tc.item, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || e.Code != CodeType || e.Path != tc.path {
			t.Errorf("%s: %v, want 1005 at %s", tc.item, err, tc.path)
		}
	}
}

func TestParseEnvelopeRefusesInvalidUTF8(t *testing.T) {
	body := []byte("{\"timestamp\":1,\"sign\":\"s\",\"version\":\"1\",\"data\":[{\"a\":\"\xff\"}]}")
	if _, err := ParseEnvelope(body); CodeOf(err) != CodeFormat {
		t.Errorf("got %v, want code 2", err)
	}
}

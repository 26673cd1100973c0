package e2e

import (
	"bytes"
	"encoding/base64"
	"testing"

	"github.com/parkd/parkd/protocol"
)

// TestEncryptedFailuresLookAlike: every way encrypted data can fail to
// decrypt (not Base64, too short, wrong key, bad padding, a plaintext
// that is not JSON) gets the same code and the same message, so that
// the answers are no padding oracle (docs/protocol.md §7).
func TestEncryptedFailuresLookAlike(t *testing.T) {
	srv, token, _ := encryptedFixture(t, false)
	good := encrypt(t, dataKey, []protocol.ParkSpaceInfo{space(parkA, 1)})
	raw, err := base64.StdEncoding.DecodeString(good)
	if err != nil {
		t.Fatal(err)
	}
	badPadding := bytes.Clone(raw)
	badPadding[len(badPadding)-1] ^= 0x01
	notJSON, err := protocol.EncryptData(dataKey, []byte("not JSON at all"))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, b64 string }{
		{"not Base64", "not*base64!"},
		{"too short", base64.StdEncoding.EncodeToString(raw[:20])},
		{"IV only", base64.StdEncoding.EncodeToString(raw[:16])},
		{"wrong key", encrypt(t, otherKey, []protocol.ParkSpaceInfo{space(parkA, 1)})},
		{"bad padding", base64.StdEncoding.EncodeToString(badPadding)},
		{"not JSON", notJSON},
	}
	var first protocol.Response
	for i, tc := range cases {
		resp := postEncrypted(t, srv, protocol.ParkSpaceInfoCode, token, tc.b64)
		wantCode(t, resp, protocol.CodeType, "data")
		if i == 0 {
			first = resp
			continue
		}
		if resp.Message != first.Message {
			t.Errorf("%s: message %q, %s: %q; want one message", tc.name, resp.Message, cases[0].name, first.Message)
		}
	}
}

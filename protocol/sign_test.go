package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// Known answers of docs/protocol.md §10.
const (
	loginData      = `[{"userId":"szpark001","password":"saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="}]`
	loginSign      = "ceae4863d7ba2b4869fd1f8f63d6caf746ad31060657b9e824442c20b2e32c39"
	enterData      = `[{"parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"11112222333344445555666677778888","entranceCode":"GATE01"}]`
	enterSign      = "5b65407061adcfcfc06d82b210e252089401101a4e5cfd69f3573d2f66676bdd"
	enterSignB64   = "W2VAcGGtz8/AbYKyEOJSCJQBEBpOXP1p81c9L2Zna90="
	downlinkKey    = "downlink-secret"
	enterKeyedSign = "05b834589637330be47aa01b977966e451f80c00dc8c84ac797b9542bcc30b42"
)

func TestSM3KnownAnswers(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"GM/T 0004 example 1: abc", "abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"},
		{"GM/T 0004 example 2: abcd x 16", strings.Repeat("abcd", 16), "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"},
		{"login data of docs/protocol.md §10", loginData, loginSign},
		{"enterRecord data of docs/protocol.md §10", enterData, enterSign},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := SM3([]byte(tc.in))
			if got := hex.EncodeToString(d[:]); got != tc.want {
				t.Errorf("SM3 = %s, want %s", got, tc.want)
			}
			if got := Sign([]byte(tc.in)); got != tc.want {
				t.Errorf("Sign = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestSignEnterRecordBase64Form(t *testing.T) {
	d := SM3([]byte(enterData))
	if got := base64.StdEncoding.EncodeToString(d[:]); got != enterSignB64 {
		t.Errorf("Base64 of the digest = %s, want %s", got, enterSignB64)
	}
}

func TestPasswordDigest(t *testing.T) {
	if got, want := PasswordDigest("Parking@2024"), "saPH6Rt4oxQgY5uzE3Y00OEC5N1Q8mX2/5gn4I/nHr0="; got != want {
		t.Errorf("PasswordDigest = %s, want %s", got, want)
	}
	if got := NewLoginRequest("szpark001", "Parking@2024"); got.Password != PasswordDigest("Parking@2024") || got.UserID != "szpark001" {
		t.Errorf("NewLoginRequest = %+v", got)
	}
}

func TestSignOfLoginRequestMatchesKnownAnswer(t *testing.T) {
	req, err := NewRequest(time.UnixMilli(1704069000000), []LoginRequest{NewLoginRequest("szpark001", "Parking@2024")})
	if err != nil {
		t.Fatal(err)
	}
	if string(req.Data) != loginData {
		t.Errorf("data = %s, want %s", req.Data, loginData)
	}
	if req.Sign != loginSign {
		t.Errorf("sign = %s, want %s", req.Sign, loginSign)
	}
}

func TestSignKeyedKnownAnswer(t *testing.T) {
	if got := SignKeyed([]byte(downlinkKey), []byte(enterData)); got != enterKeyedSign {
		t.Errorf("SignKeyed = %s, want %s", got, enterKeyedSign)
	}
}

// pretty returns data indented, as a pretty-printing client sends it.
func pretty(t testing.TB, data string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := json.Indent(&buf, []byte(data), "", "  "); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// verifyCases are the sign forms Verify and VerifyKeyed must accept and
// reject, for a signing function and its known answer over enterData.
func verifyCases(t *testing.T, sign func([]byte) string, known string) []struct {
	name string
	data []byte
	sign string
	want bool
} {
	digest, _ := hex.DecodeString(known)
	prettyData := pretty(t, enterData)
	wrong := []byte(known)
	wrong[10] ^= 1
	return []struct {
		name string
		data []byte
		sign string
		want bool
	}{
		{"lowercase hex", []byte(enterData), known, true},
		{"uppercase hex", []byte(enterData), strings.ToUpper(known), true},
		{"mixed-case hex", []byte(enterData), strings.ToUpper(known[:32]) + known[32:], true},
		{"Base64", []byte(enterData), base64.StdEncoding.EncodeToString(digest), true},
		{"Base64 without padding", []byte(enterData), base64.RawStdEncoding.EncodeToString(digest), true},
		{"URL-safe Base64", []byte(enterData), base64.URLEncoding.EncodeToString(digest), true},
		{"hex with surrounding spaces", []byte(enterData), " " + known + "\n", true},
		{"pretty data whose compact form was signed", prettyData, known, true},
		{"pretty data whose compact form was signed, Base64", prettyData, base64.StdEncoding.EncodeToString(digest), true},
		{"pretty data signed as it stands", prettyData, sign(prettyData), true},
		{"compact data whose pretty form was signed", []byte(enterData), sign(prettyData), false},
		{"wrong sign", []byte(enterData), string(wrong), false},
		{"sign of other data", []byte(enterData), sign([]byte(loginData)), false},
		{"data changed after signing", []byte(strings.Replace(enterData, "GATE01", "GATE02", 1)), known, false},
		{"data with a changed escape", []byte(strings.Replace(enterData, "GATE01", `GAT\u004501`, 1)), known, false},
		{"data with keys reordered", []byte(`[{"id":"0f1e2d3c4b5a69788796a5b4c3d2e1f0","parkCode":"a1b2c3d4e5f60718293a4b5c6d7e8f90","plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00","entryCarPhotoId":"11112222333344445555666677778888","entranceCode":"GATE01"}]`), known, false},
		{"truncated hex", []byte(enterData), known[:63], false},
		{"hex with an extra digit", []byte(enterData), known + "0", false},
		{"truncated Base64", []byte(enterData), base64.StdEncoding.EncodeToString(digest)[:40], false},
		{"Base64 of a truncated digest", []byte(enterData), base64.StdEncoding.EncodeToString(digest[:31]), false},
		{"empty", []byte(enterData), "", false},
		{"garbage", []byte(enterData), "not a sign!", false},
		{"64 characters that are not hex", []byte(enterData), strings.Repeat("g", 64), false},
		{"the digest as raw bytes", []byte(enterData), string(digest), false},
		{"data that is not JSON", []byte("{not json"), known, false},
	}
}

func TestVerify(t *testing.T) {
	for _, tc := range verifyCases(t, Sign, enterSign) {
		t.Run(tc.name, func(t *testing.T) {
			if got := Verify(tc.data, tc.sign); got != tc.want {
				t.Errorf("Verify(%.40q, %q) = %v, want %v", tc.data, tc.sign, got, tc.want)
			}
		})
	}
}

func TestVerifyKeyed(t *testing.T) {
	key := []byte(downlinkKey)
	signKeyed := func(b []byte) string { return SignKeyed(key, b) }
	for _, tc := range verifyCases(t, signKeyed, enterKeyedSign) {
		t.Run(tc.name, func(t *testing.T) {
			if got := VerifyKeyed(key, tc.data, tc.sign); got != tc.want {
				t.Errorf("VerifyKeyed(%.40q, %q) = %v, want %v", tc.data, tc.sign, got, tc.want)
			}
		})
	}
}

func TestVerifyKeyedRejectsTheUnkeyedSignAndAnotherKey(t *testing.T) {
	key := []byte(downlinkKey)
	if VerifyKeyed(key, []byte(enterData), enterSign) {
		t.Error("VerifyKeyed accepted the plain SM3 sign")
	}
	if VerifyKeyed([]byte("another-secret"), []byte(enterData), enterKeyedSign) {
		t.Error("VerifyKeyed accepted a sign made with another key")
	}
	if Verify([]byte(enterData), enterKeyedSign) {
		t.Error("Verify accepted the HMAC-SM3 sign")
	}
}

func TestSignIsLowercaseHex(t *testing.T) {
	for _, data := range []string{"", "[]", enterData, strings.Repeat("停", 1000)} {
		for _, s := range []string{Sign([]byte(data)), SignKeyed([]byte("k"), []byte(data))} {
			if len(s) != 64 || strings.ToLower(s) != s {
				t.Errorf("sign %q is not 64 lowercase hex digits", s)
			}
			if _, err := hex.DecodeString(s); err != nil {
				t.Errorf("sign %q: %v", s, err)
			}
		}
	}
}

package protocol

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"testing"
)

// gbKey is the key of the GB/T 32907 (SM4) example.
var gbKey = mustHex("0123456789abcdeffedcba9876543210")

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func TestEncryptDataRoundTrip(t *testing.T) {
	for _, plain := range []string{``, `[]`, `[{"a":1}]`, `[{"plateNo":"粤B12345","enterTime":"2024-01-01 08:30:00"}]`,
		string(bytes.Repeat([]byte("x"), 16)), string(bytes.Repeat([]byte("y"), 1000))} {
		b64, err := EncryptData(gbKey, []byte(plain))
		if err != nil {
			t.Fatal(err)
		}
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			t.Fatalf("output is not Base64: %v", err)
		}
		if want := 16 + (len(plain)/16+1)*16; len(raw) != want {
			t.Errorf("%d bytes of plaintext: %d bytes out, want %d", len(plain), len(raw), want)
		}
		got, err := DecryptData(gbKey, b64)
		if err != nil {
			t.Fatalf("decrypt: %v", err)
		}
		if string(got) != plain {
			t.Errorf("round trip: got %q, want %q", got, plain)
		}
	}
}

func TestEncryptDataUsesAFreshIV(t *testing.T) {
	a, _ := EncryptData(gbKey, []byte(`[{"a":1}]`))
	b, _ := EncryptData(gbKey, []byte(`[{"a":1}]`))
	if a == b {
		t.Error("two encryptions of the same plaintext are equal: the IV is not random")
	}
}

// TestEncryptDataKnownAnswers checks against answers computed with
// OpenSSL's sm4-cbc (and GB/T 32907's example block).
func TestEncryptDataKnownAnswers(t *testing.T) {
	cases := []struct {
		name, iv string
		plain    []byte
		want     string
	}{
		{
			// The standard's example block, then a whole block of padding.
			name:  "GB/T 32907 block with zero IV",
			iv:    "00000000000000000000000000000000",
			plain: gbKey,
			want: base64.StdEncoding.EncodeToString(mustHex("00000000000000000000000000000000" +
				"681edf34d206965e86b3e94f536e4246677d307e844d7aa24579d556490dc7aa")),
		},
		{
			name:  "short JSON array",
			iv:    "000102030405060708090a0b0c0d0e0f",
			plain: []byte(`[{"a":1}]`),
			want:  "AAECAwQFBgcICQoLDA0OD6SM7clF7YxEdPupgBqpx64=",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := encryptWithIV(gbKey, mustHex(c.iv), c.plain)
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
			plain, err := DecryptData(gbKey, c.want)
			if err != nil || !bytes.Equal(plain, c.plain) {
				t.Errorf("decrypt: %q, %v", plain, err)
			}
		})
	}
}

func TestDecryptDataRefusesTamperedCiphertext(t *testing.T) {
	b64, err := encryptWithIV(gbKey, make([]byte, 16), []byte(`[{"parkCode":"P1","plateNo":"粤B12345"}]`))
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(b64)
	raw[len(raw)-1] ^= 0x01 // the last byte decrypts to an unrelated block
	got, err := DecryptData(gbKey, base64.StdEncoding.EncodeToString(raw))
	if !errors.Is(err, ErrBadPadding) {
		t.Errorf("tampered: %q, %v; want ErrBadPadding", got, err)
	}
}

func TestDecryptDataRefusesWrongKey(t *testing.T) {
	b64, err := encryptWithIV(gbKey, make([]byte, 16), []byte(`[{"parkCode":"P1"}]`))
	if err != nil {
		t.Fatal(err)
	}
	other := bytes.Repeat([]byte{0x42}, 16)
	if got, err := DecryptData(other, b64); !errors.Is(err, ErrBadPadding) {
		t.Errorf("wrong key: %q, %v; want ErrBadPadding", got, err)
	}
}

func TestDecryptDataErrors(t *testing.T) {
	good, _ := EncryptData(gbKey, []byte(`[{"a":1}]`))
	raw, _ := base64.StdEncoding.DecodeString(good)
	cases := []struct {
		name string
		key  []byte
		in   string
		want error
	}{
		{"short key", gbKey[:15], good, ErrDataKeySize},
		{"long key", append(append([]byte{}, gbKey...), 0), good, ErrDataKeySize},
		{"not Base64", gbKey, "not*base64!", ErrNotBase64},
		{"empty", gbKey, "", ErrShortData},
		{"IV only", gbKey, base64.StdEncoding.EncodeToString(raw[:16]), ErrShortData},
		{"not whole blocks", gbKey, base64.StdEncoding.EncodeToString(raw[:len(raw)-1]), ErrShortData},
	}
	for _, c := range cases {
		if _, err := DecryptData(c.key, c.in); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	if _, err := EncryptData(gbKey[:8], []byte("x")); !errors.Is(err, ErrDataKeySize) {
		t.Errorf("EncryptData with an 8-byte key: %v", err)
	}
	// Unpadded Base64 is accepted.
	trimmed := good
	for len(trimmed) > 0 && trimmed[len(trimmed)-1] == '=' {
		trimmed = trimmed[:len(trimmed)-1]
	}
	if got, err := DecryptData(gbKey, trimmed); err != nil || string(got) != `[{"a":1}]` {
		t.Errorf("unpadded Base64: %q, %v", got, err)
	}
}

func TestEncryptedData(t *testing.T) {
	signed, b64, err := EncryptedData([]byte(` "AAEC\/AwQ=" `))
	if err != nil || string(signed) != `AAEC\/AwQ=` || b64 != "AAEC/AwQ=" {
		t.Errorf("got %q %q %v; want the bytes as sent and the unescaped value", signed, b64, err)
	}
	for _, data := range []string{`[{"a":1}]`, `{"a":1}`, `12`, `"unterminated`, `null`} {
		if _, _, err := EncryptedData([]byte(data)); CodeOf(err) != CodeFormat {
			t.Errorf("data %s: %v, want code 2", data, err)
		}
	}
}

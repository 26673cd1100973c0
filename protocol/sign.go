package protocol

import (
	"bytes"
	"crypto/hmac"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strings"

	"github.com/emmansun/gmsm/sm3"
)

// SM3 returns the GM/T 0004 digest of b.
func SM3(b []byte) [32]byte { return sm3.Sum(b) }

// Sign returns the envelope's `sign` for the exact bytes of `data` as they
// stand in the request body: SM3 as 64 lowercase hex digits (docs/protocol.md §2).
func Sign(data []byte) string {
	d := sm3.Sum(data)
	return hex.EncodeToString(d[:])
}

// SignKeyed returns HMAC-SM3 of data with key as 64 lowercase hex digits,
// for accounts set to keyed signing (docs/protocol.md §2, extension).
func SignKeyed(key, data []byte) string {
	m := hmac.New(sm3.New, key)
	m.Write(data)
	return hex.EncodeToString(m.Sum(nil))
}

// Verify reports whether sign matches data. It accepts lowercase or
// uppercase hex and Base64 of the SM3 digest, computed over data as sent
// or over data with insignificant whitespace removed (docs/protocol.md §2).
func Verify(data []byte, sign string) bool {
	return verifyWith(data, sign, func(b []byte) []byte { d := sm3.Sum(b); return d[:] })
}

// VerifyKeyed is Verify for HMAC-SM3 with key.
func VerifyKeyed(key, data []byte, sign string) bool {
	return verifyWith(data, sign, func(b []byte) []byte {
		m := hmac.New(sm3.New, key)
		m.Write(b)
		return m.Sum(nil)
	})
}

func verifyWith(data []byte, sign string, digest func([]byte) []byte) bool {
	got, ok := decodeDigest(sign)
	if !ok {
		return false
	}
	if subtle.ConstantTimeCompare(digest(data), got) == 1 {
		return true
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, data); err != nil || bytes.Equal(compact.Bytes(), data) {
		return false
	}
	return subtle.ConstantTimeCompare(digest(compact.Bytes()), got) == 1
}

// decodeDigest reads a 32-byte digest written as hex (either case) or
// Base64 (standard or URL alphabet, padded or not).
func decodeDigest(s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 64 {
		if b, err := hex.DecodeString(s); err == nil {
			return b, true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == 32 {
			return b, true
		}
	}
	return nil, false
}

// PasswordDigest returns table 2's `password` for a plaintext password:
// Base64 of its SM3 digest.
func PasswordDigest(plaintext string) string {
	d := sm3.Sum([]byte(plaintext))
	return base64.StdEncoding.EncodeToString(d[:])
}

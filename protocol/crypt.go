package protocol

import (
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/padding"
	"github.com/emmansun/gmsm/sm4"
)

// DataKeySize is the size of an account's data key (docs/protocol.md §7): an SM4
// key of 128 bits.
const DataKeySize = 16

// EncryptedHeader is the request header that says whether `data` is
// encrypted; EncryptedOn ("0", the standard's inverted reading) marks an
// encrypted request, and an absent header or "1" a plaintext one
// (docs/protocol.md §1).
const (
	EncryptedHeader = "encrypted"
	EncryptedOn     = "0"
)

// ErrDataKeySize is returned for a data key that is not DataKeySize bytes.
var ErrDataKeySize = fmt.Errorf("protocol: a data key is %d bytes", DataKeySize)

// Errors of DecryptData. A wrong key or an altered ciphertext almost always
// shows as ErrBadPadding; the few that unpad cleanly decrypt to garbage,
// which the caller's JSON checks then refuse.
var (
	ErrNotBase64  = errors.New("is not Base64")
	ErrShortData  = fmt.Errorf("is too short or not whole blocks: it needs a %d-byte IV and at least one %d-byte block", sm4.BlockSize, sm4.BlockSize)
	ErrBadPadding = errors.New("does not decrypt with the account's data key: wrong key or altered ciphertext")
)

// EncryptData encrypts plaintext (a JSON array of items) for the `data` of
// an encrypted request (docs/protocol.md §7): it returns
// Base64(IV ‖ SM4-CBC(key, PKCS#7(plaintext))) with a fresh random 16-byte
// IV, standard Base64 alphabet with padding. The request's sign is then
// Sign of the returned string's bytes.
func EncryptData(key, plaintext []byte) (string, error) {
	iv := make([]byte, sm4.BlockSize)
	if _, err := rand.Read(iv); err != nil {
		return "", err
	}
	return encryptWithIV(key, iv, plaintext)
}

// encryptWithIV is EncryptData with a given IV (for known-answer tests).
func encryptWithIV(key, iv, plaintext []byte) (string, error) {
	block, err := dataCipher(key)
	if err != nil {
		return "", err
	}
	// Pad a copy: the padder may append into plaintext's spare capacity.
	padded := padding.NewPKCS7Padding(sm4.BlockSize).Pad(append([]byte(nil), plaintext...))
	out := make([]byte, len(iv)+len(padded))
	copy(out, iv)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(out[len(iv):], padded)
	return base64.StdEncoding.EncodeToString(out), nil
}

// DecryptData reverses EncryptData: b64 is Base64(IV ‖ ciphertext) in the
// standard alphabet (padding optional). Its errors are ErrDataKeySize,
// ErrNotBase64, ErrShortData and ErrBadPadding; they read as the detail of
// a message about `data`. Padding is removed in constant time.
func DecryptData(key []byte, b64 string) ([]byte, error) {
	block, err := dataCipher(key)
	if err != nil {
		return nil, err
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		if raw, err = base64.RawStdEncoding.DecodeString(b64); err != nil {
			return nil, ErrNotBase64
		}
	}
	if len(raw) < 2*sm4.BlockSize || len(raw)%sm4.BlockSize != 0 {
		return nil, ErrShortData
	}
	iv, ct := raw[:sm4.BlockSize], raw[sm4.BlockSize:]
	plain := make([]byte, len(ct))
	cipher.NewCBCDecrypter(block, iv).CryptBlocks(plain, ct)
	out, err := padding.NewPKCS7Padding(sm4.BlockSize).ConstantTimeUnpad(plain)
	if err != nil {
		return nil, ErrBadPadding
	}
	return out, nil
}

func dataCipher(key []byte) (cipher.Block, error) {
	if len(key) != DataKeySize {
		return nil, ErrDataKeySize
	}
	return sm4.NewCipher(key)
}

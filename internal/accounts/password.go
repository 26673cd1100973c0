package accounts

import (
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

// A vendor account's login password is kept as a bcrypt hash of the form
// it travels in (table 2): Base64(SM3(plaintext)), protocol.PasswordDigest.
// The plaintext is never stored.

// HashVendorPassword returns the stored form of a vendor account's login
// password given as it travels.
func HashVendorPassword(wire string) ([]byte, error) {
	return HashVendorPasswordCost(wire, bcrypt.DefaultCost)
}

// HashVendorPasswordCost is HashVendorPassword at a bcrypt cost of its
// own (load tests provision many accounts at bcrypt.MinCost).
func HashVendorPasswordCost(wire string, cost int) ([]byte, error) {
	if cost < bcrypt.MinCost || cost > bcrypt.MaxCost {
		return nil, fmt.Errorf("bcrypt-cost must be %d to %d", bcrypt.MinCost, bcrypt.MaxCost)
	}
	return bcrypt.GenerateFromPassword([]byte(wire), cost)
}

// VendorPasswordMatches reports whether wire is the login password whose
// stored form is hash.
func VendorPasswordMatches(hash []byte, wire string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(wire)) == nil
}

// Limits of an operator's password.
const (
	MinOperatorPasswordRunes = 8
	MaxOperatorPasswordBytes = 72 // bcrypt's limit
)

// HashOperatorPassword checks a console operator's new password (at
// least 8 characters, at most 72 bytes) and returns its bcrypt hash.
func HashOperatorPassword(password string) ([]byte, error) {
	return HashOperatorPasswordCost(password, bcrypt.DefaultCost)
}

// HashOperatorPasswordCost is HashOperatorPassword at a bcrypt cost of
// its own: tests take bcrypt.MinCost, which checks the same way in a
// fraction of the time.
func HashOperatorPasswordCost(password string, cost int) ([]byte, error) {
	switch {
	case utf8.RuneCountInString(password) < MinOperatorPasswordRunes:
		return nil, fmt.Errorf("password is shorter than %d characters", MinOperatorPasswordRunes)
	case len(password) > MaxOperatorPasswordBytes:
		return nil, fmt.Errorf("password is longer than %d bytes", MaxOperatorPasswordBytes)
	}
	return bcrypt.GenerateFromPassword([]byte(password), cost)
}

// OperatorPasswordMatches reports whether password is the one whose hash
// is stored.
func OperatorPasswordMatches(hash []byte, password string) bool {
	return bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
}

// A booking API key's secret is kept as its SHA-256: the secret is 24
// random bytes, so a slow hash adds nothing.

// hashAPISecret returns the stored form of an API key's secret.
func hashAPISecret(secret string) []byte {
	sum := sha256.Sum256([]byte(secret))
	return sum[:]
}

// APISecretMatches reports whether secret is the one whose stored form
// is hash, in constant time.
func APISecretMatches(hash []byte, secret string) bool {
	sum := hashAPISecret(secret)
	return len(hash) == len(sum) && subtle.ConstantTimeCompare(hash, sum) == 1
}

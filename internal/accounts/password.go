package accounts

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"fmt"
	"strings"
	"unicode"
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

// The password rule of console operators (docs/console-api.md
// "Passwords"), applied to every new password: at least
// MinOperatorPasswordRunes characters, at most MaxOperatorPasswordBytes
// bytes (bcrypt's limit), characters of at least MinOperatorPasswordClasses
// of the four classes (lower-case letters, upper-case letters, digits,
// anything else: symbols, spaces, Chinese characters), and not holding the
// operator's name.
const (
	MinOperatorPasswordRunes   = 12
	MaxOperatorPasswordBytes   = 72
	MinOperatorPasswordClasses = 3
)

// CheckOperatorPassword returns an error naming the rule password breaks
// as a new password of the operator name, or nil.
func CheckOperatorPassword(name, password string) error {
	switch {
	case !utf8.ValidString(password):
		return errors.New("password must be UTF-8")
	case utf8.RuneCountInString(password) < MinOperatorPasswordRunes:
		return fmt.Errorf("password is shorter than %d characters", MinOperatorPasswordRunes)
	case len(password) > MaxOperatorPasswordBytes:
		return fmt.Errorf("password is longer than %d bytes", MaxOperatorPasswordBytes)
	case passwordClasses(password) < MinOperatorPasswordClasses:
		return fmt.Errorf("password must mix at least %d of: lower-case letters, upper-case letters, digits, other characters", MinOperatorPasswordClasses)
	case name != "" && strings.Contains(strings.ToLower(password), strings.ToLower(name)):
		return errors.New("password must not hold the operator's name")
	}
	return nil
}

// passwordClasses counts the classes of characters in p.
func passwordClasses(p string) int {
	var lower, upper, digit, other int
	for _, r := range p {
		switch {
		case unicode.IsLower(r):
			lower = 1
		case unicode.IsUpper(r):
			upper = 1
		case unicode.IsDigit(r):
			digit = 1
		default:
			other = 1
		}
	}
	return lower + upper + digit + other
}

// HashOperatorPassword checks a new password of the operator name
// (CheckOperatorPassword) and returns its bcrypt hash.
func HashOperatorPassword(name, password string) ([]byte, error) {
	return HashOperatorPasswordCost(name, password, bcrypt.DefaultCost)
}

// HashOperatorPasswordCost is HashOperatorPassword at a bcrypt cost of
// its own: tests take bcrypt.MinCost, which checks the same way in a
// fraction of the time.
func HashOperatorPasswordCost(name, password string, cost int) ([]byte, error) {
	if err := CheckOperatorPassword(name, password); err != nil {
		return nil, err
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

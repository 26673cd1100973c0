// Package platform holds the domain of the parking platform: accounts,
// sessions, parks, entrances, records, pictures, vacancy, verification and
// data-quality warnings, and the Store interface the server needs. Storage
// implementations live in packages named after what they wrap (sqlite).
package platform

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Clock returns the current time. Servers take one so that time-driven
// behaviour (token expiry, offline detection) is tested without sleeping.
type Clock func() time.Time

// NewID returns 32 lowercase hex digits from a CSPRNG: the form of every
// id the platform issues (isvParkId, entrance ids, access tokens).
func NewID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b[:])
}

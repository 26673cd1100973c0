package platform

import (
	"errors"
	"fmt"
)

// Kind classifies an application error. Kinds are the platform's own
// vocabulary; internal/api maps them to appendix-A codes in one table.
type Kind int

// Application error kinds.
const (
	KindInternal             Kind = iota // an unexpected fault: logged, code 3 on the wire
	KindNotFound                         // a stored object does not exist
	KindParkNotFound                     // the park does not exist for this account (1101)
	KindUnauthorized                     // no valid token (5)
	KindBadLogin                         // wrong userId or password, or locked out (3001)
	KindInvalid                          // a value the store or a rule rejects (1007)
	KindNoPage                           // a page past the last (1107)
	KindConflict                         // a unique key already holds something else
	KindBusiness                         // a business rule refuses the request (1)
	KindNoReservation                    // the reservation does not exist for this caller (1104)
	KindBookExists                       // the bookCode is already held (1201)
	KindReservationExpired               // the reservation has expired (1301)
	KindReservationCancelled             // the reservation was cancelled (1401)
	KindNoReservableSpace                // no reservable space (1501)
	KindBookTime                         // bookTime or overTime is wrong (5004)
	KindBlacklisted                      // the plate is blacklisted (5005)
)

// Error is an application error: a kind, the field path it concerns (as
// "data[2].leaveTime") when there is one, and a detail for the caller.
type Error struct {
	Kind   Kind
	Field  string
	Detail string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s %s", e.Field, e.Detail)
	}
	return e.Detail
}

// Errorf returns an *Error of kind k.
func Errorf(k Kind, format string, args ...any) *Error {
	return &Error{Kind: k, Detail: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error of kind k about field.
func FieldErrorf(k Kind, field, format string, args ...any) *Error {
	return &Error{Kind: k, Field: field, Detail: fmt.Sprintf(format, args...)}
}

// ErrNotFound is returned by Tx getters when nothing is stored.
var ErrNotFound = &Error{Kind: KindNotFound, Detail: "not found"}

// KindOf returns the kind of err: KindInternal unless err wraps an *Error.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindInternal
}

// IsNotFound reports whether err is a not-found error.
func IsNotFound(err error) bool { return KindOf(err) == KindNotFound }

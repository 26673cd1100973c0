package api

import (
	"errors"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// kindCodes maps application error kinds to appendix-A codes: the one
// place the two layers of errors meet.
var kindCodes = map[platform.Kind]protocol.Code{
	platform.KindInternal:             protocol.CodeInternal,
	platform.KindNotFound:             protocol.CodeNoObject,
	platform.KindParkNotFound:         protocol.CodeNoPark,
	platform.KindUnauthorized:         protocol.CodeToken,
	platform.KindBadLogin:             protocol.CodeLogin,
	platform.KindInvalid:              protocol.CodeRange,
	platform.KindNoPage:               protocol.CodeNoPage,
	platform.KindConflict:             protocol.CodeExists,
	platform.KindBusiness:             protocol.CodeBusiness,
	platform.KindNoReservation:        protocol.CodeNoReservation,
	platform.KindBookExists:           protocol.CodeBookExists,
	platform.KindReservationExpired:   protocol.CodeBookExpired,
	platform.KindReservationCancelled: protocol.CodeBookCancelled,
	platform.KindNoReservableSpace:    protocol.CodeNoReservable,
	platform.KindBookTime:             protocol.CodeBookTime,
	platform.KindBlacklisted:          protocol.CodeBlacklist,
}

// wireError turns any error into the protocol error the caller sees. A
// *protocol.Error passes through; a *platform.Error is mapped by kind;
// anything else is an internal fault (code 3), and internal reports false
// so the caller logs it.
func wireError(err error) (e *protocol.Error, internal bool) {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe, false
	}
	var ae *platform.Error
	if errors.As(err, &ae) && ae.Kind != platform.KindInternal {
		code, ok := kindCodes[ae.Kind]
		if !ok {
			code = protocol.CodeInternal
		}
		if ae.Kind == platform.KindBadLogin {
			// Never say which part of a login was wrong, nor that the
			// account is locked (docs/protocol.md §5).
			return &protocol.Error{Code: code}, false
		}
		return &protocol.Error{Code: code, Path: ae.Field, Detail: ae.Detail}, false
	}
	return &protocol.Error{Code: protocol.CodeInternal}, true
}

package api

import (
	"context"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Roles (docs/offpeak.md): a parking-system account (role plms) calls the
// interfaces of table 30; an off-peak platform (role offpeak) calls the
// off-peak interfaces; login and heartBeats serve both. A call outside the
// account's role is code 1 (业务异常) naming authorization: the token is
// valid (5 would make a client drop it and log in again, to no end) and
// the data is not at fault (a 1xxx code), the account may simply not call
// that interface.

// checkRole refuses a call to code by an account whose role may not make
// it. The account's role comes from the same cached read as its
// encryption settings.
func (s *Server) checkRole(ctx context.Context, userID string, code protocol.Interface) error {
	if code.Shared() {
		return nil
	}
	acct, err := s.cryptoSettings(ctx, userID)
	if err != nil {
		return err
	}
	role := acct.RoleOf()
	if code.IsOffPeak() == (role == platform.RoleOffPeak) {
		return nil
	}
	return protocol.FieldErrorf(protocol.CodeBusiness, "authorization",
		"(account %s has role %s, which may not call %s)", userID, role, string(code))
}

// dispatchOffPeak decodes the items of an off-peak interface and calls the
// off-peak service.
func (s *Server) dispatchOffPeak(ctx context.Context, code protocol.Interface, req request) (any, error) {
	if s.OffPeak == nil {
		return nil, protocol.Errorf(protocol.CodeFormat, "unknown interface %q", string(code))
	}
	o := s.OffPeak
	switch code {
	case protocol.OffPeakPackageCode:
		return decodeThen(ctx, req, o.Packages)
	case protocol.OffPeakPackageStatusCode:
		return decodeThen(ctx, req, o.PackageStatus)
	case protocol.OffPeakOrderCode:
		return decodeThen(ctx, req, o.Orders)
	}
	return nil, protocol.Errorf(protocol.CodeFormat, "unknown interface %q", string(code))
}

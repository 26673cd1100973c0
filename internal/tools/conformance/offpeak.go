package conformance

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/parkd/parkd/protocol"
)

// Off-peak checks (docs/offpeak.md): run by `parkcheck platform` when it
// is also given an account with the off-peak role. They register one park
// with a permit number of their own (through the parking-system account),
// then sell and withdraw packages and report orders at it as the off-peak
// platform.

// OffPeakChecks returns the checks of the off-peak interfaces, in the
// order they run.
func OffPeakChecks() []Check[*Platform] {
	return []Check[*Platform]{
		{"offpeak.login", "docs/offpeak.md §1", "the off-peak account logs in and heartbeats like a parking system", checkOffPeakLogin},
		{"offpeak.role.plms-refused", "docs/offpeak.md §1", "a parking-system account calling offPeakPackage is refused with 1 naming authorization", checkOffPeakRolePLMS},
		{"offpeak.role.offpeak-refused", "docs/offpeak.md §1", "the off-peak account calling parkSpaceInfo is refused with 1 naming authorization", checkOffPeakRoleOffPeak},
		{"offpeak.package.ok", "docs/offpeak.md §5", "a package named by permitNo is answered code 0 with the park's isvParkId", checkOffPeakPackageOK},
		{"offpeak.package.idempotent", "docs/offpeak.md §4", "re-sending an identical package is a success with the same answer", checkOffPeakPackageIdempotent},
		{"offpeak.package.price-places", "docs/offpeak.md §3", "a price with three places is refused with 1007 naming data[0].price", checkOffPeakPricePlaces},
		{"offpeak.package.price-negative", "docs/offpeak.md §3", "a negative price is refused with 1007 naming data[0].price", checkOffPeakPriceNegative},
		{"offpeak.package.price-string", "docs/offpeak.md §3", "a price sent as a JSON string is refused with 1005", checkOffPeakPriceString},
		{"offpeak.package.unknown-park", "docs/offpeak.md §3", "a package at an isvParkId that names no park is refused with 1101", checkOffPeakUnknownPark},
		{"offpeak.status.on-off", "docs/offpeak.md §6", "a package is put on sale and taken off sale, each answered with its status", checkOffPeakStatusOnOff},
		{"offpeak.status.unknown-package", "docs/offpeak.md §4, §6", "a status change of a package the platform does not have is refused with 1100", checkOffPeakStatusUnknown},
		{"offpeak.order.ok", "docs/offpeak.md §7", "an order and a change of its status are answered code 0 with orderNo and status", checkOffPeakOrderOK},
		{"offpeak.order.unknown-package", "docs/offpeak.md §4, §7", "an order of a package the platform does not have is refused with 1100", checkOffPeakOrderUnknown},
		{"offpeak.batch.atomic", "docs/offpeak.md §2", "a batch with one bad package is refused naming data[1], and its good package is not stored", checkOffPeakBatchAtomic},
	}
}

// offPeakState is what the off-peak checks share: the off-peak session
// and the run's park.
type offPeakState struct {
	token    string
	setupErr error
	isv      string
	permit   string
	parkErr  error
}

// offPeakSession returns the off-peak account's token, logged in on first
// use.
func (p *Platform) offPeakSession(ctx context.Context) (string, error) {
	s := &p.offPeak
	if p.cfg.OffPeakUserID == "" {
		return "", errors.New("no off-peak account given")
	}
	if s.setupErr != nil {
		return "", p.earlier(s.setupErr)
	}
	if s.token != "" {
		return s.token, nil
	}
	mark := len(p.exchanges)
	tok, err := p.login(ctx, p.cfg.OffPeakUserID, protocol.PasswordDigest(p.cfg.OffPeakPassword), p.stamp())
	if err != nil {
		return "", p.setupFailed(&s.setupErr, mark, fmt.Errorf("logging in as %s: %w", p.cfg.OffPeakUserID, err))
	}
	s.token = tok
	return tok, nil
}

// offPeakPark returns the off-peak token and the run's park: registered
// by the parking-system account with a permit number of this run.
func (p *Platform) offPeakPark(ctx context.Context) (string, error) {
	tok, err := p.offPeakSession(ctx)
	if err != nil {
		return "", err
	}
	s := &p.offPeak
	if s.parkErr != nil {
		return "", p.earlier(s.parkErr)
	}
	if s.isv != "" {
		return tok, nil
	}
	plms, err := p.session(ctx)
	if err != nil {
		return "", err
	}
	mark := len(p.exchanges)
	code, permit := newID(), "parkcheck-"+newID()
	park := p.placed(parkItem(code))
	park["permitNo"] = permit
	r, err := p.postItems(ctx, protocol.ParkInfoCode, plms, park)
	if err == nil {
		s.isv, err = parkInfoID(r, code)
	}
	if err != nil {
		s.isv = ""
		return "", p.setupFailed(&s.parkErr, mark, fmt.Errorf("registering the off-peak park: %w", err))
	}
	s.permit = permit
	return tok, nil
}

// packageItem is an off-peak package at the run's park, named by permit.
func (p *Platform) packageItem(no string, status int) map[string]any {
	return map[string]any{"permitNo": p.offPeak.permit, "providerCode": "PARKCHECK", "packageNo": no,
		"packageName": "parkcheck 夜间", "packageType": 3, "price": 300.5, "status": status,
		"startTime": "19:00:00", "endTime": "08:00:00"}
}

// orderItem is an order of package no at the run's park.
func (p *Platform) orderItem(orderNo, no string, status int) map[string]any {
	return map[string]any{"isvParkId": p.offPeak.isv, "orderNo": orderNo, "packageNo": no, "plateNo": "粤B12345",
		"amount": 300.5, "status": status, "orderTime": cstDateTime(p.now())}
}

// wantPackage checks an offPeakPackage(Status) answer of one item.
func (p *Platform) wantPackage(r *reply, no string, status int) error {
	if err := r.wantOK(); err != nil {
		return err
	}
	var out []struct {
		IsvParkID string `json:"isvParkId"`
		PackageNo string `json:"packageNo"`
		Status    *int   `json:"status"`
	}
	if err := r.items(&out, 1); err != nil {
		return err
	}
	if out[0].IsvParkID != p.offPeak.isv || out[0].PackageNo != no || out[0].Status == nil || *out[0].Status != status {
		return fmt.Errorf("the answer is %s, want isvParkId %s, packageNo %s, status %d", r.data, p.offPeak.isv, no, status)
	}
	return nil
}

func checkOffPeakLogin(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakSession(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.HeartBeats, tok, heartbeatItem(p.now()))
	if err != nil {
		return err
	}
	_, err = heartbeatTime(r)
	return err
}

func checkOffPeakRolePLMS(ctx context.Context, p *Platform) error {
	if _, err := p.offPeakPark(ctx); err != nil {
		return err
	}
	plms, err := p.session(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, plms, p.packageItem("ROLE-"+newID()[:8], 0))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeBusiness, "authorization")
}

func checkOffPeakRoleOffPeak(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakSession(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.ParkSpaceInfoCode, tok, spaceItem(newID()))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeBusiness, "authorization")
}

func checkOffPeakPackageOK(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	no := "OK-" + newID()[:8]
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, p.packageItem(no, 0))
	if err != nil {
		return err
	}
	return p.wantPackage(r, no, 0)
}

func checkOffPeakPackageIdempotent(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	no := "IDEM-" + newID()[:8]
	for i := range 2 {
		r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, p.packageItem(no, 1))
		if err != nil {
			return err
		}
		if err := p.wantPackage(r, no, 1); err != nil {
			return fmt.Errorf("sending %d: %w", i+1, err)
		}
	}
	return nil
}

// checkBadPrice sends a package whose price is the JSON text price.
func checkBadPrice(ctx context.Context, p *Platform, price string, code protocol.Code) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	item := p.packageItem("BAD-"+newID()[:8], 1)
	item["price"] = rawJSON(price)
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, item)
	if err != nil {
		return err
	}
	return r.wantCode(code, "data[0].price")
}

func checkOffPeakPricePlaces(ctx context.Context, p *Platform) error {
	return checkBadPrice(ctx, p, "12.345", protocol.CodeRange)
}

func checkOffPeakPriceNegative(ctx context.Context, p *Platform) error {
	return checkBadPrice(ctx, p, "-1.00", protocol.CodeRange)
}

func checkOffPeakPriceString(ctx context.Context, p *Platform) error {
	return checkBadPrice(ctx, p, `"12.50"`, protocol.CodeType)
}

func checkOffPeakUnknownPark(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	item := p.packageItem("NOPARK-"+newID()[:8], 1)
	delete(item, "permitNo")
	item["isvParkId"] = "ffffffffffffffffffffffffffffffff"
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, item)
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeNoPark, "data[0].isvParkId")
}

func checkOffPeakStatusOnOff(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	no := "SALE-" + newID()[:8]
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, p.packageItem(no, 0))
	if err != nil {
		return err
	}
	if err := p.wantPackage(r, no, 0); err != nil {
		return fmt.Errorf("creating the package: %w", err)
	}
	for _, status := range []int{1, 0} {
		r, err := p.postItems(ctx, protocol.OffPeakPackageStatusCode, tok,
			map[string]any{"isvParkId": p.offPeak.isv, "packageNo": no, "status": status})
		if err != nil {
			return err
		}
		if err := p.wantPackage(r, no, status); err != nil {
			return fmt.Errorf("status %d: %w", status, err)
		}
	}
	return nil
}

func checkOffPeakStatusUnknown(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.OffPeakPackageStatusCode, tok,
		map[string]any{"isvParkId": p.offPeak.isv, "packageNo": "NONE-" + newID()[:8], "status": 1})
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeNoObject, "data[0].packageNo")
}

func checkOffPeakOrderOK(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	no := "ORD-" + newID()[:8]
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, p.packageItem(no, 1))
	if err != nil {
		return err
	}
	if err := p.wantPackage(r, no, 1); err != nil {
		return fmt.Errorf("creating the package: %w", err)
	}
	orderNo := "parkcheck-" + newID()
	for _, status := range []int{0, 1} {
		r, err := p.postItems(ctx, protocol.OffPeakOrderCode, tok, p.orderItem(orderNo, no, status))
		if err != nil {
			return err
		}
		if err := r.wantOK(); err != nil {
			return fmt.Errorf("order status %d: %w", status, err)
		}
		var out []struct {
			OrderNo string `json:"orderNo"`
			Status  *int   `json:"status"`
		}
		if err := r.items(&out, 1); err != nil {
			return err
		}
		if out[0].OrderNo != orderNo || out[0].Status == nil || *out[0].Status != status {
			return fmt.Errorf("the answer is %s, want orderNo %s, status %d", r.data, orderNo, status)
		}
	}
	return nil
}

func checkOffPeakOrderUnknown(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	r, err := p.postItems(ctx, protocol.OffPeakOrderCode, tok, p.orderItem("parkcheck-"+newID(), "NONE-"+newID()[:8], 1))
	if err != nil {
		return err
	}
	return r.wantCode(protocol.CodeNoObject, "data[0].packageNo")
}

func checkOffPeakBatchAtomic(ctx context.Context, p *Platform) error {
	tok, err := p.offPeakPark(ctx)
	if err != nil {
		return err
	}
	good, bad := "ATOM-"+newID()[:8], p.packageItem("ATOMBAD-"+newID()[:8], 1)
	bad["price"] = rawJSON("1.001")
	r, err := p.postItems(ctx, protocol.OffPeakPackageCode, tok, p.packageItem(good, 1), bad)
	if err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeRange, "data[1].price"); err != nil {
		return err
	}
	r, err = p.postItems(ctx, protocol.OffPeakPackageStatusCode, tok,
		map[string]any{"isvParkId": p.offPeak.isv, "packageNo": good, "status": 0})
	if err != nil {
		return err
	}
	if err := r.wantCode(protocol.CodeNoObject, "data[0].packageNo"); err != nil {
		return fmt.Errorf("the good package of the refused batch was stored: %w", err)
	}
	return nil
}

// rawJSON is a value written into a request as the JSON text s.
func rawJSON(s string) json.RawMessage { return json.RawMessage(s) }

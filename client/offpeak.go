package client

import (
	"context"

	"github.com/parkd/parkd/protocol"
)

// Off-peak parking (docs/offpeak.md): calls for an account with the
// off-peak role. They log in and heartbeat like any other account; a
// parking-system account calling them gets code 1.

// OffPeakPackage creates or updates off-peak packages (interface
// offPeakPackage) and returns, per item, the park's isvParkId, the package
// number and its status.
func (c *Client) OffPeakPackage(ctx context.Context, items ...protocol.OffPeakPackage) ([]protocol.OffPeakPackageResponse, error) {
	var out []protocol.OffPeakPackageResponse
	return out, c.call(ctx, protocol.OffPeakPackageCode, items, &out)
}

// OffPeakPackageStatus puts packages on sale (status 1) or takes them off
// sale (status 0) (interface offPeakPackageStatus).
func (c *Client) OffPeakPackageStatus(ctx context.Context, items ...protocol.OffPeakPackageStatus) ([]protocol.OffPeakPackageResponse, error) {
	var out []protocol.OffPeakPackageResponse
	return out, c.call(ctx, protocol.OffPeakPackageStatusCode, items, &out)
}

// OffPeakOrder creates or updates off-peak orders (interface
// offPeakOrder); a change of status is the whole order sent again.
func (c *Client) OffPeakOrder(ctx context.Context, items ...protocol.OffPeakOrder) ([]protocol.OffPeakOrderResponse, error) {
	var out []protocol.OffPeakOrderResponse
	return out, c.call(ctx, protocol.OffPeakOrderCode, items, &out)
}

// offPeakQueue is the outbox queue of an off-peak item: one per park, as
// the item names it. Items of one park are sent in order, so a package
// goes before the orders that cite it as long as every item names the
// park the same way (always isvParkId, or always permitNo).
func offPeakQueue(r protocol.ParkRef) string {
	if r.IsvParkID != "" {
		return "offpeak:" + r.IsvParkID
	}
	return "offpeak:permit:" + r.PermitNo
}

// OffPeakPackage queues package reports.
func (o *Outbox) OffPeakPackage(items ...protocol.OffPeakPackage) error {
	return addAll(o, protocol.OffPeakPackageCode, items, func(v protocol.OffPeakPackage) string { return offPeakQueue(v.Park()) })
}

// OffPeakPackageStatus queues changes of packages' sale status.
func (o *Outbox) OffPeakPackageStatus(items ...protocol.OffPeakPackageStatus) error {
	return addAll(o, protocol.OffPeakPackageStatusCode, items, func(v protocol.OffPeakPackageStatus) string { return offPeakQueue(v.Park()) })
}

// OffPeakOrder queues order reports.
func (o *Outbox) OffPeakOrder(items ...protocol.OffPeakOrder) error {
	return addAll(o, protocol.OffPeakOrderCode, items, func(v protocol.OffPeakOrder) string { return offPeakQueue(v.Park()) })
}

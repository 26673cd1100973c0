package e2e

import (
	"fmt"
	"testing"

	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// BenchmarkOffPeakOrders sends batches of 10 new off-peak orders, and, as
// the baseline measured in the same run, batches of 10 new entries of a
// parking system, one request at a time over HTTPS to the same server.
func BenchmarkOffPeakOrders(b *testing.B) {
	srv := testserver.Start(b, testserver.Options{})
	addAccount(b, srv, vendorA)
	vendorTok := srv.Login(b, vendorA, password)
	p := parkInfo(parkA)
	p.PermitNo = permitA
	resp := srv.Post(b, protocol.ParkInfoCode, vendorTok, []protocol.ParkInfo{p})
	wantOK(b, resp)
	isv := decode[protocol.ParkInfoResponse](b, resp)[0].IsvParkID
	tok := offPeakAccount(b, srv, offPeakA)
	wantOK(b, srv.Post(b, protocol.OffPeakPackageCode, tok, []protocol.OffPeakPackage{nightPackage(b, "N1", protocol.PackageOnSale)}))
	const batch = 10
	b.Run("enterRecord", func(b *testing.B) {
		n := 0
		for b.Loop() {
			items := make([]protocol.EnterRecord, batch)
			for i := range items {
				n++
				items[i] = enter(b, parkA, recordID(n), fmt.Sprintf("粤B%05d", n%100000), "2024-01-01 08:00:00")
			}
			wantOK(b, srv.Post(b, protocol.EnterRecordCode, vendorTok, items))
		}
	})
	b.Run("offPeakOrder", func(b *testing.B) {
		n := 0
		for b.Loop() {
			items := make([]protocol.OffPeakOrder, batch)
			for i := range items {
				n++
				items[i] = order(b, isv, fmt.Sprintf("B%d", n), "N1", protocol.OrderPaid)
			}
			wantOK(b, srv.Post(b, protocol.OffPeakOrderCode, tok, items))
		}
	})
}

package e2e

import (
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// TestRecordTimesAheadOfTheClock: an enterTime or leaveTime more than 24 h
// after the platform's clock (2024-01-01 08:00 CST here) is 1007 naming
// the field, and nothing of the batch is stored; 23 h ahead is accepted.
func TestRecordTimesAheadOfTheClock(t *testing.T) {
	srv, token, isv := parkFixture(t)
	for _, at := range []string{"9999-12-31 23:59:59", "2024-01-02 08:00:01"} {
		resp := srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
			enter(t, parkA, recordID(1), "粤B12345", "2024-01-01 07:00:00"),
			enter(t, parkA, recordID(2), "粤B22222", at),
		})
		wantCode(t, resp, protocol.CodeRange, "data[1].enterTime")
		resp = srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{exit(t, parkA, recordID(3), "粤B33333", at)})
		wantCode(t, resp, protocol.CodeRange, "data[0].leaveTime")
	}
	for _, id := range []int{1, 2} {
		if _, ok := record(t, srv, platform.KindEnter, isv, recordID(id)); ok {
			t.Errorf("entry %d stored", id)
		}
	}
	if _, ok := record(t, srv, platform.KindExit, isv, recordID(3)); ok {
		t.Error("exit stored")
	}
	wantOK(t, srv.Post(t, protocol.EnterRecordCode, token, []protocol.EnterRecord{
		enter(t, parkA, recordID(4), "粤B44444", "2024-01-02 07:00:00")}))
	wantOK(t, srv.Post(t, protocol.ExitRecordCode, token, []protocol.ExitRecord{
		exit(t, parkA, recordID(4), "粤B44444", "2024-01-02 08:00:00")}))
}

package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/parkd/parkd/protocol"
)

// TestBookingConflictHidesTheOtherOrder: a key booking a plate that has a
// live order of another key gets 1200 saying only that the plate has a
// live order: never the other order's bookCode, with which it could read,
// change or cancel it.
func TestBookingConflictHidesTheOtherOrder(t *testing.T) {
	e := startBooking(t, bookingOptions{free: 5})
	other := e.book(t, e.order("粤B60001", "2024-01-01 09:00:00"))
	key := addAPIKey(t, e.srv, "second app")
	status, resp := e.call(t, http.MethodPost, "/api/v1/reservations", key, e.order("粤B60001", "2024-01-01 10:00:00"))
	if status != http.StatusConflict {
		t.Errorf("HTTP %d, want 409", status)
	}
	wantCode(t, resp, protocol.CodeExists, "plateNo", "live order")
	if strings.Contains(resp.Message, other.BookCode) {
		t.Errorf("message %q carries the other key's bookCode", resp.Message)
	}
}

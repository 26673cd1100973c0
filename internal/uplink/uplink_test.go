package uplink_test

import (
	"context"
	"errors"
	"testing"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/fixture"
	"github.com/parkd/parkd/internal/uplink"
	"github.com/parkd/parkd/protocol"
)

// The vendors of these tests: vendor owns the parks, other is a second
// parking system with parks of its own.
const (
	vendor = "szpark001"
	other  = "szpark002"
)

// env is an uplink service on an in-process SQLite store and a manual
// clock, with two vendor accounts online.
type env struct {
	svc   *uplink.Service
	st    platform.Store
	clock *fixture.Clock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	st := fixture.Store(t)
	clock := fixture.NewClock(fixture.Epoch)
	sz := city.Shenzhen()
	svc := &uplink.Service{Store: st, Blobs: fixture.Blobs(t), Now: clock.Now, Regions: protocol.Shenzhen, City: &sz}
	for _, id := range []string{vendor, other} {
		fixture.Account(t, st, platform.Account{UserID: id, Online: true})
	}
	return &env{svc: svc, st: st, clock: clock}
}

// park reports park code for userID and returns it as stored.
func (e *env) park(t *testing.T, userID, code string) platform.Park {
	t.Helper()
	return fixture.Park(t, e.svc, userID, fixture.ParkInfo(code))
}

// wantKind fails unless err is a platform error of kind k on field.
func wantKind(t *testing.T, err error, k platform.Kind, field string) {
	t.Helper()
	var pe *platform.Error
	if !errors.As(err, &pe) || pe.Kind != k || pe.Field != field {
		t.Fatalf("error %v, want kind %d on %q", err, k, field)
	}
}

// wantCode fails unless err is a protocol error with code on path.
func wantCode(t *testing.T, err error, code protocol.Code, path string) {
	t.Helper()
	var pe *protocol.Error
	if !errors.As(err, &pe) || pe.Code != code || pe.Path != path {
		t.Fatalf("error %v, want code %d on %q", err, code, path)
	}
}

// history returns the replaced versions of an object.
func (e *env) history(t *testing.T, object, isvParkID, key string) []platform.HistoryEntry {
	t.Helper()
	var hs []platform.HistoryEntry
	fixture.View(t, e.st, func(tx platform.Tx) error {
		var err error
		hs, err = tx.History(object, isvParkID, key)
		return err
	})
	return hs
}

var ctx = context.Background()

package e2e

import (
	"sync"
	"testing"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// hashLog records the bcrypt cost of every hash a login compares.
type hashLog struct {
	mu    sync.Mutex
	costs []int
}

func (l *hashLog) verify(hash []byte, wire string) bool {
	cost, err := bcrypt.Cost(hash)
	if err != nil {
		cost = -1
	}
	l.mu.Lock()
	l.costs = append(l.costs, cost)
	l.mu.Unlock()
	return accounts.VendorPasswordMatches(hash, wire)
}

// take returns the costs recorded since the last call.
func (l *hashLog) take() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	c := l.costs
	l.costs = nil
	return c
}

// TestLoginFailuresCostTheSame: an unknown userId, a disabled account and a
// wrong password each make exactly one bcrypt comparison at the cost of
// an account's hash, so the answer time (3001 for all three) does not
// tell which accounts exist.
func TestLoginFailuresCostTheSame(t *testing.T) {
	var log hashLog
	srv := testserver.Start(t, testserver.Options{Config: server.Config{VerifyPassword: log.verify}})
	srv.AddAccount(t, vendorA, password) // the default cost, as parkd account add
	srv.AddAccount(t, vendorB, password)
	update(t, srv, func(tx platform.Tx) error {
		a, err := tx.Account(vendorB)
		if err != nil {
			return err
		}
		a.Disabled = true
		return tx.PutAccount(a)
	})
	for _, tc := range []struct {
		name, userID, password string
	}{
		{"wrong password", vendorA, "not-the-password"},
		{"unknown userId", "nobody00001", password},
		{"disabled account", vendorB, password},
	} {
		resp := srv.Post(t, protocol.Login, "", []protocol.LoginRequest{protocol.NewLoginRequest(tc.userID, tc.password)})
		wantCode(t, resp, protocol.CodeLogin)
		costs := log.take()
		if len(costs) != 1 || costs[0] != bcrypt.DefaultCost {
			t.Errorf("%s: compared hashes of cost %v, want one of cost %d", tc.name, costs, bcrypt.DefaultCost)
		}
	}
}

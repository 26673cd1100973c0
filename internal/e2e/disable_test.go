package e2e

import (
	"context"
	"testing"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// Disabling an account ends every live token of it for good: at once on
// the instance that disables it (the console's action, with the server's
// accounts.State), within one refresh of the accounts' state (5 s) on any
// other (`parkd account disable`, another process), and enabling it again
// brings no token back.

// elsewhere is the account commands as another process runs them (the
// CLI): no in-process state to tell.
func elsewhere(srv *testserver.Server) *accounts.Manager {
	return &accounts.Manager{Store: srv.Store, Now: srv.Clock.Now}
}

// TestDisableThenEnableEndsTheOldToken: after disable then enable within
// the token's life, the old token gets code 5; a new login works.
func TestDisableThenEnableEndsTheOldToken(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	tok := srv.Login(t, vendorA, password)
	wantOK(t, heartbeat(t, srv, tok))
	ctx := context.Background()
	if err := elsewhere(srv).Disable(ctx, vendorA); err != nil {
		t.Fatal(err)
	}
	if err := elsewhere(srv).Enable(ctx, vendorA); err != nil {
		t.Fatal(err)
	}
	srv.Clock.Advance(accounts.DefaultRefresh) // one refresh; the token lives 90 s
	wantCode(t, heartbeat(t, srv, tok), protocol.CodeToken)
	srv.Clock.Advance(accounts.DefaultRefresh)
	wantCode(t, heartbeat(t, srv, tok), protocol.CodeToken) // for good
	fresh := srv.Login(t, vendorA, password)
	wantOK(t, heartbeat(t, srv, fresh))
}

// TestDisableStopsTheTokenAtOnceHereWithinARefreshElsewhere: the
// instance that disables stops the token at once; another process's
// disable is seen within one refresh.
func TestDisableStopsTheTokenAtOnceHereWithinARefreshElsewhere(t *testing.T) {
	srv := start(t)
	addAccount(t, srv, vendorA)
	addAccount(t, srv, vendorB)
	tokA, tokB := srv.Login(t, vendorA, password), srv.Login(t, vendorB, password)
	wantOK(t, heartbeat(t, srv, tokA))
	wantOK(t, heartbeat(t, srv, tokB))
	here := &accounts.Manager{Store: srv.Store, Now: srv.Clock.Now, State: srv.Sessions.State()}
	if err := here.Disable(context.Background(), vendorA); err != nil {
		t.Fatal(err)
	}
	wantCode(t, heartbeat(t, srv, tokA), protocol.CodeToken)
	wantOK(t, heartbeat(t, srv, tokB))

	if err := elsewhere(srv).Disable(context.Background(), vendorB); err != nil {
		t.Fatal(err)
	}
	srv.Clock.Advance(accounts.DefaultRefresh)
	wantCode(t, heartbeat(t, srv, tokB), protocol.CodeToken)
}

// TestDisableOnOneInstanceStopsTheTokenOnAnother: two instances on one
// PostgreSQL database; an account disabled and enabled again through one
// finds its token refused by the other within one refresh.
func TestDisableOnOneInstanceStopsTheTokenOnAnother(t *testing.T) {
	_, env := multiSetup(t, false)
	clock := testserver.NewClock(testserver.Epoch)
	start := func() *testserver.Server {
		return testserver.Start(t, testserver.Options{Clock: clock,
			Config: server.Config{NoBackground: true, DB: env.dsn, Pictures: env.pictures}})
	}
	a, b := start(), start()
	addAccount(t, a, vendorA)
	tok := a.Login(t, vendorA, password)
	wantOK(t, heartbeat(t, b, tok)) // b knows the token from now on
	here := &accounts.Manager{Store: a.Store, Now: clock.Now, State: a.Sessions.State()}
	if err := here.Disable(context.Background(), vendorA); err != nil {
		t.Fatal(err)
	}
	if err := here.Enable(context.Background(), vendorA); err != nil {
		t.Fatal(err)
	}
	wantCode(t, heartbeat(t, a, tok), protocol.CodeToken)
	clock.Advance(accounts.DefaultRefresh)
	wantCode(t, heartbeat(t, b, tok), protocol.CodeToken)
}

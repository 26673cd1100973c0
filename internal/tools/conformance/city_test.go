package conformance

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

func TestPlatformChecksPassAgainstAnotherCity(t *testing.T) {
	file := filepath.Join("..", "..", "..", "docs", "examples", "city-guangzhou.json")
	gz, err := city.Load(file)
	if err != nil {
		t.Fatal(err)
	}
	srv := testserver.Start(t, testserver.Options{Clock: testserver.NewClock(time.Now()), Config: server.Config{CityFile: file}})
	srv.AddAccount(t, testUser, testPassword)

	p, err := NewPlatform(PlatformConfig{URL: srv.URL, UserID: testUser, Password: testPassword, HTTPClient: srv.Client, City: &gz})
	if err != nil {
		t.Fatal(err)
	}
	wantFailed(t, p.Run(context.Background(), PlatformChecks()))

	// Without the city, the checks' Shenzhen parks are refused.
	shenzhen := platformOf(t, srv.URL, srv.Client, "")
	checks, err := Select(PlatformChecks(), "^parkinfo.same-isvparkid$")
	if err != nil || len(checks) != 1 {
		t.Fatalf("selecting the check: %v, %d", err, len(checks))
	}
	rep := shenzhen.Run(context.Background(), checks)
	if rep.OK() {
		t.Fatal("a Shenzhen park was accepted by a Guangzhou platform")
	}
}

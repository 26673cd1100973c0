package conformance

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

const testOffPeakUser = "parkcheck-op"

// offPeakPlatformOf returns the checker of srv with the test account and
// an off-peak account.
func offPeakPlatformOf(t *testing.T, srv *testserver.Server, url string, hc *http.Client) *Platform {
	t.Helper()
	srv.AddAccount(t, testOffPeakUser, testPassword)
	err := srv.Store.Update(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account(testOffPeakUser)
		if err != nil {
			return err
		}
		a.Role = platform.RoleOffPeak
		return tx.PutAccount(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPlatform(PlatformConfig{URL: url, UserID: testUser, Password: testPassword, HTTPClient: hc,
		OffPeakUserID: testOffPeakUser, OffPeakPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestOffPeakChecksPassAgainstParkd(t *testing.T) {
	srv := startParkd(t)
	p := offPeakPlatformOf(t, srv, srv.URL, srv.Client)
	rep := p.Run(context.Background(), OffPeakChecks())
	wantFailed(t, rep)
	if len(rep.Results) != len(OffPeakChecks()) {
		t.Errorf("%d results, want %d", len(rep.Results), len(OffPeakChecks()))
	}
}

// TestOffPeakChecksCatchAPlatformWithoutRoles: a platform that lets the
// parking-system account call offPeakPackage (here: its role changed to
// off-peak once the run's park is registered) fails the role check, and
// only it.
func TestOffPeakChecksCatchAPlatformWithoutRoles(t *testing.T) {
	srv := startParkd(t)
	p := offPeakPlatformOf(t, srv, srv.URL, srv.Client)
	setup, err := Select(OffPeakChecks(), `^offpeak\.package\.ok$`)
	if err != nil {
		t.Fatal(err)
	}
	wantFailed(t, p.Run(context.Background(), setup))
	err = srv.Store.Update(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account(testUser)
		if err != nil {
			return err
		}
		a.Role = platform.RoleOffPeak
		return tx.PutAccount(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.API.ForgetAccount(testUser)
	checks, err := Select(OffPeakChecks(), `^offpeak\.role\.plms-refused$`)
	if err != nil {
		t.Fatal(err)
	}
	rep := p.Run(context.Background(), checks)
	wantFailed(t, rep, "offpeak.role.plms-refused")
	var text strings.Builder
	_ = rep.WriteText(&text)
	for _, want := range []string{"want code 1 ", "/dataReceive/v1/offPeakPackage"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, text.String())
		}
	}
}

package main

import (
	"context"
	"strconv"
	"strings"
	"testing"

	pf "github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/tools/conformance"
)

func TestPlatformWithOffPeakAccountRunsTheOffPeakChecks(t *testing.T) {
	srv := startParkd(t)
	srv.AddAccount(t, "offpeak01", password)
	err := srv.Store.Update(context.Background(), func(tx pf.Tx) error {
		a, err := tx.Account("offpeak01")
		if err != nil {
			return err
		}
		a.Role = pf.RoleOffPeak
		return tx.PutAccount(a)
	})
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs := parkcheck(t, "platform", "--url", srv.URL, "--user-id", user, "--password", password, "--ca", cert(srv),
		"--offpeak-user-id", "offpeak01", "--offpeak-password", password, "--run", `^(login\.ok|offpeak\..*)$`)
	n := 1 + len(conformance.OffPeakChecks())
	if code != 0 || errs != "" || !strings.HasSuffix(out, "\n"+strconv.Itoa(n)+" passed, 0 failed\n") {
		t.Fatalf("exit %d, stderr %q\n%s", code, errs, out)
	}
	for _, want := range []string{"PASS  offpeak.login ", "PASS  offpeak.batch.atomic ", "docs/offpeak.md §2"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// Without a password for it, the off-peak account is a usage error.
	if code, _, errs := parkcheck(t, "platform", "--url", srv.URL, "--user-id", user, "--password", password,
		"--offpeak-user-id", "offpeak01"); code != 2 || !strings.Contains(errs, "--offpeak-password") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

func TestListShowsTheOffPeakChecks(t *testing.T) {
	code, out, _ := parkcheck(t, "list")
	if code != 0 || !strings.Contains(out, "off-peak checks (parkcheck platform --offpeak-user-id") {
		t.Fatalf("exit %d\n%s", code, out)
	}
	for _, c := range conformance.OffPeakChecks() {
		if !strings.Contains(out, "  "+c.ID+" ") {
			t.Errorf("list lacks %s", c.ID)
		}
	}
}

package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
)

func TestAccountAddWithRole(t *testing.T) {
	dir := t.TempDir()
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"account"}, args...), &out, &out)
		return out.String(), err
	}
	if _, err := cmd("add", "--data", dir, "--user-id", "op1", "--password", "pw", "--role", "admin"); err == nil ||
		!strings.Contains(err.Error(), "--role must be plms or offpeak") {
		t.Errorf("--role admin: %v", err)
	}
	if out, err := cmd("add", "--data", dir, "--user-id", "op1", "--password", "pw", "--role", "offpeak"); err != nil || out != "account op1 added (role offpeak)\n" {
		t.Fatalf("add offpeak: %q %v", out, err)
	}
	if out, err := cmd("add", "--data", dir, "--user-id", "lot1", "--password", "pw"); err != nil || out != "account lot1 added (role plms)\n" {
		t.Fatalf("add plms: %q %v", out, err)
	}
	out, err := cmd("list", "--data", dir)
	if err != nil || !strings.Contains(out, "ROLE") || !strings.Contains(out, "\nlot1     plms ") || !strings.Contains(out, "\nop1      offpeak ") {
		t.Fatalf("list: %q %v", out, err)
	}
	store, err := sqlite.Open(filepath.Join(dir, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.View(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account("op1")
		if err == nil && a.Role != platform.RoleOffPeak {
			t.Errorf("stored role %q", a.Role)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestAccountSetRoleAndEnable(t *testing.T) {
	dir := t.TempDir()
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"account"}, args...), &out, &out)
		return out.String(), err
	}
	if _, err := cmd("add", "--data", dir, "--user-id", "lot1", "--password", "pw"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"set-role", "--data", dir, "--user-id", "lot1"}, "--role is required"},
		{[]string{"set-role", "--data", dir, "--user-id", "lot1", "--role", "admin"}, "--role must be plms or offpeak"},
		{[]string{"set-role", "--data", dir, "--user-id", "nobody", "--role", "offpeak"}, "no account nobody"},
		{[]string{"enable", "--data", dir}, "--user-id is required"},
	} {
		if _, err := cmd(c.args...); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error with %q", c.args, err, c.want)
		}
	}
	if out, err := cmd("set-role", "--data", dir, "--user-id", "lot1", "--role", "offpeak"); err != nil || out != "account lot1 now has role offpeak\n" {
		t.Fatalf("set-role: %q %v", out, err)
	}
	if _, err := cmd("disable", "--data", dir, "--user-id", "lot1"); err != nil {
		t.Fatal(err)
	}
	if out, err := cmd("enable", "--data", dir, "--user-id", "lot1"); err != nil || out != "account lot1 enabled\n" {
		t.Fatalf("enable: %q %v", out, err)
	}
	store, err := sqlite.Open(filepath.Join(dir, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.View(context.Background(), func(tx platform.Tx) error {
		a, err := tx.Account("lot1")
		if err == nil && (a.Role != platform.RoleOffPeak || a.Disabled) {
			t.Errorf("stored role %q, disabled %v; want offpeak, enabled", a.Role, a.Disabled)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

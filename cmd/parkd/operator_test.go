package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/audit"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

const (
	opPassword  = "Correct horse 7"
	opPassword2 = "Battery staple 8"
)

// parkdIn runs parkd with args and --data dir appended.
func parkdIn(dir string, args ...string) (string, error) {
	var out bytes.Buffer
	err := run(context.Background(), append(args, "--data", dir), &out, &out)
	return out.String(), err
}

// openData opens the SQLite store of dir.
func openData(t *testing.T, dir string) platform.Store {
	t.Helper()
	store, err := sqlite.Open(filepath.Join(dir, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

func storedOperator(t *testing.T, store platform.Store, name string) platform.Operator {
	t.Helper()
	var op platform.Operator
	err := store.View(context.Background(), func(tx platform.Tx) (err error) {
		op, err = tx.Operator(name)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return op
}

func TestOperatorAddAndList(t *testing.T) {
	dir := t.TempDir()
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"operator", "add", "--password", opPassword}, "--name is required"},
		{[]string{"operator", "add", "--name", "alice", "--password", "Short 1"}, "--password is shorter than 12 characters"},
		{[]string{"operator", "add", "--name", "alice", "--password", "only lower case"}, "--password must mix at least 3 of"},
		{[]string{"operator", "add", "--name", "alice", "--password", "Alice's pw 123"}, "must not hold the operator's name"},
		{[]string{"operator", "add", "--name", "alice", "--password", opPassword, "--role", "root"}, "role must be admin, operator or auditor"},
		{[]string{"operator", "set-role", "--name", "alice"}, "--role must be admin, operator or auditor"},
		{[]string{"operator", "disable"}, "--name is required"},
		{[]string{"operator", "enable", "--name", "nobody"}, "no operator nobody"},
		{[]string{"operator", "remove"}, "--name is required"},
		{[]string{"operator", "delete", "--name", "alice"}, `unknown operator command "delete"`},
	} {
		if _, err := parkdIn(dir, bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: %v, want %q", bad.args, err, bad.want)
		}
	}
	if out, err := parkdIn(dir, "operator", "add", "--name", "alice", "--password", opPassword); err != nil ||
		out != "operator alice added (role operator); the password must be changed at the first sign-in\n" {
		t.Fatalf("add: %q %v", out, err)
	}
	if out, err := parkdIn(dir, "operator", "add", "--name", "audrey", "--password", opPassword, "--role", "auditor"); err != nil ||
		!strings.Contains(out, "(role auditor)") {
		t.Fatalf("add auditor: %q %v", out, err)
	}
	store := openData(t, dir)
	op := storedOperator(t, store, "alice")
	if op.Role != platform.OperatorWatch || !op.MustChangePassword || op.Disabled || op.PasswordChangedAt.IsZero() {
		t.Errorf("added operator %+v: want role operator, must change, enabled, a password time", op)
	}

	// Every command below ends the operator's sessions.
	session := func() {
		t.Helper()
		err := store.Update(context.Background(), func(tx platform.Tx) error {
			return tx.PutOperatorSession(platform.OperatorSession{TokenHash: "h-alice", Name: "alice",
				CreatedAt: time.Now(), ExpiresAt: time.Now().Add(time.Hour), LastSeenAt: time.Now()})
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	ended := func(what string) {
		t.Helper()
		err := store.View(context.Background(), func(tx platform.Tx) error {
			_, err := tx.OperatorSession("h-alice")
			return err
		})
		if !platform.IsNotFound(err) {
			t.Errorf("after %s the session is still there: %v", what, err)
		}
	}
	// Clear the flag as a console password change would.
	op.MustChangePassword = false
	if err := store.Update(context.Background(), func(tx platform.Tx) error { return tx.PutOperator(op) }); err != nil {
		t.Fatal(err)
	}
	session()
	if out, err := parkdIn(dir, "operator", "set-role", "--name", "alice", "--role", "admin"); err != nil ||
		out != "operator alice: role admin; its sessions ended\n" {
		t.Fatalf("set-role: %q %v", out, err)
	}
	ended("set-role")
	if op := storedOperator(t, store, "alice"); op.Role != platform.OperatorAdmin || op.MustChangePassword {
		t.Errorf("after set-role: %+v", op)
	}
	session()
	if out, err := parkdIn(dir, "operator", "disable", "--name", "alice"); err != nil || !strings.Contains(out, "disabled; its sessions ended") {
		t.Fatalf("disable: %q %v", out, err)
	}
	ended("disable")
	if !storedOperator(t, store, "alice").Disabled {
		t.Error("disable did not disable")
	}
	if _, err := parkdIn(dir, "operator", "enable", "--name", "alice"); err != nil || storedOperator(t, store, "alice").Disabled {
		t.Errorf("enable: %v", err)
	}
	// add of a known name resets the password: must change, sessions
	// ended, role kept unless --role is given.
	session()
	if out, err := parkdIn(dir, "operator", "add", "--name", "alice", "--password", opPassword2); err != nil ||
		!strings.Contains(out, "operator alice: password reset (role admin)") {
		t.Fatalf("reset: %q %v", out, err)
	}
	ended("a password reset")
	op = storedOperator(t, store, "alice")
	if op.Role != platform.OperatorAdmin || !op.MustChangePassword || bcrypt.CompareHashAndPassword(op.PasswordHash, []byte(opPassword2)) != nil {
		t.Errorf("after the reset: role %s, must change %v; want admin, true, the new hash", op.Role, op.MustChangePassword)
	}
	out, err := parkdIn(dir, "operator", "list")
	if err != nil || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "\nalice   admin ") || !strings.Contains(out, "\naudrey  auditor ") {
		t.Fatalf("list: %q %v", out, err)
	}
}

// TestCommandsAreAudited runs changes, a failed one and reads, then finds
// one row per change and per read of the log with every field, and
// secrets never.
func TestCommandsAreAudited(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("SUDO_USER", "ops-li")
	steps := [][]string{
		{"account", "add", "--user-id", "lot1", "--password", "vendor-secret"},
		{"account", "disable", "--user-id", "lot1"},
		{"account", "set-key", "--user-id", "lot1", "--key", "00112233445566778899aabbccddeeff", "--require"},
		{"apikey", "add", "--name", "city-app"},
		{"operator", "add", "--name", "alice", "--password", opPassword, "--role", "admin"},
		{"operator", "set-role", "--name", "alice", "--role", "operator"},
		{"account", "list"},
	}
	for _, s := range steps {
		if out, err := parkdIn(dir, s...); err != nil {
			t.Fatalf("%v: %v %s", s, err, out)
		}
	}
	if _, err := parkdIn(dir, "account", "enable", "--user-id", "nobody"); err == nil {
		t.Fatal("enable of an unknown account succeeded")
	}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"audit", "--data", dir, "--csv", "--actor", "cli:ops-li"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(strings.NewReader(out.String())).ReadAll()
	if err != nil {
		t.Fatalf("CSV: %v\n%s", err, out.String())
	}
	if !slices.Equal(rows[0], audit.Header) {
		t.Errorf("header %v", rows[0])
	}
	type row struct{ actor, role, addr, action, object, result string }
	var got []row
	for _, r := range rows[1:] {
		got = append(got, row{r[2], r[3], r[4], r[5], r[6], r[7]})
		if _, err := time.Parse(audit.TimeLayout, r[1]); err != nil {
			t.Errorf("time %q: %v", r[1], err)
		}
		for _, secret := range []string{"vendor-secret", opPassword, "00112233445566778899aabbccddeeff"} {
			if strings.Contains(strings.Join(r, ","), secret) {
				t.Errorf("row %v shows a secret", r)
			}
		}
	}
	c := func(action, object, result string) row {
		return row{"cli:ops-li", "cli", "local", action, object, result}
	}
	want := []row{
		c("account.add", "account:lot1", "ok"), c("account.disable", "account:lot1", "ok"),
		c("account.set-key", "account:lot1", "ok"), c("apikey.add", "apikey:city-app", "ok"),
		c("operator.add", "operator:alice", "ok"), c("operator.set-role", "operator:alice", "ok"),
		c("account.enable", "account:nobody", "failed"),
	}
	if !slices.Equal(got, want) {
		t.Errorf("rows\n got  %v\n want %v", got, want)
	}
	if d := rows[3][8]; d != "data="+dir+" key require=true user-id=lot1" {
		t.Errorf("set-key detail %q: want the flags named, the key's value left out", d)
	}
	// The table form, read after the CSV read was itself audited.
	out.Reset()
	if err := run(context.Background(), []string{"audit", "--data", dir, "--since", "2000-01-01"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "SEQ") || !strings.Contains(out.String(), "audit.read") {
		t.Errorf("table:\n%s", out.String())
	}
	if _, err := parkdIn(dir, "audit", "--since", "yesterday"); err == nil || !strings.Contains(err.Error(), "--since") {
		t.Errorf("--since yesterday: %v", err)
	}
}

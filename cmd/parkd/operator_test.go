package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"golang.org/x/crypto/bcrypt"
)

func TestOperatorAddAndList(t *testing.T) {
	dir := t.TempDir()
	cmd := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := run(context.Background(), append([]string{"operator"}, args...), &out, &out)
		return out.String(), err
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"add", "--data", dir, "--password", "correct horse"}, "--name is required"},
		{[]string{"add", "--data", dir, "--name", "alice", "--password", "short"}, "--password is shorter than 8 characters"},
		{[]string{"delete", "--data", dir}, `unknown operator command "delete"`},
		{[]string{"remove", "--data", dir}, "--name is required"},
	} {
		if _, err := cmd(bad.args...); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("operator %v: %v, want %q", bad.args, err, bad.want)
		}
	}
	if out, err := cmd("add", "--data", dir, "--name", "alice", "--password", "correct horse"); err != nil || out != "operator alice added\n" {
		t.Fatalf("add: %q %v", out, err)
	}
	if out, err := cmd("add", "--data", dir, "--name", "alice", "--password", "battery staple"); err != nil || out != "operator alice: password changed\n" {
		t.Fatalf("add again: %q %v", out, err)
	}
	out, err := cmd("list", "--data", dir)
	if err != nil || !strings.HasPrefix(out, "NAME") || !strings.Contains(out, "\nalice ") {
		t.Fatalf("list: %q %v", out, err)
	}
	store, err := sqlite.Open(filepath.Join(dir, "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	err = store.View(context.Background(), func(tx platform.Tx) error {
		op, err := tx.Operator("alice")
		if err != nil {
			return err
		}
		if bcrypt.CompareHashAndPassword(op.PasswordHash, []byte("battery staple")) != nil {
			t.Errorf("the stored hash is not of the new password")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

package secret

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFill(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(file, []byte("from file\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SECRET_TEST_VAR", "from env")
	var used bool
	var v string
	if err := Fill(&v, file, "SECRET_TEST_VAR", nil, &used); err != nil || v != "from file" {
		t.Fatalf("file: %q %v", v, err)
	}
	v = ""
	if err := Fill(&v, "", "SECRET_TEST_VAR", nil, &used); err != nil || v != "from env" {
		t.Fatalf("env: %q %v", v, err)
	}
	v = "flag"
	if err := Fill(&v, "", "SECRET_TEST_VAR", nil, &used); err != nil || v != "flag" {
		t.Fatalf("a flag wins over the environment: %q %v", v, err)
	}
	if err := Fill(&v, file, "", nil, &used); err == nil {
		t.Fatal("flag and file together must be refused")
	}
	v = ""
	if err := Fill(&v, "-", "", strings.NewReader("typed\n"), &used); err != nil || v != "typed" {
		t.Fatalf("stdin: %q %v", v, err)
	}
	v = ""
	if err := Fill(&v, "-", "", strings.NewReader("again\n"), &used); err == nil {
		t.Fatal("a second read of standard input must be refused")
	}
}

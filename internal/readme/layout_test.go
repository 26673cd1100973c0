// Package readme holds tests that the repository's README says what the
// tree holds.
package readme

import (
	"bufio"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// root is the repository's top folder, seen from this package's folder.
const root = "../.."

// layoutRow is a row of the README's Layout table: a package's folder in
// backquotes, then what it is.
var layoutRow = regexp.MustCompile("^\\| `([^`]+)/` \\| (.*) \\|$")

// TestLayoutTableListsEveryPackage fails when a package of the module is
// missing from the README's Layout table, when the table lists a folder
// that holds no package, or lists one twice or without saying what it is.
func TestLayoutTableListsEveryPackage(t *testing.T) {
	listed := layoutTable(t, filepath.Join(root, "README.md"))
	packages := packageDirs(t, root)
	seen := map[string]bool{}
	for _, row := range listed {
		if seen[row.dir] {
			t.Errorf("README Layout lists %s/ twice", row.dir)
		}
		seen[row.dir] = true
		if strings.TrimSpace(row.what) == "" {
			t.Errorf("README Layout says nothing of %s/", row.dir)
		}
		if !slices.Contains(packages, row.dir) {
			t.Errorf("README Layout lists %s/, which holds no Go package", row.dir)
		}
	}
	for _, dir := range packages {
		if !seen[dir] {
			t.Errorf("package %s/ is missing from the README Layout table", dir)
		}
	}
}

// TestLayoutTableParsesRows keeps the row pattern honest: a row that
// breaks it would drop out of the table silently.
func TestLayoutTableParsesRows(t *testing.T) {
	tests := []struct {
		line string
		dir  string
		ok   bool
	}{
		{"| `internal/uplink/` | what each uplink interface does |", "internal/uplink", true},
		{"| `protocol/` | wire types |", "protocol", true},
		{"| `internal/a/`, `cmd/b/` | two in one row |", "", false},
		{"| path | what |", "", false},
		{"| --- | --- |", "", false},
	}
	for _, tt := range tests {
		m := layoutRow.FindStringSubmatch(tt.line)
		if (m != nil) != tt.ok {
			t.Errorf("%q: matched %v, want %v", tt.line, m != nil, tt.ok)
			continue
		}
		if m != nil && m[1] != tt.dir {
			t.Errorf("%q: folder %q, want %q", tt.line, m[1], tt.dir)
		}
	}
}

type row struct{ dir, what string }

// layoutTable reads the rows of the table under "## Layout". Every line
// of the table must be a one-package row, apart from its header.
func layoutTable(t *testing.T, path string) []row {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var rows []row
	in, table := false, false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "## "):
			in = line == "## Layout"
			table = false
			continue
		case !in:
			continue
		case !strings.HasPrefix(line, "|"):
			if table {
				in = false
			}
			continue
		}
		table = true
		if line == "| path | what |" || line == "| --- | --- |" {
			continue
		}
		m := layoutRow.FindStringSubmatch(line)
		if m == nil {
			t.Errorf("README Layout row is not one package and what it is: %q", line)
			continue
		}
		rows = append(rows, row{m[1], m[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(rows) == 0 {
		t.Fatal("README has no Layout table")
	}
	return rows
}

// packageDirs lists the folders holding a Go package, as go list ./...
// sees them: folders with a .go file, skipping testdata and names
// starting with "." or "_".
func packageDirs(t *testing.T, root string) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (name == "testdata" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(name, ".go") {
			rel, err := filepath.Rel(root, filepath.Dir(path))
			if err != nil {
				return err
			}
			dir := filepath.ToSlash(rel)
			if !slices.Contains(dirs, dir) {
				dirs = append(dirs, dir)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

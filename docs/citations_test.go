package docs

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// outside matches a link or citation to a file outside the repository:
// the team's old wire profile and design notes, and their folder. The
// words are split so that this file does not match itself.
var outside = regexp.MustCompile(`\.\./` + `shared|PROTO` + `COL(\.md|\s*(//|#)?\s*§)|DES` + `IGN\.md`)

// repoFiles returns the repository's tracked files (relative to its
// root), or, outside a git checkout, every file under the root but
// .git and node_modules.
func repoFiles(t *testing.T, root string) []string {
	t.Helper()
	out, err := exec.Command("git", "-C", root, "ls-files", "-z").Output()
	if err == nil && len(out) > 0 {
		var files []string
		for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
			files = append(files, f)
		}
		return files
	}
	var files []string
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readText returns a file's content, or false when it is not UTF-8 text
// (pictures, fuzz corpora with binary bytes) or is gone.
func readText(path string) (string, bool) {
	b, err := os.ReadFile(path)
	if err != nil || bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		return "", false
	}
	return string(b), true
}

// TestNoCitationOutsideTheRepository fails on any tracked text file that
// links to or cites a file outside the repository: the wire contract is
// docs/protocol.md, cited as "docs/protocol.md §N".
func TestNoCitationOutsideTheRepository(t *testing.T) {
	root := ".."
	n := 0
	for _, f := range repoFiles(t, root) {
		text, ok := readText(filepath.Join(root, f))
		if !ok {
			continue
		}
		n++
		for i, line := range strings.Split(text, "\n") {
			if loc := outside.FindStringIndex(line); loc != nil {
				t.Errorf("%s:%d cites a file outside the repository (%q): cite docs/protocol.md §N", f, i+1, line[loc[0]:loc[1]])
			}
		}
		// A citation split over two comment lines: "PROTOCOL" at the end
		// of one, "§N" at the start of the next.
		if m := regexp.MustCompile(`PROTO` + `COL\s*\n\s*(//|#)?\s*§`).FindStringIndex(text); m != nil {
			t.Errorf("%s: cites a file outside the repository across two lines", f)
		}
	}
	if n < 100 {
		t.Fatalf("read only %d text files from the repository", n)
	}
}

var mdLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestMarkdownLinksResolve checks that every relative link in the
// repository's Markdown files names a file or folder that exists, and
// that links into protocol.md name one of its headings.
func TestMarkdownLinksResolve(t *testing.T) {
	root := ".."
	anchors := headingAnchors(t, "protocol.md")
	for _, f := range repoFiles(t, root) {
		if !strings.HasSuffix(f, ".md") {
			continue
		}
		text, ok := readText(filepath.Join(root, f))
		if !ok {
			continue
		}
		for _, m := range mdLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			path, anchor, _ := strings.Cut(target, "#")
			resolved := filepath.Join(root, filepath.Dir(f), path)
			if path == "" {
				resolved = filepath.Join(root, f)
			}
			if _, err := os.Stat(resolved); err != nil {
				t.Errorf("%s links to %s, which does not exist", f, target)
				continue
			}
			if anchor != "" && filepath.Base(resolved) == "protocol.md" && !anchors[anchor] {
				t.Errorf("%s links to %s: protocol.md has no such heading", f, target)
			}
		}
	}
}

// headingAnchors returns the anchors a Markdown renderer such as
// GitHub's makes of a file's headings: lower case, punctuation dropped,
// spaces to hyphens.
func headingAnchors(t *testing.T, path string) map[string]bool {
	t.Helper()
	text, ok := readText(path)
	if !ok {
		t.Fatalf("cannot read %s", path)
	}
	out := map[string]bool{}
	for _, line := range strings.Split(text, "\n") {
		if !strings.HasPrefix(line, "#") {
			continue
		}
		h := strings.ToLower(strings.TrimSpace(strings.TrimLeft(line, "#")))
		var b strings.Builder
		for _, r := range h {
			switch {
			case r == ' ':
				b.WriteRune('-')
			case r == '-' || r == '_' || unicode.IsLetter(r) || unicode.IsNumber(r):
				b.WriteRune(r)
			}
		}
		out[b.String()] = true
	}
	return out
}

package console

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
)

// TestEmbeddedPageKeepsToItsCSP: nothing in the embedded page needs what
// its Content-Security-Policy forbids: no inline script, event handler
// attribute, style attribute or javascript: URL in index.html, and no
// code in app.js that evaluates text or sets a style or handler
// attribute (the policy allows styles set through the CSSOM).
func TestEmbeddedPageKeepsToItsCSP(t *testing.T) {
	files := Assets()
	read := func(name string) string {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	index := read("index.html")
	for _, tc := range []struct {
		what string
		re   *regexp.Regexp
	}{
		{"an inline script", regexp.MustCompile(`(?i)<script(\s+[^>]*)?>\s*[^<\s]`)},
		{"an event handler attribute", regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)},
		{"a style attribute", regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)},
		{"an inline style element", regexp.MustCompile(`(?i)<style\b`)},
		{"a javascript: URL", regexp.MustCompile(`(?i)javascript:`)},
	} {
		if m := tc.re.FindString(index); m != "" {
			t.Errorf("index.html has %s: %q", tc.what, m)
		}
	}
	for _, tag := range regexp.MustCompile(`(?i)<script\b[^>]*>`).FindAllString(index, -1) {
		if !strings.Contains(tag, "src=") {
			t.Errorf("index.html has a script without src: %q", tag)
		}
	}
	js := read("app.js")
	for _, bad := range []string{"document.write", "eval(", "new Function", "setTimeout('", `setTimeout("`,
		"setAttribute('style'", `setAttribute("style"`, "setAttribute('on", `setAttribute("on`, "javascript:"} {
		if strings.Contains(js, bad) {
			t.Errorf("app.js uses %s", bad)
		}
	}
	// Style attributes go through the CSSOM, not setAttribute.
	if !strings.Contains(js, "e.style.cssText = v") {
		t.Error("app.js's h() does not set styles through the CSSOM")
	}
	css := read("app.css")
	if regexp.MustCompile(`(?i)url\(\s*['"]?(https?:|//)|@import`).MatchString(css) {
		t.Error("app.css loads from elsewhere")
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	p := contentSecurityPolicy("")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"} {
		if !strings.Contains(p, want) {
			t.Errorf("policy %q lacks %q", p, want)
		}
	}
	if strings.Contains(p, "unsafe") {
		t.Errorf("policy %q allows something unsafe", p)
	}
	if p := contentSecurityPolicy("https://tiles.example.cn/{z}/{x}/{y}.png"); !strings.Contains(p, "img-src 'self' data: blob: https://tiles.example.cn;") {
		t.Errorf("policy with tiles: %q", p)
	}
}

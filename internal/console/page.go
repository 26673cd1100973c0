package console

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strings"
)

// page serves the embedded files of the console at /console/. index.html
// is never cached; it cites each asset with ?v=<hash of its bytes>, so the
// assets are cached for a year and a new build is fetched at once.
type page struct {
	index  []byte
	assets map[string]asset // by name under /console/
	csp    string           // the index's Content-Security-Policy
}

// contentSecurityPolicy is the index page's policy: its scripts, styles,
// requests and images from parkd only (images also from data: and blob:
// URLs, and from the origin of the city's map tiles, tileURL, when it has
// one), no plugins, no inline script or style markup, and no framing.
// The page sets styles through the CSSOM only, which the policy allows.
func contentSecurityPolicy(tileURL string) string {
	img := "img-src 'self' data: blob:"
	if u, err := url.Parse(tileURL); err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != "" {
		img += " " + u.Scheme + "://" + u.Host
	}
	return "default-src 'self'; script-src 'self'; style-src 'self'; " + img +
		"; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

type asset struct {
	body        []byte
	version     string
	contentType string
}

// newPage reads every file of files once.
func newPage(files fs.FS) *page {
	p := &page{assets: make(map[string]asset), csp: contentSecurityPolicy("")}
	_ = fs.WalkDir(files, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		ct := mime.TypeByExtension(path.Ext(name))
		if ct == "" {
			ct = "application/octet-stream"
		}
		p.assets[name] = asset{body: b, version: hex.EncodeToString(sum[:6]), contentType: ct}
		return nil
	})
	if a, ok := p.assets["index.html"]; ok {
		p.index = versioned(a.body, p.assets)
	}
	return p
}

// versioned returns index.html with every quoted reference to an asset
// given its version.
func versioned(index []byte, assets map[string]asset) []byte {
	out := index
	for name, a := range assets {
		if name == "index.html" {
			continue
		}
		for _, q := range []string{`"`, `'`} {
			out = bytes.ReplaceAll(out, []byte(q+name+q), []byte(q+name+"?v="+a.version+q))
		}
	}
	return out
}

// serve answers GET /console/ (index.html) and /console/<asset>; other
// methods get 405.
func (p *page) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(r.URL.Path, "/console/")
	h := w.Header()
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	if name == "" || name == "index.html" {
		if p.index == nil {
			http.NotFound(w, r)
			return
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", p.csp)
		_, _ = w.Write(p.index)
		return
	}
	a, ok := p.assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.Set("Content-Type", a.contentType)
	etag := `"` + a.version + `"`
	h.Set("ETag", etag)
	if r.URL.Query().Get("v") == a.version {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	_, _ = w.Write(a.body)
}

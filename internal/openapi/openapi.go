// Package openapi is parkd's OpenAPI 3.0 description, assembled from the
// YAML fragments of this folder: base.yaml holds the info, servers,
// security schemes and tags; every other *.yaml adds paths and
// components (uplink.yaml, booking.yaml, ops.yaml, public.yaml,
// console.yaml, ...). A path, a component or an x- extension defined by
// two fragments is an error, never a silent override. The document is
// served at GET /openapi.yaml and GET /openapi.json; the package's tests
// validate it with kin-openapi and check it against the routes the code
// registers and against the running server.
package openapi

import (
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"path"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v4"
)

//go:embed *.yaml
var fragments embed.FS

// BaseFragment is the fragment whose top-level keys other than paths and
// components start the document.
const BaseFragment = "base.yaml"

// Merge reads every *.yaml of fsys and merges them into one document (a
// tree of maps, slices and scalars, as JSON would decode it).
func Merge(fsys fs.FS) (map[string]any, error) {
	names, err := fs.Glob(fsys, "*.yaml")
	if err != nil {
		return nil, err
	}
	sort.Slice(names, func(i, j int) bool { // base.yaml first, then by name
		return names[i] == BaseFragment || (names[j] != BaseFragment && names[i] < names[j])
	})
	if len(names) == 0 || names[0] != BaseFragment {
		return nil, fmt.Errorf("openapi: no %s", BaseFragment)
	}
	doc := map[string]any{}
	owner := map[string]string{} // key path -> fragment that defined it
	for _, name := range names {
		frag, err := readFragment(fsys, name)
		if err != nil {
			return nil, err
		}
		if err := mergeFragment(doc, owner, name, frag); err != nil {
			return nil, err
		}
	}
	return doc, nil
}

// readFragment decodes one YAML fragment with string keys throughout.
func readFragment(fsys fs.FS, name string) (map[string]any, error) {
	b, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, err
	}
	var v any
	if err := yaml.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("openapi: %s: %w", name, err)
	}
	m, ok := normalize(v).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("openapi: %s: not a mapping", name)
	}
	return m, nil
}

// normalize turns YAML's maps with non-string keys (a response status
// written as 200) into map[string]any.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

// mergeFragment adds the paths, components and x- extensions of frag to
// doc, failing on a name owned by another fragment. Only base.yaml may
// set the other top-level keys.
func mergeFragment(doc map[string]any, owner map[string]string, name string, frag map[string]any) error {
	for key, val := range frag {
		switch {
		case key == "paths":
			if err := mergeLevel(doc, owner, name, []string{"paths"}, val); err != nil {
				return err
			}
		case key == "components":
			sections, ok := val.(map[string]any)
			if !ok {
				return fmt.Errorf("openapi: %s: components is not a mapping", name)
			}
			for sec, entries := range sections {
				if err := mergeLevel(doc, owner, name, []string{"components", sec}, entries); err != nil {
					return err
				}
			}
		case strings.HasPrefix(key, "x-") || name == BaseFragment:
			if prev, dup := owner[key]; dup {
				return fmt.Errorf("openapi: %s and %s both define %s", prev, name, key)
			}
			owner[key] = name
			doc[key] = val
		default:
			return fmt.Errorf("openapi: %s sets %q: only %s may (fragments add paths, components and x- extensions)", name, key, BaseFragment)
		}
	}
	return nil
}

// mergeLevel adds the entries of val (a mapping) under the key path at of
// doc.
func mergeLevel(doc map[string]any, owner map[string]string, name string, at []string, val any) error {
	entries, ok := val.(map[string]any)
	if !ok {
		return fmt.Errorf("openapi: %s: %s is not a mapping", name, strings.Join(at, "."))
	}
	dst := doc
	for _, k := range at {
		next, ok := dst[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			dst[k] = next
		}
		dst = next
	}
	for k, v := range entries {
		id := strings.Join(append(at[:len(at):len(at)], k), " ")
		if prev, dup := owner[id]; dup {
			return fmt.Errorf("openapi: %s and %s both define %s", prev, name, id)
		}
		owner[id] = name
		dst[k] = v
	}
	return nil
}

// Document is the merged description in both encodings.
type Document struct {
	Tree map[string]any
	YAML []byte
	JSON []byte
}

var (
	once   sync.Once
	built  *Document
	buildE error
)

// Get returns parkd's document, merged once from the embedded fragments.
func Get() (*Document, error) {
	once.Do(func() { built, buildE = Build(fragments) })
	return built, buildE
}

// Build merges the fragments of fsys and encodes the result.
func Build(fsys fs.FS) (*Document, error) {
	tree, err := Merge(fsys)
	if err != nil {
		return nil, err
	}
	j, err := json.MarshalIndent(tree, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	y, err := yaml.Marshal(tree)
	if err != nil {
		return nil, fmt.Errorf("openapi: %w", err)
	}
	return &Document{Tree: tree, YAML: y, JSON: j}, nil
}

// ServeYAML answers GET /openapi.yaml.
func ServeYAML(w http.ResponseWriter, r *http.Request) {
	serve(w, r, "application/yaml; charset=utf-8")
}

// ServeJSON answers GET /openapi.json.
func ServeJSON(w http.ResponseWriter, r *http.Request) {
	serve(w, r, "application/json; charset=utf-8")
}

func serve(w http.ResponseWriter, r *http.Request, contentType string) {
	d, err := Get()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	body := d.JSON
	if strings.HasPrefix(contentType, "application/yaml") {
		body = d.YAML
	}
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Header().Set("Content-Disposition", "inline; filename="+path.Base(r.URL.Path))
	_, _ = w.Write(body)
}

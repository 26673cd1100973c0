package openapi_test

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/parkd/parkd/internal/openapi"
)

// load returns the merged document as kin-openapi reads it.
func load(t *testing.T) *openapi3.T {
	t.Helper()
	d, err := openapi.Get()
	if err != nil {
		t.Fatal(err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(d.JSON)
	if err != nil {
		t.Fatalf("loading the merged document: %v", err)
	}
	return doc
}

func TestTheDocumentValidates(t *testing.T) {
	doc := load(t)
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the merged document is not valid OpenAPI 3.0: %v", err)
	}
	if doc.OpenAPI != "3.0.3" || doc.Info.Title != "parkd" {
		t.Errorf("openapi %q, title %q", doc.OpenAPI, doc.Info.Title)
	}
	d, _ := openapi.Get()
	yamlDoc, err := openapi3.NewLoader().LoadFromData(d.YAML)
	if err != nil {
		t.Fatalf("the YAML encoding does not load: %v", err)
	}
	if yamlDoc.Paths.Len() != doc.Paths.Len() {
		t.Errorf("YAML has %d paths, JSON %d", yamlDoc.Paths.Len(), doc.Paths.Len())
	}
}

const base = "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"

func TestMergeFailsOnADuplicate(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"path", map[string]string{
			"a.yaml": "paths:\n  /x: {get: {responses: {'200': {description: ok}}}}\n",
			"b.yaml": "paths:\n  /x: {post: {responses: {'200': {description: ok}}}}\n"}, "a.yaml and b.yaml both define paths /x"},
		{"schema", map[string]string{
			"a.yaml": "components: {schemas: {S: {type: string}}}\n",
			"b.yaml": "components: {schemas: {S: {type: integer}}}\n"}, "both define components schemas S"},
		{"extension", map[string]string{"a.yaml": "x-k: 1\n", "b.yaml": "x-k: 2\n"}, "both define x-k"},
		{"info outside base", map[string]string{"a.yaml": "info: {title: u}\n"}, `a.yaml sets "info"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"base.yaml": {Data: []byte(base)}}
			for n, s := range tc.files {
				fsys[n] = &fstest.MapFile{Data: []byte(s)}
			}
			_, err := openapi.Build(fsys)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Build: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestMergeJoinsPathsAndComponents(t *testing.T) {
	fsys := fstest.MapFS{
		"base.yaml": {Data: []byte(base + "components: {securitySchemes: {k: {type: http, scheme: bearer}}}\n")},
		"a.yaml":    {Data: []byte("paths:\n  /a: {get: {responses: {200: {description: ok}}}}\ncomponents: {schemas: {A: {type: string}}}\n")},
		"b.yaml":    {Data: []byte("paths:\n  /b: {get: {responses: {'200': {description: ok}}}}\ncomponents: {schemas: {B: {type: string}}}\n")},
	}
	d, err := openapi.Build(fsys)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(d.JSON)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if doc.Paths.Find("/a") == nil || doc.Paths.Find("/b") == nil || doc.Components.Schemas["A"] == nil ||
		doc.Components.Schemas["B"] == nil || doc.Components.SecuritySchemes["k"] == nil {
		t.Fatalf("merged: %s", d.JSON)
	}
}

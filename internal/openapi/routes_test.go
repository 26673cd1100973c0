package openapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/parkd/parkd/protocol"
)

// module is the import path of this repository.
const module = "github.com/parkd/parkd"

// root is the repository root, from this package's folder.
var root = filepath.Join("..", "..")

// route is one pattern given to a ServeMux.
type route struct {
	method, path string
	at           string // file:line
}

// debugPrefix starts the runtime profiles' routes. They are served on
// the separate loopback listener of Config.DebugAddr, never on the
// platform's port that the OpenAPI document describes.
const debugPrefix = "/debug/pprof/"

// importsHTTP reports whether f imports net/http, as every file that
// registers routes does.
func importsHTTP(f *ast.File) bool {
	for _, imp := range f.Imports {
		if ip, _ := strconv.Unquote(imp.Path.Value); ip == "net/http" {
			return true
		}
	}
	return false
}

// codeRoutes parses the non-test Go files of cmd/parkd and of every
// package of this module it imports, and returns the patterns given to
// Handle and HandleFunc, with string constants (protocol.PathPrefix)
// resolved. unresolved lists the calls whose pattern is not a constant
// expression.
func codeRoutes(t *testing.T) (routes []route, unresolved []string) {
	t.Helper()
	fset := token.NewFileSet()
	pkgs := map[string][]*ast.File{} // import path -> files
	queue := []string{module + "/cmd/parkd"}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if _, seen := pkgs[p]; seen {
			continue
		}
		files := parseDir(t, fset, filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(p, module))))
		pkgs[p] = files
		for _, f := range files {
			for _, imp := range f.Imports {
				if ip, _ := strconv.Unquote(imp.Path.Value); strings.HasPrefix(ip, module+"/") {
					queue = append(queue, ip)
				}
			}
		}
	}
	consts := stringConsts(pkgs)
	for p, files := range pkgs {
		for _, f := range files {
			if !importsHTTP(f) {
				continue // a Handle there is not a mux's (slog.Handler.Handle)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || len(call.Args) != 2 {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
					return true
				}
				at := fset.Position(call.Pos()).String()
				pattern, ok := eval(call.Args[0], p, f, consts)
				if !ok {
					unresolved = append(unresolved, at)
					return true
				}
				if r, ok := parsePattern(pattern); ok {
					r.at = at
					routes = append(routes, r)
				}
				return true
			})
		}
	}
	sort.Slice(routes, func(i, j int) bool { return routes[i].path+routes[i].method < routes[j].path+routes[j].method })
	return routes, unresolved
}

// parseDir parses the non-test Go files of dir.
func parseDir(t *testing.T, fset *token.FileSet, dir string) []*ast.File {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("reading %s: %v", dir, err)
	}
	var files []*ast.File
	for _, e := range entries {
		n := e.Name()
		if e.IsDir() || !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatalf("parsing %s: %v", n, err)
		}
		files = append(files, f)
	}
	return files
}

// stringConsts maps "importpath.Name" to the value of every top-level
// string constant given as a literal.
func stringConsts(pkgs map[string][]*ast.File) map[string]string {
	out := map[string]string{}
	for p, files := range pkgs {
		for _, f := range files {
			for _, d := range f.Decls {
				g, ok := d.(*ast.GenDecl)
				if !ok || g.Tok != token.CONST {
					continue
				}
				for _, s := range g.Specs {
					vs := s.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if i < len(vs.Values) {
							if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
								out[p+"."+name.Name], _ = strconv.Unquote(lit.Value)
							}
						}
					}
				}
			}
		}
	}
	return out
}

// eval resolves a string expression of literals, constants and +.
func eval(e ast.Expr, pkg string, f *ast.File, consts map[string]string) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.ParenExpr:
		return eval(x.X, pkg, f, consts)
	case *ast.BinaryExpr:
		if x.Op != token.ADD {
			return "", false
		}
		a, ok1 := eval(x.X, pkg, f, consts)
		b, ok2 := eval(x.Y, pkg, f, consts)
		return a + b, ok1 && ok2
	case *ast.Ident:
		v, ok := consts[pkg+"."+x.Name]
		return v, ok
	case *ast.SelectorExpr:
		id, ok := x.X.(*ast.Ident)
		if !ok {
			return "", false
		}
		for _, imp := range f.Imports {
			ip, _ := strconv.Unquote(imp.Path.Value)
			name := ip[strings.LastIndex(ip, "/")+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			if name == id.Name {
				v, ok := consts[ip+"."+x.Sel.Name]
				return v, ok
			}
		}
	}
	return "", false
}

// parsePattern splits a ServeMux pattern ("POST /a/{b}", "/x/") into
// method and path; ok is false for strings that are not patterns.
func parsePattern(p string) (route, bool) {
	method, path, found := strings.Cut(p, " ")
	if !found {
		method, path = "", p
	}
	if !strings.HasPrefix(path, "/") {
		return route{}, false
	}
	path = strings.TrimSuffix(path, "{$}")
	return route{method: method, path: path}, true
}

// documented reports whether the document has method on path; a
// pattern with no method needs some operation on the path; the uplink
// route (POST /dataReceive/v1/{code}) needs the concrete path of every
// interface code (TestEveryUplinkInterfaceHasItsPath checks which); a subtree
// pattern ("/dataReceive/", the catch-all of unknown interfaces) needs
// some documented path under it. Pattern wildcards match by position,
// whatever their names.
func documented(ops map[string]map[string]bool, r route) bool {
	if r.method == "POST" && strings.HasPrefix(r.path, protocol.PathPrefix+"{") {
		for _, i := range slices.Concat(protocol.Uplink, protocol.OffPeak) {
			if !ops[i.Path()]["POST"] {
				return false
			}
		}
		return true
	}
	if strings.HasSuffix(r.path, "/") && r.path != "/" {
		for p := range ops {
			if strings.HasPrefix(p, r.path) {
				return true
			}
		}
		return false
	}
	for p, methods := range ops {
		if sameShape(p, r.path) && (r.method == "" && len(methods) > 0 || methods[r.method] || r.method == "GET" && methods["HEAD"]) {
			return true
		}
	}
	return false
}

// sameShape compares two paths segment by segment, a {wildcard} matching
// any wildcard.
func sameShape(a, b string) bool {
	as, bs := strings.Split(a, "/"), strings.Split(b, "/")
	if len(as) != len(bs) {
		return false
	}
	for i := range as {
		wa, wb := strings.HasPrefix(as[i], "{"), strings.HasPrefix(bs[i], "{")
		if wa != wb || !wa && as[i] != bs[i] {
			return false
		}
	}
	return true
}

func TestEveryRegisteredRouteIsDocumented(t *testing.T) {
	doc := load(t)
	ops := map[string]map[string]bool{}
	for p, item := range doc.Paths.Map() {
		ops[p] = map[string]bool{}
		for m := range item.Operations() {
			ops[p][m] = true
		}
	}
	routes, unresolved := codeRoutes(t)
	for _, at := range unresolved {
		t.Errorf("%s: a route pattern that is not a constant expression", at)
	}
	if len(routes) < 10 {
		t.Fatalf("found only %d routes in the code: %v", len(routes), routes)
	}
	var missing []string
	for _, r := range routes {
		if strings.HasPrefix(r.path, debugPrefix) {
			continue
		}
		if !documented(ops, r) {
			missing = append(missing, strings.TrimSpace(r.method+" "+r.path)+" ("+r.at+")")
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d routes of the code are not in the OpenAPI document:\n%s", len(missing), strings.Join(missing, "\n"))
	}
}

// TestEveryUplinkInterfaceHasItsPath: the code routes POST
// /dataReceive/v1/{code}; the document lists one path per interface, with
// the code as its operationId and an envelope of its own. Every interface
// code of protocol has its path, and every documented path under
// /dataReceive/v1/ is an interface the platform serves (not the downlink
// ones, which are x-webhooks and callbacks).
func TestEveryUplinkInterfaceHasItsPath(t *testing.T) {
	doc := load(t)
	for _, i := range slices.Concat(protocol.Uplink, protocol.OffPeak) {
		item := doc.Paths.Value(i.Path())
		if item == nil || item.Post == nil {
			t.Errorf("no POST %s in the document", i.Path())
			continue
		}
		if item.Post.OperationID != string(i) {
			t.Errorf("POST %s: operationId %q, want %q", i.Path(), item.Post.OperationID, i)
		}
		media := "application/json"
		if i == protocol.PictureCode {
			media = "multipart/form-data"
		}
		body := item.Post.RequestBody.Value.Content.Get(media)
		if body == nil || body.Schema == nil {
			t.Errorf("POST %s: no %s request body", i.Path(), media)
			continue
		}
		want := "#/components/schemas/" + strings.ToUpper(string(i[:1])) + string(i[1:]) + "Envelope"
		if i == protocol.PictureCode {
			want = "#/components/schemas/PictureForm"
		}
		if body.Schema.Ref != want {
			t.Errorf("POST %s: request schema %q, want %q", i.Path(), body.Schema.Ref, want)
		}
		ok := item.Post.Responses.Status(200)
		if ok == nil || ok.Value.Content.Get("application/json") == nil ||
			ok.Value.Content.Get("application/json").Schema.Ref != "#/components/schemas/"+strings.ToUpper(string(i[:1]))+string(i[1:])+"Answer" {
			t.Errorf("POST %s: the 200 answer is not its own envelope", i.Path())
		}
	}
	for p := range doc.Paths.Map() {
		if code, ok := strings.CutPrefix(p, protocol.PathPrefix); ok && !protocol.Interface(code).IsUplink() {
			t.Errorf("%s is documented but the platform serves no interface %q", p, code)
		}
	}
	for _, i := range protocol.Downlink {
		if doc.Paths.Value(i.Path()) != nil {
			t.Errorf("%s is the parking system's, not a path of the platform", i.Path())
		}
		hooks, _ := doc.Extensions["x-webhooks"].(map[string]any)
		if _, ok := hooks[string(i)]; !ok {
			t.Errorf("x-webhooks lacks %s", i)
		}
	}
	cbs := doc.Paths.Value("/api/v1/reservations").Post.Callbacks
	if cbs["reservation"] == nil || cbs["reservation"].Value == nil || cbs["reservation"].Value.Value("{callback}/dataReceive/v1/reservation") == nil {
		t.Errorf("POST /api/v1/reservations has no reservation callback: %v", cbs)
	}
}

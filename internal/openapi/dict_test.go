package openapi_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/parkd/parkd/protocol"
)

// dictionaries maps each dictionary schema to protocol's check of it.
var dictionaries = map[string]func(int) bool{
	"ParkType":       func(v int) bool { return protocol.ParkType(v).Valid() },
	"ServiceType":    func(v int) bool { return protocol.ServiceType(v).Valid() },
	"BizStatus":      func(v int) bool { return protocol.BizStatus(v).Valid() },
	"Flag":           func(v int) bool { return protocol.Flag(v).Valid() },
	"StructuralType": func(v int) bool { return protocol.StructuralType(v).Valid() },
	"BusinessType":   func(v int) bool { return protocol.BusinessType(v).Valid() },
	"EntranceType":   func(v int) bool { return protocol.EntranceType(v).Valid() },
	"EntranceStatus": func(v int) bool { return protocol.EntranceStatus(v).Valid() },
	"CarModel":       func(v int) bool { return protocol.CarModel(v).Valid() },
	"CarColor":       func(v int) bool { return protocol.CarColor(v).Valid() },
	"PlateColor":     func(v int) bool { return protocol.PlateColor(v).Valid() },
	"ImageBizType":   func(v int) bool { return protocol.ImageBizType(v).Valid() },
	"BookType":       func(v int) bool { return protocol.BookType(v).Valid() },
	"SpaceType":      func(v int) bool { return protocol.SpaceType(v).Valid() },
	"OperateType":    func(v int) bool { return protocol.OperateType(v).Valid() },
}

// enumOf returns a schema's integer enum and its labels.
func enumOf(t *testing.T, s *openapi3.Schema) ([]int, []string) {
	t.Helper()
	var vals []int
	for _, e := range s.Enum {
		f, ok := e.(float64)
		if !ok {
			t.Fatalf("enum value %v (%T) is not a number", e, e)
		}
		vals = append(vals, int(f))
	}
	raw, _ := s.Extensions["x-enum-descriptions"].([]any)
	labels := make([]string, len(raw))
	for i, l := range raw {
		labels[i], _ = l.(string)
	}
	return vals, labels
}

// dictLabels reads protocol/dict.go's constants: type name -> value ->
// the label in the constant's comment (before any ":").
func dictLabels(t *testing.T) map[string]map[int]string {
	t.Helper()
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filepath.Join(root, "protocol", "dict.go"), nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[int]string{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		for _, spec := range g.Specs {
			vs := spec.(*ast.ValueSpec)
			typ, ok := vs.Type.(*ast.Ident)
			if !ok || len(vs.Values) != 1 || vs.Comment == nil {
				continue
			}
			lit, ok := vs.Values[0].(*ast.BasicLit)
			if !ok {
				continue
			}
			v, _ := strconv.Atoi(lit.Value)
			label, _, _ := strings.Cut(strings.TrimSpace(vs.Comment.Text()), ":")
			if out[typ.Name] == nil {
				out[typ.Name] = map[int]string{}
			}
			out[typ.Name][v] = strings.TrimSpace(label)
		}
	}
	return out
}

// TestDictionariesAreProtocols: each dictionary schema's enum is exactly
// the values protocol accepts, with one label per value, and the label of
// every value protocol names is protocol's.
func TestDictionariesAreProtocols(t *testing.T) {
	doc := load(t)
	labels := dictLabels(t)
	for name, valid := range dictionaries {
		ref := doc.Components.Schemas[name]
		if ref == nil {
			t.Errorf("no schema %s", name)
			continue
		}
		vals, descs := enumOf(t, ref.Value)
		var want []int
		for v := -5; v <= 200; v++ {
			if valid(v) {
				want = append(want, v)
			}
		}
		if !slices.Equal(vals, want) {
			t.Errorf("%s: enum %v, protocol accepts %v", name, vals, want)
		}
		if len(descs) != len(vals) || slices.Contains(descs, "") {
			t.Errorf("%s: %d labels for %d values: %q", name, len(descs), len(vals), descs)
			continue
		}
		for i, v := range vals {
			if l, ok := labels[name][v]; ok && l != descs[i] {
				t.Errorf("%s %d: label %q, protocol/dict.go says %q", name, v, descs[i], l)
			}
			if !strings.Contains(ref.Value.Description, strconv.Itoa(v)+" "+descs[i]) {
				t.Errorf("%s: the description does not list %d %s", name, v, descs[i])
			}
		}
	}
	if len(labels["CarColor"]) != 8 || len(labels["ParkType"]) != 3 {
		t.Fatalf("read too few labels from protocol/dict.go: %v", labels)
	}
}

// TestCodeTableIsAppendixA: the Code schema lists every code protocol
// knows, with its message, and nothing else.
func TestCodeTableIsAppendixA(t *testing.T) {
	doc := load(t)
	ref := doc.Components.Schemas["Code"]
	if ref == nil {
		t.Fatal("no schema Code")
	}
	vals, descs := enumOf(t, ref.Value)
	var want []int
	for c := range 10000 {
		if protocol.Code(c).Known() {
			want = append(want, c)
		}
	}
	if !slices.Equal(vals, want) {
		t.Fatalf("Code enum %v, protocol knows %v", vals, want)
	}
	for i, v := range vals {
		if i >= len(descs) || descs[i] != protocol.Code(v).Message() {
			t.Errorf("code %d: label %q, want %q", v, descs, protocol.Code(v).Message())
		}
		if !strings.Contains(ref.Value.Description, "| "+strconv.Itoa(v)+" | "+protocol.Code(v).Message()+" |") {
			t.Errorf("the Code table lacks the row of %d", v)
		}
	}
	// Every answer envelope's code is this schema.
	for _, i := range slices.Concat(protocol.Uplink, protocol.OffPeak) {
		name := strings.ToUpper(string(i[:1])) + string(i[1:]) + "Answer"
		s := doc.Components.Schemas[name]
		if s == nil || s.Value.Properties["code"] == nil || s.Value.Properties["code"].Ref != "#/components/schemas/Code" {
			t.Errorf("%s.code is not the Code schema", name)
		}
	}
}

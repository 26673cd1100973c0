package city

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/protocol"
)

func TestShenzhenIsValid(t *testing.T) {
	if err := Shenzhen().Validate(); err != nil {
		t.Fatal(err)
	}
}

func TestLoadReadsTheGuangzhouExample(t *testing.T) {
	c, err := Load(filepath.Join("..", "..", "docs", "examples", "city-guangzhou.json"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "广州市" || len(c.Regions) != 11 || c.Regions["440106"] != "天河区" || c.Zoom != 10 {
		t.Errorf("loaded %+v", c)
	}
	if !c.Bounds.Contains(113.3612, 23.1247) || c.Bounds.Contains(114.131, 22.548) {
		t.Errorf("bounds %+v: Tianhe must be inside and Luohu outside", c.Bounds)
	}
}

// edit returns the Guangzhou example as a JSON object after fn changed it.
func edit(t *testing.T, fn func(m map[string]any)) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "examples", "city-guangzhou.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	fn(m)
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestParseNamesTheBadField(t *testing.T) {
	bounds := func(k string, v float64) func(m map[string]any) {
		return func(m map[string]any) { m["bounds"].(map[string]any)[k] = v }
	}
	for _, tc := range []struct {
		name  string
		edit  func(m map[string]any)
		field string
	}{
		{"empty name", func(m map[string]any) { m["name"] = " " }, "name"},
		{"no regions", func(m map[string]any) { m["regions"] = map[string]any{} }, "regions"},
		{"five-digit code", func(m map[string]any) { m["regions"] = map[string]any{"44010": "x"} }, `regions: code "44010"`},
		{"letters in a code", func(m map[string]any) { m["regions"] = map[string]any{"4401a6": "x"} }, `regions: code "4401a6"`},
		{"empty region name", func(m map[string]any) { m["regions"] = map[string]any{"440106": ""} }, "regions[440106]"},
		{"minLng west of China", bounds("minLng", 72.9), "bounds.minLng"},
		{"maxLat north of China", bounds("maxLat", 53.7), "bounds.maxLat"},
		{"minLng not below maxLng", bounds("minLng", 114.06), "bounds.minLng"},
		{"minLat above maxLat", bounds("minLat", 24.0), "bounds.minLat"},
		{"centre outside", func(m map[string]any) { m["center"] = map[string]any{"lng": 114.131, "lat": 22.548} }, "center"},
		{"zoom 0", func(m map[string]any) { m["zoom"] = 0 }, "zoom"},
		{"zoom 20", func(m map[string]any) { m["zoom"] = 20 }, "zoom"},
		{"misspelt field", func(m map[string]any) { m["zooom"] = 3 }, "zooom"},
		{"code not a string name", func(m map[string]any) { m["regions"] = map[string]any{"440106": 1} }, "regions"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(edit(t, tc.edit))
			if err == nil || !strings.Contains(err.Error(), tc.field) {
				t.Fatalf("Parse: %v, want an error naming %q", err, tc.field)
			}
		})
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "city.json")
	if err := os.WriteFile(p, []byte(`{"name":"x"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), p) || !strings.Contains(err.Error(), "regions") {
		t.Fatalf("Load: %v, want an error naming the file and regions", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.json")); err == nil {
		t.Fatal("Load of a missing file: no error")
	}
}

func TestCheckPositionNamesTheCoordinate(t *testing.T) {
	c := Shenzhen()
	if err := c.CheckPosition("data[0].", 114.0579, 22.5431); err != nil {
		t.Fatalf("Futian: %v", err)
	}
	for _, tc := range []struct {
		lng, lat float64
		field    string
	}{{113.2644, 22.5431, "data[0].longitude"}, {114.0579, 23.1291, "data[0].latitude"}} {
		err := c.CheckPosition("data[0].", tc.lng, tc.lat)
		var pe *protocol.Error
		if !errors.As(err, &pe) || pe.Code != protocol.CodeRange || !strings.Contains(err.Error(), tc.field) {
			t.Errorf("(%v, %v): %v, want 1007 naming %s", tc.lng, tc.lat, err, tc.field)
		}
	}
}

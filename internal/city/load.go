package city

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strings"

	"github.com/parkd/parkd/protocol"
)

// Load reads a City from a JSON file with the fields of City
// (docs/examples/city-guangzhou.json is one) and validates it.
func Load(path string) (City, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return City{}, fmt.Errorf("city: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return City{}, fmt.Errorf("city %s: %w", path, err)
	}
	return c, nil
}

// Parse decodes a City from JSON and validates it. Unknown fields are
// refused, so a misspelt field is not silently left at zero.
func Parse(b []byte) (City, error) {
	var c City
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return City{}, err
	}
	if dec.More() {
		return City{}, fmt.Errorf("trailing data after the city object")
	}
	return c, c.Validate()
}

// Validate checks that c has a name, at least one region with a six-digit
// code and a name, bounds inside the protocol's China bounds with min <
// max, a centre inside the bounds and a zoom of 1-19. The error names the
// field.
func (c City) Validate() error {
	if strings.TrimSpace(c.Name) == "" {
		return fmt.Errorf("name: must not be empty")
	}
	if len(c.Regions) == 0 {
		return fmt.Errorf("regions: at least one region is needed")
	}
	for code, name := range c.Regions {
		if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
			return fmt.Errorf("regions: code %q is not six digits", code)
		}
		if strings.TrimSpace(name) == "" {
			return fmt.Errorf("regions[%s]: name must not be empty", code)
		}
	}
	if err := c.Bounds.validate(); err != nil {
		return err
	}
	if !c.Bounds.Contains(c.Center.Lng, c.Center.Lat) {
		return fmt.Errorf("center: (%v, %v) is outside the bounds", c.Center.Lng, c.Center.Lat)
	}
	if c.Zoom < 1 || c.Zoom > 19 {
		return fmt.Errorf("zoom: %d is not 1-19", c.Zoom)
	}
	return nil
}

// validate checks that b lies inside the protocol's China bounds
// (docs/protocol.md §3) and that each minimum is below its maximum.
func (b Bounds) validate() error {
	for _, f := range []struct {
		name     string
		v        float64
		min, max float64
	}{
		{"bounds.minLng", b.MinLng, protocol.MinLongitude, protocol.MaxLongitude},
		{"bounds.maxLng", b.MaxLng, protocol.MinLongitude, protocol.MaxLongitude},
		{"bounds.minLat", b.MinLat, protocol.MinLatitude, protocol.MaxLatitude},
		{"bounds.maxLat", b.MaxLat, protocol.MinLatitude, protocol.MaxLatitude},
	} {
		if math.IsNaN(f.v) || f.v < f.min || f.v > f.max {
			return fmt.Errorf("%s: %v is outside %.1f-%.1f", f.name, f.v, f.min, f.max)
		}
	}
	if b.MinLng >= b.MaxLng {
		return fmt.Errorf("bounds.minLng: %v is not below maxLng %v", b.MinLng, b.MaxLng)
	}
	if b.MinLat >= b.MaxLat {
		return fmt.Errorf("bounds.minLat: %v is not below maxLat %v", b.MinLat, b.MaxLat)
	}
	return nil
}

// CheckPosition returns a 1007 error naming path's longitude or latitude
// when (lng, lat) lies outside the city's bounds. path is the item's
// field prefix, e.g. "data[0].".
func (c City) CheckPosition(path string, lng, lat float64) error {
	b := c.Bounds
	if lng < b.MinLng || lng > b.MaxLng {
		return protocol.FieldErrorf(protocol.CodeRange, path+"longitude", "(%v is outside %s, %v-%v)", lng, c.Name, b.MinLng, b.MaxLng)
	}
	if lat < b.MinLat || lat > b.MaxLat {
		return protocol.FieldErrorf(protocol.CodeRange, path+"latitude", "(%v is outside %s, %v-%v)", lat, c.Name, b.MinLat, b.MaxLat)
	}
	return nil
}

// Package city is the deployment's geography: the region codes parkInfo
// accepts (appendix F for Shenzhen), the coordinate bounds of its parks
// and the public map's default view. Shenzhen is the default; another
// city is a configuration file, not a code change.
package city

import "github.com/parkd/parkd/protocol"

// Bounds is a GCJ-02 box of longitudes and latitudes.
type Bounds struct {
	MinLng float64 `json:"minLng"`
	MinLat float64 `json:"minLat"`
	MaxLng float64 `json:"maxLng"`
	MaxLat float64 `json:"maxLat"`
}

// Contains reports whether (lng, lat) lies in b, edges included.
func (b Bounds) Contains(lng, lat float64) bool {
	return lng >= b.MinLng && lng <= b.MaxLng && lat >= b.MinLat && lat <= b.MaxLat
}

// Point is a GCJ-02 position.
type Point struct {
	Lng float64 `json:"lng"`
	Lat float64 `json:"lat"`
}

// City is one deployment's geography.
type City struct {
	Name    string           `json:"name"`
	Regions protocol.Regions `json:"regions"` // area code -> name
	Bounds  Bounds           `json:"bounds"`  // parks outside are refused (1007)
	Center  Point            `json:"center"`  // the map's default centre
	Zoom    int              `json:"zoom"`    // the map's default zoom (web tiles)
	// TileURL is an optional slippy-map tile template
	// ("https://tiles.example/{z}/{x}/{y}.png"); empty draws no tiles.
	TileURL string `json:"tileUrl,omitempty"`
}

// Shenzhen is the default: appendix F and the city's extent.
func Shenzhen() City {
	return City{
		Name:    "深圳市",
		Regions: protocol.Shenzhen,
		Bounds:  Bounds{MinLng: 113.70, MinLat: 22.35, MaxLng: 114.70, MaxLat: 22.90},
		Center:  Point{Lng: 114.06, Lat: 22.55},
		Zoom:    11,
	}
}

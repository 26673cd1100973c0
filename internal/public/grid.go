package public

import (
	"cmp"
	"math"
	"slices"
)

// earthRadius is the mean radius of the Earth in metres.
const earthRadius = 6371008.8

// metresPerDegree is the length of one degree of latitude.
const metresPerDegree = earthRadius * math.Pi / 180

// cellDegrees is the side of a grid cell: about 1.1 km of latitude.
const cellDegrees = 0.01

// Distance returns the great-circle (haversine) distance in metres between
// two GCJ-02 points: exact enough at city scale.
func Distance(lng1, lat1, lng2, lat2 float64) float64 {
	rad := math.Pi / 180
	dLat := (lat2 - lat1) * rad
	dLng := (lng2 - lng1) * rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) +
		math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * earthRadius * math.Asin(math.Sqrt(min(1, a)))
}

type cellKey struct{ x, y int32 }

func cellOf(lng, lat float64) cellKey {
	return cellKey{int32(math.Floor(lng / cellDegrees)), int32(math.Floor(lat / cellDegrees))}
}

// grid is a spatial index of parks in cells of cellDegrees.
type grid struct {
	cells map[cellKey][]*Park
}

func newGrid(parks []*Park) *grid {
	g := &grid{cells: map[cellKey][]*Park{}}
	for _, p := range parks {
		k := cellOf(p.Lng, p.Lat)
		g.cells[k] = append(g.cells[k], p)
	}
	return g
}

// hit is a park found near a point.
type hit struct {
	park     *Park
	distance float64
}

// near returns the parks within radius metres of (lng, lat) for which
// keep is true, nearest first (ties by IsvParkID), at most limit.
func (g *grid) near(lng, lat, radius float64, limit int, keep func(*Park) bool) []hit {
	dLat := radius / metresPerDegree
	// The box's longitude span is widest at the latitude farthest from
	// the equator.
	edge := math.Min(89, math.Abs(lat)+dLat)
	dLng := dLat / math.Cos(edge*math.Pi/180)
	lo, hi := cellOf(lng-dLng, lat-dLat), cellOf(lng+dLng, lat+dLat)
	var hits []hit
	for x := lo.x; x <= hi.x; x++ {
		for y := lo.y; y <= hi.y; y++ {
			for _, p := range g.cells[cellKey{x, y}] {
				if keep != nil && !keep(p) {
					continue
				}
				if d := Distance(lng, lat, p.Lng, p.Lat); d <= radius {
					hits = append(hits, hit{p, d})
				}
			}
		}
	}
	slices.SortFunc(hits, func(a, b hit) int {
		if c := cmp.Compare(a.distance, b.distance); c != 0 {
			return c
		}
		return cmp.Compare(a.park.IsvParkID, b.park.IsvParkID)
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

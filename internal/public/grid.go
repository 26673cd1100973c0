package public

import (
	"cmp"
	"math"
	"sort"
)

// earthRadius is the mean radius of the Earth in metres.
const earthRadius = 6371008.8

// metresPerDegree is the length of one degree of latitude.
const metresPerDegree = earthRadius * math.Pi / 180

// cellDegrees is the side of a grid cell: about 1.1 km of latitude.
const cellDegrees = 0.01

const radians = math.Pi / 180

// Distance returns the great-circle (haversine) distance in metres between
// two GCJ-02 points: exact enough at city scale.
func Distance(lng1, lat1, lng2, lat2 float64) float64 {
	return angle(haversine(lng1, lat1, math.Cos(lat1*radians), lng2, lat2, math.Cos(lat2*radians)))
}

// haversine returns the haversine of the central angle between two
// points, given the cosines of their latitudes. It grows with the
// distance, so it orders points as the distance does.
func haversine(lng1, lat1, cos1, lng2, lat2, cos2 float64) float64 {
	sLat := sin((lat2 - lat1) * radians / 2)
	sLng := sin((lng2 - lng1) * radians / 2)
	return min(1, sLat*sLat+cos1*cos2*sLng*sLng)
}

// sin is math.Sin, by its Taylor series for the small angles of a city
// (under 0.01 rad, where the first left-out term, x^7/5040, is below the
// precision of a float64).
func sin(x float64) float64 {
	if math.Abs(x) >= 0.01 {
		return math.Sin(x)
	}
	x2 := x * x
	return x * (1 - x2/6*(1-x2/20))
}

// angle returns the distance in metres of a haversine value.
func angle(h float64) float64 { return 2 * earthRadius * math.Asin(math.Sqrt(h)) }

type cellKey struct{ x, y int32 }

func cellOf(lng, lat float64) cellKey {
	return cellKey{int32(math.Floor(lng / cellDegrees)), int32(math.Floor(lat / cellDegrees))}
}

// point is a park in the grid, with its coordinates at hand.
type point struct {
	lng, lat, cos float64
	park          *Park
}

// grid is a spatial index of parks in cells of cellDegrees.
type grid struct {
	cells map[cellKey][]point
}

func newGrid(parks []*Park) *grid {
	g := &grid{cells: map[cellKey][]point{}}
	for _, p := range parks {
		k := cellOf(p.Lng, p.Lat)
		g.cells[k] = append(g.cells[k], point{p.Lng, p.Lat, math.Cos(p.Lat * radians), p})
	}
	return g
}

// hit is a park found near a point.
type hit struct {
	park     *Park
	h        float64 // haversine, while searching
	distance float64 // metres
}

// before orders hits nearest first, ties by IsvParkID.
func before(a, b hit) bool {
	if c := cmp.Compare(a.h, b.h); c != 0 {
		return c < 0
	}
	return a.park.IsvParkID < b.park.IsvParkID
}

// near returns the parks within radius metres of (lng, lat) for which
// keep is true, nearest first (ties by IsvParkID), at most limit.
func (g *grid) near(lng, lat, radius float64, limit int, keep func(*Park) bool) []hit {
	dLat := radius / metresPerDegree
	// The box's longitude span is widest at the latitude farthest from
	// the equator.
	edge := math.Min(89, math.Abs(lat)+dLat)
	dLng := dLat / math.Cos(edge*radians)
	lo, hi := cellOf(lng-dLng, lat-dLat), cellOf(lng+dLng, lat+dLat)
	cosQ := math.Cos(lat * radians)
	s := math.Sin(min(math.Pi/2, radius/earthRadius/2))
	within := s * s // the haversine of radius
	top := make([]hit, 0, min(limit, 64))
	for x := lo.x; x <= hi.x; x++ {
		for y := lo.y; y <= hi.y; y++ {
			for _, p := range g.cells[cellKey{x, y}] {
				h := haversine(lng, lat, cosQ, p.lng, p.lat, p.cos)
				if h > within || keep != nil && !keep(p.park) {
					continue
				}
				top = insertTop(top, hit{park: p.park, h: h}, limit)
			}
		}
	}
	for i := range top {
		top[i].distance = angle(top[i].h)
	}
	return top
}

// insertTop adds c to top, kept sorted and at most limit long.
func insertTop(top []hit, c hit, limit int) []hit {
	if len(top) == limit && !before(c, top[limit-1]) {
		return top
	}
	i := sort.Search(len(top), func(i int) bool { return before(c, top[i]) })
	if len(top) < limit {
		top = append(top, hit{})
	}
	copy(top[i+1:], top[i:len(top)-1])
	top[i] = c
	return top
}

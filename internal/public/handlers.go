package public

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/request"
)

// Query limits of the parks route.
const (
	DefaultRadius = 1000
	MaxRadius     = 20000
	DefaultLimit  = 20
	MaxLimit      = 200
)

// GCJ-02 is defined over China: points outside these bounds are refused
// (the same bounds as docs/protocol.md §3).
const (
	minLng, maxLng = 73.0, 135.5
	minLat, maxLat = 3.5, 53.6
)

// bufPool holds the buffers of nearby answers; maxPooled bounds what it
// keeps.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

const maxPooled = 256 << 10

// body is an answer's bytes and their strong ETag.
type body struct {
	bytes []byte
	etag  string
}

// marshalBody marshals v as JSON.
func marshalBody(v any) (body, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return body{}, err
	}
	return bodyOf(append(b, '\n')), nil
}

// bodyOf returns b with its ETag.
func bodyOf(b []byte) body {
	sum := sha256.Sum256(b)
	return body{bytes: b, etag: `"` + hex.EncodeToString(sum[:16]) + `"`}
}

// newBody marshals v, a value of this package's own types (plain strings
// and numbers, which always marshal).
func newBody(v any) body {
	b, err := marshalBody(v)
	if err != nil {
		panic(fmt.Sprintf("public: marshal %T: %v", v, err))
	}
	return b
}

// Guard applies the per-address limit and the headers every public
// answer shares, then calls h.
func (s *Service) Guard(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		if ok, wait := s.limits.Allow(request.ClientAddr(r), time.Now()); !ok {
			secs := max(1, int(math.Ceil(wait.Seconds())))
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			writeError(w, http.StatusTooManyRequests, fmt.Sprintf("rate limit of this address exceeded; retry after %d s", secs))
			return
		}
		h(w, r)
	})
}

// write answers b, or 304 when the request already holds it.
func (s *Service) write(w http.ResponseWriter, r *http.Request, b body) {
	h := w.Header()
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(max(1, int(s.Cfg.Refresh/time.Second))))
	h.Set("ETag", b.etag)
	if matches(r.Header.Get("If-None-Match"), b.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(len(b.bytes)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.bytes)
	}
}

// matches reports whether an If-None-Match header names etag (weak
// comparison, as RFC 9110 asks for If-None-Match).
func matches(header, etag string) bool {
	if header == "" {
		return false
	}
	for t := range strings.SplitSeq(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" || t == etag {
			return true
		}
	}
	return false
}

// writeError answers {"error": msg}, not cached.
func writeError(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(struct {
		Error string `json:"error"`
	}{msg})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

// internalError logs err with the request id and answers 500.
func (s *Service) internalError(w http.ResponseWriter, r *http.Request, err error) {
	id := request.RequestID(r.Context())
	s.Log.Error("public: internal error", "requestId", id, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error, request "+id)
}

// ServeParks answers the nearby (lng, lat, radius) and district queries.
func (s *Service) ServeParks(w http.ResponseWriter, r *http.Request) {
	q, err := parseQuery(r, s)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	snap, err := s.current(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !q.near {
		ps := snap.byDistrict[q.district]
		if q.limitSet && q.limit < len(ps) {
			s.write(w, r, listBody(ps[:q.limit]))
			return
		}
		s.write(w, r, snap.districtList(q.district))
		return
	}
	var keep func(*Park) bool
	if q.district != "" {
		keep = func(p *Park) bool { return p.AreaCode == q.district }
	}
	hits := snap.grid.near(q.lng, q.lat, q.radius, q.limit, keep)
	parks, distances := make([]*Park, len(hits)), make([]int, len(hits))
	for i, h := range hits {
		parks[i], distances[i] = h.park, int(math.Round(h.distance))
	}
	// Nearby answers differ from one query to the next: their bytes go
	// back to a pool once written.
	buf := bufPool.Get().(*[]byte)
	*buf = appendList((*buf)[:0], parks, distances)
	s.write(w, r, bodyOf(*buf))
	if cap(*buf) <= maxPooled {
		bufPool.Put(buf)
	}
}

// query is a parsed parks query.
type query struct {
	near             bool
	lng, lat, radius float64
	limit            int
	limitSet         bool
	district         string
}

// parseQuery reads the parameters of the parks route; its errors name the
// parameter.
func parseQuery(r *http.Request, s *Service) (query, error) {
	v := r.URL.Query()
	q := query{radius: DefaultRadius, limit: DefaultLimit}
	if d := v.Get("district"); v.Has("district") {
		if _, ok := s.City.Regions[d]; !ok {
			return q, fmt.Errorf("district: %q is not a region code of %s", d, s.City.Name)
		}
		q.district = d
	}
	if v.Has("limit") {
		n, err := strconv.Atoi(v.Get("limit"))
		if err != nil || n < 1 || n > MaxLimit {
			return q, fmt.Errorf("limit: must be an integer from 1 to %d", MaxLimit)
		}
		q.limit, q.limitSet = n, true
	}
	if !v.Has("lng") && !v.Has("lat") {
		if q.district == "" {
			return q, fmt.Errorf("lng: give lng and lat (and radius), or district")
		}
		if v.Has("radius") {
			return q, fmt.Errorf("radius: needs lng and lat")
		}
		return q, nil
	}
	q.near = true
	var err error
	if q.lng, err = coordinate(v.Get("lng"), "lng", v.Has("lng"), minLng, maxLng); err != nil {
		return q, err
	}
	if q.lat, err = coordinate(v.Get("lat"), "lat", v.Has("lat"), minLat, maxLat); err != nil {
		return q, err
	}
	if v.Has("radius") {
		n, err := strconv.Atoi(v.Get("radius"))
		if err != nil || n < 1 || n > MaxRadius {
			return q, fmt.Errorf("radius: must be an integer number of metres from 1 to %d", MaxRadius)
		}
		q.radius = float64(n)
	}
	return q, nil
}

// coordinate parses a GCJ-02 longitude or latitude.
func coordinate(s, name string, present bool, lo, hi float64) (float64, error) {
	if !present {
		return 0, fmt.Errorf("%s: required with the other coordinate", name)
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || x < lo || x > hi {
		return 0, fmt.Errorf("%s: must be a GCJ-02 number from %g to %g", name, lo, hi)
	}
	return x, nil
}

// ServePark answers one park's detail.
func (s *Service) ServePark(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("isvParkId")
	snap, err := s.current(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	p, ok := snap.byID[id]
	if !ok {
		writeError(w, http.StatusNotFound, "isvParkId: no public park "+strconv.Quote(id))
		return
	}
	park := *p
	if park.Entrances, err = s.entrancesOf(r.Context(), snap, id); err != nil {
		s.internalError(w, r, fmt.Errorf("entrances of %s: %w", id, err))
		return
	}
	if s.Packages != nil {
		pk, err := s.Packages(r.Context(), id)
		if err != nil {
			s.internalError(w, r, fmt.Errorf("packages of %s: %w", id, err))
			return
		}
		park.Packages = pk
	}
	b, err := marshalBody(park)
	if err != nil {
		s.internalError(w, r, fmt.Errorf("park %s: %w", id, err))
		return
	}
	s.write(w, r, b)
}

// ServeDistricts answers every region with its totals.
func (s *Service) ServeDistricts(w http.ResponseWriter, r *http.Request) {
	snap, err := s.current(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.write(w, r, snap.districts)
}

// ServeNoRoute answers the paths and methods under /api/v1/public/ that
// name no route: 405 for another method on a route, else 404.
func ServeNoRoute(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" not allowed: the public API is read-only")
		return
	}
	writeError(w, http.StatusNotFound, "no public route at "+r.URL.Path)
}

// ServeCity answers the deployment's geography.
func (s *Service) ServeCity(w http.ResponseWriter, r *http.Request) {
	snap, err := s.current(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	s.write(w, r, snap.city)
}

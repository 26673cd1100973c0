package public

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/sqlite"
	"github.com/parkd/parkd/protocol"
)

// The point the nearby tests ask around.
const baseLng, baseLat = 114.06, 22.55

var testTime = time.Date(2024, 1, 1, 8, 0, 0, 0, protocol.CST)

// north returns the latitude d metres north of baseLat.
func north(d float64) float64 { return baseLat + d/metresPerDegree }

// east returns the longitude d metres east of baseLng (at baseLat).
func east(d float64) float64 {
	return baseLng + d/(metresPerDegree*math.Cos(baseLat*math.Pi/180))
}

// id32 makes a 32-character id from n.
func id32(prefix string, n int) string {
	s := fmt.Sprintf("%s%d", prefix, n)
	return s + strings.Repeat("0", 32-len(s))
}

// newParkAt returns an enabled park of vendorA.
func newParkAt(id, name, area string, lng, lat float64) platform.Park {
	total := 100
	charging := 7
	info := protocol.ParkInfo{ParkName: name, ParkCode: id, ParkType: protocol.ParkTypeIndoor,
		Address: "深南大道 " + name, Longitude: lng, Latitude: lat, AreaCode: area,
		ServiceType: protocol.ServiceMall, BizStatus: protocol.BizEnabled, TotalSpaces: total,
		TotalCharingSpaces: &charging, Reservable: protocol.Yes, ReservableSpaces: 10,
		TotalReservableCharingSpaces: 2, ImageID: "img", ChargeDesc: "首小时 5 元",
		Contacts: "张三", Tel: "13800000000",
		PublicInfos: []protocol.PublicInfo{{Type: protocol.BusinessAllDays,
			StartTime: protocol.MustTime("00:00:00"), EndTime: protocol.MustTime("23:59:00")}}}
	raw, _ := json.Marshal(info)
	return platform.Park{IsvParkID: id, UserID: "vendorA", ParkCode: id, Name: name, AreaCode: area,
		BizStatus: 1, Reservable: true, ReservableSpaces: 10, TotalSpaces: total, Longitude: lng,
		Latitude: lat, Info: raw, CreatedAt: testTime, UpdatedAt: testTime}
}

func accounts() []platform.Account {
	return []platform.Account{{UserID: "vendorA", Online: true}, {UserID: "vendorB"},
		{UserID: "vendorOff", Disabled: true}}
}

// newService serves d with the limit off unless rate says otherwise.
func newService(t *testing.T, d Data, rate float64) (*Service, http.Handler) {
	t.Helper()
	if rate == 0 {
		rate = -1
	}
	s := New(nil, city.Shenzhen(), Config{Rate: rate}, nil)
	if d.Entrances == nil {
		d.Entrances = map[string][]platform.Entrance{}
	}
	s.install(d)
	mux := routes(s)
	return s, mux
}

// routes are the public routes as internal/server/routes.go lists them.
func routes(s *Service) *http.ServeMux {
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/public/parks", s.Guard(s.ServeParks))
	mux.Handle("GET /api/v1/public/parks/{isvParkId}", s.Guard(s.ServePark))
	mux.Handle("GET /api/v1/public/districts", s.Guard(s.ServeDistricts))
	mux.Handle("GET /api/v1/public/city", s.Guard(s.ServeCity))
	mux.Handle("/api/v1/public/", s.Guard(ServeNoRoute))
	return mux
}

// get asks h for target and returns the recorder.
func get(h http.Handler, target string, header ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer is not JSON: %v: %s", err, w.Body)
	}
	return v
}

func ids(ps []ParkSummary) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.IsvParkID
	}
	return out
}

func TestNearbyOrdersByDistanceAndKeepsTheRadiusEdge(t *testing.T) {
	d := Data{Accounts: accounts(), Parks: []platform.Park{
		newParkAt(id32("edgeout", 0), "E", "440304", baseLng, north(1000.5)),
		newParkAt(id32("edgein", 0), "D", "440304", baseLng, north(999.5)),
		newParkAt(id32("near", 0), "A", "440304", baseLng, north(100)),
		newParkAt(id32("east", 0), "C", "440305", east(500), baseLat),
		newParkAt(id32("south", 0), "B", "440304", baseLng, north(-300)),
	}}
	_, h := newService(t, d, 0)
	w := get(h, "/api/v1/public/parks?lng=114.06&lat=22.55&radius=1000")
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	got := decode[parksAnswer](t, w).Parks
	want := []string{id32("near", 0), id32("south", 0), id32("east", 0), id32("edgein", 0)}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("order %v, want %v", ids(got), want)
	}
	for i, wantD := range []int{100, 300, 500, 1000} {
		if got[i].Distance == nil || *got[i].Distance != wantD {
			t.Errorf("%s: distance %v, want %d", got[i].IsvParkID, got[i].Distance, wantD)
		}
	}
	// The default radius is 1000 m; a wider one reaches the last park.
	if n := len(decode[parksAnswer](t, get(h, "/api/v1/public/parks?lng=114.06&lat=22.55")).Parks); n != 4 {
		t.Errorf("default radius: %d parks, want 4", n)
	}
	if n := len(decode[parksAnswer](t, get(h, "/api/v1/public/parks?lng=114.06&lat=22.55&radius=1001")).Parks); n != 5 {
		t.Errorf("radius 1001: %d parks, want 5", n)
	}
	// limit keeps the nearest; district keeps the region's.
	got = decode[parksAnswer](t, get(h, "/api/v1/public/parks?lng=114.06&lat=22.55&radius=2000&limit=2")).Parks
	if !slices.Equal(ids(got), want[:2]) {
		t.Errorf("limit 2: %v", ids(got))
	}
	got = decode[parksAnswer](t, get(h, "/api/v1/public/parks?lng=114.06&lat=22.55&district=440305")).Parks
	if !slices.Equal(ids(got), []string{id32("east", 0)}) {
		t.Errorf("nearby in 440305: %v", ids(got))
	}
}

func TestNearbyDefaultLimitIs20(t *testing.T) {
	var parks []platform.Park
	for i := range 30 {
		parks = append(parks, newParkAt(id32("p", i), "P", "440304", baseLng, north(float64(10*i))))
	}
	_, h := newService(t, Data{Accounts: accounts(), Parks: parks}, 0)
	got := decode[parksAnswer](t, get(h, "/api/v1/public/parks?lng=114.06&lat=22.55")).Parks
	if len(got) != 20 || got[19].IsvParkID != id32("p", 19) {
		t.Fatalf("got %d parks, last %v", len(got), ids(got))
	}
}

// The grid finds exactly what a scan of every park finds.
func TestGridAgreesWithAFullScan(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := city.Shenzhen()
	var parks []*Park
	for i := range 3000 {
		p := &Park{ParkSummary: ParkSummary{IsvParkID: id32("g", i),
			Lng: c.Bounds.MinLng + rng.Float64()*(c.Bounds.MaxLng-c.Bounds.MinLng),
			Lat: c.Bounds.MinLat + rng.Float64()*(c.Bounds.MaxLat-c.Bounds.MinLat)}}
		parks = append(parks, p)
	}
	g := newGrid(parks)
	for range 300 {
		lng := c.Bounds.MinLng + rng.Float64()*(c.Bounds.MaxLng-c.Bounds.MinLng)
		lat := c.Bounds.MinLat + rng.Float64()*(c.Bounds.MaxLat-c.Bounds.MinLat)
		radius := float64(1 + rng.IntN(MaxRadius))
		var want []string
		for _, p := range parks {
			if Distance(lng, lat, p.Lng, p.Lat) <= radius {
				want = append(want, p.IsvParkID)
			}
		}
		var got []string
		for _, h := range g.near(lng, lat, radius, len(parks), nil) {
			got = append(got, h.park.IsvParkID)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("near(%f, %f, %.0f): %d parks, a full scan finds %d", lng, lat, radius, len(got), len(want))
		}
	}
}

func TestSmallAngleSineMatchesMathSin(t *testing.T) {
	for _, x := range []float64{0, 1e-9, -3e-5, 0.0016, -0.0099, 0.00999999, 0.01, 0.5} {
		if got, want := sin(x), math.Sin(x); math.Abs(got-want) > 1e-16*math.Max(1e-300, math.Abs(want))*4 {
			t.Errorf("sin(%g) = %.20g, math.Sin %.20g", x, got, want)
		}
	}
}

func TestDistanceOfKnownPoints(t *testing.T) {
	// One degree of latitude on the mean sphere.
	if d := Distance(114, 22, 114, 23); math.Abs(d-111195) > 1 {
		t.Errorf("one degree of latitude: %.1f m", d)
	}
	if d := Distance(114.06, 22.55, 114.06, 22.55); d != 0 {
		t.Errorf("same point: %f", d)
	}
}

func TestDistrictListsItsParksByName(t *testing.T) {
	d := Data{Accounts: accounts(), Parks: []platform.Park{
		newParkAt(id32("c", 0), "丙停车场", "440304", baseLng, baseLat),
		newParkAt(id32("a", 0), "Alpha", "440304", baseLng, baseLat),
		newParkAt(id32("b", 1), "Beta", "440304", baseLng, baseLat),
		newParkAt(id32("b", 0), "Beta", "440304", baseLng, baseLat),
		newParkAt(id32("x", 0), "Other", "440305", baseLng, baseLat),
	}}
	_, h := newService(t, d, 0)
	got := decode[parksAnswer](t, get(h, "/api/v1/public/parks?district=440304")).Parks
	want := []string{id32("a", 0), id32("b", 0), id32("b", 1), id32("c", 0)}
	if !slices.Equal(ids(got), want) {
		t.Fatalf("district 440304: %v, want %v", ids(got), want)
	}
	if got[0].District != "福田区" || got[0].Distance != nil {
		t.Errorf("first park: district %q, distance %v", got[0].District, got[0].Distance)
	}
	got = decode[parksAnswer](t, get(h, "/api/v1/public/parks?district=440304&limit=2")).Parks
	if !slices.Equal(ids(got), want[:2]) {
		t.Errorf("limit 2: %v", ids(got))
	}
	w := get(h, "/api/v1/public/parks?district=440310")
	if w.Code != http.StatusOK || w.Body.String() != "{\"parks\":[]}\n" {
		t.Errorf("empty district: HTTP %d %s", w.Code, w.Body)
	}
}

func TestDetailCarriesTheParkVacancyAndEntrances(t *testing.T) {
	p := newParkAt(id32("d", 0), "福田中心停车场", "440304", 114.05, 22.54)
	si := protocol.ParkSpaceInfo{ParkCode: p.ParkCode, UsedStalls: 60, UnusedStalls: 40,
		UnusedReservableStalls: 3, UnusedCharingStalls: 5}
	siRaw, _ := json.Marshal(si)
	entrance := func(code string, typ protocol.EntranceType, status protocol.EntranceStatus) platform.Entrance {
		raw, _ := json.Marshal(protocol.EntranceExitInfo{ParkCode: p.ParkCode, Name: "门" + code,
			EntranceExitCode: code, Type: typ, Longitude: 114.051, Latitude: 22.541, Status: status, RoadName: "深南大道"})
		return platform.Entrance{ID: id32("e", 0), IsvParkID: p.IsvParkID, Code: code, Info: raw}
	}
	d := Data{Accounts: accounts(), Parks: []platform.Park{p},
		Vacancies: []platform.Vacancy{{IsvParkID: p.IsvParkID, Info: siRaw, UsedStalls: 60, UnusedStalls: 40,
			UnusedReservableStalls: 3, At: testTime}},
		Entrances: map[string][]platform.Entrance{p.IsvParkID: {
			entrance("gate01", protocol.EntranceIn, protocol.EntranceNormal),
			entrance("gate02", protocol.EntranceOut, protocol.EntranceRemoved),
			entrance("gate03", protocol.EntranceInOut, 3),
		}}}
	_, h := newService(t, d, 0)
	w := get(h, "/api/v1/public/parks/"+p.IsvParkID)
	if w.Code != http.StatusOK {
		t.Fatalf("HTTP %d: %s", w.Code, w.Body)
	}
	got := decode[Park](t, w)
	intp := func(v *int) string {
		if v == nil {
			return "null"
		}
		return strconv.Itoa(*v)
	}
	checks := []struct{ name, got, want string }{
		{"name", got.Name, "福田中心停车场"},
		{"address", got.Address, "深南大道 福田中心停车场"},
		{"areaCode", got.AreaCode, "440304"},
		{"district", got.District, "福田区"},
		{"lng", fmt.Sprint(got.Lng), "114.05"},
		{"lat", fmt.Sprint(got.Lat), "22.54"},
		{"totalSpaces", strconv.Itoa(got.TotalSpaces), "100"},
		{"freeSpaces", intp(got.FreeSpaces), "40"},
		{"vacancyAt", *got.VacancyAt, "2024-01-01T08:00:00+08:00"},
		{"reservable", fmt.Sprint(got.Reservable), "true"},
		{"reservableSpaces", strconv.Itoa(got.ReservableSpaces), "10"},
		{"freeReservableSpaces", intp(got.FreeReservableSpaces), "3"},
		{"chargingSpaces", intp(got.ChargingSpaces), "7"},
		{"reservableChargingSpaces", strconv.Itoa(got.ReservableChargingSpaces), "2"},
		{"freeChargingSpaces", intp(got.FreeChargingSpaces), "5"},
		{"tariff", got.Tariff, "首小时 5 元"},
		{"businessHours", fmt.Sprint(got.BusinessHours), "[{1 全天 00:00:00 23:59:00  }]"},
		{"bizStatus", strconv.Itoa(got.BizStatus), "1"},
		{"online", fmt.Sprint(got.Online), "true"},
		{"parkType", strconv.Itoa(got.ParkType), "1"},
		{"entrances", fmt.Sprint(got.Entrances),
			"[{gate01 门gate01 1 入口 1 114.051 22.541 深南大道} {gate03 门gate03 3 出入口 3 114.051 22.541 深南大道}]"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	// No personal data of the park, no packages without the hook.
	for _, leak := range []string{"张三", "13800000000", "packages", "parkCode", "vendorA"} {
		if strings.Contains(w.Body.String(), leak) {
			t.Errorf("detail holds %q: %s", leak, w.Body)
		}
	}
}

func TestParkWithoutVacancyHasNullCounts(t *testing.T) {
	p := newParkAt(id32("n", 0), "N", "440304", baseLng, baseLat)
	_, h := newService(t, Data{Accounts: accounts(), Parks: []platform.Park{p}}, 0)
	body := get(h, "/api/v1/public/parks/"+p.IsvParkID).Body.String()
	for _, want := range []string{`"freeSpaces":null`, `"vacancyAt":null`, `"freeReservableSpaces":null`,
		`"freeChargingSpaces":null`, `"entrances":[]`} {
		if !strings.Contains(body, want) {
			t.Errorf("detail lacks %s: %s", want, body)
		}
	}
}

func TestPackagesHookFillsTheDetail(t *testing.T) {
	p := newParkAt(id32("k", 0), "K", "440304", baseLng, baseLat)
	s, h := newService(t, Data{Accounts: accounts(), Parks: []platform.Park{p}}, 0)
	s.Packages = func(_ context.Context, id string) (any, error) {
		return []map[string]any{{"packageNo": "P1-" + id[:1], "price": "300.00"}}, nil
	}
	body := get(h, "/api/v1/public/parks/"+p.IsvParkID).Body.String()
	if !strings.Contains(body, `"packages":[{"packageNo":"P1-k","price":"300.00"}]`) {
		t.Errorf("detail without the packages: %s", body)
	}
	s.Packages = func(context.Context, string) (any, error) { return nil, fmt.Errorf("store down") }
	if w := get(h, "/api/v1/public/parks/"+p.IsvParkID); w.Code != http.StatusInternalServerError ||
		strings.Contains(w.Body.String(), "store down") {
		t.Errorf("failing hook: HTTP %d %s", w.Code, w.Body)
	}
}

func TestHiddenParks(t *testing.T) {
	shown := newParkAt(id32("shown", 0), "Shown", "440304", baseLng, baseLat)
	disabledVendor := newParkAt(id32("offvendor", 0), "Off vendor", "440304", baseLng, baseLat)
	disabledVendor.UserID = "vendorOff"
	noAccount := newParkAt(id32("noaccount", 0), "No account", "440304", baseLng, baseLat)
	noAccount.UserID = "nobody"
	bizOff := newParkAt(id32("bizoff", 0), "Biz off", "440304", baseLng, baseLat)
	bizOff.BizStatus = 0
	hidden := []platform.Park{disabledVendor, noAccount, bizOff}
	d := Data{Accounts: accounts(), Parks: append([]platform.Park{shown}, hidden...)}
	for _, p := range d.Parks {
		d.Vacancies = append(d.Vacancies, platform.Vacancy{IsvParkID: p.IsvParkID, UnusedStalls: 40, At: testTime})
	}
	_, h := newService(t, d, 0)
	for _, target := range []string{"/api/v1/public/parks?lng=114.06&lat=22.55", "/api/v1/public/parks?district=440304"} {
		if got := ids(decode[parksAnswer](t, get(h, target)).Parks); !slices.Equal(got, []string{shown.IsvParkID}) {
			t.Errorf("%s: %v", target, got)
		}
	}
	for _, p := range hidden {
		w := get(h, "/api/v1/public/parks/"+p.IsvParkID)
		if w.Code != http.StatusNotFound || !strings.Contains(w.Body.String(), `"error":"isvParkId`) {
			t.Errorf("%s: HTTP %d %s", p.Name, w.Code, w.Body)
		}
	}
	ds := decode[districtsAnswer](t, get(h, "/api/v1/public/districts")).Districts
	if len(ds) != len(protocol.Shenzhen) {
		t.Fatalf("%d districts, want every region", len(ds))
	}
	for _, dd := range ds {
		want := District{AreaCode: dd.AreaCode, Name: protocol.Shenzhen[dd.AreaCode]}
		if dd.AreaCode == "440304" {
			want.Parks, want.TotalSpaces, want.FreeSpaces = 1, 100, 40
		}
		if dd != want {
			t.Errorf("district %+v, want %+v", dd, want)
		}
	}
	if !slices.IsSortedFunc(ds, func(a, b District) int { return strings.Compare(a.AreaCode, b.AreaCode) }) {
		t.Errorf("districts not in code order")
	}
}

func TestCityAnswer(t *testing.T) {
	_, h := newService(t, Data{}, 0)
	got := decode[city.City](t, get(h, "/api/v1/public/city"))
	c := city.Shenzhen()
	if got.Name != c.Name || got.Bounds != c.Bounds || got.Center != c.Center || got.Zoom != c.Zoom ||
		len(got.Regions) != len(c.Regions) || got.Regions["440304"] != "福田区" {
		t.Errorf("city %+v", got)
	}
}

func TestBadParametersAre400NamingTheParameter(t *testing.T) {
	_, h := newService(t, Data{Accounts: accounts()}, 0)
	cases := []struct{ query, param string }{
		{"", "lng"},
		{"lng=114.06", "lat"},
		{"lat=22.55", "lng"},
		{"lng=abc&lat=22.55", "lng"},
		{"lng=114.06&lat=north", "lat"},
		{"lng=NaN&lat=22.55", "lng"},
		{"lng=Inf&lat=22.55", "lng"},
		{"lng=200&lat=22.55", "lng"},
		{"lng=114.06&lat=-91", "lat"},
		{"lng=114.06&lat=22.55&radius=0", "radius"},
		{"lng=114.06&lat=22.55&radius=-5", "radius"},
		{"lng=114.06&lat=22.55&radius=20001", "radius"},
		{"lng=114.06&lat=22.55&radius=1.5", "radius"},
		{"lng=114.06&lat=22.55&limit=0", "limit"},
		{"lng=114.06&lat=22.55&limit=201", "limit"},
		{"lng=114.06&lat=22.55&limit=x", "limit"},
		{"district=999999", "district"},
		{"district=", "district"},
		{"district=440304&radius=100", "radius"},
	}
	for _, c := range cases {
		w := get(h, "/api/v1/public/parks?"+c.query)
		var e struct{ Error string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != http.StatusBadRequest ||
			!strings.HasPrefix(e.Error, c.param+":") {
			t.Errorf("?%s: HTTP %d %s, want 400 naming %s", c.query, w.Code, w.Body, c.param)
		}
		if ct := w.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("?%s: Content-Type %q", c.query, ct)
		}
	}
	for _, q := range []string{"radius=20000&limit=200", "radius=1&limit=1"} {
		if w := get(h, "/api/v1/public/parks?lng=114.06&lat=22.55&"+q); w.Code != http.StatusOK {
			t.Errorf("%s: HTTP %d %s", q, w.Code, w.Body)
		}
	}
}

func TestETagAnswers304(t *testing.T) {
	p := newParkAt(id32("t", 0), "T", "440304", baseLng, baseLat)
	s, h := newService(t, Data{Accounts: accounts(), Parks: []platform.Park{p}}, 0)
	for _, target := range []string{"/api/v1/public/parks?lng=114.06&lat=22.55", "/api/v1/public/parks?district=440304",
		"/api/v1/public/parks/" + p.IsvParkID, "/api/v1/public/districts", "/api/v1/public/city"} {
		w := get(h, target)
		etag := w.Header().Get("ETag")
		if w.Code != http.StatusOK || !strings.HasPrefix(etag, `"`) || w.Header().Get("Cache-Control") != "public, max-age=5" {
			t.Fatalf("%s: HTTP %d, ETag %q, Cache-Control %q", target, w.Code, etag, w.Header().Get("Cache-Control"))
		}
		for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
			w2 := get(h, target, "If-None-Match", inm)
			if w2.Code != http.StatusNotModified || w2.Body.Len() != 0 || w2.Header().Get("ETag") != etag {
				t.Errorf("%s If-None-Match %s: HTTP %d, %d bytes", target, inm, w2.Code, w2.Body.Len())
			}
		}
		if w3 := get(h, target, "If-None-Match", `"stale"`); w3.Code != http.StatusOK || w3.Body.String() != w.Body.String() {
			t.Errorf("%s with another ETag: HTTP %d", target, w3.Code)
		}
	}
	// A change of the data changes the ETag.
	target := "/api/v1/public/parks/" + p.IsvParkID
	before := get(h, target).Header().Get("ETag")
	s.install(Data{Accounts: accounts(), Parks: []platform.Park{p}, Entrances: map[string][]platform.Entrance{},
		Vacancies: []platform.Vacancy{{IsvParkID: p.IsvParkID, UnusedStalls: 3, At: testTime}}})
	if w := get(h, target, "If-None-Match", before); w.Code != http.StatusOK || w.Header().Get("ETag") == before {
		t.Errorf("after a vacancy change: HTTP %d, ETag %s (was %s)", w.Code, w.Header().Get("ETag"), before)
	}
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	_, h := newService(t, Data{Accounts: accounts()}, 1) // 1/s, burst 2
	target := "/api/v1/public/city"
	for i := range 2 {
		if w := get(h, target); w.Code != http.StatusOK {
			t.Fatalf("request %d: HTTP %d", i, w.Code)
		}
	}
	w := get(h, target)
	if w.Code != http.StatusTooManyRequests || w.Header().Get("Retry-After") != "1" ||
		!strings.Contains(w.Body.String(), `"error":"rate limit`) {
		t.Fatalf("third request: HTTP %d, Retry-After %q, %s", w.Code, w.Header().Get("Retry-After"), w.Body)
	}
	// Another address has its own bucket.
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "192.0.2.99:1234"
	w = httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK {
		t.Errorf("another address: HTTP %d", w.Code)
	}
}

func TestUndecodableParkInfoKeepsThePark(t *testing.T) {
	p := newParkAt(id32("u", 0), "U", "440304", baseLng, baseLat)
	p.Info = []byte(`{"broken"`)
	_, h := newService(t, Data{Accounts: accounts(), Parks: []platform.Park{p}}, 0)
	got := decode[Park](t, get(h, "/api/v1/public/parks/"+p.IsvParkID))
	if got.Name != "U" || got.TotalSpaces != 100 || got.Address != "" {
		t.Errorf("park %+v", got)
	}
}

// The hand-made list answer is byte for byte what encoding/json makes.
func TestListBodyMatchesEncodingJSON(t *testing.T) {
	p1 := newParkAt(id32("j", 1), `名"称\<b>`, "440304", baseLng, baseLat)
	p2 := newParkAt(id32("j", 2), "Two", "440399", baseLng, north(10))
	d := Data{Accounts: accounts(), Parks: []platform.Park{p1, p2}, Entrances: map[string][]platform.Entrance{},
		Vacancies: []platform.Vacancy{{IsvParkID: p1.IsvParkID, UnusedStalls: 4, UnusedReservableStalls: 1, At: testTime}}}
	snap, _ := build(d, city.Shenzhen(), nil, slog.New(slog.DiscardHandler))
	ps := []*Park{snap.byID[p1.IsvParkID], snap.byID[p2.IsvParkID]}
	for _, distances := range [][]int{nil, {0, 1234}} {
		var want parksAnswer
		for i, p := range ps {
			sum := p.ParkSummary
			if distances != nil {
				sum.Distance = &distances[i]
			}
			want.Parks = append(want.Parks, sum)
		}
		wantBytes, _ := json.Marshal(want)
		if got := listBody(ps, distances...).bytes; string(got) != string(wantBytes)+"\n" {
			t.Errorf("listBody\n got %s\nwant %s", got, wantBytes)
		}
	}
}

// Against a real store: Refresh reads the parks and vacancies, a park's
// entrances are read on demand and kept for Refresh, a new vacancy shows
// at the next Refresh.
func TestRefreshFromTheStore(t *testing.T) {
	store, err := sqlite.Open(filepath.Join(t.TempDir(), "parkd.db"), sqlite.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	ctx := context.Background()
	p := newParkAt(id32("s", 0), "Stored", "440304", baseLng, baseLat)
	putEntrance := func(tx platform.Tx, code, name string) error {
		raw, _ := json.Marshal(protocol.EntranceExitInfo{ParkCode: p.ParkCode, Name: name, EntranceExitCode: code,
			Type: protocol.EntranceIn, Longitude: baseLng, Latitude: baseLat, Status: protocol.EntranceNormal})
		return tx.PutEntrance(platform.Entrance{ID: id32("ent"+code, 0), IsvParkID: p.IsvParkID, Code: code, Info: raw, UpdatedAt: testTime})
	}
	err = store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.PutAccount(platform.Account{UserID: "vendorA", PasswordHash: []byte("x"), CreatedAt: testTime}); err != nil {
			return err
		}
		if err := tx.PutPark(p); err != nil {
			return err
		}
		if err := tx.PutVacancy(platform.Vacancy{IsvParkID: p.IsvParkID, Info: []byte(`{}`), UnusedStalls: 12, At: testTime}); err != nil {
			return err
		}
		return putEntrance(tx, "GATE01", "北门")
	})
	if err != nil {
		t.Fatal(err)
	}
	s := New(store, city.Shenzhen(), Config{Rate: -1}, nil)
	clock := testTime
	s.Now = func() time.Time { return clock }
	mux := routes(s)
	// The first request builds the first snapshot.
	got := decode[Park](t, get(mux, "/api/v1/public/parks/"+p.IsvParkID))
	if *got.FreeSpaces != 12 || len(got.Entrances) != 1 || got.Entrances[0].Name != "北门" {
		t.Fatalf("detail %+v", got)
	}
	err = store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.PutVacancy(platform.Vacancy{IsvParkID: p.IsvParkID, Info: []byte(`{}`), UnusedStalls: 7, At: testTime.Add(time.Minute)}); err != nil {
			return err
		}
		return putEntrance(tx, "GATE02", "南门")
	})
	if err != nil {
		t.Fatal(err)
	}
	got = decode[Park](t, get(mux, "/api/v1/public/parks/"+p.IsvParkID))
	if *got.FreeSpaces != 12 || len(got.Entrances) != 1 {
		t.Errorf("before Refresh: %d free, %d entrances", *got.FreeSpaces, len(got.Entrances))
	}
	if err := s.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(DefaultRefresh)
	got = decode[Park](t, get(mux, "/api/v1/public/parks/"+p.IsvParkID))
	if *got.FreeSpaces != 7 || *got.VacancyAt != "2024-01-01T08:01:00+08:00" || len(got.Entrances) != 2 {
		t.Errorf("after Refresh: %+v", got)
	}
	list := decode[parksAnswer](t, get(mux, "/api/v1/public/parks?district=440304")).Parks
	if len(list) != 1 || *list[0].FreeSpaces != 7 {
		t.Errorf("district list after Refresh: %+v", list)
	}
}

func TestOtherPathsAndMethodsAnswerJSON(t *testing.T) {
	_, h := newService(t, Data{Accounts: accounts()}, 0)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/api/v1/public/nothing", http.StatusNotFound},
		{http.MethodGet, "/api/v1/public/parks/a/b", http.StatusNotFound},
		{http.MethodPost, "/api/v1/public/parks", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/api/v1/public/parks/x", http.StatusMethodNotAllowed},
	} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(c.method, c.path, nil))
		if w.Code != c.status || !strings.HasPrefix(w.Body.String(), `{"error":`) {
			t.Errorf("%s %s: HTTP %d %s", c.method, c.path, w.Code, w.Body)
		}
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest(http.MethodHead, "/api/v1/public/city", nil))
	if w.Code != http.StatusOK || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "" {
		t.Errorf("HEAD: HTTP %d, %d bytes, Content-Length %q", w.Code, w.Body.Len(), w.Header().Get("Content-Length"))
	}
}

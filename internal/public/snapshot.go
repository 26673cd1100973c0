package public

import (
	"cmp"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// TimeLayout is how times appear in answers: CST with its offset.
const TimeLayout = "2006-01-02T15:04:05+08:00"

// ParkSummary is a park in a list answer.
type ParkSummary struct {
	IsvParkID   string  `json:"isvParkId"`
	Name        string  `json:"name"`
	Address     string  `json:"address"`
	AreaCode    string  `json:"areaCode"`
	District    string  `json:"district"` // the region's name ("" when not a region of the city)
	Lng         float64 `json:"lng"`      // GCJ-02
	Lat         float64 `json:"lat"`      // GCJ-02
	TotalSpaces int     `json:"totalSpaces"`
	// FreeSpaces is the live unusedStalls, null when the park has not
	// reported vacancy; VacancyAt is when it was reported.
	FreeSpaces *int    `json:"freeSpaces"`
	VacancyAt  *string `json:"vacancyAt"`
	Reservable bool    `json:"reservable"`
	// FreeReservableSpaces is the live unusedReservableStalls (null
	// without vacancy).
	FreeReservableSpaces *int `json:"freeReservableSpaces"`
	// ChargingSpaces is the reported totalCharingSpaces (null when the
	// park did not report it).
	ChargingSpaces *int `json:"chargingSpaces"`
	// Distance is the distance in metres from the queried point (nearby
	// answers only).
	Distance *int `json:"distance,omitempty"`
}

// Park is the detail answer of one park.
type Park struct {
	ParkSummary
	ParkType    int `json:"parkType"`    // table 6: 0 roadside, 1 indoor, 2 outdoor
	ServiceType int `json:"serviceType"` // appendix B
	BizStatus   int `json:"bizStatus"`   // table 6: always 1 (启用) for a public park
	// Online tells whether the park's system is connected now (its live
	// data is current).
	Online                   bool `json:"online"`
	ReservableSpaces         int  `json:"reservableSpaces"`
	ReservableChargingSpaces int  `json:"reservableChargingSpaces"`
	// FreeChargingSpaces is the live unusedCharingStalls (null without
	// vacancy).
	FreeChargingSpaces *int       `json:"freeChargingSpaces"`
	Tariff             string     `json:"tariff"` // chargeDesc
	BusinessHours      []Hours    `json:"businessHours"`
	Entrances          []Entrance `json:"entrances"`
	// Packages are the off-peak packages on sale (left out when the
	// platform has none to offer).
	Packages any `json:"packages,omitempty"`

	listJSON []byte // the list item's JSON without its closing brace
}

// Hours is one entry of a park's business hours (table 7).
type Hours struct {
	Type      int    `json:"type"`     // 1 all days, 2 workdays, 3 holidays, 4 special days
	TypeName  string `json:"typeName"` // 全天, 工作日, 法定节假日, 特殊日
	StartTime string `json:"startTime"`
	EndTime   string `json:"endTime"`
	StartDate string `json:"startDate,omitempty"` // type 4: as reported (Date or DateTime)
	EndDate   string `json:"endDate,omitempty"`
}

// Entrance is an entrance or exit of a park (table 9).
type Entrance struct {
	Code     string  `json:"code"`
	Name     string  `json:"name"`
	Type     int     `json:"type"`     // 1 in, 2 out, 3 both
	TypeName string  `json:"typeName"` // 入口, 出口, 出入口
	Status   int     `json:"status"`   // 1 normal, 3 temporarily closed
	Lng      float64 `json:"lng"`
	Lat      float64 `json:"lat"`
	RoadName string  `json:"roadName,omitempty"`
}

// District is one region of the city with the totals of its public parks.
type District struct {
	AreaCode    string `json:"areaCode"`
	Name        string `json:"name"`
	Parks       int    `json:"parks"`
	TotalSpaces int    `json:"totalSpaces"`
	// FreeSpaces sums the live unusedStalls of the parks that report it.
	FreeSpaces int `json:"freeSpaces"`
}

// snapshot is an immutable view of the public parks at one moment.
type snapshot struct {
	at         time.Time        // Service.Now when it was installed
	parks      []*Park          // by IsvParkID
	byID       map[string]*Park // IsvParkID -> park
	byDistrict map[string][]*Park
	grid       *grid
	districts  body // the districts answer
	city       body // the city answer
	// entrances holds the entrances of every park when the data had them
	// (nil: they are read per park, see Service.entrancesOf).
	entrances map[string][]Entrance

	mu sync.Mutex
	// lists holds the full list answer of each region, made on demand.
	lists map[string]body
}

// districtList is the list answer of a region's parks, by name.
func (s *snapshot) districtList(code string) body {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, ok := s.lists[code]
	if !ok {
		b = listBody(s.byDistrict[code])
		s.lists[code] = b
	}
	return b
}

// parkInfo is what a build keeps of a park for the next one: its decoded
// parkInfo while UpdatedAt stays the same, and its list item's JSON while
// the item stays the same.
type parkInfo struct {
	updatedAt time.Time
	info      protocol.ParkInfo
	ok        bool
	summary   ParkSummary
	listJSON  []byte
	// The free charging spaces of the vacancy reported at vacancyAt.
	vacancyAt time.Time
	charging  *int
	// The park as last built, and what it was built from besides the
	// park's row: it is reused while these stay the same.
	park  *Park
	built builtKey
}

// builtKey is what a park's public view depends on besides its row (which
// its parkInfo follows by UpdatedAt).
type builtKey struct {
	online, hasVacancy   bool
	vacancyAt            int64
	free, freeReservable int
}

var businessNames = map[protocol.BusinessType]string{
	protocol.BusinessAllDays: "全天", protocol.BusinessWorkdays: "工作日",
	protocol.BusinessHolidays: "法定节假日", protocol.BusinessSpecial: "特殊日",
}

var entranceNames = map[protocol.EntranceType]string{
	protocol.EntranceIn: "入口", protocol.EntranceOut: "出口", protocol.EntranceInOut: "出入口",
}

// build makes a snapshot of d's public parks. prev holds what the last
// build kept of each park; this build's is returned. It keeps the decoded
// parkInfo of every park of d, public or not, so that a park's Info is
// needed again only when its UpdatedAt changes (see merged.dropInfo).
func build(d Data, c city.City, prev map[string]*parkInfo, log *slog.Logger) (*snapshot, map[string]*parkInfo) {
	enabled := enabledAccounts(d.Accounts)
	online := make(map[string]bool, len(d.Accounts))
	for _, a := range d.Accounts {
		online[a.UserID] = a.Online
	}
	vacancies := make(map[string]platform.Vacancy, len(d.Vacancies))
	for _, v := range d.Vacancies {
		vacancies[v.IsvParkID] = v
	}
	kept := make(map[string]*parkInfo, len(d.Parks))
	s := &snapshot{byID: map[string]*Park{}, byDistrict: map[string][]*Park{}, lists: map[string]body{}}
	if d.Entrances != nil {
		s.entrances = map[string][]Entrance{}
	}
	for _, p := range d.Parks {
		pi := decodeInfo(p, prev, log)
		kept[p.IsvParkID] = pi
		if !visible(p, enabled) {
			continue
		}
		v, hasV := vacancies[p.IsvParkID]
		key := builtKey{online: online[p.UserID], hasVacancy: hasV, vacancyAt: v.At.UnixNano(),
			free: v.UnusedStalls, freeReservable: v.UnusedReservableStalls}
		park := pi.park
		if park == nil || pi.built != key {
			park = newPark(p, pi, c, key.online, vacancies)
			park.listJSON = listJSON(pi, park.ParkSummary)
			pi.park, pi.built = park, key
		}
		if s.entrances != nil {
			s.entrances[p.IsvParkID] = entrances(d.Entrances[p.IsvParkID])
		}
		s.parks = append(s.parks, park)
		s.byID[p.IsvParkID] = park
		s.byDistrict[p.AreaCode] = append(s.byDistrict[p.AreaCode], park)
	}
	slices.SortFunc(s.parks, func(a, b *Park) int { return cmp.Compare(a.IsvParkID, b.IsvParkID) })
	s.grid = newGrid(s.parks)
	for _, ps := range s.byDistrict {
		slices.SortFunc(ps, byName)
	}
	s.districts = newBody(districtsAnswer{Districts: districts(c, s.byDistrict)})
	s.city = newBody(c)
	return s, kept
}

// listJSON returns the JSON of a park's list item, without its closing
// brace, reusing the last build's bytes when the item is the same.
func listJSON(pi *parkInfo, sum ParkSummary) []byte {
	if pi.listJSON != nil && sameSummary(pi.summary, sum) {
		return pi.listJSON
	}
	b, err := json.Marshal(sum)
	if err != nil {
		panic(fmt.Sprintf("public: marshal a park: %v", err))
	}
	pi.summary, pi.listJSON = sum, b[:len(b)-1]
	return pi.listJSON
}

// sameSummary compares list items by value.
func sameSummary(a, b ParkSummary) bool {
	same := func(x, y *int) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	a.Distance, b.Distance = nil, nil
	at := a.VacancyAt == nil && b.VacancyAt == nil || a.VacancyAt != nil && b.VacancyAt != nil && *a.VacancyAt == *b.VacancyAt
	ok := same(a.FreeSpaces, b.FreeSpaces) && same(a.FreeReservableSpaces, b.FreeReservableSpaces) &&
		same(a.ChargingSpaces, b.ChargingSpaces) && at
	a.FreeSpaces, a.FreeReservableSpaces, a.ChargingSpaces, a.VacancyAt = nil, nil, nil, nil
	b.FreeSpaces, b.FreeReservableSpaces, b.ChargingSpaces, b.VacancyAt = nil, nil, nil, nil
	return ok && a == b
}

// byName orders parks by name, then IsvParkID.
func byName(a, b *Park) int {
	if c := cmp.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	return cmp.Compare(a.IsvParkID, b.IsvParkID)
}

// decodeInfo decodes p's parkInfo, or reuses the last build's decoding
// when the park has not changed since.
func decodeInfo(p platform.Park, prev map[string]*parkInfo, log *slog.Logger) *parkInfo {
	if pi := prev[p.IsvParkID]; pi != nil && pi.updatedAt.Equal(p.UpdatedAt) {
		return pi
	}
	pi := &parkInfo{updatedAt: p.UpdatedAt}
	if err := json.Unmarshal(p.Info, &pi.info); err != nil {
		log.Warn("public: undecodable parkInfo", "isvParkId", p.IsvParkID, "err", err)
	} else {
		pi.ok = true
	}
	return pi
}

// newPark makes the public view of p.
func newPark(p platform.Park, pi *parkInfo, c city.City, online bool, vacancies map[string]platform.Vacancy) *Park {
	park := &Park{
		ParkSummary: ParkSummary{IsvParkID: p.IsvParkID, Name: p.Name, AreaCode: p.AreaCode,
			District: c.Regions[p.AreaCode], Lng: p.Longitude, Lat: p.Latitude, TotalSpaces: p.TotalSpaces,
			Reservable: p.Reservable},
		BizStatus: p.BizStatus, Online: online, ReservableSpaces: p.ReservableSpaces,
		BusinessHours: []Hours{}, Entrances: []Entrance{},
	}
	if pi.ok {
		in := pi.info
		park.Address = in.Address
		park.ChargingSpaces = in.TotalCharingSpaces
		park.ParkType = int(in.ParkType)
		park.ServiceType = int(in.ServiceType)
		park.ReservableChargingSpaces = in.TotalReservableCharingSpaces
		park.Tariff = in.ChargeDesc
		park.BusinessHours = hours(in.PublicInfos)
	}
	if v, ok := vacancies[p.IsvParkID]; ok {
		setVacancy(park, pi, v)
	}
	return park
}

// setVacancy adds the live vacancy v to park. The free charging spaces
// are decoded from the report once per report.
func setVacancy(park *Park, pi *parkInfo, v platform.Vacancy) {
	free, freeRes := v.UnusedStalls, v.UnusedReservableStalls
	at := v.At.In(protocol.CST).Format(TimeLayout)
	park.FreeSpaces, park.FreeReservableSpaces, park.VacancyAt = &free, &freeRes, &at
	if pi.vacancyAt.IsZero() || !pi.vacancyAt.Equal(v.At) {
		pi.vacancyAt, pi.charging = v.At, nil
		var si protocol.ParkSpaceInfo
		if json.Unmarshal(v.Info, &si) == nil {
			charging := si.UnusedCharingStalls
			pi.charging = &charging
		}
	}
	park.FreeChargingSpaces = pi.charging
}

func hours(ps []protocol.PublicInfo) []Hours {
	out := make([]Hours, 0, len(ps))
	for _, p := range ps {
		out = append(out, Hours{Type: int(p.Type), TypeName: businessNames[p.Type],
			StartTime: p.StartTime.String(), EndTime: p.EndTime.String(),
			StartDate: p.StartDateTime.String(), EndDate: p.EndDateTime.String()})
	}
	return out
}

// entrances returns the public view of es, by code, removed ones left out.
func entrances(es []platform.Entrance) []Entrance {
	out := make([]Entrance, 0, len(es))
	for _, e := range es {
		var in protocol.EntranceExitInfo
		if json.Unmarshal(e.Info, &in) != nil || in.Status == protocol.EntranceRemoved {
			continue
		}
		out = append(out, Entrance{Code: e.Code, Name: in.Name, Type: int(in.Type),
			TypeName: entranceNames[in.Type], Status: int(in.Status), Lng: in.Longitude, Lat: in.Latitude,
			RoadName: in.RoadName})
	}
	slices.SortFunc(out, func(a, b Entrance) int { return cmp.Compare(a.Code, b.Code) })
	return out
}

// districts returns every region of c in code order with its totals.
func districts(c city.City, byDistrict map[string][]*Park) []District {
	out := make([]District, 0, len(c.Regions))
	for code, name := range c.Regions {
		d := District{AreaCode: code, Name: name}
		for _, p := range byDistrict[code] {
			d.Parks++
			d.TotalSpaces += p.TotalSpaces
			if p.FreeSpaces != nil {
				d.FreeSpaces += *p.FreeSpaces
			}
		}
		out = append(out, d)
	}
	slices.SortFunc(out, func(a, b District) int { return cmp.Compare(a.AreaCode, b.AreaCode) })
	return out
}

// Answers of the list routes.
type (
	parksAnswer struct {
		Parks []ParkSummary `json:"parks"`
	}
	districtsAnswer struct {
		Districts []District `json:"districts"`
	}
)

// listBody is the list answer of ps, in their order, with the distance of
// each when distances is not nil. It writes what json.Marshal of a
// parksAnswer writes, from each park's listJSON.
func listBody(ps []*Park, distances ...int) body {
	return bodyOf(appendList(nil, ps, distances))
}

// appendList appends the list answer of ps to b.
func appendList(b []byte, ps []*Park, distances []int) []byte {
	n := 16
	for _, p := range ps {
		n += len(p.listJSON) + 20
	}
	b = slices.Grow(b, n)
	b = append(b, `{"parks":[`...)
	for i, p := range ps {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, p.listJSON...)
		if distances != nil {
			b = append(b, `,"distance":`...)
			b = strconv.AppendInt(b, int64(distances[i]), 10)
		}
		b = append(b, '}')
	}
	return append(b, "]}\n"...)
}

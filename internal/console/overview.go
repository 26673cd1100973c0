package console

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// snapshot is the whole city at one moment: what the overview, the park
// list and the event stream show. It is rebuilt at most every Refresh
// and shared by every request meanwhile.
type snapshot struct {
	at       time.Time
	day      time.Time // midnight CST starting at's day
	accounts map[string]platform.Account
	parks    []platform.Park // by IsvParkID
	vacancy  map[string]platform.Vacancy
	today    map[string]dayCount // by IsvParkID
	totals   totals
	overview []byte // the encoded overview answer
}

// dayCount is a park's entries and exits of one day.
type dayCount struct{ entries, exits int }

// snapshotCache holds the latest snapshot; mu also makes concurrent
// requests wait for one rebuild instead of each running its own.
type snapshotCache struct {
	mu   sync.Mutex
	snap *snapshot
	past pastCounts
}

// pastCounts are the day's entries and exits before the current hour.
// They change only when records arrive late, so they are counted again
// at most every pastRefresh, while the current hour is counted at every
// rebuild: the cost of a rebuild does not grow with the day's records.
type pastCounts struct {
	from, to time.Time // [day, start of the current hour)
	at       time.Time // when counted
	counts   map[string]dayCount
}

// pastRefresh bounds how late a record of an earlier hour of the day
// shows in the overview.
const pastRefresh = time.Minute

// snapshot returns a snapshot at most Refresh old (by the clock), building
// one when needed.
func (s *Server) snapshot(ctx context.Context) (*snapshot, error) {
	s.snap.mu.Lock()
	defer s.snap.mu.Unlock()
	now := s.cfg.Now()
	if sn := s.snap.snap; sn != nil && !now.Before(sn.at) && now.Sub(sn.at) < s.cfg.Refresh {
		return sn, nil
	}
	sn, err := s.buildSnapshot(ctx, now, &s.snap.past)
	if err != nil {
		return nil, err
	}
	s.snap.snap = sn
	return sn, nil
}

// dayStart returns midnight CST of t's day in CST.
func dayStart(t time.Time) time.Time {
	y, m, d := t.In(protocol.CST).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, protocol.CST)
}

// buildSnapshot reads the city in one read transaction, and the day's
// earlier hours when past is stale.
func (s *Server) buildSnapshot(ctx context.Context, now time.Time, past *pastCounts) (*snapshot, error) {
	sn := &snapshot{at: now, day: dayStart(now), accounts: make(map[string]platform.Account),
		vacancy: make(map[string]platform.Vacancy), today: make(map[string]dayCount)}
	err := s.cfg.Store.View(ctx, func(tx platform.Tx) error {
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		for _, a := range accounts {
			sn.accounts[a.UserID] = a
		}
		rd := platform.Reader(tx)
		if sn.parks, err = rd.AllParks(); err != nil {
			return err
		}
		vs, err := rd.LiveVacancies()
		if err != nil {
			return err
		}
		for _, v := range vs {
			sn.vacancy[v.IsvParkID] = v
		}
		return sn.countToday(rd, now, past)
	})
	if err != nil {
		return nil, err
	}
	ov := sn.buildOverview(s.cfg.City)
	sn.totals = ov.Totals
	sn.overview, err = json.Marshal(ov)
	return sn, err
}

// countToday sums the entries and exits of the snapshot's day per park:
// the earlier hours from past (counted again when stale), the current
// hour afresh.
func (sn *snapshot) countToday(rd platform.ReadTx, now time.Time, past *pastCounts) error {
	hour := now.Truncate(time.Hour)
	if hour.Before(sn.day) {
		hour = sn.day
	}
	if !past.from.Equal(sn.day) || !past.to.Equal(hour) || now.Sub(past.at) >= pastRefresh || now.Before(past.at) {
		counts, err := rd.RecordCounts(sn.day, hour)
		if err != nil {
			return err
		}
		*past = pastCounts{from: sn.day, to: hour, at: now, counts: make(map[string]dayCount)}
		addCounts(past.counts, counts)
	}
	for id, c := range past.counts {
		sn.today[id] = c
	}
	counts, err := rd.RecordCounts(hour, sn.day.Add(24*time.Hour))
	addCounts(sn.today, counts)
	return err
}

func addCounts(m map[string]dayCount, counts []platform.HourCount) {
	for _, c := range counts {
		d := m[c.IsvParkID]
		d.entries += c.Entries
		d.exits += c.Exits
		m[c.IsvParkID] = d
	}
}

// online reports whether the park's vendor account is online.
func (sn *snapshot) online(p platform.Park) bool { return sn.accounts[p.UserID].Online }

// free returns the park's live free spaces (0 when unknown).
func (sn *snapshot) free(p platform.Park) int { return sn.vacancy[p.IsvParkID].UnusedStalls }

// occupancy returns usedStalls / totalSpaces of the live vacancy, in
// [0, 1], or nil when the park has not reported vacancy or has no spaces.
func (sn *snapshot) occupancy(p platform.Park) *float64 {
	v, ok := sn.vacancy[p.IsvParkID]
	if !ok {
		return nil
	}
	return occupancyOf(v.UsedStalls, p.TotalSpaces)
}

func occupancyOf(used, total int) *float64 {
	if total <= 0 {
		return nil
	}
	o := min(max(float64(used)/float64(total), 0), 1)
	return &o
}

type totals struct {
	Parks          int `json:"parks"`
	ParksOnline    int `json:"parksOnline"`
	ParksOffline   int `json:"parksOffline"`
	TotalSpaces    int `json:"totalSpaces"`
	FreeSpaces     int `json:"freeSpaces"`
	EntriesToday   int `json:"entriesToday"`
	ExitsToday     int `json:"exitsToday"`
	Accounts       int `json:"accounts"`
	AccountsOnline int `json:"accountsOnline"`
}

type districtTotals struct {
	AreaCode     string `json:"areaCode"`
	Name         string `json:"name"`
	Parks        int    `json:"parks"`
	ParksOnline  int    `json:"parksOnline"`
	TotalSpaces  int    `json:"totalSpaces"`
	FreeSpaces   int    `json:"freeSpaces"`
	EntriesToday int    `json:"entriesToday"`
	ExitsToday   int    `json:"exitsToday"`
}

type mapPark struct {
	IsvParkID   string   `json:"isvParkId"`
	Name        string   `json:"name"`
	AreaCode    string   `json:"areaCode"`
	Lng         float64  `json:"lng"`
	Lat         float64  `json:"lat"`
	TotalSpaces int      `json:"totalSpaces"`
	FreeSpaces  int      `json:"freeSpaces"`
	Occupancy   *float64 `json:"occupancy"`
	Online      bool     `json:"online"`
}

type overviewBody struct {
	At        jsonTime         `json:"at"`
	City      city.City        `json:"city"`
	Totals    totals           `json:"totals"`
	Districts []districtTotals `json:"districts"`
	Parks     []mapPark        `json:"parks"`
}

// regionCodes returns the city's area codes in order.
func regionCodes(c city.City) []string {
	codes := make([]string, 0, len(c.Regions))
	for code := range c.Regions {
		codes = append(codes, code)
	}
	slices.Sort(codes)
	return codes
}

// buildOverview sums the snapshot by city and district.
func (sn *snapshot) buildOverview(c city.City) overviewBody {
	ov := overviewBody{At: jsonTime(sn.at), City: c, Parks: make([]mapPark, 0, len(sn.parks))}
	index := make(map[string]int)
	for _, code := range regionCodes(c) {
		index[code] = len(ov.Districts)
		ov.Districts = append(ov.Districts, districtTotals{AreaCode: code, Name: c.Regions[code]})
	}
	for _, a := range sn.accounts {
		ov.Totals.Accounts++
		if a.Online {
			ov.Totals.AccountsOnline++
		}
	}
	for _, p := range sn.parks {
		online, free, day := sn.online(p), sn.free(p), sn.today[p.IsvParkID]
		t := &ov.Totals
		t.Parks++
		t.TotalSpaces += p.TotalSpaces
		t.FreeSpaces += free
		t.EntriesToday += day.entries
		t.ExitsToday += day.exits
		if online {
			t.ParksOnline++
		} else {
			t.ParksOffline++
		}
		if i, ok := index[p.AreaCode]; ok {
			d := &ov.Districts[i]
			d.Parks++
			d.TotalSpaces += p.TotalSpaces
			d.FreeSpaces += free
			d.EntriesToday += day.entries
			d.ExitsToday += day.exits
			if online {
				d.ParksOnline++
			}
		}
		ov.Parks = append(ov.Parks, mapPark{IsvParkID: p.IsvParkID, Name: p.Name, AreaCode: p.AreaCode,
			Lng: p.Longitude, Lat: p.Latitude, TotalSpaces: p.TotalSpaces, FreeSpaces: free,
			Occupancy: sn.occupancy(p), Online: online})
	}
	ov.Districts = nonNil(ov.Districts)
	return ov
}

// ServeOverview answers the snapshot's overview.
func (s *Server) ServeOverview(w http.ResponseWriter, r *http.Request) {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSONBytes(w, http.StatusOK, sn.overview)
}

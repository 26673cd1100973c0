package console

import (
	"bytes"
	"encoding/csv"
	"net/http"
	"strconv"
	"time"

	"github.com/parkd/parkd/internal/city"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// A day's statistics by district and CST hour (docs/console-api.md).

type hourDistrict struct {
	AreaCode     string  `json:"areaCode"`
	Name         string  `json:"name"`
	Entries      int     `json:"entries"`
	Exits        int     `json:"exits"`
	AvgOccupancy float64 `json:"avgOccupancy"`
	MaxOccupancy float64 `json:"maxOccupancy"`
	Turnover     float64 `json:"turnover"`
}

type statsHour struct {
	Hour      int            `json:"hour"`
	Districts []hourDistrict `json:"districts"`
}

type dayDistrict struct {
	AreaCode      string  `json:"areaCode"`
	Name          string  `json:"name"`
	Entries       int     `json:"entries"`
	Exits         int     `json:"exits"`
	AvgOccupancy  float64 `json:"avgOccupancy"`
	PeakHour      int     `json:"peakHour"`
	PeakOccupancy float64 `json:"peakOccupancy"`
	Turnover      float64 `json:"turnover"`
}

type peak struct {
	Hour      int     `json:"hour"`
	Occupancy float64 `json:"occupancy"`
}

type statsBody struct {
	Date      string        `json:"date"`
	Hours     []statsHour   `json:"hours"`
	Districts []dayDistrict `json:"districts"`
	Peak      peak          `json:"peak"`
}

// occSum adds up, for one district (or the city) in one hour, the mean
// and largest usedStalls of the parks that reported and their spaces.
type occSum struct {
	avgUsed, maxUsed float64
	spaces           int
}

func (o occSum) avg() float64 { return ratio(o.avgUsed, o.spaces) }
func (o occSum) max() float64 { return ratio(o.maxUsed, o.spaces) }

func ratio(x float64, spaces int) float64 {
	if spaces <= 0 {
		return 0
	}
	return x / float64(spaces)
}

// statsInput is what a day's statistics are computed from.
type statsInput struct {
	day     time.Time // midnight CST
	parks   []platform.Park
	counts  []platform.HourCount
	vacancy []platform.VacancyHour
}

// hourOf returns the CST hour of t within the day, or -1 outside it.
func (in statsInput) hourOf(t time.Time) int {
	h := int(t.Sub(in.day) / time.Hour)
	if t.Before(in.day) || h > 23 {
		return -1
	}
	return h
}

// computeStats sums the day by district and hour: the city's regions in
// code order; parks of other area codes count only towards the city's
// peak.
func computeStats(c city.City, in statsInput) statsBody {
	codes := regionCodes(c)
	index := make(map[string]int, len(codes))
	for i, code := range codes {
		index[code] = i
	}
	parkDistrict := make(map[string]int, len(in.parks))
	parkSpaces := make(map[string]int, len(in.parks))
	spaces := make([]int, len(codes))
	for _, p := range in.parks {
		parkSpaces[p.IsvParkID] = p.TotalSpaces
		i, ok := index[p.AreaCode]
		if !ok {
			i = -1
		} else {
			spaces[i] += p.TotalSpaces
		}
		parkDistrict[p.IsvParkID] = i
	}
	type cell struct {
		entries, exits int
		occ            occSum
	}
	cells := make([][]cell, 24)
	for h := range cells {
		cells[h] = make([]cell, len(codes))
	}
	var whole [24]occSum
	for _, hc := range in.counts {
		h := in.hourOf(hc.Hour)
		i, ok := parkDistrict[hc.IsvParkID]
		if !ok || i < 0 || h < 0 {
			continue
		}
		cells[h][i].entries += hc.Entries
		cells[h][i].exits += hc.Exits
	}
	for _, vh := range in.vacancy {
		h := in.hourOf(vh.Hour)
		i, ok := parkDistrict[vh.IsvParkID]
		if !ok || h < 0 || vh.Samples == 0 || parkSpaces[vh.IsvParkID] <= 0 {
			continue
		}
		add := occSum{avgUsed: vh.AvgUsed, maxUsed: float64(vh.MaxUsed), spaces: parkSpaces[vh.IsvParkID]}
		whole[h] = whole[h].plus(add)
		if i >= 0 {
			cells[h][i].occ = cells[h][i].occ.plus(add)
		}
	}
	out := statsBody{Date: in.day.Format(protocol.DateLayout), Hours: make([]statsHour, 24),
		Districts: make([]dayDistrict, len(codes))}
	for i, code := range codes {
		out.Districts[i] = dayDistrict{AreaCode: code, Name: c.Regions[code]}
	}
	reported := make([]int, len(codes))
	for h := range 24 {
		out.Hours[h] = statsHour{Hour: h, Districts: make([]hourDistrict, len(codes))}
		for i, code := range codes {
			cl := cells[h][i]
			hd := hourDistrict{AreaCode: code, Name: c.Regions[code], Entries: cl.entries, Exits: cl.exits,
				AvgOccupancy: cl.occ.avg(), MaxOccupancy: cl.occ.max(), Turnover: ratio(float64(cl.entries), spaces[i])}
			out.Hours[h].Districts[i] = hd
			d := &out.Districts[i]
			d.Entries += cl.entries
			d.Exits += cl.exits
			if cl.occ.spaces > 0 {
				reported[i]++
				d.AvgOccupancy += hd.AvgOccupancy
				if hd.AvgOccupancy > d.PeakOccupancy {
					d.PeakHour, d.PeakOccupancy = h, hd.AvgOccupancy
				}
			}
		}
		if o := whole[h].avg(); o > out.Peak.Occupancy {
			out.Peak = peak{Hour: h, Occupancy: o}
		}
	}
	for i := range out.Districts {
		d := &out.Districts[i]
		if reported[i] > 0 {
			d.AvgOccupancy /= float64(reported[i])
		}
		d.Turnover = ratio(float64(d.Entries), spaces[i])
	}
	return out
}

func (o occSum) plus(p occSum) occSum {
	return occSum{avgUsed: o.avgUsed + p.avgUsed, maxUsed: o.maxUsed + p.maxUsed, spaces: o.spaces + p.spaces}
}

// statsOf reads and computes the statistics of the request's date.
func (s *Server) statsOf(w http.ResponseWriter, r *http.Request) (statsBody, bool) {
	day := dayStart(s.cfg.Now())
	if d := r.URL.Query().Get("date"); d != "" {
		t, err := time.ParseInLocation(protocol.DateLayout, d, protocol.CST)
		if err != nil {
			writeError(w, http.StatusBadRequest, "date must be a day as 2006-01-02")
			return statsBody{}, false
		}
		day = t
	}
	in := statsInput{day: day}
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		rd := platform.Reader(tx)
		var err error
		if in.parks, err = rd.AllParks(); err != nil {
			return err
		}
		end := day.Add(24 * time.Hour)
		if in.counts, err = rd.RecordCounts(day, end); err != nil {
			return err
		}
		in.vacancy, err = rd.VacancyHours(day, end)
		return err
	})
	if err != nil {
		s.internalError(w, r, err)
		return statsBody{}, false
	}
	return computeStats(s.cfg.City, in), true
}

// ServeStats answers a day's statistics as JSON.
func (s *Server) ServeStats(w http.ResponseWriter, r *http.Request) {
	if st, ok := s.statsOf(w, r); ok {
		writeJSON(w, http.StatusOK, st)
	}
}

// csvHeader is the first line of stats.csv.
var csvHeader = []string{"date", "hour", "areaCode", "district", "entries", "exits", "avgOccupancy", "maxOccupancy", "turnover"}

// statsCSV renders the hours of st, one line per hour and district.
func statsCSV(st statsBody) []byte {
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	_ = cw.Write(csvHeader)
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 4, 64) }
	for _, h := range st.Hours {
		for _, d := range h.Districts {
			_ = cw.Write([]string{st.Date, strconv.Itoa(h.Hour), d.AreaCode, d.Name, strconv.Itoa(d.Entries),
				strconv.Itoa(d.Exits), f(d.AvgOccupancy), f(d.MaxOccupancy), f(d.Turnover)})
		}
	}
	cw.Flush()
	return buf.Bytes()
}

// ServeStatsCSV answers a day's statistics as a CSV download.
func (s *Server) ServeStatsCSV(w http.ResponseWriter, r *http.Request) {
	st, ok := s.statsOf(w, r)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="parkd-stats-`+st.Date+`.csv"`)
	h.Set("Cache-Control", "no-store")
	_, _ = w.Write(statsCSV(st))
}

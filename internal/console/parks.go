package console

import (
	"cmp"
	"encoding/json"
	"errors"
	"io/fs"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

// Limits of the park page's lists.
const (
	recentRecords  = 20
	recentWarnings = 50
	recentLiveness = 50
	seriesSpan     = 24 * time.Hour
)

type parkItem struct {
	IsvParkID   string   `json:"isvParkId"`
	ParkCode    string   `json:"parkCode"`
	UserID      string   `json:"userId"`
	Name        string   `json:"name"`
	AreaCode    string   `json:"areaCode"`
	District    string   `json:"district"`
	TotalSpaces int      `json:"totalSpaces"`
	FreeSpaces  int      `json:"freeSpaces"`
	Occupancy   *float64 `json:"occupancy"`
	Online      bool     `json:"online"`
	BizStatus   int      `json:"bizStatus"`
	Reservable  bool     `json:"reservable"`
	UpdatedAt   jsonTime `json:"updatedAt"`
}

// parkFilter is the query of GET /console/api/parks.
type parkFilter struct {
	q, district, userID string
	online              *bool
}

// parseParkFilter reads the query, naming the parameter at fault.
func (s *Server) parseParkFilter(q url.Values) (parkFilter, error) {
	f := parkFilter{q: strings.ToLower(strings.TrimSpace(q.Get("q"))), district: q.Get("district"), userID: q.Get("userId")}
	if f.district != "" {
		if _, ok := s.cfg.City.Regions[f.district]; !ok {
			return f, errors.New("district must be an area code of the city")
		}
	}
	if v := q.Get("online"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			return f, errors.New("online must be true or false")
		}
		f.online = &b
	}
	return f, nil
}

func (f parkFilter) match(sn *snapshot, p platform.Park) bool {
	switch {
	case f.district != "" && p.AreaCode != f.district:
		return false
	case f.userID != "" && p.UserID != f.userID:
		return false
	case f.online != nil && sn.online(p) != *f.online:
		return false
	case f.q == "":
		return true
	}
	return strings.Contains(strings.ToLower(p.Name), f.q) || strings.Contains(strings.ToLower(p.ParkCode), f.q) ||
		strings.Contains(p.IsvParkID, f.q)
}

// item returns the list fields of p.
func (s *Server) item(sn *snapshot, p platform.Park) parkItem {
	return parkItem{IsvParkID: p.IsvParkID, ParkCode: p.ParkCode, UserID: p.UserID, Name: p.Name,
		AreaCode: p.AreaCode, District: s.cfg.City.Regions[p.AreaCode], TotalSpaces: p.TotalSpaces,
		FreeSpaces: sn.free(p), Occupancy: sn.occupancy(p), Online: sn.online(p), BizStatus: p.BizStatus,
		Reservable: p.Reservable, UpdatedAt: jsonTime(p.UpdatedAt)}
}

// ServeParks lists the parks that match the query, by name then id.
func (s *Server) ServeParks(w http.ResponseWriter, r *http.Request) {
	f, err := s.parseParkFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	sn, err := s.snapshot(r.Context())
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	items := []parkItem{}
	for _, p := range sn.parks {
		if f.match(sn, p) {
			items = append(items, s.item(sn, p))
		}
	}
	slices.SortFunc(items, func(a, b parkItem) int {
		return cmp.Or(cmp.Compare(a.Name, b.Name), cmp.Compare(a.IsvParkID, b.IsvParkID))
	})
	writeJSON(w, http.StatusOK, map[string]any{"parks": items})
}

type parkDetail struct {
	parkItem
	Lng  float64         `json:"lng"`
	Lat  float64         `json:"lat"`
	Info json.RawMessage `json:"info"`
}

type vacancyView struct {
	UsedStalls             int      `json:"usedStalls"`
	UnusedStalls           int      `json:"unusedStalls"`
	UnusedReservableStalls int      `json:"unusedReservableStalls"`
	At                     jsonTime `json:"at"`
}

type seriesPoint struct {
	At     jsonTime `json:"at"`
	Used   int      `json:"used"`
	Unused int      `json:"unused"`
}

type entranceView struct {
	ID   string          `json:"id"`
	Code string          `json:"code"`
	Info json.RawMessage `json:"info"`
}

type recordView struct {
	ID       string   `json:"id"`
	PlateNo  string   `json:"plateNo"`
	Time     jsonTime `json:"time"`
	BookCode string   `json:"bookCode"`
	NoEntry  bool     `json:"noEntry"`
	Photo    string   `json:"photo"`
}

type verificationView struct {
	Hour       jsonTime `json:"hour"`
	Plates     int      `json:"plates"`
	NoEntry    []string `json:"noEntry"`
	Missing    []string `json:"missing"`
	UsedStalls int      `json:"usedStalls"`
}

type warningView struct {
	Kind   string   `json:"kind"`
	Detail string   `json:"detail"`
	At     jsonTime `json:"at"`
}

type livenessView struct {
	Online bool     `json:"online"`
	At     jsonTime `json:"at"`
	Cause  string   `json:"cause"`
}

type parkPage struct {
	Park          parkDetail         `json:"park"`
	Vacancy       *vacancyView       `json:"vacancy"`
	Series        []seriesPoint      `json:"series"`
	Entrances     []entranceView     `json:"entrances"`
	Entries       []recordView       `json:"entries"`
	Exits         []recordView       `json:"exits"`
	Verifications []verificationView `json:"verifications"`
	Warnings      []warningView      `json:"warnings"`
	Liveness      []livenessView     `json:"liveness"`
}

// ServePark answers one park's page, read live from the store.
func (s *Server) ServePark(w http.ResponseWriter, r *http.Request) {
	id, now := r.PathValue("isvParkId"), s.cfg.Now()
	var pg parkPage
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		var err error
		pg, err = s.readParkPage(tx, id, now)
		return err
	})
	if platform.IsNotFound(err) {
		writeError(w, http.StatusNotFound, "no park with isvParkId "+strconv.Quote(id))
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !unmasked(r.Context()) {
		pg.mask()
	}
	writeJSON(w, http.StatusOK, pg)
}

// readParkPage reads everything the park page shows.
func (s *Server) readParkPage(tx platform.Tx, id string, now time.Time) (parkPage, error) {
	var pg parkPage
	p, err := tx.ParkByID(id)
	if err != nil {
		return pg, err
	}
	acct, err := tx.Account(p.UserID)
	if err != nil && !platform.IsNotFound(err) {
		return pg, err
	}
	sn := &snapshot{accounts: map[string]platform.Account{p.UserID: acct}, vacancy: map[string]platform.Vacancy{}}
	v, err := tx.Vacancy(id)
	switch {
	case err == nil:
		sn.vacancy[id] = v
		pg.Vacancy = &vacancyView{UsedStalls: v.UsedStalls, UnusedStalls: v.UnusedStalls,
			UnusedReservableStalls: v.UnusedReservableStalls, At: jsonTime(v.At)}
	case !platform.IsNotFound(err):
		return pg, err
	}
	pg.Park = parkDetail{parkItem: s.item(sn, p), Lng: p.Longitude, Lat: p.Latitude, Info: p.Info}
	if pg.Series, err = series(tx, id, now); err != nil {
		return pg, err
	}
	if pg.Entrances, err = entrances(tx, id); err != nil {
		return pg, err
	}
	if pg.Entries, err = recentRecordsOf(tx, p, platform.KindEnter); err != nil {
		return pg, err
	}
	if pg.Exits, err = recentRecordsOf(tx, p, platform.KindExit); err != nil {
		return pg, err
	}
	if pg.Verifications, err = verifications(tx, id, now); err != nil {
		return pg, err
	}
	if pg.Warnings, err = warnings(tx, id); err != nil {
		return pg, err
	}
	pg.Liveness, err = liveness(tx, id)
	return pg, err
}

func series(tx platform.Tx, id string, now time.Time) ([]seriesPoint, error) {
	vs, err := tx.VacancySeries(id, now.Add(-seriesSpan), now.Add(time.Millisecond))
	out := make([]seriesPoint, 0, len(vs))
	for _, v := range vs {
		out = append(out, seriesPoint{At: jsonTime(v.At), Used: v.UsedStalls, Unused: v.UnusedStalls})
	}
	return out, err
}

func entrances(tx platform.Tx, id string) ([]entranceView, error) {
	es, err := tx.Entrances(id)
	out := make([]entranceView, 0, len(es))
	for _, e := range es {
		out = append(out, entranceView{ID: e.ID, Code: e.Code, Info: e.Info})
	}
	return out, err
}

// photoField names the picture id a record of kind cites in its payload.
var photoField = map[platform.RecordKind]string{platform.KindEnter: "entryCarPhotoId", platform.KindExit: "exitCarPhotoId"}

// recentRecordsOf returns the park's latest records of kind, newest first,
// each with the URL of its photo when the picture has arrived.
func recentRecordsOf(tx platform.Tx, p platform.Park, kind platform.RecordKind) ([]recordView, error) {
	rs, err := platform.Reader(tx).RecentRecords(kind, p.IsvParkID, recentRecords)
	if err != nil {
		return nil, err
	}
	out := make([]recordView, 0, len(rs))
	for _, rec := range rs {
		photo, err := photoURL(tx, p, photoID(rec.Payload, photoField[kind]))
		if err != nil {
			return nil, err
		}
		out = append(out, recordView{ID: rec.ID, PlateNo: rec.PlateNo, Time: jsonTime(rec.Time), BookCode: rec.BookCode,
			NoEntry: kind == platform.KindExit && rec.NoEntry, Photo: photo})
	}
	return out, nil
}

// photoID returns the string field of a record's payload ("" when absent).
func photoID(payload json.RawMessage, field string) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(payload, &m) != nil {
		return ""
	}
	var id string
	if json.Unmarshal(m[field], &id) != nil {
		return ""
	}
	return id
}

// photoURL returns the console URL of the park's picture id, or "" when
// there is no id or the picture has not arrived.
func photoURL(tx platform.Tx, p platform.Park, id string) (string, error) {
	if id == "" {
		return "", nil
	}
	_, err := tx.Picture(p.UserID, p.ParkCode, id)
	if platform.IsNotFound(err) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	return "/console/api/pictures/" + url.PathEscape(p.IsvParkID) + "/" + url.PathEscape(id), nil
}

func verifications(tx platform.Tx, id string, now time.Time) ([]verificationView, error) {
	vs, err := tx.Verifications(id, now.Add(-seriesSpan).Truncate(time.Hour), now.Add(time.Millisecond))
	out := make([]verificationView, 0, len(vs))
	for _, v := range vs {
		out = append(out, verificationView{Hour: jsonTime(v.Hour), Plates: v.Plates, NoEntry: nonNil(v.NoEntry),
			Missing: nonNil(v.Missing), UsedStalls: v.UsedStalls})
	}
	return out, err
}

func warnings(tx platform.Tx, id string) ([]warningView, error) {
	ws, err := tx.Warnings(id, recentWarnings)
	out := make([]warningView, 0, len(ws))
	for _, w := range ws {
		out = append(out, warningView{Kind: w.Kind, Detail: w.Detail, At: jsonTime(w.At)})
	}
	return out, err
}

func liveness(tx platform.Tx, id string) ([]livenessView, error) {
	es, err := platform.Reader(tx).ParkLiveness(id, recentLiveness)
	out := make([]livenessView, 0, len(es))
	for _, e := range es {
		out = append(out, livenessView{Online: e.Online, At: jsonTime(e.At), Cause: e.Cause})
	}
	return out, err
}

// ServePicture answers a picture of a park from the blob store.
func (s *Server) ServePicture(w http.ResponseWriter, r *http.Request) {
	id, picID := r.PathValue("isvParkId"), r.PathValue("pictureId")
	var pic platform.Picture
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		p, err := tx.ParkByID(id)
		if err != nil {
			return err
		}
		pic, err = tx.Picture(p.UserID, p.ParkCode, picID)
		return err
	})
	if platform.IsNotFound(err) {
		writeError(w, http.StatusNotFound, "no picture "+strconv.Quote(picID)+" of park "+strconv.Quote(id))
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	etag := `"` + pic.Hash + `"`
	h := w.Header()
	h.Set("ETag", etag)
	h.Set("Cache-Control", "private, max-age=300")
	h.Set("X-Content-Type-Options", "nosniff")
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	b, err := s.cfg.Blobs.Get(r.Context(), pic.Hash)
	if errors.Is(err, fs.ErrNotExist) {
		h.Del("ETag")
		h.Del("Cache-Control")
		writeError(w, http.StatusNotFound, "the bytes of picture "+strconv.Quote(picID)+" are no longer kept")
		return
	}
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	h.Set("Content-Type", "image/"+pic.Kind)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

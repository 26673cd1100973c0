package console

import (
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/offpeak"
	"github.com/parkd/parkd/protocol"
)

// Off-peak parking (docs/offpeak.md, docs/console-api.md "Off-peak
// parking"): the packages and orders that off-peak platforms report, per
// park and per platform, and each day's order counts and amounts.

// offPeak is the service the handlers read through.
func (s *Server) offPeak() *offpeak.Service {
	return &offpeak.Service{Store: s.cfg.Store, Now: s.cfg.Now, Log: s.cfg.Log}
}

// offPeakFilter reads parkId and userId; an over-long value is 400
// naming it.
func offPeakFilter(w http.ResponseWriter, r *http.Request) (park, user string, ok bool) {
	q := r.URL.Query()
	park, user = q.Get("parkId"), q.Get("userId")
	if utf8.RuneCountInString(park) > 32 {
		writeError(w, http.StatusBadRequest, "parkId must be an isvParkId (32 characters)")
		return "", "", false
	}
	if utf8.RuneCountInString(user) > 32 {
		writeError(w, http.StatusBadRequest, "userId must be at most 32 characters")
		return "", "", false
	}
	return park, user, true
}

// offPeakDay reads date (a CST day), today when absent; a bad one is 400.
func (s *Server) offPeakDay(w http.ResponseWriter, r *http.Request, dflt string) (string, bool) {
	d := r.URL.Query().Get("date")
	if d == "" {
		return dflt, true
	}
	if _, err := time.ParseInLocation(protocol.DateLayout, d, protocol.CST); err != nil {
		writeError(w, http.StatusBadRequest, "date must be a day as 2006-01-02")
		return "", false
	}
	return d, true
}

// ServeOffPeakPackages answers {"packages": [...]} of a park and/or a
// platform (every package, on sale or not).
func (s *Server) ServeOffPeakPackages(w http.ResponseWriter, r *http.Request) {
	park, user, ok := offPeakFilter(w, r)
	if !ok {
		return
	}
	pkgs, err := s.offPeak().ListPackages(r.Context(), park, user)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"packages": pkgs})
}

// ServeOffPeakOrders answers {"orders": [...]} placed on date (default
// today, CST) at a park and/or by a platform, newest first.
func (s *Server) ServeOffPeakOrders(w http.ResponseWriter, r *http.Request) {
	park, user, ok := offPeakFilter(w, r)
	if !ok {
		return
	}
	day, ok := s.offPeakDay(w, r, protocol.NewDate(s.cfg.Now()).String())
	if !ok {
		return
	}
	orders, err := s.offPeak().ListOrders(r.Context(), park, user, day)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !unmasked(r.Context()) {
		maskOrders(orders)
	}
	writeJSON(w, http.StatusOK, map[string]any{"date": day, "orders": orders})
}

// ServeOffPeakDaily answers the day's order counts and amounts per park,
// per platform and per park and platform.
func (s *Server) ServeOffPeakDaily(w http.ResponseWriter, r *http.Request) {
	day, ok := s.offPeakDay(w, r, protocol.NewDate(s.cfg.Now()).String())
	if !ok {
		return
	}
	d, err := s.offPeak().DailyTotals(r.Context(), day)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

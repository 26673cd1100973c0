package console

import (
	"net/http"
	"time"

	"github.com/parkd/parkd/internal/platform"
)

type vendorView struct {
	UserID        string           `json:"userId"`
	Role          string           `json:"role"`
	Online        bool             `json:"online"`
	StateSince    jsonTime         `json:"stateSince"`
	LastHeartbeat jsonTime         `json:"lastHeartbeat"`
	Parks         int              `json:"parks"`
	Disabled      bool             `json:"disabled"`
	Requests      int64            `json:"requests"`
	Codes         map[string]int64 `json:"codes"`
	ErrorRate     float64          `json:"errorRate"`
}

// serveVendors lists every account with its liveness, parks and the
// uplink answers it got from this instance by code.
func (s *Server) serveVendors(w http.ResponseWriter, r *http.Request) {
	var codes map[string]map[string]int64
	if s.cfg.Codes != nil {
		codes = s.cfg.Codes()
	}
	vendors := []vendorView{}
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		accounts, err := tx.Accounts()
		if err != nil {
			return err
		}
		parks, err := platform.Reader(tx).AllParks()
		if err != nil {
			return err
		}
		count := make(map[string]int)
		for _, p := range parks {
			count[p.UserID]++
		}
		for _, a := range accounts {
			last, err := tx.LastSeen(a.UserID)
			if err != nil {
				return err
			}
			vendors = append(vendors, vendorOf(a, last, count[a.UserID], codes[a.UserID]))
		}
		return nil
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"vendors": vendors})
}

// vendorOf is the view of account a; codes may be nil.
func vendorOf(a platform.Account, lastSeen time.Time, parks int, codes map[string]int64) vendorView {
	v := vendorView{UserID: a.UserID, Role: a.RoleOf(), Online: a.Online, StateSince: jsonTime(a.StateSince),
		LastHeartbeat: jsonTime(lastSeen), Parks: parks, Disabled: a.Disabled, Codes: map[string]int64{}}
	var failed int64
	for code, n := range codes {
		v.Codes[code] = n
		v.Requests += n
		if code != "0" {
			failed += n
		}
	}
	if v.Requests > 0 {
		v.ErrorRate = float64(failed) / float64(v.Requests)
	}
	return v
}

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

// ServeVendors lists every account with its liveness, parks and the
// uplink answers it got from this instance by code.
func (s *Server) ServeVendors(w http.ResponseWriter, r *http.Request) {
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
		last, err := lastSeen(tx, accounts, s.cfg.Now())
		if err != nil {
			return err
		}
		for _, a := range accounts {
			vendors = append(vendors, vendorOf(a, last[a.UserID], count[a.UserID], codes[a.UserID]))
		}
		return nil
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"vendors": vendors})
}

// lastSeen returns the latest use of each account's tokens: those of the
// online accounts in one query (every one of them is "stale" before a
// cutoff far ahead), the others one by one.
func lastSeen(tx platform.Tx, accounts []platform.Account, now time.Time) (map[string]time.Time, error) {
	online, err := tx.StaleOnlineAccounts(now.AddDate(100, 0, 0), 0)
	if err != nil {
		return nil, err
	}
	last := make(map[string]time.Time, len(accounts))
	for _, a := range online {
		last[a.UserID] = a.LastSeen
	}
	for _, a := range accounts {
		if _, ok := last[a.UserID]; ok {
			continue
		}
		if last[a.UserID], err = tx.LastSeen(a.UserID); err != nil {
			return nil, err
		}
	}
	return last, nil
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

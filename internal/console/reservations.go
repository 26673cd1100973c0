package console

import (
	"cmp"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Limits of the reservation list.
const (
	defaultReservations = 200
	maxReservations     = 5000
)

var states = []platform.ReservationState{platform.ReservationPending, platform.ReservationDispatched, platform.ReservationWaitlisted,
	platform.ReservationConfirmed, platform.ReservationArrived, platform.ReservationCompleted,
	platform.ReservationCancelled, platform.ReservationExpired, platform.ReservationRejected}

type reservationView struct {
	BookCode  string   `json:"bookCode"`
	IsvParkID string   `json:"isvParkId"`
	ParkName  string   `json:"parkName"`
	PlateNo   string   `json:"plateNo"`
	State     string   `json:"state"`
	BookTime  jsonTime `json:"bookTime"`
	OverTime  jsonTime `json:"overTime"`
	HoldUntil jsonTime `json:"holdUntil"`
	WaitSeq   int64    `json:"waitSeq"`
	NoShow    bool     `json:"noShow"`
	CreatedAt jsonTime `json:"createdAt"`
	UpdatedAt jsonTime `json:"updatedAt"`
}

type eventView struct {
	At    jsonTime `json:"at"`
	From  string   `json:"from"`
	To    string   `json:"to"`
	Cause string   `json:"cause"`
}

type dispatchView struct {
	Op        string   `json:"op"`
	Attempts  int      `json:"attempts"`
	NextAt    jsonTime `json:"nextAt"`
	LastError string   `json:"lastError"`
}

// parkNames finds park names, reading each park once.
type parkNames struct {
	tx    platform.Tx
	names map[string]string
}

func (n *parkNames) of(id string) (string, error) {
	if name, ok := n.names[id]; ok {
		return name, nil
	}
	p, err := n.tx.ParkByID(id)
	if err != nil && !platform.IsNotFound(err) {
		return "", err
	}
	if n.names == nil {
		n.names = make(map[string]string)
	}
	n.names[id] = p.Name
	return p.Name, nil
}

func (n *parkNames) view(r platform.Reservation) (reservationView, error) {
	name, err := n.of(r.IsvParkID)
	return reservationView{BookCode: r.BookCode, IsvParkID: r.IsvParkID, ParkName: name, PlateNo: r.PlateNo,
		State: string(r.State), BookTime: jsonTime(r.BookTime), OverTime: jsonTime(r.OverTime),
		HoldUntil: jsonTime(r.HoldUntil), WaitSeq: r.WaitSeq, NoShow: r.NoShow,
		CreatedAt: jsonTime(r.CreatedAt), UpdatedAt: jsonTime(r.UpdatedAt)}, err
}

func (n *parkNames) views(rs []platform.Reservation) ([]reservationView, error) {
	out := make([]reservationView, 0, len(rs))
	for _, r := range rs {
		v, err := n.view(r)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// parseReservationFilter reads the query of the reservation list.
func parseReservationFilter(q url.Values) (platform.ReservationFilter, error) {
	f := platform.ReservationFilter{IsvParkID: q.Get("parkId"), Limit: defaultReservations}
	if st := q.Get("state"); st != "" {
		f.State = platform.ReservationState(st)
		if !slices.Contains(states, f.State) {
			return f, fmt.Errorf("state must be one of %v", states)
		}
	}
	if p := q.Get("plate"); p != "" {
		f.Plate = protocol.NormalizePlate(p)
	}
	if l := q.Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > maxReservations {
			return f, fmt.Errorf("limit must be a whole number from 1 to %d", maxReservations)
		}
		f.Limit = n
	}
	return f, nil
}

// ServeReservations lists the orders that match the query, newest first.
func (s *Server) ServeReservations(w http.ResponseWriter, r *http.Request) {
	f, err := parseReservationFilter(r.URL.Query())
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var out []reservationView
	err = s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		rs, err := platform.Reader(tx).Reservations(f)
		if err != nil {
			return err
		}
		out, err = (&parkNames{tx: tx}).views(rs)
		return err
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !unmasked(r.Context()) {
		maskReservations(out)
	}
	writeJSON(w, http.StatusOK, map[string]any{"reservations": out})
}

type reservationPage struct {
	Reservation reservationView `json:"reservation"`
	Events      []eventView     `json:"events"`
	Dispatches  []dispatchView  `json:"dispatches"`
}

// ServeReservation answers one order with its events and queued
// downlink calls.
func (s *Server) ServeReservation(w http.ResponseWriter, r *http.Request) {
	code := r.PathValue("bookCode")
	var pg reservationPage
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		res, err := tx.Reservation(code)
		if err != nil {
			return err
		}
		if pg.Reservation, err = (&parkNames{tx: tx}).view(res); err != nil {
			return err
		}
		events, err := tx.ReservationEvents(code)
		if err != nil {
			return err
		}
		pg.Events = make([]eventView, 0, len(events))
		for _, e := range events {
			pg.Events = append(pg.Events, eventView{At: jsonTime(e.At), From: string(e.From), To: string(e.To), Cause: e.Cause})
		}
		ds, err := tx.DispatchesFor(code)
		pg.Dispatches = make([]dispatchView, 0, len(ds))
		for _, d := range ds {
			pg.Dispatches = append(pg.Dispatches, dispatchView{Op: d.Op, Attempts: d.Attempts, NextAt: jsonTime(d.NextAt), LastError: d.LastError})
		}
		return err
	})
	if platform.IsNotFound(err) {
		writeError(w, http.StatusNotFound, "no reservation with bookCode "+strconv.Quote(code))
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

type waitlistView struct {
	IsvParkID string            `json:"isvParkId"`
	ParkName  string            `json:"parkName"`
	Orders    []reservationView `json:"orders"`
}

// ServeWaitlists lists the parks with waiting orders, by park name then
// id, each in waiting order.
func (s *Server) ServeWaitlists(w http.ResponseWriter, r *http.Request) {
	lists := []waitlistView{}
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) error {
		rs, err := platform.Reader(tx).Reservations(platform.ReservationFilter{State: platform.ReservationWaitlisted})
		if err != nil {
			return err
		}
		lists, err = waitlistsOf(&parkNames{tx: tx}, rs)
		return err
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !unmasked(r.Context()) {
		for _, l := range lists {
			maskReservations(l.Orders)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"waitlists": lists})
}

// waitlistsOf groups waiting orders by park, each by WaitSeq then
// BookCode (the order the waitlist is served in).
func waitlistsOf(names *parkNames, rs []platform.Reservation) ([]waitlistView, error) {
	slices.SortFunc(rs, func(a, b platform.Reservation) int {
		return cmp.Or(cmp.Compare(a.IsvParkID, b.IsvParkID), cmp.Compare(a.WaitSeq, b.WaitSeq), cmp.Compare(a.BookCode, b.BookCode))
	})
	lists := []waitlistView{}
	for _, r := range rs {
		v, err := names.view(r)
		if err != nil {
			return nil, err
		}
		if n := len(lists); n == 0 || lists[n-1].IsvParkID != r.IsvParkID {
			lists = append(lists, waitlistView{IsvParkID: r.IsvParkID, ParkName: v.ParkName})
		}
		last := &lists[len(lists)-1]
		last.Orders = append(last.Orders, v)
	}
	slices.SortStableFunc(lists, func(a, b waitlistView) int {
		return cmp.Or(cmp.Compare(a.ParkName, b.ParkName), cmp.Compare(a.IsvParkID, b.IsvParkID))
	})
	return lists, nil
}

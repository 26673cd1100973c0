package api

import (
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	reqinfo "github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/protocol"
)

// The booking API (docs/protocol.md §9) is the platform's public side for the
// city's app back end: JSON in the standard's response envelope, with
// appendix-A codes and HTTP statuses that say the same. Clients
// authenticate with an API key the operator issues (`parkd apikey add`),
// sent as "Authorization: Bearer ID.SECRET". Its handlers are BookCreate,
// BookList, BookGet, BookChange and BookCancel
// (internal/server/routes.go).

// apiClient authenticates a booking API request and returns the key id.
func (s *Server) apiClient(r *http.Request) (string, error) {
	id, secret, ok := strings.Cut(token(r), ".")
	if !ok || id == "" || secret == "" || strings.IndexByte(id, 0) >= 0 {
		return "", platform.Errorf(platform.KindUnauthorized, "send an API key as Authorization: Bearer ID.SECRET")
	}
	var k platform.APIKey
	err := s.Uplink.Store.View(r.Context(), func(tx platform.Tx) error {
		var err error
		k, err = tx.APIKey(id)
		return err
	})
	if err != nil && !platform.IsNotFound(err) {
		return "", err
	}
	if err != nil || k.Disabled || !accounts.APISecretMatches(k.SecretHash, secret) {
		return "", platform.Errorf(platform.KindUnauthorized, "unknown or disabled API key")
	}
	return id, nil
}

// bookCode returns the path's bookCode; one that cannot be a platform
// id (32 lowercase hex) is passed on as "" so it is simply unknown (1104).
func bookCode(r *http.Request) string {
	c := r.PathValue("bookCode")
	if len(c) != 32 || strings.Trim(c, "0123456789abcdef") != "" {
		return ""
	}
	return c
}

// ReservationView is an order as the booking API shows it.
type ReservationView struct {
	BookCode    string      `json:"bookCode"`
	ParkID      string      `json:"parkId"`
	ParkCode    string      `json:"parkCode"`
	PlateNo     string      `json:"plateNo"`
	BookTime    string      `json:"bookTime"`
	OverTime    string      `json:"overTime"`
	ObligatTime int         `json:"obligatTime"`
	BookType    int         `json:"bookType"`
	SpaceType   int         `json:"spaceType"`
	CarModel    int         `json:"carModel,omitempty"`
	CarColor    int         `json:"carColor,omitempty"`
	PlateColor  int         `json:"plateColor,omitempty"`
	State       string      `json:"state"`
	Revision    int         `json:"revision"`
	CreatedAt   string      `json:"createdAt"`
	UpdatedAt   string      `json:"updatedAt"`
	History     []EventView `json:"history,omitempty"`
}

// EventView is one state change of an order.
type EventView struct {
	At    string `json:"at"`
	From  string `json:"from,omitempty"`
	To    string `json:"to"`
	Cause string `json:"cause"`
}

func viewOf(r platform.Reservation, evs []platform.ReservationEvent) ReservationView {
	v := ReservationView{BookCode: r.BookCode, ParkID: r.IsvParkID, ParkCode: r.ParkCode, PlateNo: r.PlateNo,
		BookTime: cst(r.BookTime), OverTime: cst(r.OverTime), ObligatTime: r.ObligatTime, BookType: r.BookType,
		SpaceType: r.SpaceType, CarModel: r.CarModel, CarColor: r.CarColor, PlateColor: r.PlateColor,
		State: string(r.State), Revision: r.Revision, CreatedAt: cst(r.CreatedAt), UpdatedAt: cst(r.UpdatedAt)}
	for _, e := range evs {
		v.History = append(v.History, EventView{At: cst(e.At), From: string(e.From), To: string(e.To), Cause: e.Cause})
	}
	return v
}

func cst(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

// bookingBody decodes and validates a Booking.
func (s *Server) bookingBody(w http.ResponseWriter, r *http.Request) (reservation.Booking, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return reservation.Booking{}, protocol.Errorf(protocol.CodeFormat, "body unreadable or over 64 KiB")
	}
	if !utf8.Valid(body) {
		return reservation.Booking{}, protocol.Errorf(protocol.CodeFormat, "body is not UTF-8, so not JSON")
	}
	return protocol.Decode[reservation.Booking](body)
}

func (s *Server) BookCreate(w http.ResponseWriter, r *http.Request) {
	client, err := s.apiClient(r)
	var b reservation.Booking
	if err == nil {
		b, err = s.bookingBody(w, r)
	}
	var res platform.Reservation
	if err == nil {
		res, err = s.Reservations.Create(r.Context(), client, b)
	}
	s.bookAnswer(w, r, http.StatusCreated, res, nil, err)
}

func (s *Server) BookGet(w http.ResponseWriter, r *http.Request) {
	client, err := s.apiClient(r)
	var res platform.Reservation
	var evs []platform.ReservationEvent
	if err == nil {
		res, evs, err = s.Reservations.Get(r.Context(), client, bookCode(r))
	}
	s.bookAnswer(w, r, http.StatusOK, res, evs, err)
}

func (s *Server) BookList(w http.ResponseWriter, r *http.Request) {
	client, err := s.apiClient(r)
	plate := r.URL.Query().Get("plateNo")
	if err == nil && plate == "" {
		err = protocol.FieldErrorf(protocol.CodeParam, "plateNo", "is required")
	}
	if err == nil && (utf8.RuneCountInString(plate) > 20 || strings.IndexByte(plate, 0) >= 0) {
		err = protocol.FieldErrorf(protocol.CodeRange, "plateNo", "(not a plate)")
	}
	var rs []platform.Reservation
	if err == nil {
		rs, err = s.Reservations.ListByPlate(r.Context(), client, plate)
	}
	if err != nil {
		s.bookError(w, r, err)
		return
	}
	views := make([]ReservationView, len(rs))
	for i, x := range rs {
		views[i] = viewOf(x, nil)
	}
	s.writeEnvelope(w, http.StatusOK, protocol.NewResponse(protocol.CodeOK, "", s.Now(), views))
}

func (s *Server) BookChange(w http.ResponseWriter, r *http.Request) {
	client, err := s.apiClient(r)
	var b reservation.Booking
	if err == nil {
		b, err = s.bookingBody(w, r)
	}
	var res platform.Reservation
	if err == nil {
		res, err = s.Reservations.Change(r.Context(), client, bookCode(r), b)
	}
	s.bookAnswer(w, r, http.StatusOK, res, nil, err)
}

func (s *Server) BookCancel(w http.ResponseWriter, r *http.Request) {
	client, err := s.apiClient(r)
	var res platform.Reservation
	if err == nil {
		res, err = s.Reservations.Cancel(r.Context(), client, bookCode(r))
	}
	s.bookAnswer(w, r, http.StatusOK, res, nil, err)
}

func (s *Server) bookAnswer(w http.ResponseWriter, r *http.Request, status int, res platform.Reservation, evs []platform.ReservationEvent, err error) {
	if err != nil {
		s.bookError(w, r, err)
		return
	}
	resp := protocol.NewResponse(protocol.CodeOK, "", s.Now(), []ReservationView{viewOf(res, evs)})
	s.writeEnvelope(w, status, resp)
}

// bookingStatus is the HTTP status that goes with each code on the
// booking API.
var bookingStatus = map[protocol.Code]int{
	protocol.CodeFormat: http.StatusBadRequest, protocol.CodeParam: http.StatusBadRequest,
	protocol.CodeTooLong: http.StatusBadRequest, protocol.CodeType: http.StatusBadRequest,
	protocol.CodeRange: http.StatusBadRequest, protocol.CodeToken: http.StatusUnauthorized,
	protocol.CodeNoPark: http.StatusNotFound, protocol.CodeNoReservation: http.StatusNotFound,
	protocol.CodeExists: http.StatusConflict, protocol.CodeBookExists: http.StatusConflict,
	protocol.CodeBookExpired: http.StatusGone, protocol.CodeBookCancelled: http.StatusGone,
	protocol.CodeInternal: http.StatusInternalServerError,
}

func (s *Server) bookError(w http.ResponseWriter, r *http.Request, err error) {
	pe, internal := wireError(err)
	if internal {
		id := reqinfo.RequestID(r.Context())
		s.Log.Error("internal error", "requestId", id, "err", err)
		pe = protocol.Errorf(protocol.CodeInternal, "request %s", id)
	}
	status, ok := bookingStatus[pe.Code]
	if !ok {
		status = http.StatusUnprocessableEntity
	}
	s.writeEnvelope(w, status, protocol.ErrorResponse(pe, s.Now()))
}

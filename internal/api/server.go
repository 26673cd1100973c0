// Package api is the platform's HTTP face: the uplink interfaces of table
// 30 under /dataReceive/v1/{code}, with the envelope, token, timestamp
// window and sign checks of docs/protocol.md §1-§2, and the mapping of every error
// to its appendix-A code.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parkd/parkd/internal/offpeak"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/ratelimit"
	reqinfo "github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/internal/uplink"
	"github.com/parkd/parkd/protocol"
)

// Defaults of the envelope limits (docs/protocol.md §2).
const (
	DefaultMaxBody = 1 << 20
	DefaultWindow  = 10 * time.Minute
)

// Server serves the uplink API.
type Server struct {
	Sessions *session.Manager
	Uplink   *uplink.Service
	// Reservations serves the booking API; nil leaves it out.
	Reservations *reservation.Service
	// OffPeak serves the off-peak interfaces (docs/offpeak.md); nil
	// leaves them out.
	OffPeak *offpeak.Service
	Now     platform.Clock
	Log     *slog.Logger
	// MaxBody bounds a JSON request body (default 1 MiB); over it is code 2.
	MaxBody int64
	// MaxItems bounds the items of one request (default 100); over it is 4.
	MaxItems int
	// Window is the timestamp window for replay protection (default 10 min).
	Window time.Duration
	// Limits are the request rate limits (off when zero).
	Limits Limits

	accountLimits *ratelimit.Keyed
}

// Init applies the defaults of the zero fields; call it once, before
// serving. The routes are those of internal/server/routes.go.
func (s *Server) Init() {
	if s.MaxBody <= 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.MaxItems <= 0 {
		s.MaxItems = protocol.DefaultMaxItems
	}
	if s.Window <= 0 {
		s.Window = DefaultWindow
	}
	s.accountLimits = ratelimit.New(s.Limits.PerAccount, s.Limits.Burst)
}

// ServeUnknown answers paths under /dataReceive/ that name no interface
// (404 with an envelope, code 2), and other methods on known ones (405).
func (s *Server) ServeUnknown(w http.ResponseWriter, r *http.Request) {
	code := protocol.Interface(strings.TrimPrefix(r.URL.Path, protocol.PathPrefix))
	if code.IsUplink() && r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	resp := protocol.ErrorResponse(protocol.Errorf(protocol.CodeFormat, "no interface at %s", r.URL.Path), s.Now())
	s.writeEnvelope(w, http.StatusNotFound, resp)
}

// writeResponse writes a response envelope with HTTP 200 (docs/protocol.md §1).
func (s *Server) writeResponse(w http.ResponseWriter, resp protocol.Response) {
	s.writeEnvelope(w, http.StatusOK, resp)
}

// writeEnvelope writes a response envelope with an HTTP status.
func (s *Server) writeEnvelope(w http.ResponseWriter, status int, resp protocol.Response) {
	WriteEnvelope(w, status, resp)
}

// WriteEnvelope writes a response envelope with an HTTP status, and notes
// its code for the request log.
func WriteEnvelope(w http.ResponseWriter, status int, resp protocol.Response) {
	reqinfo.NoteCode(w, int(resp.Code))
	b, err := resp.AppendJSON(make([]byte, 0, 96+len(resp.Message)+len(resp.Data)))
	if err != nil {
		b = []byte(`{"code":3,"message":"其他错误","timestamp":0,"data":[]}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeOK answers code 0 with data.
func (s *Server) writeOK(w http.ResponseWriter, data any) {
	s.writeResponse(w, protocol.NewResponse(protocol.CodeOK, "", s.Now(), data))
}

// writeError answers with the code of err. Internal faults are logged with
// the request id, which the caller sees instead of any detail.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var rl *rateLimited
	if errors.As(err, &rl) {
		TooMany(w, rl.what, rl.wait, s.Now())
		return
	}
	pe, internal := wireError(err)
	if internal {
		id := reqinfo.RequestID(r.Context())
		s.Log.Error("internal error", "requestId", id, "err", err)
		pe = protocol.Errorf(protocol.CodeInternal, "request %s", id)
	}
	s.writeResponse(w, protocol.ErrorResponse(pe, s.Now()))
}

// Package api is the platform's HTTP face: the uplink interfaces of table
// 30 under /dataReceive/v1/{code}, with the envelope, token, timestamp
// window and sign checks of PROTOCOL §1-§2, and the mapping of every error
// to its appendix-A code.
package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parkd/parkd/internal/offpeak"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/ratelimit"
	"github.com/parkd/parkd/internal/reservation"
	"github.com/parkd/parkd/internal/session"
	"github.com/parkd/parkd/internal/uplink"
	"github.com/parkd/parkd/protocol"
)

// Defaults of the envelope limits (PROTOCOL §2).
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
	// Mount adds the routes of the other parts of parkd (public read API,
	// console, metrics) to the mux, under the same request log, request
	// id and per-address limit; nil adds none.
	Mount func(mux *http.ServeMux)
	// Metrics is told of every answered request; nil records nothing.
	Metrics Recorder

	addrLimits    *ratelimit.Keyed
	accountLimits *ratelimit.Keyed
	crypto        atomic.Pointer[cryptoSnapshot] // the accounts' settings, see cryptoSettings
	cryptoMu      sync.Mutex                     // one read of them at a time
	cryptoLogins  sync.Map                       // userID -> cryptoLogin, newer than the snapshot
}

var errPanic = errors.New("panic")

// Handler returns the HTTP handler of the platform's API.
func (s *Server) Handler() http.Handler {
	if s.MaxBody <= 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.MaxItems <= 0 {
		s.MaxItems = protocol.DefaultMaxItems
	}
	if s.Window <= 0 {
		s.Window = DefaultWindow
	}
	s.addrLimits = ratelimit.New(s.Limits.PerAddr, s.Limits.Burst)
	s.accountLimits = ratelimit.New(s.Limits.PerAccount, s.Limits.Burst)
	mux := http.NewServeMux()
	mux.HandleFunc("POST "+protocol.PathPrefix+"{code}", s.serveUplink)
	mux.HandleFunc("/dataReceive/", s.serveUnknown)
	if s.Reservations != nil {
		s.routeBooking(mux)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	if s.Mount != nil {
		s.Mount(mux)
	}
	return s.withRequestLog(s.withAddrLimit(mux))
}

// serveUnknown answers paths under /dataReceive/ that name no interface
// (404 with an envelope, code 2), and other methods on known ones (405).
func (s *Server) serveUnknown(w http.ResponseWriter, r *http.Request) {
	code := protocol.Interface(strings.TrimPrefix(r.URL.Path, protocol.PathPrefix))
	if code.IsUplink() && r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	resp := protocol.ErrorResponse(protocol.Errorf(protocol.CodeFormat, "no interface at %s", r.URL.Path), s.Now())
	s.writeEnvelope(w, http.StatusNotFound, resp)
}

// writeResponse writes a response envelope with HTTP 200 (PROTOCOL §1).
func (s *Server) writeResponse(w http.ResponseWriter, resp protocol.Response) {
	s.writeEnvelope(w, http.StatusOK, resp)
}

// writeEnvelope writes a response envelope with an HTTP status.
func (s *Server) writeEnvelope(w http.ResponseWriter, status int, resp protocol.Response) {
	if sw, ok := w.(*statusWriter); ok {
		sw.code = int(resp.Code)
	}
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
		s.tooMany(w, rl.what, rl.wait)
		return
	}
	pe, internal := wireError(err)
	if internal {
		id := RequestID(r.Context())
		s.Log.Error("internal error", "requestId", id, "err", err)
		pe = protocol.Errorf(protocol.CodeInternal, "request %s", id)
	}
	s.writeResponse(w, protocol.ErrorResponse(pe, s.Now()))
}

package server

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/parkd/parkd/internal/api"
	"github.com/parkd/parkd/internal/openapi"
	"github.com/parkd/parkd/internal/public"
	"github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/protocol"
)

// Handler returns the HTTP handler of the whole process: every route of
// parkd is listed here, under the middleware every request passes
// (withMiddleware).
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	up, pub, con := s.API, s.Public, s.Console

	// Uplink (the standard's interfaces, table 30; internal/api).
	mux.HandleFunc("POST "+protocol.PathPrefix+"{code}", up.ServeUplink)
	mux.HandleFunc("/dataReceive/", up.ServeUnknown)

	// Booking API for the city's app back end (docs/protocol.md §9;
	// internal/api/booking.go).
	mux.HandleFunc("POST /api/v1/reservations", up.BookCreate)
	mux.HandleFunc("GET /api/v1/reservations", up.BookList)
	mux.HandleFunc("GET /api/v1/reservations/{bookCode}", up.BookGet)
	mux.HandleFunc("PATCH /api/v1/reservations/{bookCode}", up.BookChange)
	mux.HandleFunc("DELETE /api/v1/reservations/{bookCode}", up.BookCancel)

	// Public read API, no login, its own per-address limit
	// (internal/public).
	mux.Handle("GET /api/v1/public/parks", pub.Guard(pub.ServeParks))
	mux.Handle("GET /api/v1/public/parks/{isvParkId}", pub.Guard(pub.ServePark))
	mux.Handle("GET /api/v1/public/districts", pub.Guard(pub.ServeDistricts))
	mux.Handle("GET /api/v1/public/city", pub.Guard(pub.ServeCity))
	mux.Handle("/api/v1/public/", pub.Guard(public.ServeNoRoute))

	// Operator console: the page and its JSON API (internal/console,
	// docs/console-api.md). Authed requires a signed-in operator of a role
	// the console's table of routes allows (internal/console/roles.go).
	mux.Handle("GET /{$}", http.RedirectHandler("/console/", http.StatusFound))
	mux.HandleFunc("/console/", con.ServePage)
	mux.HandleFunc("POST /console/api/login", con.ServeLogin)
	mux.HandleFunc("POST /console/api/logout", con.Authed(con.ServeLogout))
	mux.HandleFunc("GET /console/api/me", con.Authed(con.ServeMe))
	mux.HandleFunc("POST /console/api/password", con.Authed(con.ServePassword))
	mux.HandleFunc("GET /console/api/overview", con.Authed(con.ServeOverview))
	mux.HandleFunc("GET /console/api/parks", con.Authed(con.ServeParks))
	mux.HandleFunc("GET /console/api/parks/{isvParkId}", con.Authed(con.ServePark))
	mux.HandleFunc("GET /console/api/pictures/{isvParkId}/{pictureId}", con.Authed(con.ServePicture))
	mux.HandleFunc("GET /console/api/vendors", con.Authed(con.ServeVendors))
	mux.HandleFunc("GET /console/api/reservations", con.Authed(con.ServeReservations))
	mux.HandleFunc("GET /console/api/reservations/{bookCode}", con.Authed(con.ServeReservation))
	mux.HandleFunc("GET /console/api/waitlists", con.Authed(con.ServeWaitlists))
	mux.HandleFunc("GET /console/api/stats", con.Authed(con.ServeStats))
	mux.HandleFunc("GET /console/api/stats.csv", con.Authed(con.ServeStatsCSV))
	mux.HandleFunc("GET /console/api/events", con.Authed(con.ServeEvents))
	mux.HandleFunc("GET /console/api/offpeak/packages", con.Authed(con.ServeOffPeakPackages))
	mux.HandleFunc("GET /console/api/offpeak/orders", con.Authed(con.ServeOffPeakOrders))
	mux.HandleFunc("GET /console/api/offpeak/daily", con.Authed(con.ServeOffPeakDaily))
	mux.HandleFunc("GET /console/api/audit", con.Authed(con.ServeAudit))
	mux.HandleFunc("GET /console/api/audit.csv", con.Authed(con.ServeAuditCSV))
	mux.HandleFunc("/console/api/", con.Authed(con.ServeNoRoute))

	// Operations (internal/server/observe.go, internal/openapi). The Go
	// profiles are on their own loopback listener (debug.go).
	mux.HandleFunc("GET /healthz", serveHealth)
	mux.HandleFunc("GET /readyz", s.serveReady)
	mux.Handle("GET /metrics", s.serveMetrics())
	mux.HandleFunc("GET /openapi.yaml", openapi.ServeYAML)
	mux.HandleFunc("GET /openapi.json", openapi.ServeJSON)

	return s.withMiddleware(mux)
}

// serveHealth answers GET /healthz: the process is up.
func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// withMiddleware applies, in this order, what every request of every
// route passes: an id (echoed in X-Request-Id) and the client's address
// and scheme (request.Begin, believing the trusted proxies' headers),
// the per-address limit (Config.RatePerAddr), recovery from panics as an
// internal error, and one log line and one metrics sample per request.
func (s *Server) withMiddleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r, in := request.Begin(r, s.Config.TrustedProxies)
		w.Header().Set("X-Request-Id", in.ID)
		rw := request.NewWriter(w, in)
		defer s.logRequest(r, rw, start)
		if ok, wait := s.addrLimits.Allow(in.Client, start); !ok {
			api.TooMany(rw, "address", wait, s.API.Now())
			return
		}
		defer s.recoverPanic(rw, r)
		next.ServeHTTP(rw, r)
	})
}

// recoverPanic answers a handler's panic as an internal error (code 3
// naming the request id) and logs it.
func (s *Server) recoverPanic(w http.ResponseWriter, r *http.Request) {
	p := recover()
	if p == nil {
		return
	}
	id := request.RequestID(r.Context())
	s.Log.Error("panic", "requestId", id, "panic", p)
	resp := protocol.ErrorResponse(protocol.Errorf(protocol.CodeInternal, "request %s", id), s.API.Now())
	api.WriteEnvelope(w, http.StatusOK, resp)
}

// logRequest logs one line for the request and tells the metrics.
func (s *Server) logRequest(r *http.Request, rw *request.Writer, start time.Time) {
	d := time.Since(start)
	in := rw.Info
	if s.Metrics != nil {
		s.Metrics.Request(r.Pattern, in.Interface, in.User, rw.Status, in.Code, d)
	}
	attrs := []slog.Attr{slog.String("requestId", in.ID), slog.String("method", r.Method),
		slog.String("path", r.URL.Path), slog.String("interface", in.Interface), slog.String("userId", in.User),
		slog.Int("status", rw.Status), slog.Int("code", in.Code), slog.String("remote", in.Client)}
	if peer := request.PeerAddr(r); peer != in.Client {
		attrs = append(attrs, slog.String("peer", peer)) // the trusted proxy
	}
	attrs = append(attrs, slog.Duration("duration", d))
	s.Log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}

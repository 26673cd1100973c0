package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"time"
)

type ctxKey int

const requestIDKey ctxKey = 0

// RequestID returns the id given to the request in ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Recorder receives one call per answered request (internal/metrics):
// the route pattern the mux matched ("" when none), the uplink interface
// and authenticated account when known, the HTTP status, the envelope
// code (-1 when the answer had none) and the time taken.
type Recorder interface {
	Request(route, iface, userID string, status, code int, d time.Duration)
}

// statusWriter records the status and protocol code of a response for the
// access log.
type statusWriter struct {
	http.ResponseWriter
	status int
	code   int
	iface  string
	user   string
}

func (w *statusWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's writer, so
// that streams (the console's server-sent events) can flush.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// withRequestLog gives every request an id (echoed in X-Request-Id),
// recovers from panics as an internal error, and logs one line per
// request.
func (s *Server) withRequestLog(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK, code: -1}
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		defer func() {
			if p := recover(); p != nil {
				s.Log.Error("panic", "requestId", id, "panic", p)
				s.writeError(sw, r, errPanic)
			}
			d := time.Since(start)
			if s.Metrics != nil {
				s.Metrics.Request(r.Pattern, sw.iface, sw.user, sw.status, sw.code, d)
			}
			s.Log.LogAttrs(r.Context(), slog.LevelInfo, "request", slog.String("requestId", id), slog.String("method", r.Method),
				slog.String("path", r.URL.Path), slog.String("interface", sw.iface), slog.String("userId", sw.user),
				slog.Int("status", sw.status), slog.Int("code", sw.code), slog.String("remote", r.RemoteAddr),
				slog.Duration("duration", d))
		}()
		next.ServeHTTP(sw, r)
	})
}

package console

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/parkd/parkd/protocol"
)

// timeLayout is the console's time format: CST with its offset.
const timeLayout = "2006-01-02T15:04:05-07:00"

// jsonTime is a time as the console shows it: a CST string, or null for
// the zero time (never happened).
type jsonTime time.Time

// MarshalJSON implements json.Marshaler.
func (t jsonTime) MarshalJSON() ([]byte, error) {
	tt := time.Time(t)
	if tt.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(tt.In(protocol.CST).Format(timeLayout))
}

// errorBody is every error answer.
type errorBody struct {
	Error string `json:"error"`
}

// writeJSON answers v as JSON with status. Answers hold operator data, so
// no cache may keep them.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	writeJSONBytes(w, status, b)
}

// writeJSONBytes answers JSON already encoded.
func writeJSONBytes(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, errorBody{Error: msg})
}

// internalError logs err and answers 500 without its detail.
func (s *Server) internalError(w http.ResponseWriter, r *http.Request, err error) {
	s.cfg.Log.Error("console", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal error")
}

// nonNil returns s, or an empty slice for nil, so that lists are [] in
// JSON rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

package console

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// eventTotals is the data of an overview event.
type eventTotals struct {
	At jsonTime `json:"at"`
	totals
}

// ServeEvents streams server-sent events: an overview event with the
// city's totals every EventEvery and a comment every KeepAlive, until the
// client goes, the session ends or the console closes.
func (s *Server) ServeEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary answers, not streams.
	if err := rc.SetWriteDeadline(time.Time{}); err != nil {
		s.cfg.Log.Debug("console events: write deadline", "err", err)
	}
	if srv, ok := r.Context().Value(http.ServerContextKey).(*http.Server); ok {
		s.hooked.Do(func() { srv.RegisterOnShutdown(s.Close) })
	}
	token := ""
	if c, err := r.Cookie(CookieName); err == nil {
		token = c.Value
	}
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	if !s.sendOverview(w, r) || rc.Flush() != nil {
		return
	}
	events, keepAlive := time.NewTicker(s.cfg.EventEvery), time.NewTicker(s.cfg.KeepAlive)
	defer events.Stop()
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-s.stop:
			return
		case <-events.C:
			if !s.sendOverview(w, r) {
				return
			}
		case <-keepAlive.C:
			if _, ok, err := s.sessionOfToken(r.Context(), token, false); err != nil || !ok {
				return
			}
			if _, err := fmt.Fprint(w, ": keep-alive\n\n"); err != nil {
				return
			}
		}
		if rc.Flush() != nil {
			return
		}
	}
}

// sendOverview writes one overview event; false when the stream is over.
func (s *Server) sendOverview(w http.ResponseWriter, r *http.Request) bool {
	sn, err := s.snapshot(r.Context())
	if err != nil {
		s.cfg.Log.Error("console events", "err", err)
		return r.Context().Err() == nil
	}
	b, err := json.Marshal(eventTotals{At: jsonTime(sn.at), totals: sn.totals})
	if err != nil {
		return false
	}
	_, err = fmt.Fprintf(w, "event: overview\ndata: %s\n\n", b)
	return err == nil
}

package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Limits sets the request rate limits. A zero rate turns a limit off.
type Limits struct {
	// PerAddr limits requests from one client address (all routes).
	PerAddr float64
	// PerAccount limits the uplink requests of one account, whichever
	// address they come from.
	PerAccount float64
	// Burst is how many requests beyond the rate a client may send at
	// once (default twice the rate, at least 1).
	Burst int
}

// tooMany answers HTTP 429 with a response envelope, code 3, and a
// Retry-After header.
func (s *Server) tooMany(w http.ResponseWriter, what string, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	resp := protocol.ErrorResponse(protocol.Errorf(protocol.CodeInternal, "rate limit of this %s exceeded; retry after %d s", what, max(secs, 1)), s.Now())
	s.writeEnvelope(w, http.StatusTooManyRequests, resp)
}

// withAddrLimit applies the per-address limit before anything else.
func (s *Server) withAddrLimit(next http.Handler) http.Handler {
	if s.addrLimits == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.addrLimits.Allow(clientAddr(r), time.Now()); !ok {
			s.tooMany(w, "address", wait)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// rateLimited is the error of a request over a limit; writeError answers
// it with HTTP 429.
type rateLimited struct {
	what string
	wait time.Duration
}

func (e *rateLimited) Error() string { return "rate limit of this " + e.what + " exceeded" }

// accountAllowed applies the per-account limit.
func (s *Server) accountAllowed(userID string) error {
	if ok, wait := s.accountLimits.Allow(userID, time.Now()); !ok {
		return &rateLimited{what: "account", wait: wait}
	}
	return nil
}

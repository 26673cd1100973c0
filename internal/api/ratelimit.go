package api

import (
	"math"
	"net/http"
	"strconv"
	"time"

	"github.com/parkd/parkd/protocol"
)

// Limits sets the request rate limits of the uplink. A zero rate turns a
// limit off. (The per-address limit of every route is the server's:
// internal/server/routes.go.)
type Limits struct {
	// PerAccount limits the uplink requests of one account, whichever
	// address they come from.
	PerAccount float64
	// Burst is how many requests beyond the rate a client may send at
	// once (default twice the rate, at least 1).
	Burst int
}

// TooMany answers HTTP 429 with a response envelope, code 3, and a
// Retry-After header: the answer of every request over a rate limit of
// this server (an address's, an account's).
func TooMany(w http.ResponseWriter, what string, wait time.Duration, now time.Time) {
	secs := int(math.Ceil(wait.Seconds()))
	w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
	resp := protocol.ErrorResponse(protocol.Errorf(protocol.CodeInternal, "rate limit of this %s exceeded; retry after %d s", what, max(secs, 1)), now)
	WriteEnvelope(w, http.StatusTooManyRequests, resp)
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

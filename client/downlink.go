package client

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/parkd/parkd/protocol"
)

// ReservationHandler is the parking system's business logic behind the
// downlink interfaces (tables 19-22). Return nil to accept, or a
// *protocol.Error with the code to answer: CodeBookExists (1201) when the
// order is already held, CodeNoReservable (1501) when there is no space
// (the platform then waitlists the order), CodeNoReservation (1104) for a
// cancellation of an unknown order, and so on.
type ReservationHandler interface {
	Reserve(ctx context.Context, r protocol.Reservation) error
	Cancel(ctx context.Context, r protocol.CancelReservation) error
}

// Receiver is an http.Handler serving the downlink interfaces
// `reservation` and `cancelReservation` (docs/protocol.md §8) under
// /dataReceive/v1/. It checks the authorization header against Token (5),
// the envelope (2, 4), the sign (6) and every item (4, 1004, 1005, 1007),
// then calls Handler for each item and answers [{"bookCode": ...}].
type Receiver struct {
	// Token is the downlink token agreed at provisioning.
	Token   string
	Handler ReservationHandler
	// MaxBody bounds the request body (default 1 MiB).
	MaxBody int64
	// Now is the clock of answer timestamps (default time.Now).
	Now func() time.Time
	Log *slog.Logger
}

// ServeHTTP implements http.Handler.
func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	code := protocol.Interface(strings.TrimPrefix(r.URL.Path, protocol.PathPrefix))
	if code != protocol.ReservationCode && code != protocol.CancelCode {
		rc.write(w, http.StatusNotFound, protocol.ErrorResponse(protocol.Errorf(protocol.CodeFormat, "unknown interface %q", string(code)), rc.now()))
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	data, err := rc.serve(r, code)
	if err != nil {
		rc.write(w, http.StatusOK, protocol.ErrorResponse(asProtocolError(err), rc.now()))
		return
	}
	rc.write(w, http.StatusOK, protocol.NewResponse(protocol.CodeOK, "", rc.now(), data))
}

func (rc *Receiver) serve(r *http.Request, code protocol.Interface) ([]protocol.BookCodeResponse, error) {
	max := rc.MaxBody
	if max <= 0 {
		max = 1 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil || int64(len(body)) > max {
		return nil, protocol.Errorf(protocol.CodeFormat, "body unreadable or over %d bytes", max)
	}
	env, items, err := protocol.ParseRequest(body, protocol.DefaultMaxItems)
	if err != nil {
		return nil, err
	}
	if !rc.tokenOK(r) {
		return nil, protocol.Errorf(protocol.CodeToken, "authorization does not match the downlink token")
	}
	if !protocol.Verify(env.Data, env.Sign) {
		return nil, protocol.FieldErrorf(protocol.CodeSign, "sign", "(does not match SM3 of data)")
	}
	if code == protocol.ReservationCode {
		return handleEach[protocol.Reservation](r.Context(), items, rc.Handler.Reserve,
			func(v protocol.Reservation) string { return v.BookCode })
	}
	return handleEach[protocol.CancelReservation](r.Context(), items, rc.Handler.Cancel,
		func(v protocol.CancelReservation) string { return v.BookCode })
}

// handleEach validates every item, then hands them to fn in order. The
// first error answers the request.
func handleEach[T any, P interface {
	*T
	protocol.Item
}](ctx context.Context, raw []json.RawMessage, fn func(context.Context, T) error, bookCode func(T) string) ([]protocol.BookCodeResponse, error) {
	items, err := protocol.DecodeItems[T, P](raw)
	if err != nil {
		return nil, err
	}
	out := make([]protocol.BookCodeResponse, 0, len(items))
	for _, it := range items {
		if err := fn(ctx, it); err != nil {
			return nil, err
		}
		out = append(out, protocol.BookCodeResponse{BookCode: bookCode(it)})
	}
	return out, nil
}

func (rc *Receiver) tokenOK(r *http.Request) bool {
	got := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(got) > 7 && strings.EqualFold(got[:7], "bearer ") {
		got = strings.TrimSpace(got[7:])
	}
	return rc.Token != "" && subtle.ConstantTimeCompare([]byte(got), []byte(rc.Token)) == 1
}

func (rc *Receiver) now() time.Time {
	if rc.Now != nil {
		return rc.Now()
	}
	return time.Now()
}

func (rc *Receiver) write(w http.ResponseWriter, status int, resp protocol.Response) {
	b, _ := json.Marshal(resp)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// asProtocolError keeps a handler's *protocol.Error and turns anything else
// into code 3 (the detail is not sent).
func asProtocolError(err error) *protocol.Error {
	var pe *protocol.Error
	if errors.As(err, &pe) {
		return pe
	}
	return protocol.Errorf(protocol.CodeInternal, "")
}

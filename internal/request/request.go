// Package request holds what every HTTP surface of parkd may ask of a
// request beyond net/http: its id, the client's address and scheme as
// the trusted proxies report them (proxy.go), and the notes the request
// log takes from the handler (the uplink interface, the account, the
// envelope code). The server's middleware (internal/server/routes.go)
// starts every request with Begin; a request that did not pass through it
// still answers every function here sensibly.
package request

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
)

type ctxKey struct{}

// Info is what the middleware knows of a request. The handler adds its
// notes (SetInterface, SetUser, SetCode) from the request's goroutine;
// the middleware reads them after the handler returned.
type Info struct {
	// ID is the request's id, echoed in X-Request-Id.
	ID string
	// Client is the client's address: the peer's, or the one the trusted
	// proxies name (proxy.go).
	Client string
	// Secure is whether the client reached parkd over HTTPS: directly,
	// or through a trusted proxy that says so.
	Secure bool
	// Interface, User and Code are the handler's notes: the uplink
	// interface, the authenticated account and the envelope code (-1
	// when the answer had none).
	Interface string
	User      string
	Code      int
}

// NewID returns a random request id: 16 hex digits.
func NewID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Begin gives r a new Info: a new id, and the client's address and scheme
// as proxies let them be read. It returns the request carrying it.
func Begin(r *http.Request, proxies Proxies) (*http.Request, *Info) {
	client, secure := proxies.Client(r)
	in := &Info{ID: NewID(), Client: client, Secure: secure, Code: -1}
	return r.WithContext(context.WithValue(r.Context(), ctxKey{}, in)), in
}

// WithRequestID returns ctx carrying a request of id (for callers that
// serve outside the middleware, and tests).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, ctxKey{}, &Info{ID: id, Code: -1})
}

// From returns the Info of ctx, or nil outside the middleware.
func From(ctx context.Context) *Info {
	in, _ := ctx.Value(ctxKey{}).(*Info)
	return in
}

// RequestID returns the id given to the request in ctx, or "".
func RequestID(ctx context.Context) string {
	if in := From(ctx); in != nil {
		return in.ID
	}
	return ""
}

// ClientAddr returns the address the request came from: the one the
// middleware found (the trusted proxies' client, see proxy.go), else the
// peer's host.
func ClientAddr(r *http.Request) string {
	if in := From(r.Context()); in != nil && in.Client != "" {
		return in.Client
	}
	return PeerAddr(r)
}

// PeerAddr returns the host of the direct peer, r.RemoteAddr without its
// port.
func PeerAddr(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// Secure reports whether the client reached parkd over HTTPS: the
// connection is TLS, or a trusted proxy says the client used https
// (Proxies.Client).
func Secure(r *http.Request) bool {
	if in := From(r.Context()); in != nil && in.Client != "" {
		return in.Secure // as Begin found it
	}
	return r.TLS != nil
}

// SetInterface notes the uplink interface of the request for the log.
func SetInterface(ctx context.Context, iface string) {
	if in := From(ctx); in != nil {
		in.Interface = iface
	}
}

// SetUser notes the authenticated account of the request for the log.
func SetUser(ctx context.Context, userID string) {
	if in := From(ctx); in != nil {
		in.User = userID
	}
}

// Writer is the http.ResponseWriter the middleware hands on: it records
// the status of the answer, and carries the request's Info so that a
// handler holding only the writer can note the envelope code (NoteCode).
type Writer struct {
	http.ResponseWriter
	Status int
	Info   *Info
}

// NewWriter wraps w for the request of in; the status is 200 until
// WriteHeader says otherwise.
func NewWriter(w http.ResponseWriter, in *Info) *Writer {
	return &Writer{ResponseWriter: w, Status: http.StatusOK, Info: in}
}

// WriteHeader records status and passes it on.
func (w *Writer) WriteHeader(status int) {
	w.Status = status
	w.ResponseWriter.WriteHeader(status)
}

// Unwrap lets http.ResponseController reach the connection's writer, so
// that streams (the console's server-sent events) can flush.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// NoteCode notes the envelope code of the answer written to w for the
// log; w not from the middleware notes nothing.
func NoteCode(w http.ResponseWriter, code int) {
	if rw, ok := w.(*Writer); ok && rw.Info != nil {
		rw.Info.Code = code
	}
}

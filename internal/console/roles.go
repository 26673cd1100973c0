package console

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/parkd/parkd/internal/platform"
)

// Roles with separated duties (docs/console-api.md "Roles"): every route
// of the JSON API but login is in the table below with the roles that may
// call it, and one middleware (Authed, which finds the route by the
// request's pattern) checks the session, the role and a pending password
// change, and writes the audit row of the routes that show personal data
// or change something. A route missing from the table is refused to
// everyone.

// route is who may call one route of the JSON API, and what it audits.
type route struct {
	pattern string   // as internal/server/routes.go gives it to the mux
	roles   []string // who may call it
	// change lets the route answer while a password change is pending.
	change bool
	// action, when set, audits every call under that name, the object
	// being object's answer; the answer leaves only once its row is
	// committed.
	action string
	object func(r *http.Request) string
	// stream commits the audit row (as ok) before the answer, which is
	// then streamed rather than kept: for exports of any size.
	stream bool
}

var (
	everyRole = platform.OperatorRoles
	watchers  = []string{platform.OperatorAdmin, platform.OperatorWatch}
	admins    = []string{platform.OperatorAdmin}
	auditors  = []string{platform.OperatorAuditor}
)

// routeTable is the table of the JSON API's routes behind sign-in.
var routeTable = []route{
	{pattern: "POST /console/api/logout", roles: everyRole, change: true, action: "console.logout"},
	{pattern: "GET /console/api/me", roles: everyRole, change: true},
	{pattern: "POST /console/api/password", roles: everyRole, change: true, action: "console.password"},
	{pattern: "GET /console/api/overview", roles: watchers},
	{pattern: "GET /console/api/events", roles: watchers},
	{pattern: "GET /console/api/parks", roles: watchers},
	{pattern: "GET /console/api/parks/{isvParkId}", roles: watchers, action: "view.park",
		object: pathObject("park:", "isvParkId")},
	{pattern: "GET /console/api/pictures/{isvParkId}/{pictureId}", roles: admins, action: "view.photo",
		object: pathObject("picture:", "isvParkId", "pictureId")},
	{pattern: "GET /console/api/vendors", roles: watchers},
	{pattern: "GET /console/api/reservations", roles: watchers, action: "view.reservations",
		object: queryObject("reservations")},
	{pattern: "GET /console/api/reservations/{bookCode}", roles: watchers, action: "view.reservation",
		object: pathObject("reservation:", "bookCode")},
	{pattern: "GET /console/api/waitlists", roles: watchers, action: "view.waitlists", object: queryObject("waitlists")},
	{pattern: "GET /console/api/stats", roles: watchers},
	{pattern: "GET /console/api/stats.csv", roles: watchers},
	{pattern: "GET /console/api/offpeak/packages", roles: watchers},
	{pattern: "GET /console/api/offpeak/orders", roles: watchers, action: "view.offpeak-orders",
		object: queryObject("offpeak-orders")},
	{pattern: "GET /console/api/offpeak/daily", roles: watchers},
	{pattern: "GET /console/api/audit", roles: auditors, action: "audit.read", object: queryObject("audit")},
	{pattern: "GET /console/api/audit.csv", roles: auditors, action: "audit.export", object: queryObject("audit"), stream: true},
	// Any other path under /console/api/: 404 to a signed-in operator.
	{pattern: "/console/api/", roles: everyRole, change: true},
}

// routeOf maps a pattern to its entry of routeTable.
var routeOf = func() map[string]route {
	m := make(map[string]route, len(routeTable))
	for _, rt := range routeTable {
		m[rt.pattern] = rt
	}
	return m
}()

// Access is who may call a route of the console's JSON API.
type Access struct {
	Pattern string // method and path, as http.ServeMux takes it
	Roles   []string
	Audited bool // every call writes an audit row
}

// AccessTable lists every route behind sign-in with the roles that may
// call it (login is open to anyone).
func AccessTable() []Access {
	var out []Access
	for _, rt := range routeTable {
		out = append(out, Access{Pattern: rt.pattern, Roles: slices.Clone(rt.roles), Audited: rt.action != ""})
	}
	return out
}

// pathObject names the object of a route by prefix and path values.
func pathObject(prefix string, names ...string) func(r *http.Request) string {
	return func(r *http.Request) string {
		vals := make([]string, len(names))
		for i, n := range names {
			vals[i] = r.PathValue(n)
		}
		return prefix + strings.Join(vals, "/")
	}
}

// queryObject names the object of a list route by its name and query.
func queryObject(name string) func(r *http.Request) string {
	return func(r *http.Request) string {
		if r.URL.RawQuery == "" {
			return name
		}
		return name + "?" + r.URL.RawQuery
	}
}

// access is what guard learned of a request's operator.
type access struct {
	sess   platform.OperatorSession
	op     platform.Operator
	change string // why a password change is pending, "" when none
	note   string // the audit row's detail, set by the handler
}

type accessKey struct{}

// accessOf returns the access guard put in ctx, nil outside guard.
func accessOf(ctx context.Context) *access {
	a, _ := ctx.Value(accessKey{}).(*access)
	return a
}

// sessionOf returns the session guard put in ctx.
func sessionOf(ctx context.Context) platform.OperatorSession {
	if a := accessOf(ctx); a != nil {
		return a.sess
	}
	return platform.OperatorSession{}
}

// unmasked reports whether the request's operator sees whole plates.
func unmasked(ctx context.Context) bool {
	a := accessOf(ctx)
	return a != nil && a.op.Role == platform.OperatorAdmin
}

// noteAudit sets the detail of the request's audit row.
func (s *Server) noteAudit(r *http.Request, detail string) {
	if a := accessOf(r.Context()); a != nil {
		a.note = detail
	}
}

// Authed lets a request through to h only with a live session of an
// operator whose role its route allows (401 and 403 otherwise) and with
// no password change pending unless the route allows it; it audits the
// route's calls. The route is the table's entry of the request's pattern:
// a pattern missing from the table is refused (500), never let through.
func (s *Server) Authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		rt, known := routeOf[r.Pattern]
		if !known {
			s.internalError(w, r, fmt.Errorf("route %q has no roles", r.Pattern))
			return
		}
		a, ok, err := s.session(r)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if !ok {
			writeError(w, http.StatusUnauthorized, "login required")
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), accessKey{}, a))
		if !slices.Contains(rt.roles, a.op.Role) {
			e := s.auditEntry(r, "console.access", rt.pattern, platform.AuditDenied, "role "+a.op.Role)
			if err := s.addAudit(r.Context(), e); err != nil {
				s.internalError(w, r, err)
				return
			}
			writeError(w, http.StatusForbidden, "the role "+a.op.Role+" may not use this route")
			return
		}
		if a.change != changeNone && !rt.change {
			writeJSON(w, http.StatusForbidden, changeRequired{Error: "password change required",
				PasswordChangeRequired: true, Reason: a.change})
			return
		}
		if rt.action == "" {
			h(w, r)
			return
		}
		s.audited(w, r, rt, h)
	}
}

type changeRequired struct {
	Error                  string `json:"error"`
	PasswordChangeRequired bool   `json:"passwordChangeRequired"`
	Reason                 string `json:"reason"`
}

// audited runs rt.h into a buffer, commits the audit row of the call with
// its result, and only then sends the answer: a view of personal data
// that cannot be audited is not shown (500).
func (s *Server) audited(w http.ResponseWriter, r *http.Request, rt route, h http.HandlerFunc) {
	object := ""
	if rt.object != nil {
		object = rt.object(r)
	}
	if rt.stream {
		if err := s.addAudit(r.Context(), s.auditEntry(r, rt.action, object, platform.AuditOK, "")); err != nil {
			s.internalError(w, r, err)
			return
		}
		h(w, r)
		return
	}
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	h(rec, r)
	detail := accessOf(r.Context()).note
	if detail == "" && strings.HasPrefix(rt.action, "view.") {
		detail = "plates masked"
		if unmasked(r.Context()) {
			detail = "plates unmasked"
		}
	}
	if err := s.addAudit(r.Context(), s.auditEntry(r, rt.action, object, resultOf(rec.status), detail)); err != nil {
		s.internalError(w, r, err)
		return
	}
	rec.send(w)
}

// resultOf maps an answer's status to an audit result.
func resultOf(status int) string {
	switch {
	case status < 400:
		return platform.AuditOK
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return platform.AuditDenied
	}
	return platform.AuditFailed
}

// recorder is a ResponseWriter that keeps the answer until send.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	body   bytes.Buffer
}

func (rec *recorder) Header() http.Header { return rec.header }

func (rec *recorder) WriteHeader(status int) {
	if !rec.wrote {
		rec.status, rec.wrote = status, true
	}
}

func (rec *recorder) Write(b []byte) (int, error) {
	rec.wrote = true
	return rec.body.Write(b)
}

// send writes the kept answer to w.
func (rec *recorder) send(w http.ResponseWriter) {
	h := w.Header()
	for k, v := range rec.header {
		h[k] = v
	}
	w.WriteHeader(rec.status)
	_, _ = w.Write(rec.body.Bytes())
}

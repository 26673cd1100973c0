package console

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/parkd/parkd/internal/audit"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/protocol"
)

// The audit log as the auditor reads it (docs/console-api.md "Audit
// log"), and the rows the console writes.

// Limits of one page of the audit log.
const (
	defaultAuditPage = 200
	maxAuditPage     = 1000
)

// auditEntry is an audit row of the request's operator at now.
func (s *Server) auditEntry(r *http.Request, action, object, result, detail string) platform.AuditEntry {
	e := platform.AuditEntry{At: s.cfg.Now(), Addr: request.ClientAddr(r), Action: action, Object: object,
		Result: result, Detail: detail}
	if a := accessOf(r.Context()); a != nil {
		e.Actor, e.Role = a.op.Name, a.op.Role
	}
	return e
}

// addAudit appends e.
func (s *Server) addAudit(ctx context.Context, e platform.AuditEntry) error {
	return audit.Add(ctx, s.cfg.Store, e)
}

type auditView struct {
	Seq    int64  `json:"seq"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Role   string `json:"role"`
	Addr   string `json:"addr"`
	Action string `json:"action"`
	Object string `json:"object"`
	Result string `json:"result"`
	Detail string `json:"detail"`
}

// auditFilter reads since, until, actor, after and limit; a bad one is
// 400 naming it.
func auditFilter(w http.ResponseWriter, r *http.Request, limit bool) (platform.AuditFilter, bool) {
	q := r.URL.Query()
	f := platform.AuditFilter{Actor: q.Get("actor")}
	var err error
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			if *dst, err = audit.ParseTime(v); err != nil {
				writeError(w, http.StatusBadRequest, name+": "+err.Error())
				return f, false
			}
		}
	}
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			writeError(w, http.StatusBadRequest, "after must be a seq (a whole number)")
			return f, false
		}
		f.AfterSeq = n
	}
	if !limit {
		return f, true
	}
	f.Limit = defaultAuditPage
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxAuditPage {
			writeError(w, http.StatusBadRequest, "limit must be a whole number from 1 to "+strconv.Itoa(maxAuditPage))
			return f, false
		}
		f.Limit = n
	}
	return f, true
}

// ServeAudit answers {"entries": [...], "next": seq} of a page of the log,
// oldest first; next is the after of the following page (0 when this was
// the last).
func (s *Server) ServeAudit(w http.ResponseWriter, r *http.Request) {
	f, ok := auditFilter(w, r, true)
	if !ok {
		return
	}
	var es []platform.AuditEntry
	err := s.cfg.Store.View(r.Context(), func(tx platform.Tx) (err error) {
		es, err = tx.AuditEntries(f)
		return err
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	out := make([]auditView, 0, len(es))
	for _, e := range es {
		out = append(out, auditView{Seq: e.Seq, At: e.At.In(protocol.CST).Format(audit.TimeLayout), Actor: e.Actor,
			Role: e.Role, Addr: e.Addr, Action: e.Action, Object: e.Object, Result: e.Result, Detail: e.Detail})
	}
	var next int64
	if len(es) == f.Limit {
		next = es[len(es)-1].Seq
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": out, "next": next})
}

// ServeAuditCSV answers every entry the query selects as CSV (audit.Row).
func (s *Server) ServeAuditCSV(w http.ResponseWriter, r *http.Request) {
	f, ok := auditFilter(w, r, false)
	if !ok {
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", `attachment; filename="audit.csv"`)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if err := audit.WriteCSV(r.Context(), w, s.cfg.Store, f); err != nil {
		s.cfg.Log.Error("console audit export", "err", err)
	}
}

package console

import (
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
)

// Why an operator must change the password before anything else.
const (
	changeNone    = ""
	changeNew     = "new"     // added or reset on the command line
	changeExpired = "expired" // older than PasswordMaxAge
)

// changeReason says whether op must change the password at now, and why.
func (s *Server) changeReason(op platform.Operator, now time.Time) string {
	switch {
	case op.MustChangePassword:
		return changeNew
	case s.cfg.PasswordMaxAge > 0 && !now.Before(op.PasswordChangedAt.Add(s.cfg.PasswordMaxAge)):
		return changeExpired
	}
	return changeNone
}

type passwordRequest struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// ServePassword changes the signed-in operator's password: the current one
// must be given, the new one must follow the rule and differ. Every other
// session of the operator ends; this one stays.
func (s *Server) ServePassword(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r) {
		return
	}
	var req passwordRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, loginBodyMax+1))
	switch {
	case err != nil || len(body) > loginBodyMax:
		writeError(w, http.StatusBadRequest, "body could not be read or is too large")
		return
	case json.Unmarshal(body, &req) != nil || req.Current == "" || req.New == "":
		writeError(w, http.StatusBadRequest, `body must be {"current","new"}`)
		return
	}
	a := accessOf(r.Context())
	if !accounts.OperatorPasswordMatches(a.op.PasswordHash, req.Current) {
		s.noteAudit(r, "wrong current password")
		writeError(w, http.StatusForbidden, "the current password is wrong")
		return
	}
	if req.New == req.Current {
		s.noteAudit(r, "same password")
		writeError(w, http.StatusBadRequest, "the new password must differ from the current one")
		return
	}
	hash, err := accounts.HashOperatorPasswordCost(a.op.Name, req.New, s.cfg.BcryptCost)
	if err != nil {
		s.noteAudit(r, err.Error())
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	now := s.cfg.Now()
	err = s.cfg.Store.Update(r.Context(), func(tx platform.Tx) error {
		op, err := tx.Operator(a.op.Name)
		if err != nil {
			return err
		}
		op.PasswordHash, op.PasswordChangedAt, op.MustChangePassword = hash, now, false
		if err := tx.PutOperator(op); err != nil {
			return err
		}
		if _, err := tx.DeleteOperatorSessionsOf(op.Name); err != nil {
			return err
		}
		return tx.PutOperatorSession(a.sess)
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

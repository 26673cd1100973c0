package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/request"
)

// CookieName is the session cookie of the console.
const CookieName = "parkd_console"

// Limits of the login body and of the purge of expired sessions.
const (
	loginBodyMax      = 4 << 10
	expiredPurgeLimit = 100
	// touchEvery is how stale a session's last use may grow before a use
	// writes the new one: the idle timeout without a write per request.
	touchEvery = time.Minute
)

// lockoutUser is the LoginFailure key under which failed console logins
// are counted per address (platform.LoginTx, shared with vendor logins,
// whose user ids have no spaces).
const lockoutUser = "console operator"

// dummyHash is compared against when the name is unknown, so that a wrong
// name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := accounts.HashOperatorPassword("", "Not a password of anyone 0")
	return h
})

// tokenHash is the stored form of a session token.
func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// newToken returns 32 random bytes, base64url.
func newToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// jsonBody checks that a POST carries JSON (415 otherwise), which with
// SameSite=Strict keeps other sites from posting in an operator's name.
func jsonBody(w http.ResponseWriter, r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return false
	}
	return true
}

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

// meBody answers login and me: the operator, the role, and whether a
// password change must come first (why: "new" or "expired").
type meBody struct {
	Name                   string `json:"name"`
	Role                   string `json:"role"`
	PasswordChangeRequired bool   `json:"passwordChangeRequired"`
	Reason                 string `json:"reason,omitempty"`
}

// ServeLogin checks a name and password and opens a session. Every
// attempt is audited.
func (s *Server) ServeLogin(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r) {
		return
	}
	var req loginRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, loginBodyMax+1))
	switch {
	case err != nil:
		writeError(w, http.StatusBadRequest, "body could not be read")
		return
	case len(body) > loginBodyMax:
		writeError(w, http.StatusBadRequest, "body is too large")
		return
	case json.Unmarshal(body, &req) != nil:
		writeError(w, http.StatusBadRequest, `body must be {"name","password"}`)
		return
	case req.Name == "":
		writeError(w, http.StatusBadRequest, "name is required")
		return
	case req.Password == "":
		writeError(w, http.StatusBadRequest, "password is required")
		return
	}
	ctx, addr, now := r.Context(), request.ClientAddr(r), s.cfg.Now()
	fail := func(status int, msg, detail, role string) {
		e := platform.AuditEntry{At: now, Actor: clip(req.Name, accounts.MaxOperatorNameRunes), Role: role, Addr: addr, Action: "console.login",
			Result: platform.AuditDenied, Detail: detail}
		if err := s.addAudit(ctx, e); err != nil {
			s.internalError(w, r, err)
			return
		}
		writeError(w, status, msg)
	}
	locked, err := s.lockedOut(ctx, addr, now)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if locked {
		s.cfg.Log.Warn("console login failed", "operator", req.Name, "remote", addr, "reason", "locked out")
		fail(http.StatusUnauthorized, "too many failed logins from this address; try again later", "address locked out", "")
		return
	}
	op, ok, err := s.checkPassword(ctx, req.Name, req.Password)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		s.cfg.Log.Warn("console login failed", "operator", req.Name, "remote", addr, "reason", "wrong name or password")
		if err := s.loginFailed(ctx, req.Name, addr, now); err != nil {
			s.internalError(w, r, err)
			return
		}
		fail(http.StatusUnauthorized, "wrong name or password", "wrong name or password", "")
		return
	}
	if op.Disabled {
		fail(http.StatusForbidden, "this operator is disabled", "operator disabled", op.Role)
		return
	}
	token, err := s.openSession(ctx, op, addr, now)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/console/", HttpOnly: true,
		Secure: request.Secure(r), SameSite: http.SameSiteStrictMode})
	s.cfg.Log.Info("console login", "operator", req.Name, "role", op.Role, "remote", addr)
	writeJSON(w, http.StatusOK, s.me(op, now))
}

// clip returns s cut to n characters: a name typed at sign-in is
// audited as typed, but no longer than a name can be.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// me is what login and me answer of op at now.
func (s *Server) me(op platform.Operator, now time.Time) meBody {
	reason := s.changeReason(op, now)
	return meBody{Name: op.Name, Role: op.Role, PasswordChangeRequired: reason != changeNone, Reason: reason}
}

// checkPassword returns the operator name and whether password is the
// operator's. An unknown name costs the same bcrypt comparison as a known
// one.
func (s *Server) checkPassword(ctx context.Context, name, password string) (platform.Operator, bool, error) {
	var op platform.Operator
	err := s.cfg.Store.View(ctx, func(tx platform.Tx) (err error) {
		op, err = tx.Operator(name)
		return err
	})
	if platform.IsNotFound(err) {
		_ = accounts.OperatorPasswordMatches(dummyHash(), password)
		return op, false, nil
	}
	if err != nil {
		return op, false, err
	}
	return op, accounts.OperatorPasswordMatches(op.PasswordHash, password), nil
}

// openSession stores a new session of op, forgets the address's failures
// and audits the sign-in; it also deletes some expired sessions. It
// returns the token.
func (s *Server) openSession(ctx context.Context, op platform.Operator, addr string, now time.Time) (string, error) {
	token := newToken()
	sess := platform.OperatorSession{TokenHash: tokenHash(token), Name: op.Name, CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL), LastSeenAt: now}
	err := s.cfg.Store.Update(ctx, func(tx platform.Tx) error {
		if err := tx.Lock(lockKey(addr)); err != nil {
			return err
		}
		if err := tx.DeleteLoginFailure(lockoutUser, addr); err != nil {
			return err
		}
		if _, err := tx.DeleteExpiredOperatorSessions(now, expiredPurgeLimit); err != nil {
			return err
		}
		if err := tx.PutOperatorSession(sess); err != nil {
			return err
		}
		return tx.AddAudit(platform.AuditEntry{At: now, Actor: op.Name, Role: op.Role, Addr: addr,
			Action: "console.login", Result: platform.AuditOK, Detail: s.changeReason(op, now)})
	})
	return token, err
}

// ServeLogout deletes the session and clears the cookie.
func (s *Server) ServeLogout(w http.ResponseWriter, r *http.Request) {
	if !jsonBody(w, r) {
		return
	}
	sess := sessionOf(r.Context())
	err := s.cfg.Store.Update(r.Context(), func(tx platform.Tx) error {
		return tx.DeleteOperatorSession(sess.TokenHash)
	})
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/console/", MaxAge: -1, HttpOnly: true,
		Secure: request.Secure(r), SameSite: http.SameSiteStrictMode})
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// ServeMe answers the signed-in operator's name, role and whether a
// password change is pending.
func (s *Server) ServeMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.me(accessOf(r.Context()).op, s.cfg.Now()))
}

// session returns the access of the request's cookie: a session that has
// neither reached its absolute end (SessionTTL after sign-in) nor been
// idle for IdleTimeout, of an operator who is still enabled. A use moves
// the session's last use forward, unless it carries RefreshHeader.
func (s *Server) session(r *http.Request) (*access, bool, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil, false, nil
	}
	return s.sessionOfToken(r.Context(), c.Value, r.Header.Get(RefreshHeader) == "")
}

// RefreshHeader marks a request the page makes on its own timer, not at
// the operator's hand: it does not count as a use of the session, so an
// unattended console still ends after the idle timeout.
const RefreshHeader = "X-Console-Refresh"

// sessionOfToken returns the access of token's live session, its last use
// moved forward when touch.
func (s *Server) sessionOfToken(ctx context.Context, token string, touch bool) (*access, bool, error) {
	hash, now := tokenHash(token), s.cfg.Now()
	a := &access{}
	err := s.cfg.Store.View(ctx, func(tx platform.Tx) (err error) {
		if a.sess, err = tx.OperatorSession(hash); err != nil {
			return err
		}
		a.op, err = tx.Operator(a.sess.Name)
		return err
	})
	if platform.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	if !now.Before(a.sess.ExpiresAt) || !now.Before(a.sess.LastSeenAt.Add(s.cfg.IdleTimeout)) || a.op.Disabled {
		return nil, false, nil
	}
	a.change = s.changeReason(a.op, now)
	if !touch || a.sess.LastSeenAt.After(now.Add(-touchEvery)) {
		return a, true, nil
	}
	a.sess.LastSeenAt = now
	err = s.cfg.Store.Update(ctx, func(tx platform.Tx) error {
		// Logged out meanwhile: do not bring the session back.
		if _, err := tx.OperatorSession(hash); err != nil {
			return err
		}
		return tx.PutOperatorSession(a.sess)
	})
	if platform.IsNotFound(err) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	return a, true, nil
}

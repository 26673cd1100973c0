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
	// extendEvery is how stale a session's expiry may grow before a use
	// writes the new one: sliding expiry without a write per request.
	extendEvery = time.Minute
)

// lockoutUser is the LoginFailure key under which failed console logins
// are counted per address (platform.LoginTx, shared with vendor logins,
// whose user ids have no spaces).
const lockoutUser = "console operator"

// dummyHash is compared against when the name is unknown, so that a wrong
// name takes as long as a wrong password.
var dummyHash = sync.OnceValue(func() []byte {
	h, _ := accounts.HashOperatorPassword("not a password of anyone")
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

type nameBody struct {
	Name string `json:"name"`
}

// ServeLogin checks a name and password and opens a session.
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
	locked, err := s.lockedOut(ctx, addr, now)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if locked {
		s.cfg.Log.Warn("console login failed", "operator", req.Name, "remote", addr, "reason", "locked out")
		writeError(w, http.StatusUnauthorized, "too many failed logins from this address; try again later")
		return
	}
	ok, err := s.checkPassword(ctx, req.Name, req.Password)
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
		writeError(w, http.StatusUnauthorized, "wrong name or password")
		return
	}
	token, err := s.openSession(ctx, req.Name, addr, now)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: token, Path: "/console/", HttpOnly: true,
		Secure: request.Secure(r), SameSite: http.SameSiteStrictMode})
	s.cfg.Log.Info("console login", "operator", req.Name, "remote", addr)
	writeJSON(w, http.StatusOK, nameBody{Name: req.Name})
}

// checkPassword reports whether password is the operator's. An unknown
// name costs the same bcrypt comparison as a known one.
func (s *Server) checkPassword(ctx context.Context, name, password string) (bool, error) {
	var op platform.Operator
	err := s.cfg.Store.View(ctx, func(tx platform.Tx) (err error) {
		op, err = tx.Operator(name)
		return err
	})
	if platform.IsNotFound(err) {
		_ = accounts.OperatorPasswordMatches(dummyHash(), password)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return accounts.OperatorPasswordMatches(op.PasswordHash, password), nil
}

// openSession stores a new session of name and forgets the address's
// failures; it also deletes some expired sessions. It returns the token.
func (s *Server) openSession(ctx context.Context, name, addr string, now time.Time) (string, error) {
	token := newToken()
	sess := platform.OperatorSession{TokenHash: tokenHash(token), Name: name, CreatedAt: now,
		ExpiresAt: now.Add(s.cfg.SessionTTL)}
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
		return tx.PutOperatorSession(sess)
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

// ServeMe answers the signed-in operator's name.
func (s *Server) ServeMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, nameBody{Name: sessionOf(r.Context()).Name})
}

type sessionKey struct{}

// sessionOf returns the session authed put in ctx.
func sessionOf(ctx context.Context) platform.OperatorSession {
	sess, _ := ctx.Value(sessionKey{}).(platform.OperatorSession)
	return sess
}

// Authed lets a request through to h only with a live session: 401
// otherwise. Each use moves the session's expiry forward.
func (s *Server) Authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		sess, ok, err := s.session(r)
		if err != nil {
			s.internalError(w, r, err)
			return
		}
		if !ok {
			writeError(w, http.StatusUnauthorized, "login required")
			return
		}
		h(w, r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess)))
	}
}

// session returns the live session of the request's cookie, extending it.
func (s *Server) session(r *http.Request) (platform.OperatorSession, bool, error) {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return platform.OperatorSession{}, false, nil
	}
	return s.sessionOfToken(r.Context(), c.Value)
}

// sessionOfToken returns the live session of token, extending it.
func (s *Server) sessionOfToken(ctx context.Context, token string) (platform.OperatorSession, bool, error) {
	hash, now := tokenHash(token), s.cfg.Now()
	var sess platform.OperatorSession
	err := s.cfg.Store.View(ctx, func(tx platform.Tx) (err error) {
		sess, err = tx.OperatorSession(hash)
		return err
	})
	if platform.IsNotFound(err) {
		return sess, false, nil
	}
	if err != nil {
		return sess, false, err
	}
	if !now.Before(sess.ExpiresAt) {
		return sess, false, nil
	}
	if sess.ExpiresAt.Before(now.Add(s.cfg.SessionTTL - extendEvery)) {
		sess.ExpiresAt = now.Add(s.cfg.SessionTTL)
		err = s.cfg.Store.Update(ctx, func(tx platform.Tx) error {
			// Logged out meanwhile: do not bring the session back.
			if _, err := tx.OperatorSession(hash); err != nil {
				return err
			}
			return tx.PutOperatorSession(sess)
		})
		if platform.IsNotFound(err) {
			return sess, false, nil
		}
		if err != nil {
			return sess, false, err
		}
	}
	return sess, true, nil
}

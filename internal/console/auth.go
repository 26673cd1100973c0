package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/internal/request"
	"golang.org/x/crypto/bcrypt"
)

// CookieName is the session cookie of the console.
const CookieName = "parkd_console"

// Limits of an operator's name and password.
const (
	MaxNameRunes      = 64
	MinPasswordRunes  = 8
	MaxPasswordBytes  = 72 // bcrypt's limit
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
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password of anyone"), bcrypt.DefaultCost)
	return h
})

// CheckName returns an error naming the problem when name cannot be an
// operator's name: empty, too long, or with control characters or spaces
// at either end.
func CheckName(name string) error {
	switch {
	case name == "":
		return errors.New("name is required")
	case !utf8.ValidString(name):
		return errors.New("name must be UTF-8")
	case utf8.RuneCountInString(name) > MaxNameRunes:
		return fmt.Errorf("name is longer than %d characters", MaxNameRunes)
	case strings.TrimSpace(name) != name:
		return errors.New("name must not start or end with a space")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("name must not hold control characters")
	}
	return nil
}

// HashPassword checks an operator's new password (at least 8 characters,
// at most 72 bytes) and returns its bcrypt hash.
func HashPassword(password string) ([]byte, error) {
	return hashPassword(password, bcrypt.DefaultCost)
}

func hashPassword(password string, cost int) ([]byte, error) {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordRunes:
		return nil, fmt.Errorf("password is shorter than %d characters", MinPasswordRunes)
	case len(password) > MaxPasswordBytes:
		return nil, fmt.Errorf("password is longer than %d bytes", MaxPasswordBytes)
	}
	return bcrypt.GenerateFromPassword([]byte(password), cost)
}

// NewOperator returns an operator ready to store, after checking name and
// password.
func NewOperator(name, password string, now time.Time) (platform.Operator, error) {
	return NewOperatorCost(name, password, bcrypt.DefaultCost, now)
}

// NewOperatorCost is NewOperator with a bcrypt cost of its own: tests
// take bcrypt.MinCost, which checks the same way in a fraction of the
// time.
func NewOperatorCost(name, password string, cost int, now time.Time) (platform.Operator, error) {
	if err := CheckName(name); err != nil {
		return platform.Operator{}, err
	}
	hash, err := hashPassword(password, cost)
	if err != nil {
		return platform.Operator{}, err
	}
	return platform.Operator{Name: name, PasswordHash: hash, CreatedAt: now}, nil
}

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
		writeError(w, http.StatusUnauthorized, "too many failed logins from this address; try again later")
		return
	}
	ok, err := s.checkPassword(ctx, req.Name, req.Password)
	if err != nil {
		s.internalError(w, r, err)
		return
	}
	if !ok {
		if err := s.loginFailed(ctx, addr, now); err != nil {
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
		_ = bcrypt.CompareHashAndPassword(dummyHash(), []byte(password))
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return bcrypt.CompareHashAndPassword(op.PasswordHash, []byte(password)) == nil, nil
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

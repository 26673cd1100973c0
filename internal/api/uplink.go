package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"

	reqinfo "github.com/parkd/parkd/internal/request"
	"github.com/parkd/parkd/protocol"
)

// request is an uplink request after the envelope checks: the account it
// came from (empty for login) and its items.
type request struct {
	userID string
	token  string
	env    protocol.Request
	items  []json.RawMessage
}

// ServeUplink handles POST /dataReceive/v1/{code}. Checks run in this
// order: interface known (404, code 2), body size and envelope (2, 4),
// token (5), the account's role (1, offpeak.go), encryption (4: encrypted login, no key, or plaintext from an
// account that requires encryption; 2: encrypted data not a string),
// timestamp window (4), sign (6), decryption (1005), items (4, 1004, 1005,
// 1007), then the interface's own rules. See encrypted.go for §7.
func (s *Server) ServeUplink(w http.ResponseWriter, r *http.Request) {
	code := protocol.Interface(r.PathValue("code"))
	reqinfo.SetInterface(r.Context(), string(code))
	if !code.IsUplink() {
		resp := protocol.ErrorResponse(protocol.Errorf(protocol.CodeFormat, "unknown interface %q", string(code)), s.Now())
		s.writeEnvelope(w, http.StatusNotFound, resp)
		return
	}
	if code == protocol.PictureCode {
		s.servePicture(w, r)
		return
	}
	req, err := s.readRequest(w, r, code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	data, err := s.dispatch(r.Context(), code, req, reqinfo.ClientAddr(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.writeOK(w, data)
}

// readRequest applies the envelope, token, encryption, window and sign
// checks, and decrypts encrypted data.
func (s *Server) readRequest(w http.ResponseWriter, r *http.Request, code protocol.Interface) (request, error) {
	var req request
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.MaxBody))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return req, protocol.Errorf(protocol.CodeFormat, "body over %d bytes", s.MaxBody)
	}
	if err != nil {
		return req, protocol.Errorf(protocol.CodeFormat, "reading body: %v", err)
	}
	encrypted := r.Header.Get(protocol.EncryptedHeader) == protocol.EncryptedOn
	if encrypted && code == protocol.Login {
		return req, protocol.FieldErrorf(protocol.CodeParam, "encrypted",
			"(login is never encrypted: it carries no token, so no account key; send encrypted: 1 or omit the header)")
	}
	if encrypted {
		req.env, err = protocol.ParseEnvelope(body)
	} else {
		req.env, req.items, err = protocol.ParseRequest(body, s.MaxItems)
	}
	if err != nil {
		return req, err
	}
	if code.NeedsToken() {
		req.token = token(r)
		if req.userID, err = s.Sessions.Authenticate(r.Context(), req.token); err != nil {
			return req, err
		}
		reqinfo.SetUser(r.Context(), req.userID)
		if err := s.accountAllowed(req.userID); err != nil {
			return req, err
		}
		if err := s.checkRole(r.Context(), req.userID, code); err != nil {
			return req, err
		}
	}
	var key []byte
	var b64 string
	if code != protocol.Login {
		if key, err = s.encryptionPolicy(r.Context(), req.userID, code, encrypted); err != nil {
			return req, err
		}
	}
	if encrypted {
		if req.env.Data, b64, err = protocol.EncryptedData(req.env.Data); err != nil {
			return req, err
		}
	}
	if code.InTimestampWindow() {
		if err := s.checkWindow(req.env.Timestamp); err != nil {
			return req, err
		}
	}
	if !protocol.Verify(req.env.Data, req.env.Sign) {
		if encrypted {
			return req, protocol.FieldErrorf(protocol.CodeSign, "sign", "(does not match SM3 of the encrypted data string)")
		}
		return req, protocol.FieldErrorf(protocol.CodeSign, "sign", "(does not match SM3 of data)")
	}
	if encrypted {
		if req.items, err = s.decryptItems(key, b64); err != nil {
			return req, err
		}
	}
	return req, nil
}

// checkWindow rejects a timestamp more than Window from server time
// (replay protection, docs/protocol.md §2).
func (s *Server) checkWindow(ms int64) error {
	now := protocol.Millis(s.Now())
	d := now - ms
	if d < 0 {
		d = -d
	}
	if d > s.Window.Milliseconds() {
		return protocol.FieldErrorf(protocol.CodeParam, "timestamp", "(%d is outside the %s window around server time %d)", ms, s.Window, now)
	}
	return nil
}

// token returns the accessToken of the authorization header, with or
// without a "Bearer " prefix.
func token(r *http.Request) string {
	t := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(t) > 7 && strings.EqualFold(t[:7], "bearer ") {
		t = strings.TrimSpace(t[7:])
	}
	return t
}

// dispatch decodes the items for code and calls the service.
func (s *Server) dispatch(ctx context.Context, code protocol.Interface, req request, addr string) (any, error) {
	u := s.Uplink
	switch code {
	case protocol.Login:
		return s.login(ctx, req, addr)
	case protocol.HeartBeats:
		return s.heartbeat(ctx, req)
	case protocol.ParkInfoCode:
		return decodeThen(ctx, req, u.ParkInfo)
	case protocol.EntranceExitCode:
		return decodeThen(ctx, req, u.EntranceExitInfo)
	case protocol.EnterRecordCode:
		return decodeThen(ctx, req, u.EnterRecord)
	case protocol.ExitRecordCode:
		return decodeThen(ctx, req, u.ExitRecord)
	case protocol.ParkSpaceInfoCode:
		return decodeThen(ctx, req, u.ParkSpaceInfo)
	case protocol.ParkCarInfoCode:
		return decodeThen(ctx, req, u.ParkCarInfo)
	case protocol.ReplenishCode:
		return decodeThen(ctx, req, u.ReplenishCarInfo)
	}
	if code.IsOffPeak() {
		return s.dispatchOffPeak(ctx, code, req)
	}
	return nil, protocol.Errorf(protocol.CodeFormat, "unknown interface %q", string(code))
}

// decodeThen decodes and validates every item as T, then hands the batch
// to handle.
func decodeThen[T any, P interface {
	*T
	protocol.Item
}, R any](ctx context.Context, req request, handle func(context.Context, string, []T) ([]R, error)) (any, error) {
	items, err := protocol.DecodeItems[T, P](req.items)
	if err != nil {
		return nil, err
	}
	return handle(ctx, req.userID, items)
}

// login handles table 2: exactly one item.
func (s *Server) login(ctx context.Context, req request, addr string) (any, error) {
	if len(req.items) != 1 {
		return nil, protocol.FieldErrorf(protocol.CodeParam, "data", "(login takes exactly one item)")
	}
	items, err := protocol.DecodeItems[protocol.LoginRequest](req.items)
	if err != nil {
		return nil, err
	}
	tok, err := s.Sessions.Login(ctx, items[0].UserID, items[0].Password, addr)
	if err != nil {
		return nil, err
	}
	return []protocol.LoginResponse{{AccessToken: tok}}, nil
}

// heartbeat handles table 4 and answers table 5 with the server clock.
func (s *Server) heartbeat(ctx context.Context, req request) (any, error) {
	if _, err := protocol.DecodeItems[protocol.HeartbeatRequest](req.items); err != nil {
		return nil, err
	}
	now, err := s.Sessions.Heartbeat(ctx, req.token)
	if err != nil {
		return nil, err
	}
	return []protocol.HeartbeatResponse{{Timestamp: protocol.Millis(now)}}, nil
}

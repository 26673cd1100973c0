package api

import (
	"context"
	"encoding/json"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Encrypted data (docs/protocol.md §7, header encrypted: 0). The readings this
// server takes:
//   - login is never encrypted: it carries no token, so there is no account
//     whose key could be used; encrypted: 0 on login is code 4 naming
//     `encrypted`.
//   - Any other JSON interface may be encrypted when the account (from the
//     token) has a data key; with no key it is code 4 naming `encrypted`.
//   - An account that requires encryption gets code 4 naming `encrypted`
//     for a plaintext request, except heartBeats: a heartbeat carries only
//     the client's clock and keeps the session alive, so a system whose key
//     is being changed keeps its token meanwhile. heartBeats may be
//     encrypted all the same.
//   - picture is multipart (§6) and never encrypted; the header is ignored
//     there, and a requirement does not apply to it.
//   - sign covers the bytes between the data string's quotes as sent.
//   - Anything that does not decrypt (not Base64, too short, bad padding
//     from a wrong key or altered ciphertext) or decrypts to something
//     that is not UTF-8 JSON is code 1005 naming `data`, and nothing is
//     stored. The plaintext then follows §2's rules for data: an array of
//     objects (a single object is a one-item array), validated item by
//     item as for a plaintext request.

// encryptionPolicy reads userID's account and checks a request of code
// against its encryption settings; it returns the account's data key when
// the request is encrypted.
func (s *Server) encryptionPolicy(ctx context.Context, userID string, code protocol.Interface, encrypted bool) ([]byte, error) {
	acct, err := s.cryptoSettings(ctx, userID)
	if err != nil {
		return nil, err
	}
	if encrypted {
		if len(acct.DataKey) != protocol.DataKeySize {
			return nil, protocol.FieldErrorf(protocol.CodeParam, "encrypted",
				"(the account has no data key, so it cannot send encrypted data; send encrypted: 1 or ask the operator for a key)")
		}
		return acct.DataKey, nil
	}
	if acct.RequireEncryption && code != protocol.HeartBeats {
		return nil, protocol.FieldErrorf(protocol.CodeParam, "encrypted",
			"(the account must send encrypted data: header encrypted: 0 and data as Base64 of SM4-CBC)")
	}
	return nil, nil
}

// cryptoSettings returns the encryption settings and role of an account
// from the accounts' state (accounts.State, shared with the sessions:
// one read of every account's settings at most every 5 s, and the
// account's own read at its login on this instance).
func (s *Server) cryptoSettings(ctx context.Context, userID string) (platform.Account, error) {
	st, err := s.Sessions.State().Get(ctx, userID)
	if err != nil {
		return platform.Account{}, err
	}
	return platform.Account{UserID: userID, DataKey: st.DataKey, RequireEncryption: st.RequireEncryption, Role: st.Role}, nil
}

// ForgetAccount drops what this instance knows of the accounts' state,
// for a caller that changed an account in this process and needs the
// change at once.
func (s *Server) ForgetAccount(userID string) {
	s.Sessions.State().Forget(userID)
}

// errUndecryptable is the one answer to encrypted data that does not
// decrypt to JSON, whatever the reason (not Base64, too short, wrong key,
// bad padding, a plaintext that is not JSON): answers that told these
// apart would be a padding oracle (docs/protocol.md §7).
var errUndecryptable = protocol.FieldErrorf(protocol.CodeType, "data",
	"(encrypted data does not decrypt to JSON with the account's data key)")

// decryptItems decrypts the Base64 text of an encrypted request's data
// with key and splits the plaintext into items.
func (s *Server) decryptItems(key []byte, b64 string) ([]json.RawMessage, error) {
	plain, err := protocol.DecryptData(key, b64)
	if err != nil || !utf8.Valid(plain) || !json.Valid(plain) {
		return nil, errUndecryptable
	}
	items, err := protocol.SplitData(plain, s.MaxItems)
	if err != nil {
		return nil, err
	}
	return items, nil
}

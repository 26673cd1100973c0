package api

import (
	"context"
	"encoding/json"
	"time"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// Encrypted data (PROTOCOL §7, header encrypted: 0). The readings this
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

// cryptoCacheFor bounds how long the accounts' encryption settings and
// roles are trusted from memory: a key set or cleared by the operator
// applies on every instance within this time.
const cryptoCacheFor = 5 * time.Second

// cryptoSnapshot is every account's encryption settings and role as last
// read: the accounts with settings other than the defaults, by user id
// (platform.Tx AccountSettings). An account not in it has no data key, no
// requirement to encrypt and the role RolePLMS.
type cryptoSnapshot struct {
	accounts map[string]platform.AccountSettings
	loadedAt time.Time
}

// cryptoSettings returns the encryption settings and role of an account
// from one snapshot of all accounts, read from the store at most every
// cryptoCacheFor: a request costs no read of its own, however many
// accounts there are and however seldom each one calls. An account's
// settings read at its login on this instance take precedence over an
// older snapshot, so that an account created (or changed) just before it
// logs in is served by its settings at once.
func (s *Server) cryptoSettings(ctx context.Context, userID string) (platform.Account, error) {
	snap, err := s.cryptoSnapshot(ctx, time.Now())
	if err != nil {
		return platform.Account{}, err
	}
	a := snap.accounts[userID]
	if v, ok := s.cryptoLogins.Load(userID); ok {
		if l := v.(cryptoLogin); l.readAt.After(snap.loadedAt) {
			a = l.settings
		}
	}
	return platform.Account{UserID: userID, DataKey: a.DataKey, RequireEncryption: a.RequireEncryption, Role: a.Role}, nil
}

// cryptoLogin is an account's settings as read when it logged in.
type cryptoLogin struct {
	settings platform.AccountSettings
	readAt   time.Time
}

// noteLogin reads the settings of an account that has just logged in, for
// cryptoSettings. A failed read is only logged: the snapshot serves the
// account within cryptoCacheFor.
func (s *Server) noteLogin(ctx context.Context, userID string) {
	readAt := time.Now()
	var acct platform.Account
	err := s.Uplink.Store.View(ctx, func(tx platform.Tx) error {
		var err error
		acct, err = tx.Account(userID)
		return err
	})
	if err != nil {
		s.Log.WarnContext(ctx, "reading the settings of an account at its login", "userId", userID, "err", err)
		return
	}
	s.cryptoLogins.Store(userID, cryptoLogin{readAt: readAt, settings: platform.AccountSettings{
		UserID: userID, DataKey: acct.DataKey, RequireEncryption: acct.RequireEncryption, Role: acct.Role}})
}

// cryptoSnapshot returns the snapshot of the accounts' settings, reading
// it again when it is older than cryptoCacheFor (or that far in the
// future: the clock was set back). Callers wait while one of them reads.
func (s *Server) cryptoSnapshot(ctx context.Context, now time.Time) (*cryptoSnapshot, error) {
	if c := s.crypto.Load(); c != nil && fresh(c.loadedAt, now) {
		return c, nil
	}
	s.cryptoMu.Lock()
	defer s.cryptoMu.Unlock()
	if c := s.crypto.Load(); c != nil && fresh(c.loadedAt, now) {
		return c, nil // read by another caller meanwhile
	}
	var list []platform.AccountSettings
	err := s.Uplink.Store.View(ctx, func(tx platform.Tx) error {
		var err error
		list, err = tx.AccountSettings()
		return err
	})
	if err != nil {
		return nil, err
	}
	c := &cryptoSnapshot{accounts: make(map[string]platform.AccountSettings, len(list)), loadedAt: now}
	for _, a := range list {
		c.accounts[a.UserID] = a
	}
	s.crypto.Store(c)
	s.cryptoLogins.Range(func(k, v any) bool { // what the snapshot now covers
		if !v.(cryptoLogin).readAt.After(now) {
			s.cryptoLogins.Delete(k)
		}
		return true
	})
	return c, nil
}

// fresh reports whether a snapshot read at at is still good at now: less
// than cryptoCacheFor old, or from less than that in the future. A caller
// whose now was taken before another caller's read (it waited for the
// lock meanwhile) must not read again.
func fresh(at, now time.Time) bool {
	d := now.Sub(at)
	return d < cryptoCacheFor && d > -cryptoCacheFor
}

// ForgetAccount drops the cached settings (of every account), for a
// caller that changed an account in this process and needs the change at
// once.
func (s *Server) ForgetAccount(userID string) {
	s.cryptoLogins.Delete(userID)
	s.crypto.Store(nil)
}

// decryptItems decrypts the Base64 text of an encrypted request's data
// with key and splits the plaintext into items.
func (s *Server) decryptItems(key []byte, b64 string) ([]json.RawMessage, error) {
	plain, err := protocol.DecryptData(key, b64)
	if err != nil {
		return nil, protocol.FieldErrorf(protocol.CodeType, "data", "(encrypted data %v)", err)
	}
	if !utf8.Valid(plain) || !json.Valid(plain) {
		return nil, protocol.FieldErrorf(protocol.CodeType, "data",
			"(encrypted data does not decrypt to JSON with the account's data key: wrong key or altered ciphertext)")
	}
	items, err := protocol.SplitData(plain, s.MaxItems)
	if err != nil {
		return nil, err
	}
	return items, nil
}

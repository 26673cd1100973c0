// Package accounts keeps the rules of who may use parkd, beside the
// domain: vendor accounts (their creation, disabling, roles and data
// keys), booking API keys and console operators, with the hashing of
// their passwords and secrets (password.go); and State (state.go), the
// one in-memory view of every account's state that sessions, encryption
// settings and roles are served from. The CLI (cmd/parkd) and the
// console call Manager; nothing else writes accounts, keys or operators.
//
// Errors of a value that breaks a rule name the field first ("user-id
// ...", "password ..."), so that the CLI can put "--" before them.
package accounts

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// Manager changes accounts, API keys and operators in the store.
type Manager struct {
	Store platform.Store
	Now   platform.Clock
	// State, when set, is the running server's view of the accounts: a
	// change made through this Manager applies to it at once (on other
	// instances, within State's refresh).
	State *State
	// Cost is the bcrypt cost of the password hashes it makes (0:
	// bcrypt.DefaultCost; tests take bcrypt.MinCost).
	Cost int
}

// changed tells the in-process State that userID changed.
func (m *Manager) changed(userID string) {
	if m.State != nil {
		m.State.Forget(userID)
	}
}

// ErrExists is the error of adding what is already stored.
var ErrExists = errors.New("exists")

// ErrNoAccount is the error of changing an account that is not stored.
var ErrNoAccount = errors.New("no account")

// CheckUserID returns an error when id cannot be an account's userId
// (table 2: 1 to 32 characters).
func CheckUserID(id string) error {
	if err := (protocol.LoginRequest{UserID: id, Password: "x"}).Validate(); err != nil || id == "" {
		return errors.New("user-id is required, at most 32 characters")
	}
	return nil
}

// CheckCallback returns an error when a downlink callback is not usable:
// the URL must be http or https with a host, and needs a token.
func CheckCallback(callback, token string) error {
	if callback == "" {
		return nil
	}
	if u, err := url.Parse(callback); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("callback must be an http or https URL")
	}
	if token == "" {
		return errors.New("callback-token is required with --callback")
	}
	return nil
}

// CheckRole returns an error when role is not one an account may have
// ("" is RolePLMS).
func CheckRole(role string) error {
	if role != "" && !platform.ValidRole(role) {
		return fmt.Errorf("role must be %s or %s", platform.RolePLMS, platform.RoleOffPeak)
	}
	return nil
}

// AddAccount stores a new account a with the plaintext login password
// (only the hash of its SM3 digest is kept). It fails with ErrExists when
// the user id is taken.
func (m *Manager) AddAccount(ctx context.Context, a platform.Account, password string) error {
	if err := CheckUserID(a.UserID); err != nil {
		return err
	}
	if password == "" {
		return errors.New("password is required")
	}
	if err := CheckCallback(a.CallbackURL, a.CallbackToken); err != nil {
		return err
	}
	if err := CheckRole(a.Role); err != nil {
		return err
	}
	cost := m.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	hash, err := HashVendorPasswordCost(protocol.PasswordDigest(password), cost)
	if err != nil {
		return err
	}
	err = m.Store.Update(ctx, func(tx platform.Tx) error {
		if _, err := tx.Account(a.UserID); err == nil {
			return fmt.Errorf("account %s %w", a.UserID, ErrExists)
		} else if !platform.IsNotFound(err) {
			return err
		}
		a.PasswordHash, a.CreatedAt = hash, m.Now()
		return tx.PutAccount(a)
	})
	m.changed(a.UserID)
	return err
}

// AddAccounts creates count accounts named prefix followed by 0 ..
// count-1, sharing one password hash of the given bcrypt cost, in one
// transaction: a quick way to provision a city of simulated lots for load
// tests. It returns the last user id.
func (m *Manager) AddAccounts(ctx context.Context, prefix string, count int, password string, cost int) (string, error) {
	last := prefix + strconv.Itoa(count-1)
	if CheckUserID(last) != nil || prefix == "" {
		return "", fmt.Errorf("prefix is required, and %s must be at most 32 characters", last)
	}
	if password == "" {
		return "", errors.New("password is required")
	}
	hash, err := HashVendorPasswordCost(protocol.PasswordDigest(password), cost)
	if err != nil {
		return "", err
	}
	now := m.Now()
	return last, m.Store.Update(ctx, func(tx platform.Tx) error {
		for i := range count {
			id := prefix + strconv.Itoa(i)
			if _, err := tx.Account(id); err == nil {
				return fmt.Errorf("account %s %w", id, ErrExists)
			} else if !platform.IsNotFound(err) {
				return err
			}
			if err := tx.PutAccount(platform.Account{UserID: id, PasswordHash: hash, CreatedAt: now}); err != nil {
				return err
			}
		}
		return nil
	})
}

// change applies fn to the stored account userID in one transaction.
func (m *Manager) change(ctx context.Context, userID string, fn func(tx platform.Tx, a *platform.Account) error) error {
	if userID == "" {
		return errors.New("user-id is required")
	}
	err := m.Store.Update(ctx, func(tx platform.Tx) error {
		a, err := tx.Account(userID)
		if platform.IsNotFound(err) {
			return fmt.Errorf("%w %s", ErrNoAccount, userID)
		}
		if err != nil {
			return err
		}
		if err := fn(tx, &a); err != nil {
			return err
		}
		return tx.PutAccount(a)
	})
	m.changed(userID)
	return err
}

// Disable bars the account from logging in and ends every live token of
// it for good: the tokens are deleted, so enabling the account again does
// not bring them back. The account is recorded offline. A server holding
// State applies it at once; other instances within one refresh of their
// State (session.Config.CacheFor, 5 s by default).
func (m *Manager) Disable(ctx context.Context, userID string) error {
	return m.change(ctx, userID, func(tx platform.Tx, a *platform.Account) error {
		a.Disabled = true
		if _, err := tx.DeleteAccountTokens(userID); err != nil {
			return err
		}
		if !a.Online {
			return nil
		}
		a.Online, a.StateSince = false, m.Now()
		return tx.SetAccountState(platform.LivenessEvent{UserID: userID, Online: false, At: a.StateSince, Cause: "disabled"})
	})
}

// Enable lifts a disable: the account may log in again (its old tokens
// stay ended).
func (m *Manager) Enable(ctx context.Context, userID string) error {
	return m.change(ctx, userID, func(_ platform.Tx, a *platform.Account) error {
		a.Disabled = false
		return nil
	})
}

// SetRole changes what the account may call (platform.Role*).
func (m *Manager) SetRole(ctx context.Context, userID, role string) error {
	if err := CheckRole(role); err != nil {
		return err
	}
	return m.change(ctx, userID, func(_ platform.Tx, a *platform.Account) error {
		a.Role = role
		return nil
	})
}

// KeyChange is a change of an account's data key (docs/protocol.md §7):
// Clear removes the key and the requirement; else Key, when set, becomes
// the key and Require says whether the account must encrypt; with no Key
// only the requirement is set, on an account that has a key.
type KeyChange struct {
	Key     []byte
	Require bool
	Clear   bool
}

// NewDataKey returns a random data key.
func NewDataKey() []byte {
	key := make([]byte, protocol.DataKeySize)
	_, _ = rand.Read(key) // crypto/rand never fails on supported platforms
	return key
}

// SetKey applies k to the account and returns whether it must now
// encrypt.
func (m *Manager) SetKey(ctx context.Context, userID string, k KeyChange) (required bool, err error) {
	if k.Key != nil && len(k.Key) != protocol.DataKeySize {
		return false, fmt.Errorf("key must be %d hex digits (%d bytes)", 2*protocol.DataKeySize, protocol.DataKeySize)
	}
	err = m.change(ctx, userID, func(_ platform.Tx, a *platform.Account) error {
		switch {
		case k.Clear:
			a.DataKey, a.RequireEncryption = nil, false
		case k.Key != nil:
			a.DataKey, a.RequireEncryption = k.Key, k.Require
		case a.DataKey == nil:
			return fmt.Errorf("account %s has no data key: give --key HEX32 or --generate", userID)
		default:
			a.RequireEncryption = k.Require
		}
		required = a.RequireEncryption
		return nil
	})
	return required, err
}

// NewAPIKey makes a booking API key: the stored record and the secret,
// shown once, to give the client as "ID.SECRET" (Authorization: Bearer).
func NewAPIKey(name string, now time.Time) (platform.APIKey, string) {
	var id [8]byte
	var secret [24]byte
	_, _ = rand.Read(id[:])
	_, _ = rand.Read(secret[:])
	sec := hex.EncodeToString(secret[:])
	k := platform.APIKey{ID: hex.EncodeToString(id[:]), Name: name, SecretHash: hashAPISecret(sec), CreatedAt: now}
	return k, k.ID + "." + sec
}

// AddAPIKey stores a new booking API key for name and returns its
// "ID.SECRET", shown once.
func (m *Manager) AddAPIKey(ctx context.Context, name string) (string, error) {
	if name == "" {
		return "", errors.New("name is required")
	}
	k, secret := NewAPIKey(name, m.Now())
	if err := m.Store.Update(ctx, func(tx platform.Tx) error { return tx.PutAPIKey(k) }); err != nil {
		return "", err
	}
	return secret, nil
}

// DisableAPIKey bars the API key id.
func (m *Manager) DisableAPIKey(ctx context.Context, id string) error {
	if id == "" {
		return errors.New("id is required")
	}
	return m.Store.Update(ctx, func(tx platform.Tx) error {
		k, err := tx.APIKey(id)
		if platform.IsNotFound(err) {
			return fmt.Errorf("no API key %s", id)
		}
		if err != nil {
			return err
		}
		k.Disabled = true
		return tx.PutAPIKey(k)
	})
}

package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
	"golang.org/x/crypto/bcrypt"
)

// SetPassword replaces an account's login password (plaintext; only the
// hash of its SM3 digest is kept): logins with the old one fail from then
// on. Tokens already issued live out their life; Disable ends them.
func (m *Manager) SetPassword(ctx context.Context, userID, password string) error {
	if password == "" {
		return errors.New("password is required")
	}
	cost := m.Cost
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	hash, err := HashVendorPasswordCost(protocol.PasswordDigest(password), cost)
	if err != nil {
		return err
	}
	return m.change(ctx, userID, func(_ platform.Tx, a *platform.Account) error {
		a.PasswordHash = hash
		return nil
	})
}

// SetCallback sets the base URL of the account's downlink receiver and
// the token sent to it (docs/protocol.md §8), or removes both when both
// are empty. Orders not yet delivered go to the new URL.
func (m *Manager) SetCallback(ctx context.Context, userID, callback, token string) error {
	if callback == "" && token != "" {
		return errors.New("callback is required with --callback-token")
	}
	if err := CheckCallback(callback, token); err != nil {
		return err
	}
	return m.change(ctx, userID, func(_ platform.Tx, a *platform.Account) error {
		a.CallbackURL, a.CallbackToken = callback, token
		return nil
	})
}

// RotateAPIKey gives the API key id a new secret and returns its new
// "ID.SECRET", shown once; the old secret is refused from then on (the
// booking API reads the key at every request). Name and state are kept.
func (m *Manager) RotateAPIKey(ctx context.Context, id string) (string, error) {
	if id == "" {
		return "", errors.New("id is required")
	}
	fresh, full := NewAPIKey("", m.Now())
	secret := id + "." + strings.TrimPrefix(full, fresh.ID+".")
	err := m.Store.Update(ctx, func(tx platform.Tx) error {
		k, err := tx.APIKey(id)
		if platform.IsNotFound(err) {
			return fmt.Errorf("no API key %s", id)
		}
		if err != nil {
			return err
		}
		k.SecretHash = fresh.SecretHash
		return tx.PutAPIKey(k)
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// ErrNoOperator is the error of removing an operator that is not stored.
var ErrNoOperator = errors.New("no operator")

// RemoveOperator deletes the operator called name; its console sessions
// end with it.
func (m *Manager) RemoveOperator(ctx context.Context, name string) error {
	if name == "" {
		return errors.New("name is required")
	}
	err := m.Store.Update(ctx, func(tx platform.Tx) error { return tx.DeleteOperator(name) })
	if platform.IsNotFound(err) {
		return fmt.Errorf("%w %s", ErrNoOperator, name)
	}
	return err
}

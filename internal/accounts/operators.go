package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/parkd/parkd/internal/platform"
	"golang.org/x/crypto/bcrypt"
)

// MaxOperatorNameRunes bounds an operator's name.
const MaxOperatorNameRunes = 64

// CheckOperatorName returns an error naming the problem when name cannot
// be an operator's name: empty, too long, or with control characters or
// spaces at either end.
func CheckOperatorName(name string) error {
	switch {
	case name == "":
		return errors.New("name is required")
	case !utf8.ValidString(name):
		return errors.New("name must be UTF-8")
	case utf8.RuneCountInString(name) > MaxOperatorNameRunes:
		return fmt.Errorf("name is longer than %d characters", MaxOperatorNameRunes)
	case strings.TrimSpace(name) != name:
		return errors.New("name must not start or end with a space")
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		return errors.New("name must not hold control characters")
	}
	return nil
}

// NewOperator returns an operator ready to store, after checking name and
// password.
func NewOperator(name, password string, now time.Time) (platform.Operator, error) {
	return NewOperatorCost(name, password, bcrypt.DefaultCost, now)
}

// NewOperatorCost is NewOperator with a bcrypt cost of its own (tests).
func NewOperatorCost(name, password string, cost int, now time.Time) (platform.Operator, error) {
	if err := CheckOperatorName(name); err != nil {
		return platform.Operator{}, err
	}
	hash, err := HashOperatorPasswordCost(password, cost)
	if err != nil {
		return platform.Operator{}, err
	}
	return platform.Operator{Name: name, PasswordHash: hash, CreatedAt: now}, nil
}

// PutOperator stores op, or replaces the password of the operator of
// that name (keeping when it was created); replaced says which.
func (m *Manager) PutOperator(ctx context.Context, op platform.Operator) (replaced bool, err error) {
	err = m.Store.Update(ctx, func(tx platform.Tx) error {
		old, err := tx.Operator(op.Name)
		switch {
		case err == nil:
			replaced, op.CreatedAt = true, old.CreatedAt
		case !platform.IsNotFound(err):
			return err
		}
		return tx.PutOperator(op)
	})
	return replaced, err
}

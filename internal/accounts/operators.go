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

// NewOperator returns an operator of role ready to store, after checking
// name, password (CheckOperatorPassword) and role. A new operator must
// change the password at the first sign-in.
func NewOperator(name, password, role string, now time.Time) (platform.Operator, error) {
	return NewOperatorCost(name, password, role, bcrypt.DefaultCost, now)
}

// NewOperatorCost is NewOperator with a bcrypt cost of its own (tests).
func NewOperatorCost(name, password, role string, cost int, now time.Time) (platform.Operator, error) {
	if err := CheckOperatorName(name); err != nil {
		return platform.Operator{}, err
	}
	if !platform.ValidOperatorRole(role) {
		return platform.Operator{}, fmt.Errorf("role must be admin, operator or auditor, not %q", role)
	}
	hash, err := HashOperatorPasswordCost(name, password, cost)
	if err != nil {
		return platform.Operator{}, err
	}
	return platform.Operator{Name: name, PasswordHash: hash, CreatedAt: now, Role: role,
		PasswordChangedAt: now, MustChangePassword: true}, nil
}

// PutOperator stores op, or resets the password of the operator of that
// name: it keeps when the operator was created and whether it is
// disabled, keeps its role unless keepRole is false, and ends every
// session of the operator (who must change the password at the next
// sign-in). replaced says which it did; role is the role stored.
func (m *Manager) PutOperator(ctx context.Context, op platform.Operator, keepRole bool) (replaced bool, role string, err error) {
	err = m.Store.Update(ctx, func(tx platform.Tx) error {
		old, err := tx.Operator(op.Name)
		switch {
		case err == nil:
			replaced, op.CreatedAt, op.Disabled = true, old.CreatedAt, old.Disabled
			if keepRole {
				op.Role = old.Role
			}
			if _, err := tx.DeleteOperatorSessionsOf(op.Name); err != nil {
				return err
			}
		case !platform.IsNotFound(err):
			return err
		}
		return tx.PutOperator(op)
	})
	return replaced, op.Role, err
}

// ChangeOperator applies change to the operator name (set-role, disable,
// enable) and ends every session of the operator, so that the change
// holds at once. It returns what change says it did.
func (m *Manager) ChangeOperator(ctx context.Context, name string, change func(*platform.Operator) string) (string, error) {
	var what string
	err := m.Store.Update(ctx, func(tx platform.Tx) error {
		op, err := tx.Operator(name)
		if platform.IsNotFound(err) {
			return fmt.Errorf("no operator %s", name)
		}
		if err != nil {
			return err
		}
		what = change(&op)
		if err := tx.PutOperator(op); err != nil {
			return err
		}
		_, err = tx.DeleteOperatorSessionsOf(name)
		return err
	})
	return what, err
}

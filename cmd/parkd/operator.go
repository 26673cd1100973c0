package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// operator runs the commands for the operators of the console. Operators
// are created and managed here only, never through the console.
func operator(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := newStoreCmd("operator " + verb)
	name := fs.String("name", "", "the operator's sign-in name")
	password := secretVar(fs.FlagSet, "password", "add: the operator's first password (at least 12 characters of 3 classes, at most 72 bytes); only a bcrypt hash is kept, and the operator must change it at the first sign-in")
	role := fs.String("role", platform.OperatorWatch, "add, set-role: admin (sees plates and photos, each view audited), operator (watches, plates masked, no photos) or auditor (reads the audit log only)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	roleSet := false
	fs.Visit(func(f *flag.Flag) { roleSet = roleSet || f.Name == "role" })
	if verb == "add" {
		if err := readSecrets(password); err != nil {
			return err
		}
	}
	var op platform.Operator
	switch verb {
	case "add":
		// Check the flags before opening the store.
		var err error
		if op, err = accounts.NewOperator(*name, password.value, *role, time.Now()); err != nil {
			return fmt.Errorf("--%v", err)
		}
	case "set-role":
		if !roleSet || !platform.ValidOperatorRole(*role) {
			return fmt.Errorf("set-role: --role must be admin, operator or auditor")
		}
		fallthrough
	case "disable", "enable", "remove":
		if *name == "" {
			return fmt.Errorf("--name is required")
		}
	case "list":
	default:
		return fmt.Errorf("unknown operator command %q\n%s", verb, usage)
	}
	store, err := fs.open()
	if err != nil {
		return err
	}
	defer store.Close()
	switch verb {
	case "list":
		return listOperators(ctx, store, stdout)
	case "remove":
		if err := (&accounts.Manager{Store: store, Now: time.Now}).RemoveOperator(ctx, *name); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "operator %s removed\n", *name)
		return nil
	case "add":
		return addOperator(ctx, store, op, roleSet, stdout)
	case "set-role":
		return changeOperator(ctx, store, *name, stdout, func(o *platform.Operator) string {
			o.Role = *role
			return "role " + *role
		})
	case "disable":
		return changeOperator(ctx, store, *name, stdout, func(o *platform.Operator) string {
			o.Disabled = true
			return "disabled"
		})
	}
	return changeOperator(ctx, store, *name, stdout, func(o *platform.Operator) string {
		o.Disabled = false
		return "enabled"
	})
}

// addOperator stores op, or resets the password of the operator of that
// name (accounts.Manager.PutOperator); the role changes too when --role
// was given.
func addOperator(ctx context.Context, store platform.Store, op platform.Operator, roleSet bool, stdout io.Writer) error {
	replaced, role, err := (&accounts.Manager{Store: store, Now: time.Now}).PutOperator(ctx, op, !roleSet)
	if err != nil {
		return err
	}
	if replaced {
		fmt.Fprintf(stdout, "operator %s: password reset (role %s); it must be changed at the next sign-in\n", op.Name, role)
	} else {
		fmt.Fprintf(stdout, "operator %s added (role %s); the password must be changed at the first sign-in\n", op.Name, role)
	}
	return nil
}

// changeOperator applies change to the operator name and ends every
// session of the operator (accounts.Manager.ChangeOperator).
func changeOperator(ctx context.Context, store platform.Store, name string, stdout io.Writer, change func(*platform.Operator) string) error {
	what, err := (&accounts.Manager{Store: store, Now: time.Now}).ChangeOperator(ctx, name, change)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "operator %s: %s; its sessions ended\n", name, what)
	return nil
}

func listOperators(ctx context.Context, store platform.Store, stdout io.Writer) error {
	var ops []platform.Operator
	err := store.View(ctx, func(tx platform.Tx) (err error) {
		ops, err = tx.Operators()
		return err
	})
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tSTATE\tPASSWORD SET\tMUST CHANGE\tCREATED")
	for _, o := range ops {
		state := "enabled"
		if o.Disabled {
			state = "disabled"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%v\t%s\n", o.Name, o.Role, state, cst(o.PasswordChangedAt), o.MustChangePassword, cst(o.CreatedAt))
	}
	return tw.Flush()
}

func cst(t time.Time) string { return t.In(protocol.CST).Format(protocol.DateTimeLayout) }

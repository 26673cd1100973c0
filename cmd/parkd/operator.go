package main

import (
	"context"
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/parkd/parkd/internal/accounts"
	"github.com/parkd/parkd/internal/platform"
	"github.com/parkd/parkd/protocol"
)

// operator runs the commands for the operators of the console. Operators
// are created here only, never through the console.
func operator(ctx context.Context, verb string, args []string, stdout io.Writer) error {
	fs := newStoreCmd("operator " + verb)
	name := fs.String("name", "", "the operator's sign-in name")
	password := secretVar(fs.FlagSet, "password", "the operator's password (8 to 72 bytes); only a bcrypt hash is kept")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if verb != "add" && verb != "list" && verb != "remove" {
		return fmt.Errorf("unknown operator command %q\n%s", verb, usage)
	}
	if err := readSecrets(password); err != nil {
		return err
	}
	var op platform.Operator
	switch verb {
	case "add":
		// Check the flags before opening the store.
		var err error
		if op, err = accounts.NewOperator(*name, password.value, time.Now()); err != nil {
			return fmt.Errorf("--%v", err)
		}
	case "remove":
		if *name == "" {
			return fmt.Errorf("--name is required")
		}
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
	}
	return addOperator(ctx, store, op, stdout)
}

// addOperator stores op, or replaces the password of an operator of that
// name.
func addOperator(ctx context.Context, store platform.Store, op platform.Operator, stdout io.Writer) error {
	replaced, err := (&accounts.Manager{Store: store, Now: time.Now}).PutOperator(ctx, op)
	if err != nil {
		return err
	}
	if replaced {
		fmt.Fprintf(stdout, "operator %s: password changed\n", op.Name)
	} else {
		fmt.Fprintf(stdout, "operator %s added\n", op.Name)
	}
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
	fmt.Fprintln(tw, "NAME\tCREATED")
	for _, o := range ops {
		fmt.Fprintf(tw, "%s\t%s\n", o.Name, o.CreatedAt.In(protocol.CST).Format(protocol.DateTimeLayout))
	}
	return tw.Flush()
}

// Command parkd is the public smart parking platform server.
//
//	parkd serve   [--addr HOST:PORT] [--data DIR] [--plain-http] ...
//	parkd account add     --data DIR --user-id ID --password-file F [--callback URL --callback-token-file F]
//	parkd account list    --data DIR
//	parkd account disable --data DIR --user-id ID
//	parkd account enable  --data DIR --user-id ID
//	parkd account set-password --data DIR --user-id ID --password-file F
//	parkd account set-callback --data DIR --user-id ID --callback URL --callback-token-file F
//	parkd account set-callback --data DIR --user-id ID --clear
//	parkd account set-role --data DIR --user-id ID --role plms|offpeak
//	parkd account set-key --data DIR --user-id ID [--key-file F | --generate] [--require]
//	parkd account set-key --data DIR --user-id ID --clear
//	parkd migrate         [--data DIR | --db DSN]
//	parkd backup          --data DIR --out FILE [--pictures DIR | --no-pictures]
//	parkd restore         --in FILE --data DIR [--force]
//	parkd apikey add      --data DIR --name NAME
//	parkd apikey list     --data DIR
//	parkd apikey disable  --data DIR --id ID
//	parkd apikey rotate   --data DIR --id ID
//	parkd operator add    --data DIR --name NAME --password-file F [--role admin|operator|auditor]
//	parkd operator list   --data DIR
//	parkd operator set-role --data DIR --name NAME --role admin|operator|auditor
//	parkd operator disable --data DIR --name NAME
//	parkd operator enable --data DIR --name NAME
//	parkd operator remove --data DIR --name NAME
//	parkd audit           --data DIR [--since T] [--until T] [--actor A] [--csv]
//	parkd --version
//
// A secret (password, key, token) is read from a file, or from standard
// input when the file is "-" (--password-file -); the old --password,
// --key and --callback-token flags still work but put the secret in the
// process list. Every command that opens the store takes --data DIR or
// --db postgres://...
//
// Every command that changes something, and reading the audit log, writes
// a row of the audit log (cmd/parkd/audit.go).
//
// Every flag of serve also has a PARKD_* environment variable (see
// README.md); a flag wins over the variable.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/parkd/parkd/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "parkd:", err)
		os.Exit(1)
	}
}

const usage = `usage:
  parkd serve [--addr HOST:PORT] [--data DIR] [--db postgres://...] [--plain-http] [flags]
  parkd account add --data DIR --user-id ID --password-file F [--callback URL --callback-token-file F]
  parkd account add --data DIR --count N --prefix PREFIX --password-file F [--bcrypt-cost 4]
  parkd account list --data DIR
  parkd account disable --data DIR --user-id ID
  parkd account enable --data DIR --user-id ID
  parkd account set-password --data DIR --user-id ID --password-file F
  parkd account set-callback --data DIR --user-id ID --callback URL --callback-token-file F
  parkd account set-callback --data DIR --user-id ID --clear
  parkd account set-role --data DIR --user-id ID --role plms|offpeak
  parkd account set-key --data DIR --user-id ID [--key-file F | --generate] [--require]
  parkd account set-key --data DIR --user-id ID --clear
  parkd migrate [--data DIR | --db postgres://...]
  parkd backup --data DIR --out FILE [--pictures DIR | --no-pictures]
  parkd restore --in FILE --data DIR [--force]
  parkd apikey add --data DIR --name NAME
  parkd apikey list --data DIR
  parkd apikey disable --data DIR --id ID
  parkd apikey rotate --data DIR --id ID
  parkd operator add --data DIR --name NAME --password-file F [--role admin|operator|auditor]
  parkd operator list --data DIR
  parkd operator set-role --data DIR --name NAME --role admin|operator|auditor
  parkd operator disable --data DIR --name NAME
  parkd operator enable --data DIR --name NAME
  parkd operator remove --data DIR --name NAME
  parkd audit --data DIR [--since T] [--until T] [--actor A] [--csv]
  parkd --version
A secret file "-" is standard input. Every command takes --db postgres://... instead of --data.
Run "parkd serve -h" for the flags of serve.`

// run runs the command of args; every change it makes is audited with
// it (runAudited).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if buildinfo.WantsVersion(args) {
		fmt.Fprintln(stdout, "parkd", buildinfo.Read())
		return nil
	}
	return runAudited(ctx, args, func(ctx context.Context) error { return dispatch(ctx, args, stdout, stderr) })
}

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("no command\n%s", usage)
	}
	switch args[0] {
	case "serve":
		return serve(ctx, args[1:], stderr)
	case "account":
		if len(args) < 2 {
			return fmt.Errorf("account needs add, list, disable, enable, set-password, set-callback, set-role or set-key\n%s", usage)
		}
		return account(ctx, args[1], args[2:], stdout)
	case "migrate":
		return migrate(ctx, args[1:], stdout)
	case "backup":
		return backupCmd(ctx, args[1:], stdout)
	case "restore":
		return restoreCmd(ctx, args[1:], stdout)
	case "apikey":
		if len(args) < 2 {
			return fmt.Errorf("apikey needs add, list, disable or rotate\n%s", usage)
		}
		return apikey(ctx, args[1], args[2:], stdout)
	case "operator":
		if len(args) < 2 {
			return fmt.Errorf("operator needs add, list, set-role, disable, enable or remove\n%s", usage)
		}
		return operator(ctx, args[1], args[2:], stdout)
	case "audit":
		return auditLog(ctx, args[1:], stdout)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", args[0], usage)
}

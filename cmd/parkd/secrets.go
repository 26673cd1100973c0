package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
)

// stdin is what a secret file "-" reads; tests replace it.
var stdin io.Reader = os.Stdin

// secret is a password, key or token a command takes. It may be given as
// --NAME VALUE (kept for old scripts; the value shows in the process list
// and the shell history) or, better, as --NAME-file FILE, where FILE "-"
// is standard input. The file's content is the secret, less one final
// line break.
type secret struct {
	name, value, file string
}

// secretVar registers --name and --name-file on fs.
func secretVar(fs *flag.FlagSet, name, usage string) *secret {
	s := &secret{name: name}
	fs.StringVar(&s.value, name, "", usage+" (prefer --"+name+"-file: a value here shows in the process list)")
	fs.StringVar(&s.file, name+"-file", "", "read --"+name+" from this file; - reads standard input")
	return s
}

// readSecrets resolves each secret's value from its file. At most one may
// read standard input, and none may be given both ways.
func readSecrets(secrets ...*secret) error {
	fromStdin := ""
	for _, s := range secrets {
		if s.file == "" {
			continue
		}
		if s.value != "" {
			return fmt.Errorf("give --%s or --%s-file, not both", s.name, s.name)
		}
		var b []byte
		var err error
		if s.file == "-" {
			if fromStdin != "" {
				return fmt.Errorf("--%s-file and --%s-file cannot both read standard input", fromStdin, s.name)
			}
			fromStdin = s.name
			b, err = io.ReadAll(stdin)
		} else {
			b, err = os.ReadFile(s.file)
		}
		if err != nil {
			return fmt.Errorf("--%s-file: %w", s.name, err)
		}
		b = bytes.TrimSuffix(b, []byte("\n"))
		b = bytes.TrimSuffix(b, []byte("\r"))
		s.value = string(b)
	}
	return nil
}

// Package secret reads the secrets a command needs (passwords, keys,
// tokens) from a file, from standard input or from the environment, so
// that none needs a command-line argument.
package secret

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Fill sets *value from file when file is not empty: "-" reads stdin (at
// most once in a run, tracked by *stdinUsed), anything else is a path;
// one final line break is dropped. A value given both on the command
// line and as a file is an error. Without a file, an empty *value is
// taken from the environment variable env (when env is not empty).
func Fill(value *string, file, env string, stdin io.Reader, stdinUsed *bool) error {
	if file == "" {
		if *value == "" && env != "" {
			*value = os.Getenv(env)
		}
		return nil
	}
	if *value != "" {
		return fmt.Errorf("a secret given both as a flag and as a file (%s)", file)
	}
	var b []byte
	var err error
	if file == "-" {
		if *stdinUsed {
			return errors.New("only one secret may be read from standard input")
		}
		*stdinUsed = true
		b, err = io.ReadAll(stdin)
	} else {
		b, err = os.ReadFile(file)
	}
	if err != nil {
		return err
	}
	*value = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
	return nil
}

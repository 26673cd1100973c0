//go:build !unix

package server

import (
	"os"
	"path/filepath"
)

// LockDataDir opens the lock file without locking it: file locks are
// taken on Unix only. Elsewhere run one parkd per data folder yourself.
func LockDataDir(dir string) (*os.File, error) {
	return os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o640)
}

//go:build unix

package server

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// LockDataDir takes the exclusive lock of the SQLite data folder dir and
// writes this process's pid in the lock file. It fails with
// ErrDataDirInUse when another process holds it. Closing the returned
// file releases the lock.
func LockDataDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockFile), os.O_RDWR|os.O_CREATE, 0o640)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, inUse(dir)
		}
		return nil, err
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

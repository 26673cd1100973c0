package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// A SQLite data folder belongs to one process at a time: parkd takes an
// exclusive lock on DataDir/parkd.lock when it opens the SQLite store and
// holds it until it exits (the kernel drops it when the process dies,
// SIGKILL included). Since no other process can serve that database, the
// leases stored in it can only be this folder's own, held by an earlier
// run: parkd takes them under a holder name fixed for the folder
// (DataDir/instance-id), so a restart after a crash resumes its jobs at
// once instead of waiting --lease-ttl for its dead predecessor's leases.
// With PostgreSQL, instances share the database and each keeps a holder
// of its own (lease.Holder).

const (
	lockFile     = "parkd.lock"
	instanceFile = "instance-id"
)

// ErrDataDirInUse is returned when another process holds a data folder.
var ErrDataDirInUse = errors.New("data folder in use")

// dataDirHolder returns the lease holder name of the SQLite data folder
// dir: "sqlite:" and the folder's instance id, made on first use.
func dataDirHolder(dir string) (string, error) {
	p := filepath.Join(dir, instanceFile)
	b, err := os.ReadFile(p)
	if err == nil && len(strings.TrimSpace(string(b))) == 32 {
		return "sqlite:" + strings.TrimSpace(string(b)), nil
	}
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	var id [16]byte
	_, _ = rand.Read(id[:])
	s := hex.EncodeToString(id[:])
	tmp := p + ".tmp"
	if err := os.WriteFile(tmp, []byte(s+"\n"), 0o640); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, p); err != nil {
		return "", err
	}
	return "sqlite:" + s, nil
}

// lockHolderPID reads the pid the holder of dir's lock wrote, 0 if none.
func lockHolderPID(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, lockFile))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func inUse(dir string) error {
	if pid := lockHolderPID(dir); pid > 0 {
		return fmt.Errorf("%w: %s is served by parkd pid %d (a SQLite data folder serves one process)", ErrDataDirInUse, dir, pid)
	}
	return fmt.Errorf("%w: %s is locked by another process", ErrDataDirInUse, dir)
}

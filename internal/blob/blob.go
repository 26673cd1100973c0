// Package blob stores pictures content-addressed: the key of a blob is the
// hex SHA-256 of its bytes, so identical pictures are kept once.
package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// Store keeps blobs by the hash of their content.
type Store interface {
	// Put stores data durably and returns its key.
	Put(ctx context.Context, data []byte) (string, error)
	// Get returns the bytes stored under key.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes the blob under key; a missing blob is not an error.
	Delete(ctx context.Context, key string) error
}

// Key returns the content address of data.
func Key(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// FS is a Store in a directory: dir/ab/cd/abcd... . Each Put is synced to
// disk (file and directory, and the parents of a directory it creates)
// before it returns.
type FS struct {
	dir string
	// made has a bit per fan-out directory (the key's first two bytes)
	// known to exist and be synced: 8 KiB for all 65,536 of them, where
	// a map of their paths grew to megabytes as photos reached new ones.
	made  [fanOut / 64]atomic.Uint64
	mkdir sync.Mutex // held while a directory is made and synced
}

// fanOut is the number of two-level fan-out directories: 256 x 256.
const fanOut = 1 << 16

// fanIndex returns the fan-out directory of a key (hex SHA-256) as a
// number: its first two bytes.
func fanIndex(key string) (int, error) {
	b, err := hex.DecodeString(key[:4])
	if err != nil {
		return 0, fmt.Errorf("blob: bad key %q", key)
	}
	return int(b[0])<<8 | int(b[1]), nil
}

// NewFS returns a filesystem store rooted at dir, creating it.
func NewFS(dir string) (*FS, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	return &FS{dir: dir}, nil
}

func (s *FS) path(key string) string {
	return filepath.Join(s.dir, key[:2], key[2:4], key)
}

// Put implements Store.
func (s *FS) Put(ctx context.Context, data []byte) (string, error) {
	key := Key(data)
	p := s.path(key)
	if _, err := os.Stat(p); err == nil {
		return key, nil
	}
	dir := filepath.Dir(p)
	if err := s.ensureDir(key, dir); err != nil {
		return "", err
	}
	tmp, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return "", err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", err
	}
	if err := tmp.Close(); err != nil {
		return "", err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return "", err
	}
	return key, syncDir(dir)
}

// CheckKey reports an error unless key is a content address: 64
// lower-case hex digits.
func CheckKey(key string) error {
	if len(key) != 64 {
		return fmt.Errorf("blob: bad key %q", key)
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return fmt.Errorf("blob: bad key %q", key)
		}
	}
	return nil
}

// Get implements Store.
func (s *FS) Get(ctx context.Context, key string) ([]byte, error) {
	if err := CheckKey(key); err != nil {
		return nil, err
	}
	b, err := os.ReadFile(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blob %s: %w", key, fs.ErrNotExist)
	}
	return b, err
}

// Delete implements Store.
func (s *FS) Delete(ctx context.Context, key string) error {
	if err := CheckKey(key); err != nil {
		return err
	}
	err := os.Remove(s.path(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

// ensureDir makes the fan-out directory dir of key (two levels under
// s.dir) and syncs the parent of each level it creates, so the new
// entries survive a power loss. Directories seen once are remembered: a
// Put into one costs no extra system call.
func (s *FS) ensureDir(key, dir string) error {
	i, err := fanIndex(key)
	if err != nil {
		return err
	}
	word, bit := &s.made[i/64], uint64(1)<<(i%64)
	if word.Load()&bit != 0 {
		return nil
	}
	s.mkdir.Lock()
	defer s.mkdir.Unlock()
	for _, d := range []string{filepath.Dir(dir), dir} {
		err := os.Mkdir(d, 0o750)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return err
		}
		if err := syncDir(filepath.Dir(d)); err != nil {
			return err
		}
	}
	word.Or(bit)
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

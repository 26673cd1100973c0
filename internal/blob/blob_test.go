package blob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// TestFSLayout: a blob lands at its fan-out path, and a Put leaves no
// temporary file behind.
func TestFSLayout(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.Put(ctx, []byte("a picture's bytes"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, key[:2], key[2:4], key)); err != nil {
		t.Fatalf("blob not at its fan-out path: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, key[:2], key[2:4]))
	for _, e := range entries {
		if e.Name() != key {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestFSRemembersFanOutDirectories: a Put marks its fan-out directory as
// made (the bit of the key's first two bytes) and no other; a directory
// removed behind the store's back after that is not made again, which
// shows that the bit, not a system call, answered.
func TestFSRemembersFanOutDirectories(t *testing.T) {
	ctx := context.Background()
	s, err := NewFS(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := s.Put(ctx, []byte("photo one"))
	if err != nil {
		t.Fatal(err)
	}
	i, err := fanIndex(key)
	if err != nil {
		t.Fatal(err)
	}
	set := 0
	for w := range s.made {
		for b := range 64 {
			if s.made[w].Load()&(1<<b) != 0 {
				set++
				if w*64+b != i {
					t.Errorf("directory %04x marked, want only %04x", w*64+b, i)
				}
			}
		}
	}
	if set != 1 {
		t.Fatalf("%d directories marked after one Put, want 1", set)
	}
	dir := filepath.Dir(s.path(key))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := s.ensureDir(key, dir); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("ensureDir of a marked directory touched the disk: stat %v", err)
	}
	if _, err := fanIndex("zz" + key[2:]); err == nil {
		t.Error("fanIndex accepted a key that is not hex")
	}
}

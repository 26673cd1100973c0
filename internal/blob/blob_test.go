package blob

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestFSPutGetDelete(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewFS(dir)
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("a picture's bytes")
	key, err := s.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if key != Key(data) {
		t.Fatalf("key %s, want %s", key, Key(data))
	}
	if _, err := os.Stat(filepath.Join(dir, key[:2], key[2:4], key)); err != nil {
		t.Fatalf("blob not at its fan-out path: %v", err)
	}
	if again, err := s.Put(ctx, data); err != nil || again != key {
		t.Fatalf("second Put: %s, %v", again, err)
	}
	got, err := s.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %q, %v", got, err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get after Delete: %v, want ErrNotExist", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(dir, key[:2], key[2:4]))
	for _, e := range entries {
		t.Errorf("left behind: %s", e.Name())
	}
}

// TestFSConcurrentPuts stores many blobs at once, several in one fan-out
// directory, from a fresh store and from a second store over the same
// folder (another instance, or after a restart).
func TestFSConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	stores := make([]*FS, 2)
	for i := range stores {
		s, err := NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make(chan error, 400)
	for i := range 400 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := fmt.Appendf(nil, "blob %d", i%200)
			key, err := stores[i%2].Put(ctx, data)
			if err == nil {
				var got []byte
				got, err = stores[(i+1)%2].Get(ctx, key)
				if err == nil && !bytes.Equal(got, data) {
					err = fmt.Errorf("blob %d read back %q", i, got)
				}
			}
			if err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
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

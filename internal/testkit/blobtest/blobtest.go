// Package blobtest is one behaviour suite that every blob.Store must
// pass (the filesystem store and the S3 store), and a helper that starts
// a real S3 server, versitygw, for tests.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sync"
	"testing"

	"github.com/parkd/parkd/internal/blob"
)

// Fresh returns two stores over one new, empty place (a folder, a
// bucket): two instances of parkd, or one before and after a restart.
type Fresh func(t *testing.T) (a, b blob.Store)

// Run runs the suite against the stores fresh makes.
func Run(t *testing.T, fresh Fresh) {
	t.Run("PutGetDelete", func(t *testing.T) { testPutGetDelete(t, fresh) })
	t.Run("MissingIsNotExist", func(t *testing.T) { testMissing(t, fresh) })
	t.Run("SizesRoundTrip", func(t *testing.T) { testSizes(t, fresh) })
	t.Run("BadKeysRejected", func(t *testing.T) { testBadKeys(t, fresh) })
	t.Run("ConcurrentPutsAcrossInstances", func(t *testing.T) { testConcurrent(t, fresh) })
}

// testPutGetDelete: Put returns the content address, a second Put of the
// same bytes returns it again, the other instance reads the bytes back,
// and after Delete neither finds them; deleting again is no error.
func testPutGetDelete(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	a, b := fresh(t)
	data := []byte("a picture's bytes")
	key, err := a.Put(ctx, data)
	if err != nil {
		t.Fatal(err)
	}
	if key != blob.Key(data) {
		t.Fatalf("key %s, want %s", key, blob.Key(data))
	}
	if again, err := b.Put(ctx, data); err != nil || again != key {
		t.Fatalf("second Put: %s, %v", again, err)
	}
	got, err := b.Get(ctx, key)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("Get: %q, %v", got, err)
	}
	if err := a.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	for i, s := range []blob.Store{a, b} {
		if _, err := s.Get(ctx, key); !errors.Is(err, fs.ErrNotExist) {
			t.Fatalf("store %d: Get after Delete: %v, want ErrNotExist", i, err)
		}
	}
	if err := b.Delete(ctx, key); err != nil {
		t.Fatalf("Delete of a missing blob: %v", err)
	}
}

// testMissing: a key never stored is fs.ErrNotExist, not another error.
func testMissing(t *testing.T, fresh Fresh) {
	a, _ := fresh(t)
	key := blob.Key([]byte("never stored"))
	if _, err := a.Get(context.Background(), key); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Get of a key never stored: %v, want ErrNotExist", err)
	}
}

// testSizes: empty, one byte, a 300 KB photo and 2 MB come back intact,
// and two blobs sharing a prefix of their keys' fan-out stay apart.
func testSizes(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	a, b := fresh(t)
	for _, n := range []int{0, 1, 300 << 10, 2 << 20} {
		data := make([]byte, n)
		for i := range data {
			data[i] = byte(i*7 + n)
		}
		key, err := a.Put(ctx, data)
		if err != nil {
			t.Fatalf("%d bytes: %v", n, err)
		}
		got, err := b.Get(ctx, key)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%d bytes: read back %d bytes, %v", n, len(got), err)
		}
	}
}

// testBadKeys: keys that are not a hex SHA-256 are refused, so no key
// reaches outside the store's place.
func testBadKeys(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	a, _ := fresh(t)
	for _, key := range []string{"", "ab", "../../../../etc/passwd", "zz" + blob.Key(nil)[2:]} {
		if _, err := a.Get(ctx, key); err == nil || errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Get(%q): %v, want a bad-key error", key, err)
		}
		if err := a.Delete(ctx, key); err == nil {
			t.Errorf("Delete(%q) accepted", key)
		}
	}
}

// testConcurrent stores many blobs at once, several of them twice, from
// two stores over one place, each read back through the other store.
func testConcurrent(t *testing.T, fresh Fresh) {
	ctx := context.Background()
	a, b := fresh(t)
	stores := []blob.Store{a, b}
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			data := fmt.Appendf(nil, "blob %d", i%100)
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

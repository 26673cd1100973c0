package blob_test

import (
	"testing"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/blobtest"
)

// TestFSSuite runs the blob behaviour suite on the filesystem store.
func TestFSSuite(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) (blob.Store, blob.Store) {
		dir := t.TempDir()
		a, err := blob.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		b, err := blob.NewFS(dir)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	})
}

// TestS3Suite runs the same suite on the S3 store against versitygw.
func TestS3Suite(t *testing.T) {
	blobtest.Run(t, blobtest.S3(t))
}

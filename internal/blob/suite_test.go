package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/testkit/blobtest"
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

// TestS3CredentialsFromAFile: the keys may come from an AWS-style
// credentials file (a systemd credential, a mounted secret); wrong keys
// are refused when the store opens, not at the first picture.
func TestS3CredentialsFromAFile(t *testing.T) {
	g := blobtest.StartVersitygw(t)
	cfg := g.Config("p")
	file := filepath.Join(t.TempDir(), "credentials")
	body := "[default]\naws_access_key_id = wrong\naws_secret_access_key = wrong\n\n[parkd]\naws_access_key_id = " +
		cfg.AccessKey + "\naws_secret_access_key = " + cfg.SecretKey + "\n"
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg.AccessKey, cfg.SecretKey, cfg.CredentialsFile = "", "", file
	if _, err := blob.NewS3(context.Background(), cfg); err == nil {
		t.Error("the default profile's wrong keys were accepted")
	}
	cfg.CredentialsProfile = "parkd"
	s, err := blob.NewS3(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(context.Background(), []byte("photo")); err != nil {
		t.Fatal(err)
	}
}

// TestS3RefusesPlainHTTPBeyondLoopback: http:// is for a loopback
// endpoint, or for another host only when allowed explicitly; no
// credentials at all is an error too.
func TestS3RefusesPlainHTTPBeyondLoopback(t *testing.T) {
	cfg := blob.S3Config{Endpoint: "http://s3.example.com", Bucket: "b", AccessKey: "k", SecretKey: "s"}
	if _, err := blob.NewS3(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "plain http") {
		t.Errorf("plain http to another host: %v", err)
	}
	cfg = blob.S3Config{Endpoint: "http://127.0.0.1:1", Bucket: "b"}
	if _, err := blob.NewS3(context.Background(), cfg); err == nil || !strings.Contains(err.Error(), "no S3 credentials") {
		t.Errorf("no credentials: %v", err)
	}
	for _, u := range []string{"s3://", "s3:///prefix"} {
		if _, _, _, err := blob.ParseS3URL(u); err == nil {
			t.Errorf("ParseS3URL(%q) accepted", u)
		}
	}
	if b, p, ok, err := blob.ParseS3URL("s3://photos/city/sz/"); !ok || err != nil || b != "photos" || p != "city/sz" {
		t.Errorf("ParseS3URL: %q %q %v %v", b, p, ok, err)
	}
}

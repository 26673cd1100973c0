//go:build unix

package e2e

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/blob"
	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/blobtest"
	"github.com/parkd/parkd/internal/testkit/testserver"
	"github.com/parkd/parkd/protocol"
)

// TestTwoInstancesOnPostgresAndS3 runs two parkd processes on one
// PostgreSQL schema and one S3 bucket (versitygw) with no folder shared
// between them: a picture sent to B is acknowledged once its object is in
// the bucket, and A's console serves its bytes, read from the bucket.
// Neither instance writes a picture file to disk.
func TestTwoInstancesOnPostgresAndS3(t *testing.T) {
	ctx, e := multiSetup(t, true)
	g := blobtest.StartVersitygw(t)
	s3 := g.Config("city/photos")
	runParkd(ctx, t, e.bin, "account", "add", "--db", e.dsn, "--user-id", multiVendor, "--password", password)
	runParkd(ctx, t, e.bin, "operator", "add", "--db", e.dsn, "--name", conOperator, "--password", conPassword, "--role", "admin")
	start := func(name string) *multiProc {
		dataDir := t.TempDir()
		p := startParkd(ctx, t, e.bin, parkdSpec{name: name, ready: 10 * time.Second,
			flags: []string{"--data", dataDir, "--db", e.dsn, "--pictures", "s3://" + s3.Bucket + "/" + s3.Prefix,
				"--s3-endpoint", s3.Endpoint, "--s3-path-style", "--plain-http", "--log-level", "warn"},
			env: []string{"PARKD_S3_ACCESS_KEY=" + s3.AccessKey, "PARKD_S3_SECRET_KEY=" + s3.SecretKey}})
		return &multiProc{parkdProc: p, name: name, dataDir: dataDir}
	}
	a, b := start("A"), start("B")
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
	defer hc.CloseIdleConnections()

	token := multiLogin(ctx, t, hc, b)
	park := multiCall[protocol.ParkInfoResponse](ctx, t, hc, b, protocol.ParkInfoCode, token, []protocol.ParkInfo{parkInfo(parkA)})
	img := testJPEG(t)
	multiPicture(ctx, t, hc, b, token, parkA, photoID, img)

	// Acknowledged, so in the bucket: read it with a client of our own,
	// and find it where the posix backend keeps it.
	store, err := blob.NewS3(ctx, s3)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := store.Get(ctx, blob.Key(img)); err != nil || !bytes.Equal(got, img) {
		t.Fatalf("the bucket does not hold the acknowledged picture: %v", err)
	}
	key := blob.Key(img)
	if _, err := os.Stat(filepath.Join(g.Dir, s3.Bucket, "city", "photos", key[:2], key[2:4], key)); err != nil {
		t.Errorf("object not at prefix/ab/cd/key in the bucket: %v", err)
	}

	// A's console serves the picture B received.
	jar, _ := cookiejar.New(nil)
	cc := &http.Client{Timeout: 10 * time.Second, Jar: jar, Transport: &http.Transport{}}
	defer cc.CloseIdleConnections()
	body, _ := json.Marshal(map[string]string{"name": conOperator, "password": conPassword})
	resp, err := cc.Post(a.url+"/console/api/login", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("console login on A: %d", resp.StatusCode)
	}
	// An operator made on the command line changes its password first;
	// only an admin sees photos.
	body, _ = json.Marshal(map[string]string{"current": conPassword, "new": conPassword + " new"})
	if resp, err = cc.Post(a.url+"/console/api/password", "application/json", bytes.NewReader(body)); err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("password change on A: %d", resp.StatusCode)
	}
	resp, err = cc.Get(a.url + "/console/api/pictures/" + park[0].IsvParkID + "/" + photoID)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != http.StatusOK || !bytes.Equal(got, img) {
		t.Fatalf("A's console: HTTP %d, %d bytes (%v), want the %d bytes B received", resp.StatusCode, len(got), err, len(img))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("Content-Type %q", ct)
	}

	// No picture on any disk of the instances: their data folders hold
	// no file named by a content address.
	for _, p := range []*multiProc{a, b} {
		for _, f := range multiFiles(t, p.dataDir) {
			if strings.Contains(f, key) {
				t.Errorf("%s wrote the picture to its disk: %s", p.name, f)
			}
		}
	}
	if files := multiFiles(t, e.pictures); len(files) != 0 {
		t.Errorf("the picture folder was used: %v", files)
	}
	hc.CloseIdleConnections()
	a.stop(t)
	b.stop(t)
}

// TestPictureNotAcknowledgedWhenTheObjectStoreIsDown: with the pictures
// in S3, an upload is answered 0 only once the object store has the
// bytes: with the store down the answer is code 3 and no picture row is
// written.
func TestPictureNotAcknowledgedWhenTheObjectStoreIsDown(t *testing.T) {
	g := blobtest.StartVersitygw(t)
	s3 := g.Config("photos")
	srv := testserver.Start(t, testserver.Options{Config: server.Config{Pictures: "s3://" + s3.Bucket + "/" + s3.Prefix, S3: s3}})
	token := vendor(t, srv, vendorA)
	registerPark(t, srv, token, parkA)
	img := testJPEG(t)
	wantOK(t, postPicture(t, srv, token, pictureFields(srv, parkA, photoID, img), img))
	if !blobExists(t, srv, img) {
		t.Fatal("the acknowledged picture is not in the bucket")
	}

	g.Stop()
	other := otherJPEG(t)
	const otherID = "0123456789abcdef0123456789abcdef"
	resp := postPicture(t, srv, token, pictureFields(srv, parkA, otherID, other), other)
	if resp.Code != protocol.CodeInternal {
		t.Fatalf("picture with the object store down: code %d %s, want 3", resp.Code, resp.Message)
	}
	if _, ok := picture(t, srv, vendorA, parkA, otherID); ok {
		t.Error("a picture row was written for bytes the object store never took")
	}
}

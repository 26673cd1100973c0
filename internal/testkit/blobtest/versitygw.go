package blobtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/blob"
)

// Versitygw is a running versitygw (the Versity S3 gateway) serving its
// posix backend from a temporary folder on a loopback port.
type Versitygw struct {
	// Endpoint is its URL (plain http on loopback).
	Endpoint string
	// AccessKey and SecretKey are its root user's keys.
	AccessKey, SecretKey string
	// Dir is the folder its buckets live in.
	Dir string

	stop func() // kills the process and waits for it
}

// Stop kills the server (as a crash or an outage of the object store
// would end it) and waits until it has exited.
func (g *Versitygw) Stop() { g.stop() }

// FindVersitygw returns the path of the versitygw binary: $PARKD_VERSITYGW,
// else versitygw on PATH, in the CI cache (${XDG_CACHE_HOME:-~/.cache}/parkd/bin)
// or in ~/go/bin. It returns "" when there is none.
func FindVersitygw() string {
	if p := os.Getenv("PARKD_VERSITYGW"); p != "" {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	home, _ := os.UserHomeDir()
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" && home != "" {
		cache = filepath.Join(home, ".cache")
	}
	var dirs []string
	if cache != "" {
		dirs = append(dirs, filepath.Join(cache, "parkd", "bin"))
	}
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	if home != "" {
		dirs = append(dirs, filepath.Join(home, "go", "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p
		}
	}
	return ""
}

// StartVersitygw starts versitygw for the test and stops it at its end.
// Without a binary the test is skipped, unless CI is set: then it fails.
func StartVersitygw(tb testing.TB) *Versitygw {
	tb.Helper()
	bin := FindVersitygw()
	if bin == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("versitygw not found (PARKD_VERSITYGW, PATH, ~/.cache/parkd/bin, ~/go/bin) and CI is set: .ci/run installs it")
		}
		tb.Skip("versitygw not found: go install github.com/versity/versitygw/cmd/versitygw@v1.8.0, or set PARKD_VERSITYGW")
	}
	dir := tb.TempDir()
	g := &Versitygw{Dir: dir, AccessKey: "parkdtest", SecretKey: randomHex(16)}
	addr, err := freeAddr()
	if err != nil {
		tb.Fatal(err)
	}
	g.Endpoint = "http://" + addr
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--port", addr, "posix", dir)
	// The keys go in the environment, as parkd's own do.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY_ID="+g.AccessKey, "ROOT_SECRET_ACCESS_KEY="+g.SecretKey)
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		cancel()
		tb.Fatalf("start versitygw: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	var once sync.Once
	g.stop = func() {
		once.Do(func() {
			cancel()
			<-exited
		})
	}
	tb.Cleanup(g.stop)
	if err := waitListening(addr, exited); err != nil {
		tb.Fatalf("versitygw: %v\n%s", err, out.String())
	}
	return g
}

// Config returns a store configuration for a new bucket of its own.
func (g *Versitygw) Config(prefix string) blob.S3Config {
	return blob.S3Config{Endpoint: g.Endpoint, Bucket: "parkd-" + randomHex(6), Prefix: prefix,
		AccessKey: g.AccessKey, SecretKey: g.SecretKey, PathStyle: true}
}

// S3 starts versitygw and returns a Fresh of S3 stores, each pair on a
// new bucket.
func S3(tb testing.TB) Fresh {
	g := StartVersitygw(tb)
	return func(t *testing.T) (blob.Store, blob.Store) {
		cfg := g.Config("pictures")
		a, err := blob.NewS3(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		b, err := blob.NewS3(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

// waitListening waits until addr accepts connections, the process exits
// or 60 s pass.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exited:
			return fmt.Errorf("exited before listening: %v", err)
		default:
		}
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return errors.New("not listening after 60 s")
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

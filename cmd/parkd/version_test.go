package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/parkd/parkd/internal/testkit/lockedbuf"
)

func TestVersionOnEveryForm(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"version"}, {"serve", "--version"}, {"account", "add", "--version"}} {
		var out bytes.Buffer
		if err := run(context.Background(), args, &out, &out); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		if got := out.String(); !strings.HasPrefix(got, "parkd ") || !strings.Contains(got, runtime.Version()) {
			t.Errorf("%v: %q, want parkd and %s", args, got, runtime.Version())
		}
	}
}

// TestBuiltBinaryReportsItsRevision builds parkd from this checkout and
// finds the commit it was built from in --version, in the start log and
// in /metrics (the toolchain stamps the VCS revision into a built binary,
// not into a test binary). The toolchain stamps only a checkout whose .git
// is a folder; in a git worktree (.git is a file) the binary carries no
// revision and the test checks the version alone.
func TestBuiltBinaryReportsItsRevision(t *testing.T) {
	rev, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	want := strings.TrimSpace(string(rev))
	if fi, err := os.Stat(filepath.Join("..", "..", ".git")); err != nil || !fi.IsDir() {
		t.Logf("a git worktree: the toolchain records no revision; checking the version only")
		want = ""
	}
	bin := filepath.Join(t.TempDir(), "parkd")
	build := exec.Command("go", "build", "-buildvcs=true", "-o", bin, ".")
	build.Env = append(os.Environ(), "GOFLAGS=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "parkd ") || !strings.Contains(string(out), "revision "+want) && want != "" {
		t.Fatalf("--version = %q, want revision %s", out, want)
	}
	version := strings.Fields(string(out))[1]

	stderr := &lockedbuf.Buffer{}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--plain-http", "--metrics-open")
	cmd.Stderr = stderr
	cmd.Env = append(os.Environ(), "PARKD_METRICS_TOKEN=")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	addr := logAddr(t, stderr, "parkd listening")
	if log := stderr.String(); !strings.Contains(log, `"msg":"parkd build","version":"`+version+`","revision":"`+want+`"`) {
		t.Errorf("no build line with the revision in the start log:\n%s", log)
	}
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	line := ""
	for _, l := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(l, "parkd_build_info{") {
			line = l
		}
	}
	if !strings.Contains(line, `revision="`+want+`"`) || !strings.Contains(line, `version="`+version+`"`) ||
		!strings.Contains(line, `goversion="go`) || !strings.HasSuffix(line, " 1") {
		t.Errorf("parkd_build_info line %q, want revision %s and value 1", line, want)
	}
}

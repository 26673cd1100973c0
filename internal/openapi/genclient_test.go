package openapi_test

import (
	"bytes"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/server"
	"github.com/parkd/parkd/internal/testkit/testserver"
)

// genclientDir is the module that generates a client from the served
// document and runs it: oapi-codegen and its runtime are its own
// dependencies, never parkd's.
var genclientDir = filepath.Join("testdata", "genclient")

// TestGeneratedClientTalksToParkd serves the document from a real
// parkd, generates a Go client from it with oapi-codegen (pinned in
// testdata/genclient/go.mod), builds a program on that client and runs
// it against the same parkd: a typed login, parkInfo, enterRecord and
// heartBeats, each answered with code 0. The generator comes from the Go
// module proxy; without it the test skips, unless CI is set.
func TestGeneratedClientTalksToParkd(t *testing.T) {
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(goBin); err != nil {
		t.Skipf("no go command: %v", err)
	}
	work := copyGenclient(t)
	start := time.Now()
	if out, err := goCmd(goBin, work, nil, "mod", "download", "github.com/oapi-codegen/oapi-codegen/v2", "github.com/oapi-codegen/runtime"); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("oapi-codegen cannot be had from the module proxy (CI unset): %v\n%s", err, out)
		}
		t.Fatalf("go mod download: %v\n%s", err, out)
	}

	srv := testserver.Start(t, testserver.Options{Clock: testserver.RealClock(), Config: server.Config{}})
	srv.AddAccount(t, "genclient", "Parking@2024")
	status, spec := srv.Do(t, http.MethodGet, "/openapi.json", "", "", nil, nil)
	if status != http.StatusOK {
		t.Fatalf("GET /openapi.json: HTTP %d", status)
	}
	if err := os.WriteFile(filepath.Join(work, "openapi.json"), spec, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(goBin, work, nil, "run", "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen",
		"-config", "oapi-codegen.yaml", "openapi.json"); err != nil {
		t.Fatalf("oapi-codegen: %v\n%s", err, out)
	}
	gen, err := os.ReadFile(filepath.Join(work, "parkdclient", "client.gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typed := range []string{"func (c *ClientWithResponses) LoginWithResponse(ctx context.Context, body LoginJSONRequestBody",
		"func (c *ClientWithResponses) EnterRecordWithResponse(", "type EnterRecordEnvelope struct", "CodeNoReservable  Code = 1501"} {
		if !bytes.Contains(gen, []byte(typed)) {
			t.Errorf("the generated client lacks %q", typed)
		}
	}
	generated := time.Since(start)

	ca := filepath.Join(srv.Config.DataDir, "tls", "cert.pem")
	out, err := goCmd(goBin, work, []string{"GENCLIENT_PASSWORD=Parking@2024"}, "run", ".", srv.URL, ca, "genclient")
	if err != nil {
		t.Fatalf("the generated client's program: %v\n%s", err, out)
	}
	t.Logf("generated in %s, built and ran in %s:\n%s", generated.Round(time.Millisecond), (time.Since(start) - generated).Round(time.Millisecond), out)
	for _, want := range []string{"login 0\n", "parkInfo 0 成功\n", "enterRecord 0 成功\n", "heartBeats 0 成功\n"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// copyGenclient copies testdata/genclient to a new folder, pointing its
// replace of parkd at this checkout, and returns the folder.
func copyGenclient(t *testing.T) string {
	t.Helper()
	repo, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	for _, name := range []string{"go.mod", "go.sum", "main.go", "tools.go", "oapi-codegen.yaml"} {
		b, err := os.ReadFile(filepath.Join(genclientDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if name == "go.mod" {
			b = bytes.Replace(b, []byte("=> ../../../.."), []byte("=> "+repo), 1)
		}
		if err := os.WriteFile(filepath.Join(work, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return work
}

// goCmd runs the go command in dir with env added.
func goCmd(goBin, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "GOFLAGS=-mod=readonly", "GOWORK=off"), env...)
	return cmd.CombinedOutput()
}

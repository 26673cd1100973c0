//go:build unix

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/parkd/parkd/internal/testkit/testserver"
)

// The helpers of this file run the real parkd binary as a child process,
// for the crash tests, the crash loop and the multi-instance tests.

// TestMain runs the package's tests, then removes the parkd binary that
// buildParkd built, if a test asked for one.
func TestMain(m *testing.M) {
	code := m.Run()
	if parkdBinary.dir != "" {
		_ = os.RemoveAll(parkdBinary.dir)
	}
	os.Exit(code)
}

// parkdBinary is the parkd binary of this test process: buildParkd builds
// it once into dir, which TestMain removes.
var parkdBinary struct {
	once  sync.Once
	dir   string // the temp dir holding the binary, or ""
	path  string // the binary, once built
	skip  string // why it cannot be built here: the tests skip
	fatal string // why the build failed: the tests fail
}

// buildParkd builds cmd/parkd once per test process and returns the
// binary's path. It is built without the race detector even under -race:
// an instrumented parkd (and its bcrypt) is too slow for the tests' time
// budgets, and the server's concurrency is raced by the in-process tests.
// The build has its own bound of two minutes (a cold build cache is
// slow). Without a go command the test is skipped; if the build failed,
// every test that asks for the binary fails with the build's output.
func buildParkd(t testing.TB) string {
	t.Helper()
	b := &parkdBinary
	b.once.Do(func() {
		gobin, err := exec.LookPath("go")
		if err != nil {
			b.skip = fmt.Sprintf("no go command to build parkd: %v", err)
			return
		}
		if b.dir, err = os.MkdirTemp("", "parkd-e2e-"); err != nil {
			b.fatal = fmt.Sprintf("temp dir for the parkd binary: %v", err)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		bin := filepath.Join(b.dir, "parkd")
		cmd := exec.CommandContext(ctx, gobin, "build", "-o", bin, "github.com/parkd/parkd/cmd/parkd")
		if out, err := cmd.CombinedOutput(); err != nil {
			b.fatal = fmt.Sprintf("go build cmd/parkd: %v\n%s", err, out)
			return
		}
		b.path = bin
	})
	switch {
	case b.skip != "":
		t.Skip(b.skip)
	case b.fatal != "":
		t.Fatal(b.fatal)
	}
	return b.path
}

// parkdEnv is the environment of parkd child processes: ours without any
// PARKD_* variable, so that only the flags configure them.
func parkdEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PARKD_") {
			env = append(env, kv)
		}
	}
	return env
}

// runParkd runs a short parkd command (account add, apikey add, ...),
// fails the test if it fails and returns its output.
func runParkd(ctx context.Context, t testing.TB, bin string, args ...string) string {
	t.Helper()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = parkdEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("parkd %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// parkdSpec says how to start `parkd serve`.
type parkdSpec struct {
	// name names the instance in failures and in its log file's name;
	// empty for a test's only instance.
	name string
	// addr is the address to listen on; empty for a free loopback port,
	// picked anew at each attempt.
	addr string
	// flags are the flags of serve after --addr.
	flags []string
	// ready bounds the wait for /healthz of each attempt.
	ready time.Duration
	// env holds PARKD_* variables for the process (secrets such as the
	// S3 keys, which have no flag).
	env []string
}

// label is how failures name the process: "parkd", or "parkd A".
func (s parkdSpec) label() string {
	if s.name == "" {
		return "parkd"
	}
	return "parkd " + s.name
}

// serveFlags are the flags of a `parkd serve` on the SQLite store of
// dataDir, in plain HTTP, logging warnings and errors.
func serveFlags(dataDir string) []string {
	return []string{"--data", dataDir, "--plain-http", "--log-level", "warn"}
}

// parkdProc is a running `parkd serve`.
type parkdProc struct {
	cmd     *exec.Cmd
	addr    string
	url     string // http:// and addr
	pid     int
	logPath string        // stdout and stderr
	done    chan struct{} // closed when the process has been waited for
	waitErr error         // set before done is closed
}

// startParkd starts `parkd serve` as s says and waits until /healthz
// answers. On a free port (s.addr empty) it tries again on another port,
// up to three attempts, when the port was taken in the meantime; on a
// fixed address it tries up to 20 times, 100 ms apart, whatever the
// failure, since the port of a process just killed may still be held.
// Once no attempt is left it fails the test with the last attempt's log.
// The process is killed when the test ends if it still runs.
func startParkd(ctx context.Context, t testing.TB, bin string, s parkdSpec) *parkdProc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addr := s.addr
		if addr == "" {
			addr = testserver.FreeAddr(t)
		}
		p, err := tryStartParkd(ctx, t, bin, addr, s)
		if err == nil {
			return p
		}
		last := attempt == 3 || !strings.Contains(p.log(), "address already in use")
		if s.addr != "" {
			last = attempt == 20
		}
		if last {
			if s.name != "" {
				t.Fatalf("%s: %v\n%s", s.name, err, p.log())
			}
			t.Fatalf("%v\n%s", err, p.log())
		}
		if s.addr != "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
}

// healthClient polls /healthz.
var healthClient = &http.Client{Timeout: 2 * time.Second}

// tryStartParkd makes one attempt of startParkd on addr. On error the
// returned process has ended and its log can be read.
func tryStartParkd(ctx context.Context, t testing.TB, bin, addr string, s parkdSpec) (*parkdProc, error) {
	t.Helper()
	pattern := "parkd-*.log"
	if s.name != "" {
		pattern = "parkd-" + s.name + "-*.log"
	}
	logFile, err := os.CreateTemp(t.TempDir(), pattern)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close() // the child has its own descriptor
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr}, s.flags...)...)
	cmd.Env = append(parkdEnv(), s.env...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", s.label(), err)
	}
	p := &parkdProc{cmd: cmd, addr: addr, url: "http://" + addr, pid: cmd.Process.Pid, logPath: logFile.Name(),
		done: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-p.done
	})

	deadline := time.Now().Add(s.ready)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, p.url+"/healthz", nil)
		if resp, err := healthClient.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p, nil
			}
		}
		var failure error
		select {
		case <-p.done:
			return p, fmt.Errorf("parkd exited before serving: %v", p.waitErr)
		case <-ctx.Done():
			failure = fmt.Errorf("parkd did not serve /healthz: %v", ctx.Err())
		case <-time.After(20 * time.Millisecond):
			if time.Now().After(deadline) {
				failure = fmt.Errorf("parkd did not serve /healthz within %s", s.ready)
			}
		}
		if failure != nil {
			_ = cmd.Process.Kill()
			<-p.done
			return p, failure
		}
	}
}

// log returns the process's output.
func (p *parkdProc) log() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return fmt.Sprintf("(log unreadable: %v)", err)
	}
	return string(b)
}

// waitExit waits for the process to end, up to d.
func (p *parkdProc) waitExit(t *testing.T, d time.Duration) {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(d):
		t.Fatalf("parkd did not exit within %s\n%s", d, p.log())
	}
}

// kill sends SIGKILL and waits (up to 20 s) for the process to die of it.
func (p *parkdProc) kill(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	p.waitExit(t, 20*time.Second)
	ws, ok := p.cmd.ProcessState.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
		t.Fatalf("parkd ended with %v, not by SIGKILL\n%s", p.waitErr, p.log())
	}
}

// stop sends SIGTERM and requires a clean exit (status 0) within 20 s.
func (p *parkdProc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatalf("SIGTERM: %v", err)
	}
	p.waitExit(t, 20*time.Second)
	if p.waitErr != nil {
		t.Fatalf("parkd did not shut down cleanly: %v\n%s", p.waitErr, p.log())
	}
}

// Package pgtest starts a throwaway PostgreSQL cluster of a test's own
// (initdb and pg_ctl on a temporary folder and a free loopback port), so
// that a test may stop and start the database without touching a server
// other tests share.
package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// Cluster is a running throwaway PostgreSQL cluster.
type Cluster struct {
	// DSN connects as postgres to its database postgres, no TLS.
	DSN string
	// Port is its loopback port.
	Port int
	dir  string
	bin  string
	as   string // the user to run the binaries as ("" for ourselves)
	tb   testing.TB
}

// findBin returns the folder of initdb and pg_ctl: $PARKD_PG_BIN, on
// PATH, or Debian's newest /usr/lib/postgresql/*/bin.
func findBin() string {
	if d := os.Getenv("PARKD_PG_BIN"); d != "" {
		return d
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) < version(dirs[j]) })
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := os.Stat(filepath.Join(dirs[i], "initdb")); err == nil {
			return dirs[i]
		}
	}
	return ""
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// Start initialises and starts a cluster, stopped and removed when the
// test ends. Without PostgreSQL's binaries the test is skipped, unless CI
// is set: then it fails. As root, the binaries run as the user postgres
// (PostgreSQL refuses to run as root).
func Start(tb testing.TB) *Cluster {
	tb.Helper()
	bin := findBin()
	if bin == "" {
		if os.Getenv("CI") != "" {
			tb.Fatal("PostgreSQL's initdb not found (PARKD_PG_BIN, PATH, /usr/lib/postgresql/*/bin) and CI is set")
		}
		tb.Skip("PostgreSQL's initdb not found: install postgresql, or set PARKD_PG_BIN")
	}
	dir, err := os.MkdirTemp("", "parkd-pg-*")
	if err != nil {
		tb.Fatal(err)
	}
	c := &Cluster{dir: dir, bin: bin, tb: tb}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Skip("running as root and there is no user postgres to run PostgreSQL as")
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			tb.Fatal(err)
		}
		c.as = "postgres"
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c.Port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	c.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", c.Port)
	c.run("initdb", "-D", c.data(), "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8", "--locale", "C")
	c.StartServer()
	tb.Cleanup(func() {
		// Stopped whatever state the test left it in.
		cmd := c.command("pg_ctl", "-D", c.data(), "-m", "immediate", "-w", "stop")
		_ = cmd.Run()
	})
	return c
}

func (c *Cluster) data() string { return filepath.Join(c.dir, "data") }

func (c *Cluster) command(name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.as != "" {
		return exec.Command("runuser", append([]string{"-u", c.as, "--", path}, args...)...)
	}
	return exec.Command(path, args...)
}

func (c *Cluster) run(name string, args ...string) {
	c.tb.Helper()
	out, err := c.command(name, args...).CombinedOutput()
	if err != nil {
		c.tb.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

// StartServer starts the cluster's server and waits until it accepts
// connections (pg_ctl -w).
func (c *Cluster) StartServer() {
	c.tb.Helper()
	opts := fmt.Sprintf("-p %d -c listen_addresses=127.0.0.1 -k %s", c.Port, c.dir)
	c.run("pg_ctl", "-D", c.data(), "-o", opts, "-l", filepath.Join(c.dir, "log"), "-w", "start")
}

// StopServer stops the server (fast shutdown: sessions are ended, the
// data kept), as an operator's restart does.
func (c *Cluster) StopServer() {
	c.tb.Helper()
	c.run("pg_ctl", "-D", c.data(), "-m", "fast", "-w", "stop")
}

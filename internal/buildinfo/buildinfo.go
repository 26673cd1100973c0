// Package buildinfo reports what a binary was built from, as the Go
// toolchain recorded it (runtime/debug.ReadBuildInfo): the main module's
// version, the version-control revision and time, and the Go version. The
// commands print it for --version; parkd logs it at start and exports it
// in /metrics.
package buildinfo

import (
	"fmt"
	"runtime"
	"runtime/debug"
	"strings"
)

// Info is what is known about the running binary. A field the toolchain
// did not record is empty (a test binary has no revision; `go run` and
// `go build` in a checkout record the version as "(devel)" or a
// pseudo-version, `go install mod@v` the tag).
type Info struct {
	Version   string // main module version, e.g. v1.2.0 or (devel)
	Revision  string // VCS revision (commit hash)
	Time      string // VCS commit time, RFC 3339
	Modified  bool   // the work tree had uncommitted changes
	GoVersion string // e.g. go1.26.0
}

// Read returns the running binary's Info.
func Read() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown", GoVersion: runtime.Version()}
	}
	return parse(bi)
}

// parse extracts Info from the toolchain's record.
func parse(bi *debug.BuildInfo) Info {
	i := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if i.Version == "" {
		i.Version = "unknown"
	}
	if i.GoVersion == "" {
		i.GoVersion = runtime.Version()
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// String is the one-line form --version prints after the command's name:
// "v1.2.0 (revision abc123 2026-12-01T10:00:00Z, modified) go1.26.0".
func (i Info) String() string {
	var b strings.Builder
	b.WriteString(i.Version)
	if i.Revision != "" {
		fmt.Fprintf(&b, " (revision %s", i.Revision)
		if i.Time != "" {
			b.WriteString(" " + i.Time)
		}
		if i.Modified {
			b.WriteString(", modified")
		}
		b.WriteString(")")
	}
	b.WriteString(" " + i.GoVersion)
	return b.String()
}

// WantsVersion reports whether args asks for the version: a first
// argument "version", or --version (or -version) anywhere before a "--",
// so that "parkd serve --version" answers too.
func WantsVersion(args []string) bool {
	if len(args) > 0 && args[0] == "version" {
		return true
	}
	for _, a := range args {
		switch a {
		case "--":
			return false
		case "--version", "-version":
			return true
		}
	}
	return false
}

package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestParseTakesTheVersionRevisionAndTime(t *testing.T) {
	bi := &debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "github.com/parkd/parkd", Version: "v1.2.0"},
		Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "abc123"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
			{Key: "vcs.modified", Value: "true"}, {Key: "GOOS", Value: "linux"}}}
	i := parse(bi)
	want := Info{Version: "v1.2.0", Revision: "abc123", Time: "2026-12-01T10:00:00Z", Modified: true, GoVersion: "go1.26.0"}
	if i != want {
		t.Fatalf("parse = %+v, want %+v", i, want)
	}
	if got := i.String(); got != "v1.2.0 (revision abc123 2026-12-01T10:00:00Z, modified) go1.26.0" {
		t.Errorf("String() = %q", got)
	}
	bare := parse(&debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Version: "(devel)"}})
	if got := bare.String(); got != "(devel) go1.26.0" {
		t.Errorf("without VCS settings: %q", got)
	}
}

func TestWantsVersion(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want bool
	}{{[]string{"--version"}, true}, {[]string{"-version"}, true}, {[]string{"version"}, true},
		{[]string{"serve", "--version"}, true},
		{nil, false}, {[]string{"serve"}, false}, {[]string{"serve", "--", "--version"}, false}} {
		if got := WantsVersion(tc.args); got != tc.want {
			t.Errorf("WantsVersion(%q) = %v", tc.args, got)
		}
	}
}

package main

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v4"
)

// settingName matches a PARKD_* variable in serve's help.
var settingName = regexp.MustCompile(`PARKD_[A-Z0-9_]+`)

// serveSettings returns the PARKD_* variables `parkd serve -h` names.
func serveSettings(t *testing.T) map[string]bool {
	t.Helper()
	var out strings.Builder
	_ = run(context.Background(), []string{"serve", "-h"}, &out, &out)
	names := map[string]bool{}
	for _, n := range settingName.FindAllString(out.String(), -1) {
		names[n] = true
	}
	if len(names) < 20 {
		t.Fatalf("serve -h names only %d settings:\n%s", len(names), out.String())
	}
	return names
}

// TestComposeFileParsesAndNamesRealSettings: deploy/compose.yaml is YAML
// with the production shape (PostgreSQL, an S3 store, two parkd
// instances, a TLS proxy), every PARKD_* variable its parkd services set
// (in environment or in the example env files they load) is a setting of
// parkd serve, and no secret is written in it.
func TestComposeFileParsesAndNamesRealSettings(t *testing.T) {
	b, err := os.ReadFile("../../deploy/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Services map[string]struct {
			Image       string            `yaml:"image"`
			Environment map[string]string `yaml:"environment"`
			EnvFile     []string          `yaml:"env_file"`
			Ports       []string          `yaml:"ports"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	for _, name := range []string{"postgres", "s3", "parkd-a", "parkd-b", "proxy"} {
		if _, ok := doc.Services[name]; !ok {
			t.Errorf("compose.yaml has no service %q", name)
		}
	}
	known := serveSettings(t)
	for _, name := range []string{"parkd-a", "parkd-b"} {
		svc := doc.Services[name]
		if svc.Environment["PARKD_TRUSTED_PROXIES"] == "" {
			t.Errorf("%s does not name its trusted proxy", name)
		}
		if !strings.HasPrefix(svc.Environment["PARKD_PICTURES"], "s3://") {
			t.Errorf("%s keeps its pictures in %q, want an s3:// bucket", name, svc.Environment["PARKD_PICTURES"])
		}
		for k, v := range svc.Environment {
			if strings.HasPrefix(k, "PARKD_") && !known[k] {
				t.Errorf("%s sets %s, which parkd serve does not know", name, k)
			}
			if strings.Contains(k, "SECRET") || strings.Contains(k, "PASSWORD") || k == "PARKD_DB" {
				t.Errorf("%s writes the secret %s=%q in compose.yaml, want it in an env file", name, k, v)
			}
		}
		if !slices.Contains(svc.EnvFile, "secrets/parkd.env") {
			t.Errorf("%s loads %v, want secrets/parkd.env", name, svc.EnvFile)
		}
	}
	for _, f := range []string{"../../deploy/parkd.env.example"} {
		for _, k := range envFileNames(t, f) {
			if !known[k] {
				t.Errorf("%s sets %s, which parkd serve does not know", f, k)
			}
		}
	}
	if p := doc.Services["proxy"].Ports; !slices.Contains(p, "443:443") {
		t.Errorf("the proxy publishes %v, want 443", p)
	}
}

// envFileNames returns the variable names an env file sets.
func envFileNames(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var names []string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			names = append(names, k)
		}
	}
	return names
}

// TestSystemdUnitUsesRealSettings: every PARKD_* variable the unit sets is
// a setting of parkd serve, and the hardening the deployment guide
// promises is there.
func TestSystemdUnitUsesRealSettings(t *testing.T) {
	b, err := os.ReadFile("../../deploy/parkd.service")
	if err != nil {
		t.Fatal(err)
	}
	unit := string(b)
	known := serveSettings(t)
	for _, line := range strings.Split(unit, "\n") {
		if v, ok := strings.CutPrefix(line, "Environment="); ok {
			k, _, _ := strings.Cut(v, "=")
			if !known[k] {
				t.Errorf("the unit sets %s, which parkd serve does not know", k)
			}
		}
	}
	for _, want := range []string{"DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
		"CapabilityBoundingSet=\n", "LoadCredential=", "EnvironmentFile=", "StateDirectory=parkd"} {
		if !strings.Contains(unit, want) {
			t.Errorf("the unit lacks %q", strings.TrimSpace(want))
		}
	}
	if strings.Contains(unit, "--password") || strings.Contains(unit, "SECRET_KEY=") {
		t.Error("the unit carries a secret")
	}
}

package server

import (
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the README's settings table from the code")

const (
	settingsBegin = "<!-- settings:begin -->\n"
	settingsEnd   = "<!-- settings:end -->"
)

// TestREADMESettings fails when the README's table of settings differs
// from the table in settings.go; -update rewrites it.
func TestREADMESettings(t *testing.T) {
	path := filepath.Join("..", "..", "README.md")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	i, j := strings.Index(readme, settingsBegin), strings.Index(readme, settingsEnd)
	if i < 0 || j < i {
		t.Fatalf("README.md has no %q ... %q markers", settingsBegin, settingsEnd)
	}
	i += len(settingsBegin)
	want := SettingsMarkdown()
	if readme[i:j] == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(readme[:i]+want+readme[j:]), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's settings table differs from settings.go; run go test ./internal/server -run TestREADMESettings -update\ngot:\n%s\nwant:\n%s", readme[i:j], want)
}

// TestEverySettingHasAFlagAndAVariable: names are unique, every variable
// is PARKD_*, every default parses, and the flags and variables parkd
// had before the table still exist.
func TestEverySettingHasAFlagAndAVariable(t *testing.T) {
	flags, envs := map[string]bool{}, map[string]bool{}
	for _, s := range Settings {
		if s.Flag == "" || !strings.HasPrefix(s.Env, "PARKD_") || s.Help == "" || s.Type == "" {
			t.Errorf("incomplete setting %+v", s)
		}
		if flags[s.Flag] || envs[s.Env] {
			t.Errorf("--%s or %s twice", s.Flag, s.Env)
		}
		flags[s.Flag], envs[s.Env] = true, true
		if s.Default != "" {
			var c Config
			if err := set(s.field(&c), s.Default); err != nil {
				t.Errorf("--%s default %q: %v", s.Flag, s.Default, err)
			}
		}
	}
	for _, f := range strings.Fields(`addr data db pictures plain-http tls-cert tls-key heartbeat-interval
		heartbeat-flush timestamp-window max-items max-body strict-pictures retain-series retain-history
		retain-pictures lease-ttl rate-per-addr rate-per-account rate-burst read-header-timeout read-timeout
		city metrics-token debug-addr sync log-level noshow-limit public-refresh public-rate trusted-proxies`) {
		if !flags[f] {
			t.Errorf("no flag --%s", f)
		}
	}
	for _, e := range strings.Fields(`PARKD_ADDR PARKD_DATA PARKD_PLAIN_HTTP PARKD_TLS_CERT PARKD_TLS_KEY
		PARKD_HEARTBEAT_INTERVAL PARKD_HEARTBEAT_FLUSH PARKD_TIMESTAMP_WINDOW PARKD_MAX_ITEMS PARKD_MAX_BODY
		PARKD_STRICT_PICTURES PARKD_SYNC PARKD_LOG_LEVEL PARKD_DB PARKD_PICTURES PARKD_RETAIN_SERIES
		PARKD_RETAIN_HISTORY PARKD_RETAIN_PICTURES PARKD_LEASE_TTL PARKD_READ_HEADER_TIMEOUT PARKD_READ_TIMEOUT
		PARKD_RATE_PER_ADDR PARKD_RATE_PER_ACCOUNT PARKD_RATE_BURST PARKD_NOSHOW_LIMIT PARKD_CITY
		PARKD_METRICS_TOKEN PARKD_DEBUG_ADDR PARKD_PUBLIC_REFRESH PARKD_PUBLIC_RATE PARKD_TRUSTED_PROXIES`) {
		if !envs[e] {
			t.Errorf("no variable %s", e)
		}
	}
}

// TestFlagWinsOverVariable: a variable fills its field, a flag given
// beside it wins, and a setting given neither way takes its default.
func TestFlagWinsOverVariable(t *testing.T) {
	t.Setenv("PARKD_NOSHOW_LIMIT", "7")
	t.Setenv("PARKD_PUBLIC_REFRESH", "9s")
	t.Setenv("PARKD_PUBLIC_RATE", "4.5")
	t.Setenv("PARKD_TRUSTED_PROXIES", "10.0.0.0/8")
	t.Setenv("PARKD_READ_TIMEOUT", "33s")
	var c Config
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	Flags(fs, &c)
	if err := fs.Parse([]string{"--public-refresh", "2s", "--trusted-proxies", "192.0.2.0/24, 2001:db8::/32", "--plain-http"}); err != nil {
		t.Fatal(err)
	}
	c = c.WithDefaults()
	if c.Reservation.NoShowLimit != 7 || c.Public.Rate != 4.5 || c.ReadTimeout != 33*time.Second {
		t.Errorf("from the variables: noshow %d, public rate %v, read timeout %v", c.Reservation.NoShowLimit, c.Public.Rate, c.ReadTimeout)
	}
	if c.Public.Refresh != 2*time.Second || c.TrustedProxies.String() != "192.0.2.0/24,2001:db8::/32" || !c.PlainHTTP {
		t.Errorf("from the flags: public refresh %v, proxies %q, plain %v", c.Public.Refresh, c.TrustedProxies, c.PlainHTTP)
	}
	if c.Addr != DefaultAddr || c.HeartbeatFlush != 5*time.Second || c.ReadHeaderTimeout != 10*time.Second || c.Sync != "full" {
		t.Errorf("defaults: addr %q, flush %v, read header %v, sync %q", c.Addr, c.HeartbeatFlush, c.ReadHeaderTimeout, c.Sync)
	}
	t.Setenv("PARKD_TRUSTED_PROXIES", "not-a-network")
	if err := new(Config).FromEnv(); err == nil || !strings.Contains(err.Error(), "PARKD_TRUSTED_PROXIES") {
		t.Errorf("a bad variable: %v", err)
	}
}

// TestSecretsHaveNoFlag: the S3 keys are read from the environment and
// have no flag (a flag's value shows in ps and in shell history).
func TestSecretsHaveNoFlag(t *testing.T) {
	t.Setenv("PARKD_S3_ACCESS_KEY", "ak")
	t.Setenv("PARKD_S3_SECRET_KEY", "sk")
	var c Config
	if err := c.FromEnv(); err != nil {
		t.Fatal(err)
	}
	if c.S3.AccessKey != "ak" || c.S3.SecretKey != "sk" {
		t.Errorf("keys from the environment: %q %q", c.S3.AccessKey, c.S3.SecretKey)
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	Flags(fs, &c)
	for _, s := range EnvSecrets {
		fs.VisitAll(func(f *flag.Flag) {
			if strings.Contains(f.Usage, "("+s.Env+")") || strings.Contains(f.Name, "secret") || strings.Contains(f.Name, "access-key") {
				t.Errorf("flag --%s sets the secret %s", f.Name, s.Env)
			}
		})
	}
}

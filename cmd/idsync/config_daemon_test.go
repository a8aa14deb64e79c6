package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDaemonSectionsDecode: [daemon] (schedules, time zone, grace, watch)
// and [admin] decode, relative admin paths follow the file, and config
// check resolves the admin token with the other secrets.
func TestDaemonSectionsDecode(t *testing.T) {
	path := checkConfig(t, "/nonexistent/ldap.pw", "IDSYNC_TEST_UNSET_TOKEN")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	extra := `
[daemon]
time_zone = "Europe/Paris"
stop_grace = "1m"
watch = true
[[daemon.schedule]]
name = "nightly"
cron = "0 2 * * *"
mode = "full"
[[daemon.schedule]]
name = "poll"
cron = "@every 5m"
mode = "incremental"
dry_run = true

[admin]
listen = "0.0.0.0:9500"
token = { file = "admin.token" }
`
	if err := os.WriteFile(path, append(b, extra...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	d := cfg.Daemon
	if d.TimeZone != "Europe/Paris" || d.StopGrace.Duration != time.Minute || !d.Watch || len(d.Schedules) != 2 ||
		d.Schedules[1].Name != "poll" || !d.Schedules[1].DryRun || d.Schedules[1].Mode != "incremental" {
		t.Errorf("daemon = %+v", d)
	}
	wantToken := filepath.Join(filepath.Dir(path), "admin.token")
	if cfg.Admin.Listen != "0.0.0.0:9500" || cfg.Admin.Token.File != wantToken {
		t.Errorf("admin = %+v, want the token at %s", cfg.Admin, wantToken)
	}
	var keys []string
	for _, r := range cfg.secretRefs() {
		keys = append(keys, r.key)
	}
	if strings.Join(keys, ",") != "source.ldap.bind_password,admin.token,target[0].scim.token" {
		t.Errorf("secret refs = %v", keys)
	}
	e := &env{t: t}
	code, _, errs := e.run("config", "check", "-c", path)
	if code != exitError || !strings.Contains(errs, "admin.token: ") {
		t.Errorf("config check: exit %d, want the admin token reported:\n%s", code, errs)
	}
}

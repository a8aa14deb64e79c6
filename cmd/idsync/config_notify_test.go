package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// withExtra appends text to a valid configuration and returns its path.
func withExtra(t *testing.T, text string) string {
	t.Helper()
	path := checkConfig(t, "/nonexistent/ldap.pw", "IDSYNC_TEST_UNSET_TOKEN")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, append(b, text...), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDaemonNotifyDecode: [daemon.notify] decodes, its relative webhook
// file follows the configuration file, and config check loads it with the
// other secrets.
func TestDaemonNotifyDecode(t *testing.T) {
	path := withExtra(t, `
[daemon.notify]
webhook = { file = "webhook.url" }
min_failures = 3
timeout = "5s"
allow_insecure_http = true
`)
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	n := cfg.Daemon.Notify
	want := filepath.Join(filepath.Dir(path), "webhook.url")
	if n.Webhook.File != want || n.MinFailures != 3 || n.Timeout.String() != "5s" || !n.AllowInsecureHTTP {
		t.Errorf("daemon.notify = %+v, want the webhook at %s", n, want)
	}
	var keys []string
	for _, r := range cfg.secretRefs() {
		keys = append(keys, r.key)
	}
	if !strings.Contains(strings.Join(keys, ","), "daemon.notify.webhook") {
		t.Errorf("secret refs = %v", keys)
	}
	e := &env{t: t}
	code, _, errs := e.run("config", "check", "-c", path)
	if code != exitError || !strings.Contains(errs, "daemon.notify.webhook: ") {
		t.Errorf("config check: exit %d, want the webhook reported:\n%s", code, errs)
	}
}

// TestDaemonNotifyRejected: unknown keys and bad values are refused with
// their key.
func TestDaemonNotifyRejected(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{"[daemon.notify]\nwebhook = { file = \"w\" }\nurl = \"https://x\"\n", "daemon.notify.url: unknown key"},
		{"[daemon.notify]\nwebhook = \"https://hooks.example.com/T\"\n", "daemon.notify.webhook"},
		{"[daemon.notify]\nwebhook = { env = \"W\" }\nmin_failures = -1\n", "daemon.notify.min_failures: must not be negative"},
		{"[daemon.notify]\nmin_failures = 2\n", "daemon.notify.webhook: set file or env"},
		{"[daemon.notify]\nwebhook = { env = \"W\" }\ntimeout = \"soon\"\n", "daemon.notify.timeout"},
	} {
		_, err := loadConfig(withExtra(t, tc.text))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err %v, want %q", tc.text, err, tc.want)
		}
	}
}

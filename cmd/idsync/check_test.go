package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// checkConfig writes a configuration whose LDAP bind password is read from
// pwFile and whose SCIM token from the variable tokenVar.
func checkConfig(t *testing.T, pwFile, tokenVar string) string {
	t.Helper()
	dir := t.TempDir()
	cfg := fmt.Sprintf(`[log]
level = "debug"

[state]
path = "state.db"

[source]
kind = "ldap"
[source.ldap]
url = "ldaps://ldap.example.com"
bind_dn = "cn=idsync,dc=example,dc=org"
bind_password = { file = %q }
[source.ldap.users]
base_dn = "ou=people,dc=example,dc=org"

[mapping.attributes]
userName = 'attr("uid")'

[[target]]
name = "app"
kind = "scim"
[target.scim]
url = "https://scim.example.com/v2"
token = { env = %q }
`, pwFile, tokenVar)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestConfigCheckResolvesSecrets: config check loads every secret reference
// and reports each that fails with its file, line and key, and the secrets'
// values appear nowhere in its output or logs.
func TestConfigCheckResolvesSecrets(t *testing.T) {
	const pwValue, tokenValue = "pw-s3cr3t-from-the-file", "tok-s3cr3t-from-the-env"
	dir := t.TempDir()
	pw := filepath.Join(dir, "ldap.pw")
	if err := os.WriteFile(pw, []byte(pwValue+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty.pw")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("IDSYNC_TEST_TOKEN", tokenValue)
	t.Setenv("IDSYNC_TEST_EMPTY", "")
	os.Unsetenv("IDSYNC_TEST_UNSET")

	for _, tt := range []struct {
		name, pwFile, tokenVar string
		want                   []string // in the error; none: the check passes
	}{
		{"both found", pw, "IDSYNC_TEST_TOKEN", nil},
		{"file missing", filepath.Join(dir, "nope.pw"), "IDSYNC_TEST_TOKEN",
			[]string{"config.toml:12: source.ldap.bind_password: read secret file: open " + filepath.Join(dir, "nope.pw") + ": no such file or directory"}},
		{"file unreadable", dir, "IDSYNC_TEST_TOKEN", []string{"config.toml:12: source.ldap.bind_password: read secret file: read " + dir + ": is a directory"}},
		{"file empty", empty, "IDSYNC_TEST_TOKEN", []string{"config.toml:12: source.ldap.bind_password: secret file " + empty + " is empty"}},
		{"variable unset and file missing", filepath.Join(dir, "nope.pw"), "IDSYNC_TEST_UNSET", []string{
			"config.toml:12: source.ldap.bind_password: read secret file",
			"config.toml:24: target[0].scim.token: environment variable IDSYNC_TEST_UNSET is not set or empty"}},
		{"variable empty", pw, "IDSYNC_TEST_EMPTY", []string{"config.toml:24: target[0].scim.token: environment variable IDSYNC_TEST_EMPTY is not set or empty"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(context.Background(), []string{"config", "check", "-c", checkConfig(t, tt.pwFile, tt.tokenVar)}, &out, &errb)
			all := out.String() + errb.String()
			if strings.Contains(all, pwValue) || strings.Contains(all, tokenValue) {
				t.Fatalf("a secret's value is in the output:\n%s", all)
			}
			if len(tt.want) == 0 {
				if code != exitOK || !strings.Contains(out.String(), "OK") || !strings.Contains(out.String(), "2 secret(s) found") {
					t.Fatalf("exit %d:\n%s", code, all)
				}
				return
			}
			if code != exitError {
				t.Fatalf("exit %d, want %d:\n%s", code, exitError, all)
			}
			for _, w := range tt.want {
				if !strings.Contains(errb.String(), w) {
					t.Errorf("error lacks %q:\n%s", w, errb.String())
				}
			}
		})
	}
}

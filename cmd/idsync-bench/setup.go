//go:build linux

package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// writeLDIF generates the directory: size people in groups groups.
func writeLDIF(path string, size, groups int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := slapdtest.GenerateLDIF(f, size, groups); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// startSCIM runs scimd (with the extra arguments) as its own process. Not
// in this process: a child's ru_maxrss on Linux starts from the RSS of the
// process that forked it, so a SCIM server holding 100k users here would
// inflate every idsync figure.
func startSCIM(dir, scimd string, extra ...string) (string, func(), error) {
	token := filepath.Join(dir, "scim.token")
	if err := os.WriteFile(token, []byte(scimtest.RandomToken()), 0o600); err != nil {
		return "", nil, err
	}
	addr := filepath.Join(dir, "scim.addr")
	cmd := exec.Command(scimd, append([]string{"-listen", "127.0.0.1:0", "-token-file", token, "-addr-file", addr}, extra...)...)
	if err := cmd.Start(); err != nil {
		return "", nil, fmt.Errorf("%w (run make build first)", err)
	}
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
	}
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(addr); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b)), stop, nil
		}
		time.Sleep(25 * time.Millisecond)
	}
	stop()
	return "", nil, errors.New("scimd did not start")
}

// ldapSource is the [source] of a configuration reading slapd at url.
func ldapSource(url string) string {
	return fmt.Sprintf(`[source]
kind = "ldap"

[source.ldap]
url = %q
bind_dn = %q
bind_password = { file = "ldap.pw" }

[source.ldap.users]
base_dn = %q
attributes = ["uid", "cn", "sn", "givenName", "displayName", "mail", "title", "departmentNumber", "employeeNumber", "employeeType", "memberOf"]

[source.ldap.groups]
base_dn = %q
`, url, slapdtest.ReaderDN, slapdtest.PeopleDN, slapdtest.GroupsDN)
}

// ldifSource is the [source] of a configuration reading the LDIF file path.
func ldifSource(path string) string {
	return fmt.Sprintf(`[source]
kind = "ldif"

[source.ldif]
path = %q
`, path)
}

// writeConfig writes DIR/config.toml: source, the benchmark's mapping and
// the SCIM server at scimURL.
func writeConfig(dir, source, scimURL, level string) (string, error) {
	if err := os.WriteFile(filepath.Join(dir, "ldap.pw"), []byte(slapdtest.ReaderPassword), 0o600); err != nil {
		return "", err
	}
	cfg := fmt.Sprintf(`[log]
level = %q

[state]
path = "state.db"

%s
[mapping]
scope = 'has("mail")'
disabled = 'attr("employeeType") == "disabled"'

[mapping.attributes]
userName = 'attr("uid")'
displayName = 'default(attr("displayName"), attr("cn"))'
"name.givenName" = 'attr("givenName")'
"name.familyName" = 'attr("sn")'
"emails.work" = 'lower(attr("mail"))'
title = 'attr("title")'
department = 'attr("departmentNumber")'
employeeNumber = 'attr("employeeNumber")'

[[mapping.group_roles]]
match = 'true'
name = '"role-" + group.name'

[guards]
max_deletes = -1

[[target]]
name = "bench"
kind = "scim"

[target.scim]
url = %q
token = { file = "scim.token" }
rate_limit = 0
page_size = 1000
timeout = "120s"
`, level, source, scimURL)
	path := filepath.Join(dir, "config.toml")
	return path, os.WriteFile(path, []byte(cfg), 0o600)
}

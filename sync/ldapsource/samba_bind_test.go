package ldapsource

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	logtest "github.com/sirupsen/logrus/hooks/test"
)

// checkRead reads the people of the seed's States OU with cfg.
func checkRead(t *testing.T, cfg Config) error {
	t.Helper()
	cfg.Users.BaseDN, cfg.Groups.BaseDN = sambatest.StatesDN, ""
	src, err := New(cfg, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	err = src.Read(context.Background(), func(e mapping.Entry) error { n++; return nil })
	if err == nil && n != len(sambatest.Specials) {
		return fmt.Errorf("read %d people, want %d", n, len(sambatest.Specials))
	}
	return err
}

// kerberosFiles exports the service account's keytab from s and writes a
// krb5.conf naming s as the realm's KDC.
func kerberosFiles(t *testing.T, s *sambatest.Server) (keytab, krb5 string) {
	t.Helper()
	keytab = filepath.Join(t.TempDir(), "svc.keytab")
	if _, err := s.Tool("domain", "exportkeytab", keytab, "--principal="+sambatest.ServiceUPN); err != nil {
		t.Fatal(err)
	}
	krb5 = filepath.Join(t.TempDir(), "krb5.conf")
	conf := fmt.Sprintf("[libdefaults]\n default_realm = %s\n dns_lookup_kdc = false\n dns_lookup_realm = false\n"+
		"[realms]\n %s = {\n  kdc = %s:88\n }\n", sambatest.Realm, sambatest.Realm, s.IP)
	if err := os.WriteFile(krb5, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return keytab, krb5
}

// TestADBinds: the binds AD admins use, against Samba: simple over LDAPS
// and StartTLS, Kerberos with a keytab (NTLM: see TestADBindErrors).
func TestADBinds(t *testing.T) {
	s := sambatest.Shared(t)
	base := adConfig(t, s)
	keytab, krb5 := kerberosFiles(t, s)
	tests := []struct {
		name string
		set  func(c *Config)
	}{
		{"simple over LDAPS", func(c *Config) {}},
		{"simple with StartTLS", func(c *Config) { c.URL, c.StartTLS = s.URL, true }},
		// Samba's KDC answers for HOST/, not for the ldap/ alias AD
		// maps to it (sPNMappings), when gokrb5 asks.
		{"Kerberos with a keytab", func(c *Config) {
			c.BindMethod, c.BindDN, c.BindPassword = BindKerberos, "", secret.Ref{}
			c.Kerberos = KerberosConfig{Keytab: keytab, Principal: sambatest.ServiceUser + "@" + sambatest.Realm,
				Krb5Conf: krb5, SPN: "HOST/" + sambatest.HostName + "." + sambatest.DNSDomain}
		}},
		{"Kerberos over plain LDAP", func(c *Config) {
			c.URL, c.CAFile = s.URL, ""
			c.BindMethod, c.BindDN, c.BindPassword = BindKerberos, "", secret.Ref{}
			c.Kerberos = KerberosConfig{Keytab: keytab, Principal: sambatest.ServiceUser + "@" + sambatest.Realm,
				Krb5Conf: krb5, SPN: "HOST/" + sambatest.HostName + "." + sambatest.DNSDomain}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			tt.set(&cfg)
			if err := checkRead(t, cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestADBindErrors: what a refused bind says.
func TestADBindErrors(t *testing.T) {
	s := sambatest.Shared(t)
	keytab, krb5 := kerberosFiles(t, s)
	badPW := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(badPW, []byte("wrong"), 0o600); err != nil {
		t.Fatal(err)
	}
	userPW := filepath.Join(t.TempDir(), "user")
	if err := os.WriteFile(userPW, []byte(sambatest.Specials[1].Password), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		set  func(c *Config)
		want string
	}{
		{"wrong password", func(c *Config) { c.BindPassword = secret.Ref{File: badPW} }, "wrong user name or password"},
		{"disabled account", func(c *Config) {
			c.BindDN, c.BindPassword = sambatest.UserDN(sambatest.Specials[1].CN, sambatest.StatesDN), secret.Ref{File: userPW}
		}, "the account is disabled"},
		// go-ldap's NTLMBind is AD's Sicily bind, which Samba 4.17 does
		// not implement: it closes the connection.
		{"NTLM to Samba", func(c *Config) {
			c.BindMethod, c.BindDN, c.BindUser = BindNTLM, "", sambatest.Domain+`\`+sambatest.ServiceUser
		}, "it does not take Active Directory's NTLM (Sicily) bind"},
		{"Kerberos, unknown service", func(c *Config) {
			c.BindMethod, c.BindDN, c.BindPassword = BindKerberos, "", secret.Ref{}
			c.Kerberos = KerberosConfig{Keytab: keytab, Principal: sambatest.ServiceUser + "@" + sambatest.Realm,
				Krb5Conf: krb5, SPN: "ldap/nowhere." + sambatest.DNSDomain}
		}, "the KDC knows no such service: set kerberos.spn"},
		{"unreachable", func(c *Config) { c.URL = "ldaps://127.0.0.254" }, "connect to ldaps://127.0.0.254"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := adConfig(t, s)
			tt.set(&cfg)
			err := checkRead(t, cfg)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if !strings.HasPrefix(tt.name, "unreachable") && !errors.Is(err, errBind) {
				t.Errorf("err = %v, want errBind", err)
			}
		})
	}
}

// TestADStrongAuthRequired: a DC that wants TLS for simple binds says so,
// and the message says what to change.
func TestADStrongAuthRequired(t *testing.T) {
	s := sambatest.Start(t, sambatest.RequireStrongAuth())
	cfg := adConfig(t, s)
	cfg.URL, cfg.CAFile = s.URL, ""
	err := checkRead(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "use ldaps:// or start_tls = true") {
		t.Fatalf("err = %v, want the strong auth explained", err)
	}
	cfg = adConfig(t, s)
	if err := checkRead(t, cfg); err != nil {
		t.Errorf("over LDAPS: %v", err)
	}
}

// TestADFailover: with the first DC down, the read goes to the next one
// and logs the failover; with all down, the error names each.
func TestADFailover(t *testing.T) {
	up := sambatest.Shared(t)
	down := sambatest.Start(t)
	down.Stop()
	cfg := adConfig(t, up)
	cfg.URL, cfg.FailoverURLs = down.LDAPSURL, []string{up.LDAPSURL}
	cfg.Users.BaseDN, cfg.Groups.BaseDN = sambatest.StatesDN, ""
	log, hook := logtest.NewNullLogger()
	src, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := src.Read(context.Background(), func(mapping.Entry) error { n++; return nil }); err != nil || n != len(sambatest.Specials) {
		t.Fatalf("Read: %d people, %v", n, err)
	}
	var msgs []string
	for _, e := range hook.AllEntries() {
		msgs = append(msgs, e.Message)
	}
	if got := strings.Join(msgs, "; "); !strings.Contains(got, "server unreachable") || !strings.Contains(got, "failed over") {
		t.Errorf("log: %s", got)
	}
	cfg.FailoverURLs = []string{"ldaps://127.0.0.254"}
	err = checkRead(t, cfg)
	if err == nil || !strings.Contains(err.Error(), "no server of 2 reachable") || !strings.Contains(err.Error(), down.LDAPSURL) {
		t.Errorf("all down: %v", err)
	}
}

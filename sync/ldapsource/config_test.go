package ldapsource

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/secret"
)

func validConfig() Config {
	return Config{
		URL:          "ldap://ldap.example.org",
		StartTLS:     true,
		BindDN:       "cn=idsync,dc=example,dc=org",
		BindPassword: secret.Ref{File: "/etc/idsync/ldap.pw"},
		Users:        UserSearch{BaseDN: "ou=people,dc=example,dc=org"},
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		set  func(*Config)
		want []string // the messages, in order; none for a valid config
	}{
		{"valid", func(*Config) {}, nil},
		{"valid ldaps with everything", func(c *Config) {
			c.URL, c.StartTLS, c.CAFile, c.ServerName = "ldaps://dc1:636", false, "/ca.pem", "dc1.example.org"
			c.PageSize, c.Timeout = 10000, duration.Of(time.Second)
			c.Users.Scope, c.Users.Attributes, c.Users.Filter = "one", []string{"*", "+", "cn;lang-de"}, "(uid=*)"
			c.Groups = GroupSearch{BaseDN: "ou=groups,dc=example,dc=org", MemberAttributes: []string{"member"}, NameAttribute: "displayName"}
		}, nil},
		{"valid anonymous starttls", func(c *Config) {
			c.BindDN, c.BindPassword, c.StartTLS, c.InsecureSkipVerify = "", secret.Ref{}, true, true
		}, nil},
		{"empty", func(c *Config) { *c = Config{} }, []string{"url: required", "users.base_dn: required"}},
		{"bad scheme", func(c *Config) { c.URL = "http://x" }, []string{`url: scheme must be ldap or ldaps, got "http"`}},
		{"no host, path", func(c *Config) { c.URL = "ldap:///dc=x?cn" }, []string{
			`url: missing host in "ldap:///dc=x?cn"`, "url: must not have a path or query (set users.base_dn instead)",
		}},
		{"starttls with ldaps", func(c *Config) { c.URL, c.StartTLS = "ldaps://x", true },
			[]string{"start_tls: cannot be used with ldaps:// (already TLS)"}},
		{"tls options without tls", func(c *Config) {
			c.URL, c.StartTLS, c.CAFile, c.InsecureSkipVerify, c.ServerName = "ldap://localhost", false, "/ca", true, "x"
		}, []string{
			"ca_file: needs a TLS connection (ldaps:// or start_tls = true)",
			"insecure_skip_verify: needs a TLS connection (ldaps:// or start_tls = true)",
			"server_name: needs a TLS connection (ldaps:// or start_tls = true)",
		}},
		// Plain LDAP sends the bind password in clear text: refused
		// unless the host is this machine or the config says so.
		{"plain ldap to a remote host", func(c *Config) { c.StartTLS = false }, []string{
			"url: plain ldap:// to ldap.example.org sends the bind password and every entry in clear text: " +
				"use ldaps://, or set start_tls = true, or set allow_insecure_ldap = true to accept it",
		}},
		{"plain ldap to a remote address, anonymous", func(c *Config) {
			c.URL, c.StartTLS, c.BindDN, c.BindPassword = "ldap://10.1.2.3:389", false, "", secret.Ref{}
		}, []string{"url: plain ldap:// to 10.1.2.3 sends"}},
		{"plain ldap allowed", func(c *Config) { c.StartTLS, c.AllowInsecureLDAP = false, true }, nil},
		{"plain ldap to localhost", func(c *Config) { c.URL, c.StartTLS = "ldap://localhost:3389", false }, nil},
		{"plain ldap to 127.0.0.1", func(c *Config) { c.URL, c.StartTLS = "ldap://127.0.0.1", false }, nil},
		{"plain ldap to ::1", func(c *Config) { c.URL, c.StartTLS = "ldap://[::1]:389", false }, nil},
		{"ldaps to a remote host", func(c *Config) { c.URL, c.StartTLS = "ldaps://ldap.example.org", false }, nil},
		{"no password", func(c *Config) { c.BindPassword = secret.Ref{} }, []string{"bind_password: set file or env"}},
		{"two passwords", func(c *Config) { c.BindPassword.Env = "PW" },
			[]string{"bind_password: set either file or env, not both"}},
		{"password without dn", func(c *Config) { c.BindDN = "" },
			[]string{"bind_password: set but bind_dn is empty (anonymous bind)"}},
		{"bad DNs", func(c *Config) { c.BindDN, c.Users.BaseDN, c.Groups.BaseDN = "idsync", "people", "=x" }, []string{
			`bind_dn: invalid DN "idsync"`, `users.base_dn: invalid DN "people"`, `groups.base_dn: invalid DN "=x"`,
		}},
		{"numbers", func(c *Config) { c.Timeout, c.PageSize = duration.Of(-time.Second), 10001 }, []string{
			"timeout: must be positive, got -1s", "page_size: must be between 1 and 10000, got 10001",
		}},
		{"negative page size", func(c *Config) { c.PageSize = -1 }, []string{"page_size: must be between 1 and 10000, got -1"}},
		{"filters", func(c *Config) { c.Users.Filter, c.Groups.Filter = "uid=x", "(&(cn=a)" }, []string{
			"users.filter: ", "groups.filter: ",
		}},
		{"scope", func(c *Config) { c.Users.Scope = "base" }, []string{`users.scope: must be "sub" or "one", got "base"`}},
		{"valid ad", func(c *Config) {
			c.Flavour, c.References, c.Groups.RangeSize, c.AD.UserName = "ad", "refuse", 1500, "userPrincipalName"
		}, nil},
		{"ad keys", func(c *Config) {
			c.Flavour, c.References, c.Groups.RangeSize, c.AD.UserName = "AD", "follow", -1, "mail"
		}, []string{
			"groups.range_size: must not be negative, got -1", `references: must be "ignore" or "refuse", got "follow"`,
			`ad.user_name: must be "sAMAccountName" or "userPrincipalName", got "mail"`,
		}},
		{"valid ntlm", func(c *Config) { c.BindMethod, c.BindDN, c.BindUser = "ntlm", "", `CORP\svc` }, nil},
		{"valid kerberos with failover", func(c *Config) {
			c.BindMethod, c.BindDN, c.BindPassword = "kerberos", "", secret.Ref{}
			c.Kerberos = KerberosConfig{Keytab: "/etc/idsync/svc.keytab", Principal: "svc@CORP.EXAMPLE.COM"}
			c.FailoverURLs = []string{"ldap://dc2.example.org", "ldap://dc3.example.org:389"}
		}, nil},
		{"bind keys", func(c *Config) {
			c.BindMethod, c.BindUser = "ntlm", ""
			c.Kerberos.Keytab = "/k"
		}, []string{
			`bind_dn: is for a simple bind; bind_method = "ntlm" uses bind_user ("DOMAIN\user")`,
			`bind_user: required with bind_method = "ntlm" ("DOMAIN\user" or user@domain)`,
			`kerberos: needs bind_method = "kerberos"`,
		}},
		{"kerberos keys", func(c *Config) { c.BindMethod = "kerberos"; c.Kerberos.Principal = "svc" }, []string{
			`bind_method: "kerberos" takes its keys from kerberos.keytab: unset bind_dn, bind_user and bind_password`,
			`kerberos.keytab: required with bind_method = "kerberos"`,
			`kerberos.principal: must be user@REALM, got "svc"`,
		}},
		{"bind method", func(c *Config) { c.BindMethod = "sasl" }, []string{`bind_method: must be "simple", "ntlm" or "kerberos", got "sasl"`}},
		{"bind_user with simple", func(c *Config) { c.BindUser = "x" }, []string{`bind_user: is for bind_method = "ntlm"`}},
		{"failover urls", func(c *Config) {
			c.URL, c.StartTLS = "ldaps://dc1.example.org", false
			c.FailoverURLs = []string{"ldaps://dc2.example.org", "ldap://127.0.0.1", "http://x"}
		}, []string{
			`failover_urls[1]: must use TLS when url does and not otherwise`,
			`failover_urls[2]: scheme must be ldap or ldaps, got "http"`,
		}},
		{"valid discovery", func(c *Config) {
			c.URL = ""
			c.Discover = DiscoverConfig{Domain: "corp.example.com", Site: "Default-First-Site-Name", DNSServer: "10.0.0.1:53"}
		}, nil},
		{"valid discovery of global catalogs over ldaps", func(c *Config) {
			c.URL, c.StartTLS = "", false
			c.Discover = DiscoverConfig{Domain: "corp.example.com.", Service: "gc", Scheme: "ldaps"}
		}, nil},
		{"discovery keys", func(c *Config) {
			c.FailoverURLs = []string{"ldap://dc2.example.org"}
			c.Discover = DiscoverConfig{Domain: "corp example", Site: "a.", Service: "kdc", Scheme: "ldapi", DNSServer: "10.0.0.1"}
		}, []string{
			"discover.domain: set either url (and failover_urls) or discover.domain, not both",
			`discover.domain: must be a DNS name like corp.example.com, got "corp example"`,
			`discover.site: must be an AD site name like Default-First-Site-Name, got "a."`,
			`discover.service: must be "dc", "ldap" or "gc", got "kdc"`,
			`discover.dns_server: must be host:port (10.0.0.1:53), got "10.0.0.1"`,
			`discover.scheme: must be "ldap" or "ldaps", got "ldapi"`,
		}},
		{"discovery over plain ldap", func(c *Config) {
			c.URL, c.StartTLS = "", false
			c.Discover = DiscoverConfig{Domain: "corp.example.com"}
		}, []string{"discover.scheme: plain ldap to the domain controllers found sends the bind password and every entry in clear text: " +
			`use scheme = "ldaps", or set start_tls = true, or set allow_insecure_ldap = true to accept it`}},
		{"discovery over ldaps with start_tls", func(c *Config) {
			c.URL = ""
			c.Discover = DiscoverConfig{Domain: "corp.example.com", Scheme: "ldaps"}
		}, []string{`start_tls: cannot be used with discover.scheme = "ldaps" (already TLS)`}},
		{"discovery with server_name or insecure_skip_verify", func(c *Config) {
			c.URL, c.StartTLS, c.ServerName, c.InsecureSkipVerify = "", false, "corp.example.com", true
			c.Discover = DiscoverConfig{Domain: "corp.example.com", Scheme: "ldaps"}
		}, []string{
			"server_name: cannot be used with discover.domain (each domain controller's certificate is checked against its own DNS name)",
			"insecure_skip_verify: cannot be used with discover.domain (DNS would choose the servers the bind password goes to, unverified)",
		}},
		{"discovery keys without a domain", func(c *Config) { c.Discover.Site = "HQ" }, []string{
			"discover.domain: required with the other discover keys"}},
		{"bad flavour", func(c *Config) { c.Flavour = "eDirectory" }, []string{`flavour: must be "ldap" or "ad", got "eDirectory"`}},
		{"ad keys without ad", func(c *Config) { c.AD.UserName = "userPrincipalName" }, []string{`ad: needs flavour = "ad"`}},
		{"attribute names", func(c *Config) {
			c.IDAttribute, c.Users.Attributes = "object GUID", []string{"cn", ""}
			c.Groups.MemberAttributes, c.Groups.NameAttribute = []string{"member;"}, "*"
		}, []string{
			`id_attribute: invalid attribute name "object GUID"`,
			`users.attributes: invalid attribute name ""`,
			`groups.member_attributes: invalid attribute name "member;"`,
			`groups.name_attribute: invalid attribute name "*"`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.set(&c)
			err := c.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want %q", tt.want)
			}
			got := strings.Split(err.Error(), "\n")
			if len(got) != len(tt.want) {
				t.Fatalf("Validate() =\n%v\nwant %d messages %q", err, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("message %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestConfigTOML(t *testing.T) {
	const doc = `
url = "ldaps://dc1.example.org"
ca_file = "/etc/idsync/ca.pem"
bind_dn = "CN=idsync,OU=Service,DC=example,DC=org"
bind_password = { env = "IDSYNC_LDAP_PASSWORD" }
timeout = "30s"
allow_insecure_ldap = false
page_size = 1000
id_attribute = "objectGUID"
use_member_of = false

[users]
base_dn = "OU=Staff,DC=example,DC=org"
filter = "(&(objectClass=user)(objectCategory=person))"
attributes = ["sAMAccountName", "mail"]

[groups]
base_dn = "OU=Groups,DC=example,DC=org"
member_attributes = ["member"]
`
	var c Config
	md, err := toml.Decode(doc, &c)
	if err != nil {
		t.Fatal(err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		t.Errorf("undecoded keys %v", u)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Timeout.Duration != 30*time.Second || c.BindPassword.Env != "IDSYNC_LDAP_PASSWORD" || c.UseMemberOf == nil || *c.UseMemberOf ||
		c.PageSize != 1000 || len(c.Users.Attributes) != 2 || c.Groups.MemberAttributes[0] != "member" {
		t.Errorf("decoded %+v", c)
	}
	d := Config{}.withDefaults()
	if d.Timeout.Duration != DefaultTimeout || d.PageSize != 250 || d.IDAttribute != "entryUUID" || !*d.UseMemberOf ||
		d.Users.Scope != "sub" || d.Users.Attributes[0] != "*" || d.Groups.NameAttribute != "cn" || len(d.Groups.MemberAttributes) != 2 {
		t.Errorf("defaults %+v", d)
	}
}

// TestConfigTimeoutNeedsUnit: `timeout = 30` was read as 30 nanoseconds.
func TestConfigTimeoutNeedsUnit(t *testing.T) {
	var c Config
	_, err := toml.Decode("timeout = 30\n", &c)
	if err == nil || !strings.Contains(err.Error(), "a duration needs a unit") {
		t.Errorf("timeout = 30: err = %v, want a duration needs a unit", err)
	}
}

func TestNewDoesNotLeakPassword(t *testing.T) {
	c := validConfig()
	c.BindPassword = secret.Ref{Env: "IDSYNC_TEST_LDAP_PW"}
	t.Setenv("IDSYNC_TEST_LDAP_PW", "hunter2")
	s, err := New(c, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	if s.password.Reveal() != "hunter2" {
		t.Fatal("password not loaded")
	}
	if out := fmt.Sprintf("%v %+v %#v", s, s, *s); strings.Contains(out, "hunter2") {
		t.Errorf("Source prints the password: %s", out)
	}
	c.BindPassword = secret.Ref{Env: "IDSYNC_TEST_LDAP_UNSET"}
	if _, err := New(c, quietLog()); err == nil || !strings.HasPrefix(err.Error(), "ldap: bind_password: environment variable IDSYNC_TEST_LDAP_UNSET") {
		t.Errorf("New with an unset variable: %v", err)
	}
}

package ldapsource

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/internal/loopback"
	"github.com/idsync/idsync/internal/secret"
)

// Defaults and limits of Config.
const (
	DefaultTimeout     = 60 * time.Second
	DefaultPageSize    = 250
	MaxPageSize        = 10000
	DefaultIDAttribute = "entryUUID"
	DefaultUserFilter  = "(objectClass=inetOrgPerson)"
	DefaultGroupFilter = "(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))"
)

// Config is the [source.ldap] section.
type Config struct {
	// Flavour is "ldap" (default) or "ad": Active Directory defaults for
	// the keys below left unset (see ad.go and docs/ad.md).
	Flavour string `toml:"flavour"`
	// URL of the server: ldap://host[:port] or ldaps://host[:port]
	// (an AD Global Catalog: port 3268, or 3269 with TLS).
	URL string `toml:"url"`
	// FailoverURLs are more servers (domain controllers) tried in order
	// when the one before cannot be reached; each is checked like url.
	// After a failover every connection stays on the server failed over
	// to until it fails in turn (see dcPin).
	FailoverURLs []string `toml:"failover_urls"`
	// Discover finds the servers in DNS instead (SRV records): url and
	// failover_urls are then left unset.
	Discover DiscoverConfig `toml:"discover"`
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool `toml:"start_tls"`
	// CAFile is a PEM bundle of the CAs to trust; the system roots when empty.
	CAFile string `toml:"ca_file"`
	// InsecureSkipVerify turns certificate verification off. Logged as a
	// warning; for tests only.
	InsecureSkipVerify bool `toml:"insecure_skip_verify"`
	// ServerName overrides the host name the certificate must match (SNI).
	ServerName string `toml:"server_name"`
	// BindMethod is "simple" (default: bind_dn and bind_password),
	// "ntlm" (bind_user and bind_password) or "kerberos" (a keytab, see
	// Kerberos).
	BindMethod string `toml:"bind_method"`
	// BindDN is the account to bind as; anonymous when empty.
	BindDN string `toml:"bind_dn"`
	// BindUser is the account of an NTLM bind: "DOMAIN\user" or
	// user@domain.
	BindUser string `toml:"bind_user"`
	// BindPassword says where the password of BindDN (or BindUser) is:
	// { file = "..." } or { env = "..." }.
	BindPassword secret.Ref `toml:"bind_password"`
	// Kerberos is the [source.ldap.kerberos] section of bind_method =
	// "kerberos".
	Kerberos KerberosConfig `toml:"kerberos"`
	// AllowInsecureLDAP permits an ldap:// URL to a host that is not
	// loopback without StartTLS: the bind password and every entry then
	// cross the network in clear text.
	AllowInsecureLDAP bool `toml:"allow_insecure_ldap"`
	// Timeout bounds connecting and each request (one page); default 60s.
	// A string with a unit ("30s"): a bare number is refused.
	Timeout duration.Duration `toml:"timeout"`
	// PageSize is the paged-results page size; default 250, at most 10000.
	// Entries are handed on one by one as they arrive, so the page size
	// only sets the number of round trips, not what memory holds.
	PageSize int `toml:"page_size"`
	// IDAttribute holds each person's stable identifier; default entryUUID.
	// objectGUID is read as binary and formatted as a GUID string.
	IDAttribute string `toml:"id_attribute"`
	// Users says where the people are.
	Users UserSearch `toml:"users"`
	// Groups says where the groups are; no groups are read without BaseDN.
	Groups GroupSearch `toml:"groups"`
	// UseMemberOf also takes each person's memberOf values as direct groups;
	// default true (harmless when the server has no memberOf).
	UseMemberOf *bool `toml:"use_member_of"`
	// References says what a search continuation reference (a pointer to
	// another naming context or server, which AD returns for a search
	// from the domain root) does: "ignore" logs each once per read and
	// reads on (the default with flavour = "ad"), "refuse" fails the
	// read (the default otherwise).
	References string `toml:"references"`
	// AD holds the settings of flavour = "ad".
	AD ADConfig `toml:"ad"`
}

// Values of Config.References.
const (
	ReferencesIgnore = "ignore"
	ReferencesRefuse = "refuse"
)

// UserSearch is the [source.ldap.users] section.
type UserSearch struct {
	// BaseDN to search under. Required.
	BaseDN string `toml:"base_dn"`
	// Filter selecting people; default (objectClass=inetOrgPerson).
	Filter string `toml:"filter"`
	// Scope is "sub" (default) or "one".
	Scope string `toml:"scope"`
	// Attributes to fetch; default "*" (all user attributes). The ID
	// attribute and memberOf are always added.
	Attributes []string `toml:"attributes"`
}

// GroupSearch is the [source.ldap.groups] section.
type GroupSearch struct {
	// BaseDN to search (subtree) for groups; empty: read no groups.
	BaseDN string `toml:"base_dn"`
	// Filter selecting groups; default DefaultGroupFilter.
	Filter string `toml:"filter"`
	// MemberAttributes list members; default member, uniqueMember.
	MemberAttributes []string `toml:"member_attributes"`
	// NameAttribute names the group; default cn.
	NameAttribute string `toml:"name_attribute"`
	// RangeSize asks for the values of the member attributes in chunks
	// of this many (member;range=0-N), the way Active Directory returns a
	// group larger than its MaxValRange (1500) anyway; 0 (default): as
	// the server returns them.
	RangeSize int `toml:"range_size"`
}

// withDefaults returns c with every unset field at its default.
func (c Config) withDefaults() Config {
	c = c.adDefaults()
	c.Discover = c.Discover.withDefaults()
	if c.Timeout.Duration == 0 {
		c.Timeout = duration.Of(DefaultTimeout)
	}
	if c.PageSize == 0 {
		c.PageSize = DefaultPageSize
	}
	if c.IDAttribute == "" {
		c.IDAttribute = DefaultIDAttribute
	}
	if c.Users.Filter == "" {
		c.Users.Filter = DefaultUserFilter
	}
	if c.Users.Scope == "" {
		c.Users.Scope = "sub"
	}
	if len(c.Users.Attributes) == 0 {
		c.Users.Attributes = []string{"*"}
	}
	if c.Groups.Filter == "" {
		c.Groups.Filter = DefaultGroupFilter
	}
	if len(c.Groups.MemberAttributes) == 0 {
		c.Groups.MemberAttributes = []string{"member", "uniqueMember"}
	}
	if c.Groups.NameAttribute == "" {
		c.Groups.NameAttribute = "cn"
	}
	if c.UseMemberOf == nil {
		t := true
		c.UseMemberOf = &t
	}
	if c.References == "" {
		c.References = ReferencesRefuse
	}
	return c
}

// Validate reports every problem at once (errors.Join), each message
// starting with its key relative to the section ("users.base_dn: required").
// It neither connects nor reads the password or CA file.
func (c *Config) Validate() error {
	d := c.withDefaults()
	var errs []error
	add := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf(key+": "+format, args...))
	}
	tls := d.validateDiscover(add)
	if !d.Discover.on() {
		tls = d.validateURL(add, "url", d.URL)
		for i, u := range d.FailoverURLs {
			key := fmt.Sprintf("failover_urls[%d]", i)
			n := len(errs)
			if d.validateURL(add, key, u) != tls && len(errs) == n {
				add(key, "must use TLS when url does and not otherwise (ldaps:// and start_tls apply to every URL)")
			}
		}
	}
	if !tls {
		tlsOnly := []struct {
			key string
			set bool
		}{
			{"ca_file", d.CAFile != ""},
			{"insecure_skip_verify", d.InsecureSkipVerify},
			{"server_name", d.ServerName != ""},
		}
		for _, o := range tlsOnly {
			if o.set {
				add(o.key, "needs a TLS connection (ldaps:// or start_tls = true)")
			}
		}
	}
	d.validateBind(add)
	if d.Timeout.Duration < 0 {
		add("timeout", "must be positive, got %s", d.Timeout)
	}
	if d.PageSize < 1 || d.PageSize > MaxPageSize {
		add("page_size", "must be between 1 and %d, got %d", MaxPageSize, d.PageSize)
	}
	checkAttr(add, "id_attribute", d.IDAttribute, false)

	if d.Users.BaseDN == "" {
		add("users.base_dn", "required")
	} else {
		checkDN(add, "users.base_dn", d.Users.BaseDN)
	}
	checkFilter(add, "users.filter", d.Users.Filter)
	if d.Users.Scope != "sub" && d.Users.Scope != "one" {
		add("users.scope", `must be "sub" or "one", got %q`, d.Users.Scope)
	}
	for _, a := range d.Users.Attributes {
		checkAttr(add, "users.attributes", a, true)
	}

	if d.Groups.BaseDN != "" {
		checkDN(add, "groups.base_dn", d.Groups.BaseDN)
	}
	checkFilter(add, "groups.filter", d.Groups.Filter)
	for _, a := range d.Groups.MemberAttributes {
		checkAttr(add, "groups.member_attributes", a, false)
	}
	checkAttr(add, "groups.name_attribute", d.Groups.NameAttribute, false)
	if d.Groups.RangeSize < 0 {
		add("groups.range_size", "must not be negative, got %d", d.Groups.RangeSize)
	}
	if d.References != ReferencesIgnore && d.References != ReferencesRefuse {
		add("references", `must be "ignore" or "refuse", got %q`, d.References)
	}
	d.validateAD(add)
	return errors.Join(errs...)
}

// validateURL checks one URL (under key) and start_tls and reports
// whether the connection will use TLS.
func (c Config) validateURL(add func(key, format string, args ...any), key, raw string) bool {
	if raw == "" {
		add(key, "required")
		return c.StartTLS
	}
	u, err := url.Parse(raw)
	if err != nil {
		add(key, "%v", err)
		return c.StartTLS
	}
	switch u.Scheme {
	case "ldap":
	case "ldaps":
		if c.StartTLS {
			add("start_tls", "cannot be used with ldaps:// (already TLS)")
		}
	default:
		add(key, "scheme must be ldap or ldaps, got %q", u.Scheme)
	}
	if u.Hostname() == "" {
		add(key, "missing host in %q", raw)
	}
	if u.Path != "" && u.Path != "/" || u.RawQuery != "" {
		add(key, "must not have a path or query (set users.base_dn instead)")
	}
	tls := u.Scheme == "ldaps" || c.StartTLS
	if u.Scheme == "ldap" && !tls && !c.AllowInsecureLDAP && u.Hostname() != "" && !loopback.Host(u.Hostname()) {
		add(key, "plain ldap:// to %s sends the bind password and every entry in clear text: "+
			"use ldaps://, or set start_tls = true, or set allow_insecure_ldap = true to accept it", u.Hostname())
	}
	return tls
}

func checkDN(add func(key, format string, args ...any), key, dn string) {
	if _, err := ldap.ParseDN(dn); err != nil {
		add(key, "invalid DN %q: %v", dn, err)
	}
}

func checkFilter(add func(key, format string, args ...any), key, f string) {
	if _, err := ldap.CompileFilter(f); err != nil {
		add(key, "%v", err)
	}
}

// checkAttr accepts an attribute description (name or OID, with
// ";options"); wild allows "*" and "+" as well.
func checkAttr(add func(key, format string, args ...any), key, name string, wild bool) {
	if wild && (name == "*" || name == "+") {
		return
	}
	ok := name != ""
	for _, part := range strings.Split(name, ";") {
		if part == "" {
			ok = false
		}
		for _, r := range part {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
				ok = false
			}
		}
	}
	if !ok {
		add(key, "invalid attribute name %q", name)
	}
}

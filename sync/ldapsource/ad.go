package ldapsource

import (
	"strings"

	"github.com/idsync/idsync/mapping"
)

// Flavours of directory (the flavour key).
const (
	// FlavourLDAP is a generic LDAP directory (OpenLDAP, 389 DS): the
	// default.
	FlavourLDAP = "ldap"
	// FlavourAD is Active Directory (or Samba's AD DC): objectGUID
	// identity, AD's person filter, primary groups, continuation
	// references ignored, and AD mapping defaults (MappingDefaults).
	FlavourAD = "ad"
)

// Active Directory defaults (flavour = "ad").
const (
	ADIDAttribute = "objectGUID"
	ADUserFilter  = "(&(objectCategory=person)(objectClass=user))"
	ADGroupFilter = "(objectClass=group)"
	// ADDisabled is the default disabled rule: the ACCOUNTDISABLE bit
	// (0x2) of userAccountControl, never "== 514", or accountExpires at
	// or before the run (0 and 0x7FFFFFFFFFFFFFFF mean never).
	ADDisabled = `bitSet(attr("userAccountControl"), 0x2) or adExpired(attr("accountExpires"))`
	// ADDisabledReason is the default disabled_reason: "disabled" for the
	// bit, "expired on DATE" (UTC) otherwise.
	ADDisabledReason = `bitSet(attr("userAccountControl"), 0x2) ? "disabled" : ` +
		`"expired on " + adTime(attr("accountExpires")).Format("2006-01-02")`
)

// ADConfig is the [source.ldap.ad] section: settings that only apply with
// flavour = "ad".
type ADConfig struct {
	// UserName is the attribute the default userName rule takes:
	// "sAMAccountName" (default) or "userPrincipalName".
	UserName string `toml:"user_name"`
	// PrimaryGroups adds each person's primary group (primaryGroupID,
	// e.g. Domain Users, which AD does not list in member or memberOf)
	// to their groups; default true. The group must be among the groups
	// read (groups.base_dn).
	PrimaryGroups *bool `toml:"primary_groups"`
}

func (c Config) isAD() bool { return strings.EqualFold(c.Flavour, FlavourAD) }

// adDefaults sets the Active Directory defaults of the fields still unset;
// withDefaults calls it before its own.
func (c Config) adDefaults() Config {
	if !c.isAD() {
		return c
	}
	if c.IDAttribute == "" {
		c.IDAttribute = ADIDAttribute
	}
	if c.Users.Filter == "" {
		c.Users.Filter = ADUserFilter
	}
	if c.Groups.Filter == "" {
		c.Groups.Filter = ADGroupFilter
	}
	if len(c.Groups.MemberAttributes) == 0 {
		c.Groups.MemberAttributes = []string{"member"}
	}
	if c.References == "" {
		c.References = ReferencesIgnore
	}
	if c.AD.UserName == "" {
		c.AD.UserName = "sAMAccountName"
	}
	if c.AD.PrimaryGroups == nil {
		t := true
		c.AD.PrimaryGroups = &t
	}
	return c
}

// primaryGroups reports whether primary groups are resolved.
func (c Config) primaryGroups() bool {
	return c.isAD() && c.AD.PrimaryGroups != nil && *c.AD.PrimaryGroups && c.Groups.BaseDN != ""
}

// validateAD checks the flavour and the [ad] keys.
func (c Config) validateAD(add func(key, format string, args ...any)) {
	switch strings.ToLower(c.Flavour) {
	case "", FlavourLDAP:
		if c.AD.UserName != "" || c.AD.PrimaryGroups != nil {
			add("ad", `needs flavour = "ad"`)
		}
		return
	case FlavourAD:
	default:
		add("flavour", `must be "ldap" or "ad", got %q`, c.Flavour)
		return
	}
	if !strings.EqualFold(c.AD.UserName, "sAMAccountName") && !strings.EqualFold(c.AD.UserName, "userPrincipalName") {
		add("ad.user_name", `must be "sAMAccountName" or "userPrincipalName", got %q`, c.AD.UserName)
	}
}

// MappingDefaults fills the rules of m that are unset with the flavour's
// defaults; a generic LDAP source has none. With flavour = "ad":
// attributes.userName is attr("sAMAccountName") (or userPrincipalName,
// see ad.user_name), attributes.externalId the objectGUID (id), disabled
// ADDisabled and disabled_reason ADDisabledReason. A rule the
// configuration sets is kept as it is: every default can be overridden.
func (c Config) MappingDefaults(m *mapping.Config) {
	d := c.withDefaults()
	if !d.isAD() {
		return
	}
	attrs := make(map[string]string, len(m.Attributes)+2)
	for k, v := range m.Attributes {
		attrs[k] = v
	}
	if _, ok := attrs["userName"]; !ok {
		attrs["userName"] = `attr("` + d.AD.UserName + `")`
	}
	if _, ok := attrs["externalId"]; !ok {
		attrs["externalId"] = "id"
	}
	m.Attributes = attrs
	if strings.TrimSpace(m.Disabled) == "" {
		m.Disabled = ADDisabled
		if strings.TrimSpace(m.DisabledReason) == "" {
			m.DisabledReason = ADDisabledReason
		}
	}
}

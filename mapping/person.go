package mapping

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strconv"
	"time"

	"github.com/idsync/idsync/targets"
)

// Person is what the rules make of one directory entry.
type Person struct {
	// SourceID is the entry's stable identifier (Entry.ID).
	SourceID string `json:"sourceId"`
	// DN is the entry's DN at the time of the read.
	DN string `json:"dn"`
	// InScope is the result of the scope rule. When false, nothing else is
	// mapped.
	InScope bool `json:"inScope"`
	// ScopeRule is, for a person a target's own scope left out, the key
	// of that rule ("target.scope"); "" otherwise (the [mapping] scope
	// decided).
	ScopeRule string `json:"scopeRule,omitempty"`
	// Disabled is the result of the disabled rule: the person is a leaver.
	Disabled bool `json:"disabled"`
	// StartDate and EndDate are the results of the start_date and
	// end_date rules (zero: none). Disabled is true before the start and
	// from the end on.
	StartDate time.Time `json:"startDate,omitzero"`
	EndDate   time.Time `json:"endDate,omitzero"`
	// Changed is when the directory last changed the entry, from its
	// modifyTimestamp (LDAP) or whenChanged (Active Directory) when the
	// source read one; zero otherwise. It is not part of Hash.
	Changed time.Time `json:"changed,omitzero"`
	// DisabledReason is the result of the disabled_reason rule for a
	// disabled person ("expired on 2024-01-31"); "" without that rule. It
	// is not part of Hash.
	DisabledReason string `json:"disabledReason,omitempty"`
	// Account is the desired account: Active is !Disabled; Attrs holds
	// every mapped path other than userName and externalId, with "" for
	// an attribute the entry has no value for (the target clears it).
	// It is the zero Account for an out-of-scope person.
	Account targets.Account `json:"account"`
	// Roles are the person's roles, sorted by name, each name once.
	Roles []Role `json:"roles,omitempty"`
}

// Role is one role a person has and why.
type Role struct {
	// Name of the role.
	Name string `json:"name"`
	// Reason names the rule that gave it and, for group memberships, the
	// group: `mapping.roles[1] when: attr("title") contains "Manager"`,
	// `mapping.roles[0] when: memberOf("Engineering"); member of
	// cn=Engineering,ou=groups,dc=example,dc=org (via
	// cn=Backend,ou=teams,dc=example,dc=org)` or
	// `mapping.group_roles[0]: member of cn=Backend,ou=teams,dc=example,dc=org
	// (via cn=Platform,ou=teams,dc=example,dc=org)`.
	Reason string `json:"reason"`
}

// RoleNames returns the names of p's roles, sorted.
func (p Person) RoleNames() []string {
	names := make([]string, len(p.Roles))
	for i, r := range p.Roles {
		names[i] = r.Name
	}
	return names
}

// Hash returns a stable digest of what idsync would push for p: InScope,
// Disabled, the account (userName, externalId, active and the attributes in
// path order) and the role names. It ignores the DN, the account ID and the
// reasons, and is the same across runs, platforms and releases unless this
// comment says otherwise. Format v1: the first 16 bytes, in hex, of the
// SHA-256 of length-prefixed fields ("<len>:<bytes>"): "idsync-person-v1",
// InScope, Disabled, UserName, ExternalID, Active, the number of attributes,
// each path and value in path order, the number of roles, each name sorted.
func (p Person) Hash() string {
	h := sha256.New()
	buf := make([]byte, 0, 256)
	field := func(s string) {
		buf = strconv.AppendInt(buf[:0], int64(len(s)), 10)
		buf = append(buf, ':')
		buf = append(buf, s...)
		h.Write(buf)
	}
	field("idsync-person-v1")
	field(strconv.FormatBool(p.InScope))
	field(strconv.FormatBool(p.Disabled))
	field(p.Account.UserName)
	field(p.Account.ExternalID)
	field(strconv.FormatBool(p.Account.Active))
	attrs := p.Account.Attrs.InOrder()
	field(strconv.Itoa(len(attrs)))
	for _, a := range attrs {
		field(a.Path)
		field(a.Value)
	}
	names := p.RoleNames()
	sort.Strings(names)
	field(strconv.Itoa(len(names)))
	for _, n := range names {
		field(n)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

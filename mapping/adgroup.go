package mapping

import (
	"fmt"
	"strconv"
	"strings"
)

// GroupType is what an Active Directory group's groupType says, in the
// words group_roles rules use: group.scope and group.kind. Both are empty
// for a group that has no groupType (a generic LDAP group, or a group
// named only in memberOf).
type GroupType struct {
	// Scope is "global", "domain-local" or "universal"; "" when none of
	// the scope bits is set.
	Scope string `json:",omitempty"`
	// Kind is "security" or "distribution".
	Kind string `json:",omitempty"`
	// BuiltIn is true for the groups the system creates
	// (CN=Builtin: Administrators, Users, ...).
	BuiltIn bool `json:",omitempty"`
}

// Bits of AD's groupType attribute (MS-ADTS 2.2.12).
const (
	groupTypeBuiltIn     = 0x1
	groupTypeGlobal      = 0x2
	groupTypeDomainLocal = 0x4
	groupTypeUniversal   = 0x8
	groupTypeSecurity    = 0x80000000
)

// Scopes and kinds of GroupType.
const (
	ScopeGlobal      = "global"
	ScopeDomainLocal = "domain-local"
	ScopeUniversal   = "universal"
	KindSecurity     = "security"
	KindDistribution = "distribution"
)

// ParseGroupType decodes the value of AD's groupType attribute: a signed
// 32-bit decimal integer ("-2147483646" is a global security group, "2" a
// global distribution group). An empty value gives the zero GroupType.
func ParseGroupType(s string) (GroupType, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return GroupType{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < -1<<31 || n > 1<<32-1 {
		return GroupType{}, fmt.Errorf("groupType %q is not a 32-bit integer", s)
	}
	bits := uint32(n)
	var t GroupType
	switch {
	case bits&groupTypeGlobal != 0:
		t.Scope = ScopeGlobal
	case bits&groupTypeDomainLocal != 0:
		t.Scope = ScopeDomainLocal
	case bits&groupTypeUniversal != 0:
		t.Scope = ScopeUniversal
	}
	t.Kind = KindDistribution
	if bits&groupTypeSecurity != 0 {
		t.Kind = KindSecurity
	}
	t.BuiltIn = bits&groupTypeBuiltIn != 0
	return t, nil
}

// GroupTypeOf returns the GroupType of a group entry from its groupType
// attribute; the zero GroupType when the entry has none or its value is
// not an integer (a directory that is not AD may use the name for
// something else).
func GroupTypeOf(e Entry) GroupType {
	t, _ := ParseGroupType(e.First("groupType"))
	return t
}

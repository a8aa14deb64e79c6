package mapping

import (
	"reflect"
	"strings"
	"testing"
)

// TestParseGroupType decodes the groupType values AD and Samba write.
func TestParseGroupType(t *testing.T) {
	tests := []struct {
		in   string
		want GroupType
		err  string
	}{
		{"", GroupType{}, ""},
		{"-2147483646", GroupType{Scope: ScopeGlobal, Kind: KindSecurity}, ""},                     // Domain Users
		{"-2147483644", GroupType{Scope: ScopeDomainLocal, Kind: KindSecurity}, ""},                // a domain-local security group
		{"-2147483643", GroupType{Scope: ScopeDomainLocal, Kind: KindSecurity, BuiltIn: true}, ""}, // BUILTIN\Administrators
		{"-2147483640", GroupType{Scope: ScopeUniversal, Kind: KindSecurity}, ""},                  // Enterprise Admins
		{"2", GroupType{Scope: ScopeGlobal, Kind: KindDistribution}, ""},
		{"4", GroupType{Scope: ScopeDomainLocal, Kind: KindDistribution}, ""},
		{" 8 ", GroupType{Scope: ScopeUniversal, Kind: KindDistribution}, ""},
		{"2147483656", GroupType{Scope: ScopeUniversal, Kind: KindSecurity}, ""}, // the same bits written unsigned
		{"-2147483648", GroupType{Kind: KindSecurity}, ""},                       // no scope bit
		{"global", GroupType{}, `groupType "global" is not a 32-bit integer`},
		{"4294967296", GroupType{}, `groupType "4294967296" is not a 32-bit integer`},
		{"-2147483649", GroupType{}, `groupType "-2147483649" is not a 32-bit integer`},
	}
	for _, tt := range tests {
		got, err := ParseGroupType(tt.in)
		if tt.err != "" {
			if err == nil || err.Error() != tt.err {
				t.Errorf("ParseGroupType(%q) error %v, want %s", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseGroupType(%q) = %+v, %v, want %+v", tt.in, got, err, tt.want)
		}
	}
}

// TestMapGroupScopeKind: group_roles rules read group.scope, group.kind
// and group.builtIn; the memberships Groups.Of returns carry the type of
// each group, nested ones included, and a group of unknown type has none.
func TestMapGroupScopeKind(t *testing.T) {
	m, err := Compile(Config{
		Attributes: map[string]string{"userName": `attr("uid")`},
		GroupRoles: []GroupRoleRule{
			{Match: `group.kind == "security" and group.scope == "global"`, Name: `"sec-" + group.name`},
			{Match: `group.kind == "distribution"`, Name: `"list-" + group.name + "-" + group.scope`},
			{Match: `group.builtIn`, Name: `"builtin-" + group.name`},
			{Match: `group.kind == ""`, Name: `"plain-" + group.name`},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	const (
		person = "cn=jdoe,ou=people,dc=example,dc=org"
		staff  = "cn=Staff,ou=groups,dc=example,dc=org"
		all    = "cn=All,ou=groups,dc=example,dc=org"
		admins = "cn=Administrators,cn=Builtin,dc=example,dc=org"
	)
	g := NewGroups()
	g.AddTyped(staff, "Staff", GroupType{Scope: ScopeGlobal, Kind: KindSecurity}, []string{person})
	g.AddTyped(all, "All", GroupType{Scope: ScopeUniversal, Kind: KindDistribution}, []string{staff})
	g.AddTyped(admins, "Administrators", GroupType{Scope: ScopeDomainLocal, Kind: KindSecurity, BuiltIn: true}, []string{person})
	e := testEntry(person, map[string][]string{"uid": {"jdoe"}})
	e.Groups = g.Of(person, []string{"cn=Old,ou=groups,dc=example,dc=org"})
	if c := e.Clone(); !reflect.DeepEqual(c.Groups, e.Groups) {
		t.Errorf("Clone lost the group types: %+v", c.Groups)
	}
	for range 2 { // the second from the group cache
		p, err := m.Map(e, testNow)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range p.Roles {
			names = append(names, r.Name)
		}
		want := "builtin-Administrators list-All-universal plain-Old sec-Staff"
		if got := strings.Join(names, " "); got != want {
			t.Errorf("roles %s, want %s", got, want)
		}
	}
}

package mapping

import (
	"fmt"
	"testing"
	"time"
)

// benchConfig is a realistic rule set: scope, disabled, ten attributes,
// three static roles and one group_roles rule.
var benchConfig = Config{
	Scope:    `attr("employeeType") in ["staff", "contractor"]`,
	Disabled: `bitSet(attr("userAccountControl"), 0x2) or adExpired(attr("accountExpires"))`,
	Attributes: map[string]string{
		"userName":        `lower(attr("uid")) + "@example.org"`,
		"externalId":      `id`,
		"displayName":     `default(attr("displayName"), attr("givenName") + " " + attr("sn"))`,
		"name.givenName":  `attr("givenName")`,
		"name.familyName": `attr("sn")`,
		"emails.work":     `lower(attr("mail"))`,
		"title":           `attr("title")`,
		"department":      `attr("departmentNumber")`,
		"employeeNumber":  `attr("employeeNumber")`,
		"userType":        `attr("employeeType") == "contractor" ? "Contractor" : "Employee"`,
	},
	Roles: []RoleRule{
		{Name: "engineering", When: `memberOf("cn=Engineering,ou=groups,dc=example,dc=org")`},
		{Name: "managers", When: `memberOf("managers") or attr("title") contains "Manager"`},
		{Name: "vpn", When: `directMemberOf("vpn-users")`},
	},
	GroupRoles: []GroupRoleRule{
		{Match: `group.dn endsWith ",ou=teams,ou=groups,dc=example,dc=org"`, Name: `"team-" + lower(group.name)`},
	},
}

func benchEntry(i int) Entry {
	return Entry{
		ID: fmt.Sprintf("6f1c2a4e-0000-4000-8000-%012d", i),
		DN: fmt.Sprintf("uid=user%d,ou=people,dc=example,dc=org", i),
		Attrs: AttrsOf(map[string][]string{
			"uid":                {fmt.Sprintf("user%d", i)},
			"cn":                 {"Jane Doe"},
			"givenname":          {"Jane"},
			"sn":                 {"Doe"},
			"displayname":        {"Jane Doe"},
			"mail":               {fmt.Sprintf("User%d@Example.org", i)},
			"title":              {"Engineering Manager"},
			"departmentnumber":   {"Engineering"},
			"employeenumber":     {fmt.Sprint(10000 + i)},
			"employeetype":       {"staff"},
			"useraccountcontrol": {"512"},
			"accountexpires":     {"9223372036854775807"},
			"telephonenumber":    {"+44 20 7946 0000"},
		}),
		Groups: []Membership{
			{DN: "cn=Backend,ou=teams,ou=groups,dc=example,dc=org", Name: "Backend"},
			{DN: "cn=vpn-users,ou=groups,dc=example,dc=org", Name: "vpn-users"},
			{DN: "cn=managers,ou=groups,dc=example,dc=org", Name: "managers"},
			{DN: "cn=Platform,ou=teams,ou=groups,dc=example,dc=org", Name: "Platform",
				Via: []string{"cn=Backend,ou=teams,ou=groups,dc=example,dc=org"}},
			{DN: "cn=Engineering,ou=groups,dc=example,dc=org", Name: "Engineering",
				Via: []string{"cn=Backend,ou=teams,ou=groups,dc=example,dc=org", "cn=Platform,ou=teams,ou=groups,dc=example,dc=org"}},
		},
	}
}

func BenchmarkMap(b *testing.B) {
	m, err := Compile(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]Entry, 1000)
	for i := range entries {
		entries[i] = benchEntry(i)
	}
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p, err := m.Map(entries[i%len(entries)], now)
		if err != nil || len(p.Roles) != 5 {
			b.Fatalf("%v %+v", err, p.Roles)
		}
	}
}

func BenchmarkMapParallel(b *testing.B) {
	m, err := Compile(benchConfig)
	if err != nil {
		b.Fatal(err)
	}
	e := benchEntry(1)
	now := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := m.Map(e, now); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkCompile(b *testing.B) {
	for i := 0; i < b.N; i++ {
		if _, err := Compile(benchConfig); err != nil {
			b.Fatal(err)
		}
	}
}

package mapping

import (
	"testing"
)

// FuzzCompile checks that no expression text makes Compile panic, and that
// a rule that compiles never makes Map panic.
func FuzzCompile(f *testing.F) {
	seeds := []string{
		`attr("uid")`,
		`lower(attr("mail")) + "@example.org"`,
		`memberOf("cn=Engineering,ou=groups,dc=example,dc=org") or attr("title") contains "Manager"`,
		`bitSet(attr("userAccountControl"), 0x2) or adExpired(attr("accountExpires"))`,
		`dnValue(dn, "ou") in ["people", "staff"]`,
		`generalizedTime(attr("createTimestamp")) < now`,
		`join(filter(groups, # startsWith "team-"), ",")`,
		`default(attr("displayName"), rdn(dn))`,
		`let x = attrs("mail"); len(x) > 0 ? x[0] : ""`,
		`group.name`,
		`map(1..1000000, # * 2)`,
		`repeat("x", 100000000)`,
		`attr(`,
		`"\u00e9" matches "(a+)+$"`,
		`$env.id`,
		`now()`,
		`1/0`,
		`fromJSON(attr("x"))`,
		``,
	}
	for _, s := range seeds {
		f.Add(s)
	}
	entry := jdoe()
	f.Fuzz(func(t *testing.T, src string) {
		cfgs := []Config{
			{Scope: src, Attributes: map[string]string{"userName": `attr("uid")`}},
			{Attributes: map[string]string{"userName": src}},
			{Attributes: map[string]string{"userName": `attr("uid")`},
				Roles: []RoleRule{{Name: "r", When: src}}},
			{Attributes: map[string]string{"userName": `attr("uid")`},
				GroupRoles: []GroupRoleRule{{Match: src, Name: src}}},
		}
		for _, cfg := range cfgs {
			m, err := Compile(cfg)
			if err != nil {
				continue
			}
			// Run-time errors are fine; panics are not (the test fails).
			_, _ = m.Map(entry, testNow)
		}
	})
}

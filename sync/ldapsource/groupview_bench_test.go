package ldapsource

import (
	"fmt"
	"testing"
)

// BenchmarkMembershipsAfterChange is what a group change costs
// ReadChanges in a directory of 100,000 people in 1,000 groups: a person
// moves from one group to another (two groups put into a copy of the
// cache, as changedGroups does), and their groups are worked out.
// "rebuild" builds the index of every group again (as before the index
// was kept across changes); "kept" answers around the changed groups.
func BenchmarkMembershipsAfterChange(b *testing.B) {
	const people, groups = 100_000, 1000
	personDN := func(i int) string { return fmt.Sprintf("uid=user%06d,ou=people,dc=example,dc=org", i) }
	groupDN := func(g int) string { return fmt.Sprintf("cn=group%04d,ou=groups,dc=example,dc=org", g) }
	base := newGroupCache()
	for g := 0; g < groups; g++ {
		cg := &cachedGroup{dn: groupDN(g), id: fmt.Sprint("gid-", g), name: fmt.Sprint("group", g)}
		for p := g; p < people; p += groups {
			cg.members = append(cg.members, personDN(p))
		}
		base.put(cg)
	}
	base.groups()
	for _, mode := range []string{"rebuild", "kept"} {
		b.Run(mode, func(b *testing.B) {
			c := base
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				p := (i * 7919) % people
				from, to := p%groups, (p+1+i)%groups
				next := c.clone()
				for _, g := range []int{from, to} {
					old := next.byKey[groupDN(g)]
					cg := &cachedGroup{dn: old.dn, id: old.id, name: old.name}
					for _, m := range old.members {
						if m != personDN(p) {
							cg.members = append(cg.members, m)
						}
					}
					if g == to {
						cg.members = append(cg.members, personDN(p))
					}
					next.put(cg)
				}
				var of groupsOf
				if mode == "kept" {
					of = next.memberships()
				} else {
					of = next.groups()
				}
				if got := of.Of(personDN(p), nil); len(got) == 0 && from != to {
					b.Fatalf("person %d: no groups", p)
				}
				c = next
			}
		})
	}
}

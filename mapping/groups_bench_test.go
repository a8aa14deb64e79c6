package mapping

import (
	"fmt"
	"testing"
)

// benchGroups builds the group layout of the 100k benchmark directory
// (cmd/idsync-bench): 1000 groups, each person in one to three of them,
// some groups nested two deep; people carry memberOf for direct groups.
func benchGroups(people, groups int) (*Groups, []string, [][]string) {
	groupDN := func(g int) string { return fmt.Sprintf("cn=group%04d,ou=groups,dc=example,dc=org", g) }
	userDN := func(i int) string { return fmt.Sprintf("uid=user%06d,ou=people,dc=example,dc=org", i) }
	members := make([][]string, groups)
	dns := make([]string, people)
	memberOf := make([][]string, people)
	for i := 0; i < people; i++ {
		dns[i] = userDN(i)
		gs := []int{i % groups}
		if i%3 >= 1 && (i*7+3)%groups != gs[0] {
			gs = append(gs, (i*7+3)%groups)
		}
		if i%3 == 2 {
			gs = append(gs, (i*13+5)%groups)
		}
		for _, g := range gs {
			members[g] = append(members[g], dns[i])
			memberOf[i] = append(memberOf[i], groupDN(g))
		}
	}
	g := NewGroups()
	for i := 0; i < groups; i++ {
		m := members[i]
		if i%10 == 1 || i%10 == 2 {
			m = append(m, groupDN(i-1))
		}
		g.Add(groupDN(i), fmt.Sprintf("group%04d", i), m)
	}
	return g, dns, memberOf
}

func BenchmarkGroupsOf(b *testing.B) {
	g, dns, memberOf := benchGroups(100000, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		i := n % len(dns)
		if len(g.Of(dns[i], memberOf[i])) == 0 {
			b.Fatal("no groups")
		}
	}
}

// BenchmarkGroupsAdd indexes the groups of the 100k benchmark directory:
// 1000 groups with about 200,000 member DNs.
func BenchmarkGroupsAdd(b *testing.B) {
	_, _, _ = benchGroups(1, 1) // warm up fmt
	groupDN := func(g int) string { return fmt.Sprintf("cn=group%04d,ou=groups,dc=example,dc=org", g) }
	members := make([][]string, 1000)
	for i := 0; i < 100000; i++ {
		dn := fmt.Sprintf("uid=user%06d,ou=people,dc=example,dc=org", i)
		for _, g := range []int{i % 1000, (i*7 + 3) % 1000, (i*13 + 5) % 1000}[:1+i%3] {
			members[g] = append(members[g], dn)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for n := 0; n < b.N; n++ {
		g := NewGroups()
		for i, m := range members {
			g.Add(groupDN(i), "", m)
		}
		if g.Len() != 1000 {
			b.Fatal(g.Len())
		}
	}
}

package ldapsource

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/idsync/idsync/mapping"
)

// TestMembershipsAfterChanges changes groups of a cache one at a time
// (members in and out, nested groups, renames, deletions) and checks
// that every person's groups, with the memberOf values a server would
// send, are what an index of every group built afresh says.
func TestMembershipsAfterChanges(t *testing.T) {
	const people, groups = 300, 40
	rng := rand.New(rand.NewPCG(1, 2))
	personDN := func(i int) string { return fmt.Sprintf("uid=p%02d,ou=People,dc=x", i) }
	groupDN := func(i, gen int) string {
		if gen%2 == 1 { // a rename changes the DN's case and spacing too
			return fmt.Sprintf("CN=G%02d-%d, ou=Groups,dc=x", i, gen)
		}
		return fmt.Sprintf("cn=g%02d-%d,ou=groups,dc=x", i, gen)
	}
	gen := make([]int, groups)
	randomGroup := func(i int) *cachedGroup {
		g := &cachedGroup{dn: groupDN(i, gen[i]), id: fmt.Sprint("gid-", i), name: fmt.Sprint("g", i)}
		for p := 0; p < people; p++ {
			if rng.IntN(5) == 0 {
				g.members = append(g.members, personDN(p))
			}
		}
		if sub := rng.IntN(groups); sub != i && rng.IntN(2) == 0 { // nesting, cycles allowed
			g.members = append(g.members, groupDN(sub, gen[sub]))
		}
		if rng.IntN(4) == 0 {
			g.members = append(g.members, "cn=Not A Group,dc=elsewhere")
		}
		return g
	}
	c := newGroupCache()
	for i := 0; i < groups; i++ {
		c.put(randomGroup(i))
	}
	c.groups()
	checked := 0
	for step := 0; step < 100; step++ {
		i := rng.IntN(groups)
		switch rng.IntN(6) {
		case 0:
			c.removeID(fmt.Sprint("gid-", i))
		case 1:
			gen[i]++ // renamed
			c.put(randomGroup(i))
		default:
			c.put(randomGroup(i))
		}
		fresh := &groupCache{byKey: c.byKey, byID: c.byID}
		want := fresh.groups()
		got := c.memberships()
		if _, ok := got.(*changedGroups); ok {
			checked++
			if again := c.memberships(); again != got {
				t.Fatalf("step %d: a second read with no group changed did not reuse the first one's work", step)
			}
		}
		direct := map[string][]string{} // person key -> DNs of the groups listing them
		for _, g := range c.byKey {
			for _, m := range g.members {
				k := mapping.NormalizeDN(m)
				direct[k] = append(direct[k], g.dn)
			}
		}
		for p := 0; p < people; p++ {
			var memberOf []string // as a server sends it: some of the groups, some unknown
			for _, dn := range direct[mapping.NormalizeDN(personDN(p))] {
				if rng.IntN(3) > 0 {
					memberOf = append(memberOf, dn)
				}
			}
			if rng.IntN(8) == 0 {
				memberOf = append(memberOf, "cn=unknown,ou=groups,dc=x")
			}
			w, g := want.Of(personDN(p), memberOf), got.Of(personDN(p), memberOf)
			if !reflect.DeepEqual(w, g) {
				t.Fatalf("step %d, person %d: groups\n %+v\nwant\n %+v", step, p, g, w)
			}
		}
		if step%20 == 19 {
			c.groups() // as once too many groups changed
		}
	}
	if checked < 50 {
		t.Errorf("%d of 100 steps checked around changed groups; the rest rebuilt the index", checked)
	}
}

package mapping

import (
	"fmt"
	"reflect"
	"testing"
)

func TestNormalizeDN(t *testing.T) {
	tests := []struct{ in, want string }{
		{"uid=jdoe,ou=people,dc=example,dc=org", "uid=jdoe,ou=people,dc=example,dc=org"},
		{"UID=JDoe, OU=People , DC=Example,DC=org", "uid=jdoe,ou=people,dc=example,dc=org"},
		{"cn = Sales ; o=Example", "cn=sales,o=example"},
		{`CN=Doe\, Jane,OU=Staff`, `cn=doe\, jane,ou=staff`},
		{`cn=a\\,ou=b`, `cn=a\\,ou=b`},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeDN(tt.in); got != tt.want {
			t.Errorf("NormalizeDN(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestGroupsOf(t *testing.T) {
	const (
		eng      = "cn=Engineering,ou=groups,dc=example,dc=org"
		backend  = "cn=Backend,ou=teams,ou=groups,dc=example,dc=org"
		platform = "cn=Platform,ou=teams,ou=groups,dc=example,dc=org"
		vpn      = "cn=vpn-users,ou=groups,dc=example,dc=org"
		loopA    = "cn=A,ou=groups,dc=example,dc=org"
		loopB    = "cn=B,ou=groups,dc=example,dc=org"
		person   = "uid=jdoe,ou=people,dc=example,dc=org"
		other    = "uid=other,ou=people,dc=example,dc=org"
	)
	g := NewGroups()
	g.Add(eng, "Engineering", []string{"CN=Backend, OU=Teams,ou=groups,dc=example,dc=org"})
	g.Add(backend, "Backend", []string{platform, other})
	g.Add(platform, "", []string{"UID=JDOE,ou=people,dc=example,dc=org"})
	g.Add(vpn, "vpn-users", []string{person})
	g.Add(loopA, "A", []string{loopB, person})
	g.Add(loopB, "B", []string{loopA})
	if g.Len() != 6 {
		t.Fatalf("Len() = %d, want 6", g.Len())
	}
	got := g.Of(person, []string{"CN=Domain Admins,CN=Users,DC=example,DC=org", "cn=vpn-users,ou=groups,dc=example,dc=org"})
	want := []Membership{
		{DN: platform, Name: "Platform"},
		{DN: vpn, Name: "vpn-users"},
		{DN: loopA, Name: "A"},
		{DN: "CN=Domain Admins,CN=Users,DC=example,DC=org", Name: "Domain Admins"},
		{DN: backend, Name: "Backend", Via: []string{platform}},
		{DN: loopB, Name: "B", Via: []string{loopA}},
		{DN: eng, Name: "Engineering", Via: []string{platform, backend}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Of() =\n%+v\nwant\n%+v", got, want)
	}
	if got := g.Of("uid=nobody,dc=example,dc=org", nil); len(got) != 0 {
		t.Errorf("Of(nobody) = %+v, want none", got)
	}
	// Via slices are not shared between memberships.
	ms := g.Of(other, nil)
	if len(ms) != 2 || ms[1].DN != eng || !reflect.DeepEqual(ms[1].Via, []string{backend}) {
		t.Fatalf("Of(other) = %+v", ms)
	}
}

// TestGroupsOfManyGroups covers a person in more groups than the linear
// seen-scan handles, with every group also reachable through nesting.
func TestGroupsOfManyGroups(t *testing.T) {
	g := NewGroups()
	const n = 50
	for i := 0; i < n; i++ {
		members := []string{"uid=ann,ou=people,dc=x"}
		if i > 0 {
			members = append(members, fmt.Sprintf("cn=g%02d,dc=x", i-1)) // g(i-1) is nested in g(i)
		}
		g.Add(fmt.Sprintf("cn=g%02d,dc=x", i), "", members)
	}
	got := g.Of("uid=ann,ou=people,dc=x", []string{"cn=g07,dc=x", "CN=G08,DC=X"})
	if len(got) != n {
		t.Fatalf("%d memberships, want %d (each group once)", len(got), n)
	}
	seen := map[string]bool{}
	for _, m := range got {
		if seen[m.DN] {
			t.Errorf("%s listed twice", m.DN)
		}
		seen[m.DN] = true
		if len(m.Via) != 0 {
			t.Errorf("%s: via %v, want a direct membership", m.DN, m.Via)
		}
	}
}

// A group read twice (two group bases that overlap) keeps its nesting, and
// a group added after an Of call is seen by the next Of.
func TestGroupsOfAddedTwiceAndLate(t *testing.T) {
	const (
		inner  = "cn=inner,ou=groups,dc=x"
		outer  = "cn=outer,ou=groups,dc=x"
		person = "uid=ann,ou=people,dc=x"
	)
	g := NewGroups()
	g.Add(inner, "inner", []string{person})
	g.Add(inner, "inner", []string{person})
	g.Add(outer, "outer", []string{inner})
	want := []Membership{{DN: inner, Name: "inner"}, {DN: outer, Name: "outer", Via: []string{inner}}}
	if got := g.Of(person, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("Of() = %+v, want %+v", got, want)
	}
	const top = "cn=top,ou=groups,dc=x"
	g.Add(top, "top", []string{outer})
	want = append(want, Membership{DN: top, Name: "top", Via: []string{inner, outer}})
	if got := g.Of(person, nil); !reflect.DeepEqual(got, want) {
		t.Errorf("Of() after a late Add = %+v, want %+v", got, want)
	}
}

// TestGroupsOfOwned: what Of returns is the caller's; changing it changes
// nothing Of returns later, nor the memberOf values passed in.
func TestGroupsOfOwned(t *testing.T) {
	g := NewGroups()
	g.Add("cn=top,dc=x", "top", []string{"cn=mid,dc=x"})
	g.Add("cn=mid,dc=x", "mid", []string{"uid=a,dc=x"})
	memberOf := []string{"cn=outside,dc=y"}
	want := g.Of("uid=a,dc=x", memberOf)
	got := g.Of("uid=a,dc=x", memberOf)
	for i := range got {
		got[i].DN, got[i].Name = "changed", "changed"
		for k := range got[i].Via {
			got[i].Via[k] = "changed"
		}
	}
	if again := g.Of("uid=a,dc=x", memberOf); !reflect.DeepEqual(again, want) || memberOf[0] != "cn=outside,dc=y" {
		t.Errorf("Of after changing an earlier result = %+v, want %+v", again, want)
	}
	if len(want) != 3 || len(want[2].Via) != 1 {
		t.Errorf("Of = %+v, want mid, outside, top via mid", want)
	}
}

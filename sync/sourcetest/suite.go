// Package sourcetest is the conformance suite every sync.Source passes
// (like targets/targetstest for targets). A source's own tests call Run
// with a function that loads Fixture into the source under test: an LDIF
// file for the LDIF source, a real slapd for the LDAP source.
package sourcetest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
)

// Run runs the suite. newSource returns a source that reads the people of
// ldif (Fixture) under PeopleDN, the groups under GroupsDN, with entryUUID
// as the ID attribute. It is called once per subtest.
func Run(t *testing.T, newSource func(t *testing.T, ldif string) sync.Source) {
	s := &suite{newSource: newSource}
	t.Run("EveryPersonOnce", s.everyPersonOnce)
	t.Run("IDsStable", s.idsStable)
	t.Run("Groups", s.groups)
	t.Run("EntriesOwnedByCaller", s.entriesOwned)
	t.Run("FnErrorStopsRead", s.fnErrorStops)
	t.Run("Cancelled", s.cancelled)
}

type suite struct {
	newSource func(t *testing.T, ldif string) sync.Source
}

// readAll reads every entry of src, keeping them as delivered.
func readAll(t *testing.T, src sync.Source) []mapping.Entry {
	t.Helper()
	var got []mapping.Entry
	if err := src.Read(context.Background(), func(e mapping.Entry) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("Read: %v", err)
	}
	return got
}

// byID indexes entries by ID, failing on a repeated ID.
func byID(t *testing.T, entries []mapping.Entry) map[string]mapping.Entry {
	t.Helper()
	m := make(map[string]mapping.Entry, len(entries))
	for _, e := range entries {
		if _, dup := m[e.ID]; dup {
			t.Errorf("ID %q delivered twice", e.ID)
		}
		m[e.ID] = e
	}
	return m
}

// everyPersonOnce: each person once, with its ID, DN and lower-case
// attribute names; the account is left out.
func (s *suite) everyPersonOnce(t *testing.T) {
	got := byID(t, readAll(t, s.newSource(t, Fixture)))
	if len(got) != len(people) {
		t.Errorf("read %d people, want %d: %v", len(got), len(people), slices.Sorted(keys(got)))
	}
	for _, p := range people {
		e, ok := got[p.id]
		if !ok {
			t.Errorf("%s (ID %s) not delivered", p.uid, p.id)
			continue
		}
		if mapping.NormalizeDN(e.DN) != mapping.NormalizeDN(p.dn) {
			t.Errorf("%s: DN %q, want %q", p.uid, e.DN, p.dn)
		}
		if e.First("uid") != p.uid || !slices.Equal(e.Values("mail"), []string{p.mail}) || e.First("entryuuid") != p.id {
			t.Errorf("%s: attributes %v", p.uid, e.Attrs)
		}
		for _, a := range e.Attrs {
			if a.Name != strings.ToLower(a.Name) {
				t.Errorf("%s: attribute name %q is not lower-case", p.uid, a.Name)
			}
		}
	}
}

func keys(m map[string]mapping.Entry) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// idsStable: two reads give every person the same ID and DN.
func (s *suite) idsStable(t *testing.T) {
	src := s.newSource(t, Fixture)
	first, second := byID(t, readAll(t, src)), byID(t, readAll(t, src))
	if len(first) != len(second) {
		t.Fatalf("first read %d people, second %d", len(first), len(second))
	}
	for id, e := range first {
		if f, ok := second[id]; !ok || f.DN != e.DN {
			t.Errorf("ID %s: %q in the first read, %q in the second", id, e.DN, f.DN)
		}
	}
}

// groups: direct and nested memberships, with Via naming the groups a
// nested one goes through; none for a person in no group.
func (s *suite) groups(t *testing.T) {
	got := byID(t, readAll(t, s.newSource(t, Fixture)))
	for _, p := range people {
		e := got[p.id]
		if have, want := groupsString(e.Groups), wantGroups(p); have != want {
			t.Errorf("%s: groups\n got %s\nwant %s", p.uid, have, want)
		}
	}
}

// groupsString prints memberships with normalised DNs, in order.
func groupsString(ms []mapping.Membership) string {
	var b strings.Builder
	for _, m := range ms {
		fmt.Fprintf(&b, "%s (%s)", mapping.NormalizeDN(m.DN), strings.ToLower(m.Name))
		for _, v := range m.Via {
			b.WriteString(" via " + mapping.NormalizeDN(v))
		}
		b.WriteString("; ")
	}
	return b.String()
}

func wantGroups(p person) string {
	var ms []mapping.Membership
	for _, g := range p.groups {
		m := mapping.Membership{DN: groupDN(g.name), Name: g.name}
		for _, v := range g.via {
			m.Via = append(m.Via, groupDN(v))
		}
		ms = append(ms, m)
	}
	return groupsString(ms)
}

package ldapsource

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// changes is what one ReadChanges delivered: each person's groups by ID,
// and the IDs covered.
type changes struct {
	groups  map[string][]string
	titles  map[string]string
	covered []string
	full    bool
}

func readChanges(t *testing.T, s *Source, ids, groups []string) changes {
	t.Helper()
	got := changes{groups: map[string][]string{}, titles: map[string]string{}}
	covered, full, err := s.ReadChanges(context.Background(), ids, groups, func(e mapping.Entry) error {
		if _, dup := got.groups[e.ID]; dup {
			t.Errorf("%s delivered twice", e.ID)
		}
		names := []string{}
		for _, g := range e.Groups {
			names = append(names, g.Name)
		}
		slices.Sort(names)
		got.groups[e.ID] = names
		if v := e.Attrs.Get("title"); len(v) > 0 {
			got.titles[e.ID] = v[0]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(covered)
	got.covered, got.full = slices.Compact(covered), full
	return got
}

func sortedIDs(ids ...string) []string {
	slices.Sort(ids)
	return slices.Compact(ids)
}

// TestReadChanges reads only what changes touch, on a real slapd: changed
// and deleted people by ID, and the people who joined or left a changed,
// deleted or renamed group (nested groups included), with memberships
// resolved from the groups the last full read kept.
func TestReadChanges(t *testing.T) {
	t.Parallel()
	// 30 people in 10 groups; group 0 is in group 1, group 1 in group 2.
	srv := generated(t, 30, 10)
	admin := srv.Conn(t)
	cfg := testConfig(t, srv)
	off := false
	cfg.UseMemberOf = &off // memberships from the group entries only
	cfg.Users.Attributes = []string{"uid", "title"}
	s := newTestSource(t, cfg)
	if got := readChanges(t, s, []string{slapdtest.UserUUID(1)}, nil); !got.full {
		t.Fatalf("without KeepGroups: %+v, want full", got)
	}
	s.KeepGroups()
	if got := readChanges(t, s, []string{slapdtest.UserUUID(1)}, nil); !got.full {
		t.Fatalf("before a full read: %+v, want full", got)
	}
	if err := s.Read(context.Background(), func(mapping.Entry) error { return nil }); err != nil {
		t.Fatal(err)
	}

	// A changed person and a deleted one, by ID.
	modify(t, admin, slapdtest.UserDN(1), func(m *ldap.ModifyRequest) { m.Replace("title", []string{"Boss"}) })
	if err := admin.Del(ldap.NewDelRequest(slapdtest.UserDN(2), nil)); err != nil {
		t.Fatal(err)
	}
	got := readChanges(t, s, []string{slapdtest.UserUUID(1), slapdtest.UserUUID(2)}, nil)
	if got.full || len(got.groups) != 1 || got.titles[slapdtest.UserUUID(1)] != "Boss" {
		t.Fatalf("people by ID: %+v", got)
	}
	if want := sortedIDs(slapdtest.UserUUID(1), slapdtest.UserUUID(2)); !slices.Equal(got.covered, want) {
		t.Errorf("covered = %v, want %v", got.covered, want)
	}

	// user10 leaves group0 (so group1 and group2 through nesting, unless
	// another group gives them); user1 joins group5. Nobody else's
	// memberships change, so nobody else is read.
	modify(t, admin, slapdtest.GroupDN(0), func(m *ldap.ModifyRequest) { m.Delete("member", []string{slapdtest.UserDN(10)}) })
	modify(t, admin, slapdtest.GroupDN(5), func(m *ldap.ModifyRequest) { m.Add("member", []string{slapdtest.UserDN(1)}) })
	got = readChanges(t, s, nil, []string{slapdtest.GroupDN(0), slapdtest.GroupDN(5)})
	if want := sortedIDs(slapdtest.UserUUID(1), slapdtest.UserUUID(10)); !slices.Equal(got.covered, want) {
		t.Fatalf("group changes covered %v, want %v", got.covered, want)
	}
	if g := got.groups[slapdtest.UserUUID(10)]; slices.Contains(g, "group0000") || slices.Contains(g, "group0002") {
		t.Errorf("user10 still in group0 or its parents: %v", g)
	}
	if g := got.groups[slapdtest.UserUUID(1)]; !slices.Contains(g, "group0005") {
		t.Errorf("user1 not in group5: %v", g)
	}
	// The same changes again: the groups are known now, nobody is read.
	if again := readChanges(t, s, nil, []string{slapdtest.GroupDN(0)}); len(again.groups) != 0 || again.full {
		t.Errorf("group0 again: %+v, want nobody", again)
	}

	// A renamed person keeps their groups: the server rewrites the
	// groups' member values (refint) without reporting it as a change of
	// the groups.
	if err := admin.ModifyDN(ldap.NewModifyDNRequest(slapdtest.UserDN(12), "uid=renamed12", true, "")); err != nil {
		t.Fatal(err)
	}
	got = readChanges(t, s, []string{slapdtest.UserUUID(12)}, nil)
	if g := got.groups[slapdtest.UserUUID(12)]; !slices.Contains(g, "group0002") {
		t.Errorf("renamed user12's groups = %v, want group0002 still", g)
	}

	// A deleted group, named by its ID: its members lose it.
	members := func(g int) []string {
		var ids []string
		for i := range 30 {
			if i != 2 && slices.Contains(slapdtest.UserGroups(i, 10), g) {
				ids = append(ids, slapdtest.UserUUID(i))
			}
		}
		return ids
	}
	// A group changed without its members, named by its ID only (as an
	// Active Directory DirSync round reports it: the changed attributes,
	// no objectClass): its members keep it. Renamed that way, they get
	// its new name.
	modify(t, admin, slapdtest.GroupDN(6), func(m *ldap.ModifyRequest) { m.Replace("description", []string{"edited"}) })
	got = readChanges(t, s, []string{slapdtest.GroupUUID(6)}, nil)
	for id, g := range got.groups {
		if !slices.Contains(g, "group0006") {
			t.Errorf("%s lost group6 when only its description changed: %v", id, g)
		}
	}
	if err := admin.ModifyDN(ldap.NewModifyDNRequest(slapdtest.GroupDN(6), "cn=renamed6", true, "")); err != nil {
		t.Fatal(err)
	}
	got = readChanges(t, s, []string{slapdtest.GroupUUID(6)}, nil)
	if want := sortedIDs(append(members(6), slapdtest.GroupUUID(6))...); !slices.Equal(got.covered, want) {
		t.Fatalf("group6 renamed, by ID: covered %v, want %v", got.covered, want)
	}
	for id, g := range got.groups {
		if !slices.Contains(g, "renamed6") || slices.Contains(g, "group0006") {
			t.Errorf("%s groups after group6's rename, by ID: %v", id, g)
		}
	}

	if err := admin.Del(ldap.NewDelRequest(slapdtest.GroupDN(7), nil)); err != nil {
		t.Fatal(err)
	}
	got = readChanges(t, s, []string{slapdtest.GroupUUID(7)}, nil)
	if want := sortedIDs(append(members(7), slapdtest.GroupUUID(7))...); !slices.Equal(got.covered, want) {
		t.Fatalf("group7 deleted: covered %v, want %v", got.covered, want)
	}
	for id, g := range got.groups {
		if slices.Contains(g, "group0007") {
			t.Errorf("%s still in deleted group7: %v", id, g)
		}
	}

	// A renamed group: every member's group name changes.
	if err := admin.ModifyDN(ldap.NewModifyDNRequest(slapdtest.GroupDN(4), "cn=renamed", true, "")); err != nil {
		t.Fatal(err)
	}
	newDN := "cn=renamed," + slapdtest.GroupsDN
	got = readChanges(t, s, nil, []string{newDN})
	if want := sortedIDs(members(4)...); !slices.Equal(got.covered, want) {
		t.Fatalf("group4 renamed: covered %v, want %v", got.covered, want)
	}
	for id, g := range got.groups {
		if !slices.Contains(g, "renamed") || slices.Contains(g, "group0004") {
			t.Errorf("%s groups after the rename: %v", id, g)
		}
	}
}

func TestUnder(t *testing.T) {
	tests := []struct {
		dn, base string
		one      bool
		want     bool
	}{
		{"uid=a,ou=People,dc=x", "ou=people,dc=x", false, true},
		{"uid=a,ou=sub,ou=People,dc=x", "ou=people,dc=x", false, true},
		{"uid=a,ou=sub,ou=People,dc=x", "ou=people,dc=x", true, false},
		{"uid=a\\,b,ou=People,dc=x", "ou=people,dc=x", true, true},
		{"ou=People,dc=x", "ou=people,dc=x", false, true},
		{"ou=People,dc=x", "ou=people,dc=x", true, false},
		{"uid=a,ou=Other,dc=x", "ou=people,dc=x", false, false},
		{"uid=a,xou=people,dc=x", "ou=people,dc=x", false, false},
	}
	for _, tt := range tests {
		if got := under(tt.dn, tt.base, tt.one); got != tt.want {
			t.Errorf("under(%q, %q, %v) = %v, want %v", tt.dn, tt.base, tt.one, got, tt.want)
		}
	}
}

func TestGUIDFilterValue(t *testing.T) {
	c := newConverter("objectGUID")
	raw := []byte{0x1b, 0x9a, 0x4d, 0x2c, 0x5e, 0x3f, 0x6b, 0x4a, 0x8c, 0x7d, 0x0e, 0x1f, 0x2a, 0x3b, 0x4c, 0x5d}
	s, err := formatGUID(raw)
	if err != nil {
		t.Fatal(err)
	}
	v, err := c.filterValue(s)
	if err != nil {
		t.Fatal(err)
	}
	if back, err := parseGUID(s); err != nil || string(back) != string(raw) {
		t.Fatalf("parseGUID(%s) = %x, %v", s, back, err)
	}
	if !strings.HasPrefix(v, `\1b\9a\4d\2c`) || len(v) != 48 {
		t.Errorf("filterValue = %s", v)
	}
	if _, err := c.filterValue("not-a-guid"); err == nil {
		t.Error("filterValue accepted a bad GUID")
	}
	if v, _ := newConverter("entryUUID").filterValue("a*b"); v != `a\2ab` {
		t.Errorf("entryUUID filter value = %s", v)
	}
}

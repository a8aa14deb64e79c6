package ldapsource

import (
	"slices"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
)

// TestADGroupScopeKind: with flavour = "ad" every group a person is in
// carries the scope and kind its groupType says, and group_roles rules
// select groups by them: the seed's global, domain-local and universal
// security groups, its distribution list, and the built-in Users group.
func TestADGroupScopeKind(t *testing.T) {
	cfg := adConfig(t, sambatest.Shared(t))
	mc := mapping.Config{GroupRoles: []mapping.GroupRoleRule{
		{Match: `group.kind == "security" and group.scope == "global"`, Name: `"global:" + group.name`},
		{Match: `group.kind == "security" and group.scope == "universal"`, Name: `"universal:" + group.name`},
		{Match: `group.scope == "domain-local" and not group.builtIn`, Name: `"local:" + group.name`},
		{Match: `group.kind == "distribution"`, Name: `"list:" + group.name`},
		{Match: `group.builtIn`, Name: `"builtin:" + group.name`},
	}}
	cfg.MappingDefaults(&mc)
	m, err := mapping.Compile(mc)
	if err != nil {
		t.Fatal(err)
	}
	got := adRead(t, cfg)
	want := map[string][]string{
		"uac.normal":  {"builtin:Users", "global:Domain Users", "global:Engineering", "local:Local Admins", "universal:All Staff"},
		"name.umlaut": {"builtin:Users", "global:Domain Users", "list:Newsletter"},
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	for sam, roles := range want {
		p, err := m.Map(got[sam], now)
		if err != nil {
			t.Fatalf("%s: %v", sam, err)
		}
		var names []string
		for _, r := range p.Roles {
			names = append(names, r.Name)
		}
		slices.Sort(names)
		if !slices.Equal(names, roles) {
			t.Errorf("%s: roles %v, want %v (groups %+v)", sam, names, roles, got[sam].Groups)
		}
	}
}

// TestADWatchGroupType: a distribution list made a security group on the
// DC reaches its members' roles through DirSync and an incremental run:
// the group's type is part of what the watcher compares. The role already
// has a group in the target (Backend gives it), so the run can stay
// incremental.
func TestADWatchGroupType(t *testing.T) {
	s := startDirSyncDC(t)
	p := newADPipeline(t, s, adConfig(t, s), mapping.Config{Scope: `has("mail")`,
		GroupRoles: []mapping.GroupRoleRule{{
			Match: `group.kind == "security" and group.scope == "global" and group.name in ["Newsletter", "Backend"]`,
			Name:  `"secure"`}}})
	if p.memberships("name.umlaut")["secure"] {
		t.Fatal("name.umlaut has the role while Newsletter is a distribution list")
	}
	p.follow(nil)
	p.next("the first event (full)")
	p.modify(sambatest.GroupDN("Newsletter"), func(r *ldap.ModifyRequest) {
		r.Replace("groupType", []string{"-2147483646"}) // global security
	})
	p.until("Newsletter made a security group", func() bool {
		return p.memberships("name.umlaut")["secure"] && p.memberships("name.cjk")["secure"]
	})
}

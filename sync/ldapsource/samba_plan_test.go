package ldapsource

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
	idstate "github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/sambatest"
	"github.com/idsync/idsync/targets"
)

// adPeople reads s with the AD defaults and maps everyone at now.
func adPeople(t *testing.T, cfg Config, m *mapping.Mapper, now time.Time) []mapping.Person {
	t.Helper()
	entries, err := readAll(t, cfg)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	people := make([]mapping.Person, 0, len(entries))
	for _, e := range entries {
		p, err := m.Map(e, now)
		if err != nil {
			t.Fatal(err)
		}
		people = append(people, p)
	}
	return people
}

// TestADPlanDayTwo: a full plan against Samba after the day-2 changes an
// AD admin makes: rename (CN) and OU move are movers (the objectGUID
// stays), disable and expire are leavers with their own reasons, a deleted
// person and one who left scope are leavers, and a nested-group
// restructure shows in the groups read.
func TestADPlanDayTwo(t *testing.T) {
	s := sambatest.Start(t)
	cfg := adConfig(t, s)
	mc := mapping.Config{Scope: `has("mail")`}
	cfg.MappingDefaults(&mc)
	m, err := mapping.Compile(mc)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)

	// Day 1: everyone wanted has an active account linked.
	var links []idstate.PlanLink
	var accounts []targets.Account
	for _, p := range adPeople(t, cfg, m, now) {
		if !p.InScope || p.Disabled {
			continue
		}
		a := p.Account
		a.ID, a.Active = "acct-"+p.SourceID, true
		accounts = append(accounts, a)
		links = append(links, idstate.PlanLink{SourceID: p.SourceID, TargetID: a.ID, UserName: a.UserName, DN: p.DN, Active: true})
	}

	c := s.Conn(t)
	dn := func(n int) string { return sambatest.UserDN(sambatest.StaffCN(n), sambatest.StaffOU(n)) }
	modify := func(target string, f func(*ldap.ModifyRequest)) {
		t.Helper()
		req := ldap.NewModifyRequest(target, nil)
		f(req)
		if err := c.Modify(req); err != nil {
			t.Fatalf("modify %s: %v", target, err)
		}
	}
	if err := c.ModifyDN(ldap.NewModifyDNRequest(dn(10), "CN=Person Ten", true, "")); err != nil {
		t.Fatal(err)
	}
	if err := c.ModifyDN(ldap.NewModifyDNRequest(dn(11), "CN="+sambatest.StaffCN(11), true, sambatest.AmericasDN)); err != nil {
		t.Fatal(err)
	}
	modify(dn(12), func(r *ldap.ModifyRequest) { r.Replace("userAccountControl", []string{"546"}) })
	modify(dn(13), func(r *ldap.ModifyRequest) {
		r.Replace("accountExpires", []string{sambatest.FileTime(sambatest.Expired)})
	})
	if err := c.Del(ldap.NewDelRequest(dn(14), nil)); err != nil {
		t.Fatal(err)
	}
	modify(dn(15), func(r *ldap.ModifyRequest) { r.Delete("mail", nil) })
	modify(sambatest.GroupDN("Engineering"), func(r *ldap.ModifyRequest) {
		r.Delete("member", []string{sambatest.GroupDN("Backend")})
	})

	people := adPeople(t, cfg, m, now)
	plan := sync.BuildPlan(sync.Input{Target: "app", Now: now, People: people, Links: links, Accounts: accounts,
		Managed: m.AttributePaths(), Rule: m.Rule})
	got := map[string]sync.Change{}
	for _, ch := range plan.Changes {
		got[ch.UserName] = ch
	}
	want := map[string]struct {
		kind   sync.Kind
		reason string
	}{
		"user010": {sync.Mover, ""},
		"user011": {sync.Mover, ""},
		"user012": {sync.Leaver, "disabled"}, // not "disabled in the source (mapping.disabled = ...)"
		"user013": {sync.Leaver, "expired on 2020-01-31"},
		"user014": {sync.Leaver, "gone from the source"},
		"user015": {sync.Leaver, "out of scope"},
	}
	for user, w := range want {
		ch, ok := got[user]
		if !ok {
			t.Errorf("%s: no change planned", user)
			continue
		}
		if ch.Kind != w.kind || !strings.Contains(strings.Join(ch.Reasons, "; "), w.reason) ||
			w.reason == "disabled" && strings.Contains(strings.Join(ch.Reasons, "; "), "in the source") {
			t.Errorf("%s: %s %q, want %s %q", user, ch.Kind, ch.Reasons, w.kind, w.reason)
		}
	}
	if len(plan.Changes) != len(want) {
		for _, ch := range plan.Changes {
			if _, ok := want[ch.UserName]; !ok {
				t.Errorf("unexpected change: %s %s %q", ch.Kind, ch.UserName, ch.Reasons)
			}
		}
	}
	if ch := got["user010"]; ch.PreviousDN == "" || !strings.HasPrefix(ch.DN, "CN=Person Ten,") {
		t.Errorf("rename: DN %q, previous %q", ch.DN, ch.PreviousDN)
	}
	if ch := got["user011"]; !strings.HasSuffix(ch.DN, sambatest.AmericasDN) || !strings.HasSuffix(ch.PreviousDN, sambatest.StaffOU(11)) {
		t.Errorf("move: DN %q, previous %q", ch.DN, ch.PreviousDN)
	}
	reasons := map[string]string{}
	for _, p := range people {
		if p.Disabled {
			reasons[p.Account.UserName] = p.DisabledReason
		}
	}
	if reasons["user012"] != "disabled" || reasons["user013"] != "expired on "+sambatest.Expired.Format("2006-01-02") {
		t.Errorf("disabled reasons: user012 %q, user013 %q", reasons["user012"], reasons["user013"])
	}
	// Backend left Engineering: user001 (Backend) is no longer in
	// Engineering or All Staff; user002 (Frontend) still is.
	byUser := map[string][]string{}
	for _, e := range mustRead(t, cfg) {
		byUser[e.First("samaccountname")] = groupNames(e)
	}
	if g := fmt.Sprint(byUser["user001"]); strings.Contains(g, "Engineering") || strings.Contains(g, "All Staff") {
		t.Errorf("user001 after the restructure: %s", g)
	}
	if g := fmt.Sprint(byUser["user002"]); !strings.Contains(g, "Engineering") || !strings.Contains(g, "All Staff") {
		t.Errorf("user002 after the restructure: %s", g)
	}
}

func mustRead(t *testing.T, cfg Config) []mapping.Entry {
	t.Helper()
	entries, err := readAll(t, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

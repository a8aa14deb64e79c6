package main

import (
	"context"
	"os"
	"sort"
	"strings"
	"testing"

	"github.com/go-ldap/ldap/v3"

	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
	"github.com/idsync/idsync/sync/ldif"
	"github.com/idsync/idsync/targets"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

const (
	people = "ou=people,dc=example,dc=org"
	teams  = "ou=teams,ou=groups,dc=example,dc=org"
	groups = "ou=groups,dc=example,dc=org"
)

// TestEndToEndSCIMMY runs the sample organisation through idsync against a
// real slapd and SCIMMY: day 1 (everyone joins), then the day-2 changes made
// with LDAP operations, plus an account created by hand in the target.
func TestEndToEndSCIMMY(t *testing.T) {
	slapd := slapdtest.Start(t, slapdtest.WithLDIFFile("../../testdata/sample/day1.ldif"))
	url, token := scimtest.StartSCIMMY(t)
	e := newEnv(t, slapd, url, token, "")

	// Day 1: every in-scope, enabled person is a joiner.
	p := e.plan()
	if got := len(byKind(p, sync.Joiner)); got != 124 || len(p.Changes) != 124 {
		t.Fatalf("day 1: %d joiners in %d changes, want 124 and 124", got, len(p.Changes))
	}
	e.mustIdsync(exitChanges, "plan", "--exit-code")
	e.mustIdsync(exitOK, "apply")
	users := e.users()
	if len(users) != 124 {
		t.Fatalf("day 1: SCIMMY has %d users, want 124", len(users))
	}
	if u := users["dokafor"]; !u.Active || u.Attrs.Get("department") != "Sales" || u.Attrs.Get("emails.work") == "" {
		t.Errorf("dokafor on day 1 = %+v", u)
	}
	m := e.members()
	for _, c := range []struct{ group, user string }{
		{"dept-sales", "dokafor"}, {"team-emea", "dokafor"}, {"vpn", "mlopez"}, {"dept-finance", "bcarter"},
	} {
		if !m[c.group][c.user] {
			t.Errorf("day 1: %s not in %s", c.user, c.group)
		}
	}
	e.mustIdsync(exitOK, "plan", "--exit-code") // converged
	mlopezID := users["mlopez"].ID

	// Day 2, as a directory admin would do it.
	day2(t, slapd)
	if _, err := e.client().Create(context.Background(), targets.Account{UserName: "temp.auditor", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"displayName": "Temporary Auditor"})}); err != nil {
		t.Fatal(err)
	}

	p = e.plan()
	want := map[sync.Kind][]string{
		sync.Joiner: {"create pnatarajan"},
		sync.Mover:  {"update dokafor", "update mkeller", "update spatel", "update tsilva"},
		sync.Leaver: {"disable bcarter", "disable ogrant"},
		sync.Orphan: {"report temp.auditor"},
	}
	for k, w := range want {
		got := byKind(p, k)
		sort.Strings(got)
		if strings.Join(got, ",") != strings.Join(w, ",") {
			t.Errorf("day 2 %s: %v, want %v", k, got, w)
		}
	}
	for _, c := range p.Changes {
		switch c.UserName {
		case "mkeller":
			if c.PreviousDN != "uid=mlopez,"+people || c.TargetID != mlopezID {
				t.Errorf("rename: %+v, want previous DN of mlopez and the same account", c)
			}
		case "dokafor":
			if len(c.RolesAdded) != 2 || len(c.RolesRemoved) != 2 {
				t.Errorf("department move roles: +%v -%v", c.RolesAdded, c.RolesRemoved)
			}
		case "bcarter":
			if !strings.Contains(strings.Join(c.Reasons, " "), "gone from the source") {
				t.Errorf("bcarter reasons: %v", c.Reasons)
			}
		}
	}
	e.mustIdsync(exitOK, "apply")

	users = e.users()
	if len(users) != 126 {
		t.Errorf("day 2: SCIMMY has %d users, want 126", len(users))
	}
	if _, ok := users["mlopez"]; ok {
		t.Error("mlopez still exists after the rename")
	}
	if u := users["mkeller"]; u.ID != mlopezID || u.Attrs.Get("name.familyName") != "Keller" {
		t.Errorf("renamed account = %+v, want id %s and family name Keller", u, mlopezID)
	}
	for name, active := range map[string]bool{"bcarter": false, "ogrant": false, "pnatarajan": true, "temp.auditor": true, "tsilva": true} {
		if u, ok := users[name]; !ok || u.Active != active {
			t.Errorf("%s: exists %v, active %v; want active %v", name, ok, u.Active, active)
		}
	}
	if users["tsilva"].Attrs.Get("userType") != "Employee" || users["spatel"].Attrs.Get("title") != "Senior Software Engineer" {
		t.Errorf("movers not updated: tsilva %v, spatel %v", users["tsilva"].Attrs, users["spatel"].Attrs)
	}
	m = e.members()
	for _, c := range []struct {
		group, user string
		in          bool
	}{
		{"dept-marketing", "dokafor", true}, {"team-growth", "dokafor", true}, {"dept-sales", "dokafor", false},
		{"team-emea", "dokafor", false}, {"vpn", "pnatarajan", true}, {"team-frontend", "pnatarajan", true},
		{"dept-finance", "bcarter", false}, {"team-brand", "ogrant", false}, {"vpn", "mkeller", true},
	} {
		if m[c.group][c.user] != c.in {
			t.Errorf("day 2: %s in %s = %v, want %v", c.user, c.group, !c.in, c.in)
		}
	}
	all := e.audit(0)
	for prefix, n := range map[string]int{"joiner/create": 125, "leaver/disable ": 2, "mover/update ": 4, "joiner/create pnatarajan": 1} {
		if got := count(all, prefix); got != n {
			t.Errorf("audit has %d %q rows, want %d", got, prefix, n)
		}
	}
	if count(all, "orphan/") != 0 {
		t.Error("the orphan was acted on")
	}
	if out := e.mustIdsync(exitOK, "plan", "--exit-code"); !strings.Contains(out, "No changes") {
		t.Errorf("after day 2 the plan is not empty:\n%s", tail(out))
	}
}

// day2 makes the sample's day-2 changes with LDAP operations.
func day2(t *testing.T, s *slapdtest.Server) {
	t.Helper()
	c := s.Conn(t)
	do := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("day 2: %s: %v", what, err)
		}
	}
	mod := func(dn string, f func(r *ldap.ModifyRequest)) {
		r := ldap.NewModifyRequest(dn, nil)
		f(r)
		do("modify "+dn, c.Modify(r))
	}
	// Joiner: the new hire's entry from day2.ldif (without the entryUUID
	// slapd assigns itself).
	add := ldap.NewAddRequest("uid=pnatarajan,"+people, nil)
	f, err := os.Open("../../testdata/sample/day2.ldif")
	do("open day2.ldif", err)
	defer f.Close()
	do("parse day2.ldif", ldif.Parse(f, func(r ldif.Record) error {
		if r.DN == add.DN {
			for _, a := range r.Attrs {
				if !strings.EqualFold(a.Name, "entryUUID") {
					add.Attribute(a.Name, a.Values)
				}
			}
		}
		return nil
	}))
	do("add joiner", c.Add(add))
	mod("cn=Frontend,"+teams, func(r *ldap.ModifyRequest) { r.Add("member", []string{add.DN}) })
	mod("cn=vpn-users,"+groups, func(r *ldap.ModifyRequest) { r.Add("member", []string{add.DN}) })
	// Department move.
	mod("uid=dokafor,"+people, func(r *ldap.ModifyRequest) { r.Replace("departmentNumber", []string{"Marketing"}) })
	mod("cn=EMEA,"+teams, func(r *ldap.ModifyRequest) { r.Delete("member", []string{"uid=dokafor," + people}) })
	mod("cn=Growth,"+teams, func(r *ldap.ModifyRequest) { r.Add("member", []string{"uid=dokafor," + people}) })
	// Rename (refint rewrites the member values).
	do("rename", c.ModifyDN(ldap.NewModifyDNRequest("uid=mlopez,"+people, "uid=mkeller", true, "")))
	mod("uid=mkeller,"+people, func(r *ldap.ModifyRequest) {
		r.Replace("sn", []string{"Keller"})
		r.Replace("cn", []string{"Maria Keller"})
		r.Replace("displayName", []string{"Maria Keller"})
		r.Replace("mail", []string{"maria.keller@example.org"})
	})
	// OU move: a contractor becomes staff.
	do("move", c.ModifyDN(ldap.NewModifyDNRequest("uid=tsilva,ou=contractors,"+people, "uid=tsilva", true, people)))
	mod("uid=tsilva,"+people, func(r *ldap.ModifyRequest) { r.Replace("employeeType", []string{"staff"}) })
	// Title change.
	mod("uid=spatel,"+people, func(r *ldap.ModifyRequest) { r.Replace("title", []string{"Senior Software Engineer"}) })
	// Leavers: one deleted (refint drops the memberships), one disabled.
	do("delete", c.Del(ldap.NewDelRequest("uid=bcarter,"+people, nil)))
	mod("uid=ogrant,"+people, func(r *ldap.ModifyRequest) { r.Replace("employeeType", []string{"disabled"}) })
}

package ldapsource

import (
	"context"
	"fmt"
	"slices"
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

// TestADDayTwo: the day-2 changes an AD admin makes (rename, OU move, move
// out of the users' base, out of the mapping's scope, disable, expiry,
// delete, rehire with the same sAMAccountName, a nested-group
// restructure) reach two SCIM targets from the same day 1: A through DirSync and incremental runs, B through one
// full run. Both plan the same kinds with their reasons, write audit rows
// for them, and end with the same users, groups and members; a full plan
// afterwards finds nothing to do on either.
func TestADDayTwo(t *testing.T) {
	s := startDirSyncDC(t)
	cfg := adConfig(t, s)
	cfg.Users.BaseDN = sambatest.CorpDN // CN=Users is out of scope
	mc := func() mapping.Config {
		return mapping.Config{Scope: `has("mail")`, Attributes: map[string]string{"title": `attr("title")`},
			Roles: []mapping.RoleRule{
				{Name: "engineering", When: `memberOf("Engineering")`},
				{Name: "sales", When: `memberOf("Sales")`},
				{Name: "backend", When: `memberOf("Backend")`},
			}}
	}
	a := newADPipeline(t, s, cfg, mc())
	b := newADPipeline(t, s, cfg, mc())
	a.follow(nil)
	a.next("the first event (full)")
	day2 := time.Now()
	sam := sambatest.StaffSAM
	day1 := map[string]targets.Account{"A": a.users()[sam(14)], "B": b.users()[sam(14)]}
	deletedID := day1["A"].ExternalID

	// A person of Backend: the restructure moves Backend from Engineering
	// to Sales.
	backend := 9
	if !strings.Contains(sambatest.StaffOU(backend), "Backend") {
		t.Fatalf("%s is not in Backend", sam(backend))
	}
	if in := a.memberships(sam(backend)); !in["engineering"] || in["sales"] {
		t.Fatalf("day 1: %s in %v", sam(backend), in)
	}

	c := a.c
	if err := c.ModifyDN(ldap.NewModifyDNRequest(staffDN(10), "CN=Person Ten", true, "")); err != nil {
		t.Fatal(err)
	}
	if err := c.ModifyDN(ldap.NewModifyDNRequest(staffDN(11), "CN="+sambatest.StaffCN(11), true, sambatest.AmericasDN)); err != nil {
		t.Fatal(err)
	}
	a.modify(staffDN(12), func(r *ldap.ModifyRequest) { r.Replace("userAccountControl", []string{"546"}) })
	a.modify(staffDN(13), func(r *ldap.ModifyRequest) {
		r.Replace("accountExpires", []string{sambatest.FileTime(sambatest.Expired)})
	})
	if err := c.Del(ldap.NewDelRequest(staffDN(14), nil)); err != nil {
		t.Fatal(err)
	}
	if err := c.ModifyDN(ldap.NewModifyDNRequest(staffDN(15), "CN="+sambatest.StaffCN(15), true, "CN=Users,"+sambatest.BaseDN)); err != nil {
		t.Fatal(err)
	}
	a.modify(staffDN(16), func(r *ldap.ModifyRequest) { r.Delete("mail", nil) })
	a.modify(sambatest.GroupDN("Engineering"), func(r *ldap.ModifyRequest) {
		r.Delete("member", []string{sambatest.GroupDN("Backend")})
	})
	a.modify(sambatest.GroupDN("Sales"), func(r *ldap.ModifyRequest) {
		r.Add("member", []string{sambatest.GroupDN("Backend")})
	})

	// A: wait for every change above, then the rehire (made once the
	// deleted person's account is disabled, as an admin would the next day).
	var changesA []sync.Change
	fullA := 0
	waitA := func(what string, cond func() bool) {
		t.Helper()
		for {
			out := a.next(what)
			if out == nil || len(out.Plans) != 1 {
				t.Fatalf("%s: outcome %+v", what, out)
			}
			if out.Plans[0].Incremental == nil {
				fullA++
				t.Logf("%s: a full run in place of an incremental one", what)
			}
			changesA = append(changesA, out.Plans[0].Changes...)
			if cond() {
				return
			}
		}
	}
	waitA("the day-2 changes", func() bool {
		u := a.users()
		for _, n := range []int{12, 13, 14, 15, 16} {
			if u[sam(n)].Active {
				return false
			}
		}
		in := a.memberships(sam(backend))
		return !in["engineering"] && in["sales"] && planned(changesA, sam(10), sync.Mover) && planned(changesA, sam(11), sync.Mover)
	})
	if fullA > 0 {
		t.Errorf("%d full runs for the day-2 changes before the rehire, want none", fullA)
	}
	if _, err := s.Tool("user", "create", sam(14), "R3hire-Passw0rd!", "--mail-address="+sam(14)+"@example.org",
		"--userou=OU=People,OU=Corp"); err != nil {
		t.Fatal(err)
	}
	// The incremental pass hands a joiner whose userName is linked to
	// someone else to a full run, which plans the rehire.
	waitA("the rehire", func() bool {
		u := a.users()[sam(14)]
		return u.Active && u.ExternalID != deletedID
	})

	// B: one full run over all of it.
	out, err := b.r.Run(context.Background(), sync.Options{})
	if err != nil {
		t.Fatalf("B's full run: %v", err)
	}
	changesB := out.Plans[0].Changes

	want := map[string]struct {
		kind    sync.Kind
		reasons []string // one of them, in A's or B's plan
	}{
		sam(10): {sync.Mover, nil},
		sam(11): {sync.Mover, nil},
		sam(12): {sync.Leaver, []string{"disabled"}},
		sam(13): {sync.Leaver, []string{"expired on " + sambatest.Expired.Format("2006-01-02")}},
		sam(14): {sync.Leaver, []string{"deleted", "gone from the source"}},
		sam(15): {sync.Leaver, []string{"gone from the source"}}, // out of the users' base: not read
		sam(16): {sync.Leaver, []string{"out of scope"}},         // no mail
	}
	for path, changes := range map[string][]sync.Change{"incremental": changesA, "full": changesB} {
		for user, w := range want {
			if !planned(changes, user, w.kind, w.reasons...) {
				t.Errorf("%s: no %s %s with a reason of %q; planned %s", path, w.kind, user, w.reasons, describe(changes, user))
			}
		}
		if ch := find(changes, sam(10), sync.Mover); ch != nil && (!strings.HasPrefix(ch.DN, "CN=Person Ten,") || ch.PreviousDN == "") {
			t.Errorf("%s: rename DN %q, previous %q", path, ch.DN, ch.PreviousDN)
		}
		if ch := find(changes, sam(11), sync.Mover); ch != nil && !strings.HasSuffix(ch.DN, sambatest.AmericasDN) {
			t.Errorf("%s: move DN %q", path, ch.DN)
		}
	}

	// Audit: every day-2 write recorded, none failed, the same kinds on both.
	kindsA, kindsB := auditKinds(t, a.store, day2), auditKinds(t, b.store, day2)
	for user, w := range want {
		for name, kinds := range map[string]map[string][]string{"A": kindsA, "B": kindsB} {
			if !slices.Contains(kinds[user], string(w.kind)) {
				t.Errorf("audit %s: %s has %v, want %s", name, user, kinds[user], w.kind)
			}
		}
	}
	for name, kinds := range map[string]map[string][]string{"A": kindsA, "B": kindsB} {
		if !slices.Contains(kinds[sam(14)], string(sync.Rehire)) {
			t.Errorf("audit %s: %s has %v, want a rehire", name, sam(14), kinds[sam(14)])
		}
		for _, g := range []string{"engineering", "sales"} { // group rows are by group name
			if !slices.Contains(kinds[g], "group") {
				t.Errorf("audit %s: no group change of %s recorded for the restructure", name, g)
			}
		}
		if !slices.Contains(kinds[sam(backend)], string(sync.Mover)) {
			t.Errorf("audit %s: %s has %v, want a mover (its roles changed)", name, sam(backend), kinds[sam(backend)])
		}
	}
	// B plans the returning user014 as a joiner: the create is refused
	// (the userName is taken by the account its leaver change just
	// disabled) and the account is rehired, as the rehire is applied. A
	// saw the account disabled first and planned the rehire.
	if f := kindsA["not applied"]; len(f) > 0 {
		t.Errorf("audit A: writes not applied: %v", f)
	}
	if f := kindsB["not applied"]; len(f) > 1 || len(f) == 1 && f[0] != "refused joiner create "+sam(14) {
		t.Errorf("audit B: writes not applied: %v", f)
	}

	// Both targets end in the same state, the one wanted.
	stateA, stateB := a.snapshot(), b.snapshot()
	if d := diffLines(stateA, stateB); d != "" {
		t.Errorf("A (incremental) and B (full) differ:\n%s", d)
	}
	for name, p := range map[string]*adPipeline{"A": a, "B": b} {
		if u := p.users()[sam(14)]; u.ExternalID == deletedID || !u.Active || u.ID != day1[name].ID {
			t.Errorf("rehire on %s: %+v, want the day-1 account %s with a new externalId", name, u, day1[name].ID)
		}
	}
	if in := a.memberships(sam(backend)); in["engineering"] || !in["sales"] || !in["backend"] {
		t.Errorf("%s after the restructure: %v", sam(backend), in)
	}
	for _, p := range []*adPipeline{a, b} {
		out, err := p.r.Run(context.Background(), sync.Options{DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range out.Plans[0].Changes {
			if c.Action != sync.Record && c.Kind != sync.Orphan {
				t.Errorf("full plan afterwards: %s %s %s %v", c.Kind, c.Action, c.UserName, c.Reasons)
			}
		}
	}
}

// find returns the change of kind planned for user, nil if none.
func find(changes []sync.Change, user string, kind sync.Kind) *sync.Change {
	for i, c := range changes {
		if c.UserName == user && c.Kind == kind {
			return &changes[i]
		}
	}
	return nil
}

// planned says whether a change of kind is planned for user with a reason
// starting with one of reasons (any reason when none are given).
func planned(changes []sync.Change, user string, kind sync.Kind, reasons ...string) bool {
	for _, c := range changes {
		if c.UserName != user || c.Kind != kind {
			continue
		}
		if len(reasons) == 0 {
			return true
		}
		for _, r := range c.Reasons {
			for _, w := range reasons {
				if strings.HasPrefix(r, w) {
					return true
				}
			}
		}
	}
	return false
}

func describe(changes []sync.Change, user string) string {
	var out []string
	for _, c := range changes {
		if c.UserName == user {
			out = append(out, fmt.Sprintf("%s %s %q", c.Kind, c.Action, c.Reasons))
		}
	}
	return fmt.Sprint(out)
}

// auditKinds returns the kinds of the audit rows since since, by userName
// ("not applied" lists the rows with another status than applied).
func auditKinds(t *testing.T, store *idstate.Store, since time.Time) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	if err := store.Audit(context.Background(), idstate.AuditFilter{Since: since}, func(a idstate.Audit) error {
		out[a.UserName] = append(out[a.UserName], a.Kind)
		if a.Status != idstate.AuditApplied {
			out["not applied"] = append(out["not applied"], a.Status+" "+a.Kind+" "+a.Action+" "+a.UserName)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// snapshot describes the target's users and groups by userName and
// externalId, one line each, sorted: what two targets can be compared by.
func (p *adPipeline) snapshot() []string {
	p.t.Helper()
	var lines []string
	names := map[string]string{} // ID -> userName
	for name, a := range p.users() {
		names[a.ID] = name
		lines = append(lines, fmt.Sprintf("user %s externalId=%s active=%v title=%q displayName=%q mail=%q", name,
			a.ExternalID, a.Active, a.Attrs.Get("title"), a.Attrs.Get("displayName"), a.Attrs.Get("emails.work")))
	}
	if err := p.target.ListGroups(context.Background(), func(g targets.Group) error {
		var members []string
		for _, id := range g.Members {
			members = append(members, names[id])
		}
		slices.Sort(members)
		lines = append(lines, fmt.Sprintf("group %s: %s", g.DisplayName, strings.Join(members, " ")))
		return nil
	}); err != nil {
		p.t.Fatal(err)
	}
	slices.Sort(lines)
	return lines
}

// diffLines lists the lines only in a (-) or only in b (+).
func diffLines(a, b []string) string {
	var out []string
	for _, l := range a {
		if !slices.Contains(b, l) {
			out = append(out, "- "+l)
		}
	}
	for _, l := range b {
		if !slices.Contains(a, l) {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

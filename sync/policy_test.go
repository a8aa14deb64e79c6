package sync

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

var policyNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const ninetyDays = 90 * 24 * time.Hour

// disabledLink is the link of an account idsync disabled at since.
func disabledLink(src, tgt, user string, since time.Time) state.PlanLink {
	l := link(src, tgt, user)
	l.Active, l.Updated = false, since
	return l
}

func planChanges(p *Plan) []want {
	var out []want
	for _, c := range p.Changes {
		out = append(out, want{c.Kind, c.Action, c.UserName})
	}
	return out
}

func checkPlan(t *testing.T, p *Plan, wants []want, reasons []string) {
	t.Helper()
	got := planChanges(p)
	if len(got) != len(wants) {
		t.Fatalf("changes %v, want %v", got, wants)
	}
	for i := range wants {
		if got[i] != wants[i] {
			t.Errorf("change %d: %v, want %v", i, got[i], wants[i])
		}
	}
	for _, r := range reasons {
		if !anyReason(p, r) {
			t.Errorf("no change gives the reason %q; plan: %+v", r, p.Changes)
		}
	}
}

// TestLeaverStages: with delete_after, a leaver is disabled at once (the
// plan says when it will be deleted), listed with its deletion date while
// the retention runs, deleted once it has passed (counted from the
// disable the link records), and re-enabled, not recreated, when the
// person comes back before.
func TestLeaverStages(t *testing.T) {
	staged := Policy{Leavers: "disable", DeleteAfter: ninetyDays}
	gone := func(l state.PlanLink, a targets.Account, pol Policy) Input {
		return Input{Now: policyNow, Links: []state.PlanLink{l}, Accounts: []targets.Account{a}, Policy: pol}
	}
	back := mkPerson("s1", "ann", "Eng")
	tests := []struct {
		name    string
		in      Input
		want    []want
		reasons []string
	}{
		{name: "disabled at once with its deletion date",
			in:      gone(link("s1", "a1", "ann"), withExt(account("a1", "ann", "Eng", true), "s1"), staged),
			want:    []want{{Leaver, Disable, "ann"}},
			reasons: []string{"will be deleted on 2026-05-30 (delete_after = 90d)"}},
		{name: "pending deletion is reported",
			in:      gone(disabledLink("s1", "a1", "ann", policyNow.Add(-10*24*time.Hour)), account("a1", "ann", "Eng", false), staged),
			want:    []want{{Leaver, Report, "ann"}},
			reasons: []string{"disabled on 2026-02-19; will be deleted on 2026-05-20 (delete_after = 90d)"}},
		{name: "deleted once the retention has passed",
			in:      gone(disabledLink("s1", "a1", "ann", policyNow.Add(-ninetyDays)), account("a1", "ann", "Eng", false), staged),
			want:    []want{{Leaver, Delete, "ann"}},
			reasons: []string{"disabled on 2025-12-01, more than delete_after = 90d ago"}},
		{name: "disabled by someone else: the retention starts now",
			in:      gone(link("s1", "a1", "ann"), account("a1", "ann", "Eng", false), staged),
			want:    []want{{Leaver, Record, "ann"}},
			reasons: []string{"the retention period starts now: it will be deleted on 2026-05-30"}},
		{name: "without delete_after a disabled account stays",
			in:   gone(disabledLink("s1", "a1", "ann", policyNow.Add(-1000*24*time.Hour)), account("a1", "ann", "Eng", false), Policy{Leavers: "disable"}),
			want: nil},
		{name: "back before the deletion: re-enabled",
			in: Input{Now: policyNow, People: []mapping.Person{back}, Managed: managed, Policy: staged,
				Links:    []state.PlanLink{disabledLink("s1", "a1", "ann", policyNow.Add(-89*24*time.Hour))},
				Accounts: []targets.Account{withExt(account("a1", "ann", "Eng", false), "s1")}},
			want:    []want{{Mover, Update, "ann"}},
			reasons: []string{"1 attribute differs"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkPlan(t, BuildPlan(tt.in), tt.want, tt.reasons)
		})
	}
}

// TestProtectedAccounts: a protected account is never disabled, deleted
// or changed, whatever the policy: its change is a report that says
// "protected", and its group memberships are left alone.
func TestProtectedAccounts(t *testing.T) {
	pol := Policy{Leavers: "delete", Orphans: "delete", Protect: Protect{
		UserNames: []string{"breakglass-*"}, Emails: []string{"*@vendor.example"}, Groups: []string{"Admins"}}}
	ann := mkPerson("s1", "ann", "Sales", "vpn")
	in := Input{Now: policyNow, Policy: pol, Managed: managed, People: []mapping.Person{ann},
		Links: []state.PlanLink{link("s1", "a1", "ann"), link("s2", "a2", "bob")},
		Accounts: []targets.Account{
			withExt(account("a1", "ann", "Eng", true), "s1"), // mover, in Admins
			withExt(account("a2", "bob", "Eng", true), "s2"), // leaver
			account("a3", "BreakGlass-1", "", true),          // orphan by userName
			withMail(account("a4", "ext", "", true), "x@VENDOR.example"),
			account("a5", "stray", "", true), // an orphan not protected
		},
		Groups: []targets.Group{{ID: "g1", DisplayName: "Admins", Members: []string{"a1"}},
			{ID: "g2", DisplayName: "vpn", Members: []string{"a2"}}},
	}
	p := BuildPlan(in)
	checkPlan(t, p, []want{{Leaver, Delete, "bob"}, {Mover, Report, "ann"}, {Orphan, Report, "BreakGlass-1"},
		{Orphan, Report, "ext"}, {Orphan, Delete, "stray"}}, []string{
		`protected (protect.groups "Admins": member of Admins): idsync never changes this account; without the protection it would update it`,
		`protected (protect.user_names "breakglass-*")`,
		`protected (protect.emails "*@vendor.example")`,
	})
	for _, g := range p.Groups {
		for _, m := range append(g.Add, g.Remove...) {
			if m.TargetID == "a1" {
				t.Errorf("group %s changes the protected account: %+v", g.Role, g)
			}
		}
	}
	if p.Removals() != 2 {
		t.Errorf("removals %d, want 2 (bob and stray)", p.Removals())
	}
}

func TestProtectValidate(t *testing.T) {
	err := Protect{UserNames: []string{"ok-*", "[bad"}, Groups: []string{" "}}.Validate()
	for _, w := range []string{`user_names[1]: "[bad" is not a valid pattern`, `groups[0]: " " is not a valid pattern`} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("error %v lacks %q", err, w)
		}
	}
	if err := (Protect{UserNames: []string{"admin"}}).Validate(); err != nil {
		t.Error(err)
	}
}

// TestDisabledPeople: by default a person disabled in the source without
// an account is skipped; with create-inactive their account is created
// inactive, and later kept inactive rather than deleted.
func TestDisabledPeople(t *testing.T) {
	bob := mkPerson("s2", "bob", "Sales", "vpn")
	bob.Disabled, bob.Account.Active = true, false
	for _, tt := range []struct {
		name string
		in   Input
		want []want
	}{
		{name: "skip", in: Input{People: []mapping.Person{bob}}},
		{name: "create inactive", in: Input{People: []mapping.Person{bob}, Policy: Policy{DisabledPeople: DisabledCreateInactive}},
			want: []want{{Joiner, Create, "bob"}}},
		{name: "kept inactive, not deleted", in: Input{People: []mapping.Person{bob},
			Policy: Policy{Leavers: "delete", DisabledPeople: DisabledCreateInactive},
			Links:  []state.PlanLink{link("s2", "a2", "bob")}, Accounts: []targets.Account{account("a2", "bob", "Sales", true)}},
			want: []want{{Leaver, Disable, "bob"}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := BuildPlan(tt.in)
			checkPlan(t, p, tt.want, nil)
			for _, c := range p.Changes {
				if c.Action == Create && (c.After.Active || len(c.RolesAdded) > 0) {
					t.Errorf("created active or with roles: %+v", c)
				}
			}
		})
	}
}

// TestTargetRuleKeys: a leaver left out by the target's own scope, and an
// attribute a target's rule sets, name the target's rule.
func TestTargetRuleKeys(t *testing.T) {
	m, err := mapping.CompileTarget(mapping.Config{Attributes: map[string]string{
		"userName": `attr("uid")`, "department": `attr("ou")`}},
		mapping.TargetRules{Name: "gh", Scope: `attr("ou") == "Eng"`, Attributes: map[string]string{"displayName": `upper(attr("uid"))`}})
	if err != nil {
		t.Fatal(err)
	}
	entry := func(uid, ou string) mapping.Entry {
		return mapping.Entry{ID: "s-" + uid, DN: "uid=" + uid, Attrs: mapping.AttrsOf(map[string][]string{"uid": {uid}, "ou": {ou}})}
	}
	ann, _ := m.Map(entry("ann", "Eng"), policyNow)
	ann.Account.Attrs.Set("displayName", "Ann") // differs from the account's "ANN"
	found := 0
	bob, _ := m.Map(entry("bob", "Sales"), policyNow)
	p := BuildPlan(Input{Now: policyNow, People: []mapping.Person{ann, bob}, Managed: m.AttributePaths(), Rule: m.Rule, RuleKey: m.RuleKey,
		Links:    []state.PlanLink{link("s-ann", "a1", "ann"), link("s-bob", "a2", "bob")},
		Accounts: []targets.Account{withExt(account("a1", "ann", "Sales", true), "s-ann"), withExt(account("a2", "bob", "Sales", true), "s-bob")}})
	checkPlan(t, p, []want{{Leaver, Disable, "bob"}, {Mover, Update, "ann"}},
		[]string{`out of this target's scope (target.gh.scope = attr("ou") == "Eng")`})
	for _, c := range p.Changes {
		for _, a := range c.Attrs {
			found++
			if a.Path == "displayName" && a.Rule != `target.gh.mapping.attributes.displayName = upper(attr("uid"))` {
				t.Errorf("displayName rule %q", a.Rule)
			}
			if a.Path == "department" && a.Rule != `mapping.attributes.department = attr("ou")` {
				t.Errorf("department rule %q", a.Rule)
			}
		}
	}
	if found != 2 {
		t.Errorf("%d attribute changes, want displayName and department", found)
	}
}

// countingSource counts the reads of a sliceSource.
type countingSource struct {
	sliceSource
	reads int
}

func (s *countingSource) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	s.reads++
	return s.sliceSource.Read(ctx, fn)
}

// TestRunPerTargetRules: one read of the source, mapped for each target
// by its own rules: the second target gets only its scope's people, with
// its own attribute rule; a leaver there is disabled, then deleted once the
// retention has passed (a fixed clock), while the first target keeps them.
func TestRunPerTargetRules(t *testing.T) {
	src := &countingSource{sliceSource: sliceSource{entries: []mapping.Entry{
		entry("id-ann", "ann", "Eng"), entry("id-bob", "bob", "Sales"), entry("id-cid", "cid", "Eng")}}}
	all, eng := newFakeTarget(), newFakeTarget()
	r, _ := newTestRunner(t, src, all)
	m, err := mapping.CompileTarget(mapping.Config{Attributes: map[string]string{"userName": `attr("uid")`, "department": `attr("ou")`}},
		mapping.TargetRules{Name: "eng", Scope: `attr("ou") == "Eng"`, Attributes: map[string]string{"displayName": `upper(attr("uid"))`}})
	if err != nil {
		t.Fatal(err)
	}
	now := policyNow
	r.Now = func() time.Time { return now }
	r.Targets = append(r.Targets, TargetSpec{Name: "eng", Target: eng, Guards: DefaultGuards, Mapper: m,
		Policy: Policy{Leavers: "disable", DeleteAfter: ninetyDays}})
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if src.reads != 1 {
		t.Errorf("%d source reads, want 1", src.reads)
	}
	if len(all.accounts) != 3 || len(eng.accounts) != 2 {
		t.Fatalf("accounts: %d and %d, want 3 and 2", len(all.accounts), len(eng.accounts))
	}
	for _, a := range eng.accounts {
		if a.Attrs.Get("displayName") != strings.ToUpper(a.UserName) {
			t.Errorf("eng account %+v lacks the target's displayName", a)
		}
	}
	// cid moves to Sales: out of eng's scope, disabled there at once.
	src.entries[2] = entry("id-cid", "cid", "Sales")
	out, err := r.Run(context.Background(), Options{Overrides: Overrides{AllowShrink: true}})
	if err != nil {
		t.Fatal(err)
	}
	if !anyReason(out.Plans[1], "out of this target's scope (target.eng.scope = ") || !anyReason(out.Plans[1], "will be deleted on 2026-05-30") {
		t.Errorf("eng plan: %+v", out.Plans[1].Changes)
	}
	cid, _ := eng.byName("cid")
	if eng.accounts[cid].Active {
		t.Fatal("cid still active in eng")
	}
	now = now.Add(30 * 24 * time.Hour)
	out, _ = r.Run(context.Background(), Options{DryRun: true})
	if !anyReason(out.Plans[1], "will be deleted on 2026-05-30") {
		t.Errorf("pending deletion not shown: %+v", out.Plans[1].Changes)
	}
	now = policyNow.Add(ninetyDays)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, n := eng.byName("cid"); n != 0 || len(eng.accounts) != 1 {
		t.Errorf("cid not deleted after the retention: %+v", eng.accounts)
	}
	if len(all.accounts) != 3 {
		t.Errorf("the other target lost accounts: %+v", all.accounts)
	}
}

// TestRunChangesPerTargetRules: an incremental pass maps the people a
// change touches with each target's own rules too: a person who moves
// out of a target's scope is a leaver there alone, and the pass reads
// only the changes.
func TestRunChangesPerTargetRules(t *testing.T) {
	entries := []mapping.Entry{entry("id-ann", "ann", "Eng"), entry("id-bob", "bob", "Sales"), entry("id-cid", "cid", "Eng")}
	src := &changeSource{sliceSource: sliceSource{entries: entries}, touched: map[string][]string{}}
	all, eng := newFakeTarget(), newFakeTarget()
	r, _ := newTestRunner(t, src, all)
	m, err := mapping.CompileTarget(mapping.Config{Attributes: map[string]string{"userName": `attr("uid")`, "department": `attr("ou")`}},
		mapping.TargetRules{Name: "eng", Scope: `attr("ou") == "Eng"`})
	if err != nil {
		t.Fatal(err)
	}
	r.Targets = append(r.Targets, TargetSpec{Name: "eng", Target: eng, Guards: DefaultGuards, Mapper: m})
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.reads = 0
	src.set(entry("id-cid", "cid", "Sales"))
	src.set(entry("id-bob", "bob", "Eng"))
	out, err := r.RunChanges(context.Background(), Options{}, Changes{IDs: []string{"id-cid", "id-bob"}})
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != 0 || out.Plans[1].Incremental == nil {
		t.Fatalf("not an incremental pass: %d full reads", src.reads)
	}
	got := planChanges(out.Plans[1])
	if len(got) != 2 || got[0] != (want{Leaver, Disable, "cid"}) || got[1] != (want{Joiner, Create, "bob"}) {
		t.Errorf("eng incremental plan %v, want cid disabled and bob created", got)
	}
	if !anyReason(out.Plans[1], "out of this target's scope (target.eng.scope = ") {
		t.Errorf("eng leaver reason: %+v", out.Plans[1].Changes)
	}
	for _, c := range out.Plans[0].Changes {
		if c.Action != Update {
			t.Errorf("the first target planned %s %s, want only department updates", c.Action, c.UserName)
		}
	}
	if _, n := eng.byName("bob"); n != 1 {
		t.Error("bob was not created in eng")
	}
}

// TestRunChangesProtectGroups: an incremental pass sees only role groups,
// so a target that protects accounts by their groups gets a full run.
func TestRunChangesProtectGroups(t *testing.T) {
	r, src, tgt, _ := incrementalSetup(t)
	id, _ := tgt.byName("aa")
	tgt.groups["adm"] = &targets.Group{ID: "adm", DisplayName: "Admins", Members: []string{id}}
	r.Targets[0].Policy.Protect.Groups = []string{"Admins"}
	src.set(entry(src.entries[0].ID, "aa", "Sales", "staff", "ops"))
	out, err := r.RunChanges(context.Background(), Options{}, Changes{IDs: []string{src.entries[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != 1 || out.Plans[0].Incremental != nil {
		t.Fatalf("not a full run: %d reads", src.reads)
	}
	if tgt.accounts[id].Attrs.Get("department") != "Eng" || !anyReason(out.Plans[0], `protected (protect.groups "Admins": member of Admins)`) {
		t.Errorf("the protected account changed: %+v", tgt.accounts[id])
	}
}

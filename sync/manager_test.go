package sync

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

func withManager(p mapping.Person, ref string) mapping.Person {
	p.Account.Attrs = p.Account.Attrs.Clone()
	p.Account.Attrs.Set(ManagerPath, ref)
	return p
}

func acctManager(a targets.Account, id string) targets.Account {
	a.ExternalID = ""
	a.Attrs.Set(ManagerPath, id)
	return a
}

// TestBuildPlanManager: the manager rule's DN or source ID becomes the
// manager's account ID in the target; a manager without one is a warning
// and the attribute is left as it is.
func TestBuildPlanManager(t *testing.T) {
	bobDN := "uid=bob,ou=people,dc=example,dc=org"
	bob, carl := mkPerson("s2", "bob", "Eng"), mkPerson("s3", "carl", "Eng")
	ann := func(ref string) mapping.Person { return withManager(mkPerson("s1", "ann", "Eng"), ref) }
	links := []state.PlanLink{link("s1", "a1", "ann"), link("s2", "b1", "bob"), link("s3", "c1", "carl")}
	accounts := func(annMgr string) []targets.Account {
		return []targets.Account{acctManager(account("a1", "ann", "Eng", true), annMgr),
			account("b1", "bob", "Eng", true), account("c1", "carl", "Eng", true)}
	}
	tests := []struct {
		name    string
		in      Input
		want    string // ann's manager after the plan; "-" when ann has no change
		warning string
	}{
		{"manager linked, by DN", Input{People: []mapping.Person{ann(bobDN), bob, carl}, Links: links, Accounts: accounts("")}, "b1", ""},
		{"manager DN in another case and spacing", Input{People: []mapping.Person{ann("UID=bob, OU=people,dc=example,dc=org"), bob, carl},
			Links: links, Accounts: accounts("")}, "b1", ""},
		{"manager linked, by source ID", Input{People: []mapping.Person{ann("s2"), bob, carl}, Links: links, Accounts: accounts("")}, "b1", ""},
		{"no change", Input{People: []mapping.Person{ann(bobDN), bob, carl}, Links: links, Accounts: accounts("b1")}, "-", ""},
		{"manager changes", Input{People: []mapping.Person{ann("uid=carl,ou=people,dc=example,dc=org"), bob, carl},
			Links: links, Accounts: accounts("b1")}, "c1", ""},
		{"manager removed", Input{People: []mapping.Person{ann(""), bob, carl}, Links: links, Accounts: accounts("b1")}, "", ""},
		{"manager not linked: a joiner of this plan", Input{People: []mapping.Person{ann("s9"), bob, carl, mkPerson("s9", "dan", "Eng")},
			Links: links, Accounts: accounts("b1")}, "-", `manager "s9" of uid=ann,ou=people,dc=example,dc=org has no account in target T (the manager is a joiner of this plan: set on the next run)`},
		{"manager unknown", Input{People: []mapping.Person{ann("uid=zed,dc=example,dc=org"), bob, carl},
			Links: links, Accounts: accounts("b1")}, "-", `manager "uid=zed,dc=example,dc=org" of uid=ann,ou=people,dc=example,dc=org has no account in target T (no person of the source has that DN or ID); its manager is left as it is`},
		{"manager out of scope", Input{People: []mapping.Person{ann(bobDN), outOf(bob), carl}, Links: links, Accounts: accounts("")}, "-", "the manager is out of its scope or disabled"},
		{"manager through ManagerLinks", Input{People: []mapping.Person{ann(bobDN)}, Links: links[:1], Accounts: accounts("")[:1],
			ManagerLinks: []state.PlanLink{link("s2", "b1", "bob")}}, "b1", ""},
		{"manager link inactive", Input{People: []mapping.Person{ann("s2")}, Links: links[:1], Accounts: accounts("c1")[:1],
			ManagerLinks: []state.PlanLink{inactive(link("s2", "b1", "bob"))}}, "-", "the manager's account was disabled"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Target = "T"
			tt.in.Managed = append(slices.Clone(managed), ManagerPath)
			p := BuildPlan(tt.in)
			got := "-"
			for _, c := range p.Changes {
				if c.UserName == "ann" {
					var sent bool
					got, sent = c.After.Attrs.Lookup(ManagerPath)
					if !sent { // a value the target is not sent is not cleared
						got = "(not sent)"
					}
				} else if c.Kind != Leaver && c.Kind != Joiner {
					t.Errorf("unexpected change %+v", c)
				}
			}
			if got != tt.want {
				t.Errorf("ann's manager = %q, want %q (changes %+v)", got, tt.want, p.Changes)
			}
			warned := strings.Join(p.Warnings, "\n")
			if tt.warning == "" && warned != "" || !strings.Contains(warned, tt.warning) {
				t.Errorf("warnings = %q, want %q", warned, tt.warning)
			}
		})
	}
}

// TestBuildPlanManagerJoiner: a joiner gets a linked manager's account ID
// at creation; a joiner whose manager is also new is created without one.
func TestBuildPlanManagerJoiner(t *testing.T) {
	bob := mkPerson("s2", "bob", "Eng")
	in := Input{Target: "T", Managed: append(slices.Clone(managed), ManagerPath),
		People: []mapping.Person{withManager(mkPerson("s1", "ann", "Eng"), "s2"), bob,
			withManager(mkPerson("s3", "carl", "Eng"), "s1")},
		Links: []state.PlanLink{link("s2", "b1", "bob")}, Accounts: []targets.Account{withExt(account("b1", "bob", "Eng", true), "s2")}}
	p := BuildPlan(in)
	got := map[string]string{}
	for _, c := range p.Changes {
		if c.Action == Create {
			v, ok := c.After.Attrs.Lookup(ManagerPath)
			got[c.UserName] = v + map[bool]string{true: "", false: "(absent)"}[ok]
		}
	}
	if got["ann"] != "b1" || got["carl"] != "(absent)" && got["carl"] != "" || len(got) != 2 {
		t.Errorf("joiners' managers = %v, want ann b1 and carl none", got)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], "set on the next run") {
		t.Errorf("warnings = %q", p.Warnings)
	}
	if in.People[0].Account.Attrs.Get(ManagerPath) != "s2" {
		t.Error("BuildPlan wrote into its input")
	}
}

func TestManagerRefs(t *testing.T) {
	people := []mapping.Person{withManager(mkPerson("s1", "ann", "Eng"), "uid=bob,ou=people,dc=example,dc=org"),
		withManager(mkPerson("s2", "bob", "Eng"), "s9"), withManager(mkPerson("s3", "carl", "Eng"), "s9"),
		withManager(mkPerson("s4", "dan", "Eng"), "s1")}
	if got, want := ManagerRefs(people), []string{"s9"}; !slices.Equal(got, want) {
		t.Errorf("ManagerRefs = %q, want %q", got, want)
	}
}

func outOf(p mapping.Person) mapping.Person { p.InScope = false; return p }

func inactive(l state.PlanLink) state.PlanLink { l.Active = false; return l }

// managerMapper is testMapper with the manager rule: the entry's manager
// attribute (a DN).
type managerMapper struct{ testMapper }

func (managerMapper) Map(e mapping.Entry, now time.Time) (mapping.Person, error) {
	p, err := testMapper{}.Map(e, now)
	p.Account.Attrs.Set(ManagerPath, e.First("manager"))
	return p, err
}
func (managerMapper) AttributePaths() []string { return []string{"department", "manager", "userName"} }

func withManagerDN(e mapping.Entry, dn string) mapping.Entry {
	if dn != "" {
		e.Attrs = append(e.Attrs, mapping.Attr{Name: "manager", Values: []string{dn}})
	}
	return e
}

// TestRunManager: full runs set a manager once the manager's account
// exists; an incremental run resolves a manager outside its people
// through the state's links, and a removed manager is cleared.
func TestRunManager(t *testing.T) {
	ctx := context.Background()
	boss, carl := entry("id-boss", "boss", "Eng"), entry("id-carl", "carl", "Eng")
	src := &changeSource{sliceSource: sliceSource{entries: []mapping.Entry{
		withManagerDN(entry("id-ann", "ann", "Eng"), boss.DN), boss, carl}}, touched: map[string][]string{}}
	tgt := newFakeTarget()
	r, _ := newTestRunner(t, src, tgt)
	r.Mapper = managerMapper{}
	manager := func() string {
		a, _ := accountNamed(tgt, "ann")
		m := a.Attrs.Get(ManagerPath)
		for _, b := range tgt.accounts {
			if b.ID == m {
				return b.UserName
			}
		}
		return m
	}
	out, err := r.Run(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if manager() != "" || !strings.Contains(strings.Join(out.Plans[0].Warnings, "\n"), "set on the next run") {
		t.Fatalf("first run: manager %q, warnings %q", manager(), out.Plans[0].Warnings)
	}
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	if manager() != "boss" {
		t.Fatalf("second run: ann's manager = %q, want boss's account", manager())
	}
	converged(t, r)

	src.set(withManagerDN(entry("id-ann", "ann", "Eng"), "UID=carl,dc=x"))
	if _, err := r.RunChanges(ctx, Options{}, Changes{IDs: []string{"id-ann"}}); err != nil {
		t.Fatal(err)
	}
	if manager() != "carl" {
		t.Fatalf("incremental run: ann's manager = %q, want carl's account", manager())
	}
	converged(t, r)

	src.set(entry("id-ann", "ann", "Eng"))
	if _, err := r.RunChanges(ctx, Options{}, Changes{IDs: []string{"id-ann"}}); err != nil {
		t.Fatal(err)
	}
	if manager() != "" {
		t.Fatalf("manager removed: ann's manager = %q, want none", manager())
	}
	converged(t, r)
}

// TestManagerChangeNamesAccounts: a manager change names the accounts its
// IDs refer to (from the listing, or the links of an incremental run's
// managers), in the plan's JSON fields and in its text, CSV and audit
// lines.
func TestManagerChangeNamesAccounts(t *testing.T) {
	carlDN := "uid=carl,ou=people,dc=example,dc=org"
	ann := withManager(mkPerson("s1", "ann", "Eng"), carlDN)
	in := Input{Target: "T", Managed: append(slices.Clone(managed), ManagerPath),
		People:   []mapping.Person{ann, mkPerson("s2", "bob", "Eng"), mkPerson("s3", "carl", "Eng")},
		Links:    []state.PlanLink{link("s1", "a1", "ann"), link("s2", "b1", "bob"), link("s3", "c1", "carl")},
		Accounts: []targets.Account{acctManager(account("a1", "ann", "Eng", true), "b1"), account("b1", "bob", "Eng", true), account("c1", "carl", "Eng", true)}}
	incremental := Input{Target: "T", Managed: in.Managed, People: []mapping.Person{ann},
		Links: in.Links[:1], Accounts: in.Accounts[:1], ManagerLinks: []state.PlanLink{link("s3", "c1", "carl")}}
	for name, in := range map[string]Input{"full": in, "incremental": incremental} {
		t.Run(name, func(t *testing.T) {
			p := BuildPlan(in)
			var d *AttrChange
			for i := range p.Changes {
				for j := range p.Changes[i].Attrs {
					if p.Changes[i].Attrs[j].Path == ManagerPath {
						d = &p.Changes[i].Attrs[j]
					}
				}
			}
			if d == nil || d.Before != "b1" || d.After != "c1" || d.AfterUserName != "carl" {
				t.Fatalf("manager change = %+v, want b1 -> c1 (carl)", d)
			}
			wantBefore := "bob"
			if name == "incremental" {
				wantBefore = "" // bob's account is neither listed nor linked here
			}
			if d.BeforeUserName != wantBefore {
				t.Errorf("beforeUserName = %q, want %q", d.BeforeUserName, wantBefore)
			}
			var text, csv strings.Builder
			if err := WriteText(&text, p); err != nil {
				t.Fatal(err)
			}
			if err := WriteCSV(&csv, []*Plan{p}); err != nil {
				t.Fatal(err)
			}
			want := `manager: "b1" (bob) -> "c1" (carl)`
			if name == "incremental" {
				want = `manager: "b1" -> "c1" (carl)`
			}
			if !strings.Contains(text.String(), want) || !strings.Contains(csv.String(), strings.ReplaceAll(want, `"`, `""`)) {
				t.Errorf("text or CSV lacks %s:\n%s\n%s", want, text.String(), csv.String())
			}
			if got := strings.Join(p.Changes[0].Explain(), "\n"); !strings.Contains(got, want) {
				t.Errorf("audit reasons lack %s: %s", want, got)
			}
		})
	}
}

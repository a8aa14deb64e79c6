package sync

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

var managed = []string{"userName", "displayName", "department", "emails.work"}

func mkPerson(id, user, dept string, roles ...string) mapping.Person {
	p := mapping.Person{SourceID: id, DN: "uid=" + user + ",ou=people,dc=example,dc=org", InScope: true,
		Account: targets.Account{UserName: user, Active: true, Attrs: targets.AttrsOf(map[string]string{
			"displayName": strings.ToUpper(user), "department": dept, "emails.work": user + "@example.org"})}}
	for _, r := range roles {
		p.Roles = append(p.Roles, mapping.Role{Name: r, Reason: "member of cn=" + r})
	}
	return p
}

func account(id, user, dept string, active bool) targets.Account {
	return targets.Account{ID: id, UserName: user, ExternalID: "", Active: active, Attrs: targets.AttrsOf(map[string]string{
		"displayName": strings.ToUpper(user), "department": dept, "emails.work": user + "@example.org"})}
}

func link(src, tgt, user string) state.PlanLink {
	return state.PlanLink{SourceID: src, TargetID: tgt, UserName: user, DN: "uid=" + user + ",ou=people,dc=example,dc=org", Active: true}
}

func withMail(a targets.Account, mail string) targets.Account {
	a.Attrs.Set("emails.work", mail)
	return a
}

func withExt(a targets.Account, ext string) targets.Account { a.ExternalID = ext; return a }

type want struct {
	kind   Kind
	action Action
	user   string
}

func TestBuildPlanClassifies(t *testing.T) {
	disabled := mkPerson("s2", "bob", "Sales")
	disabled.Disabled = true
	outOfScope := mkPerson("s2", "bob", "Sales")
	outOfScope.InScope = false
	renamed := mkPerson("s1", "ann", "Eng")
	renamed.DN = "uid=ann,ou=moved,dc=example,dc=org"

	tests := []struct {
		name   string
		in     Input
		want   []want
		reason string // a reason some change must give
	}{
		{
			name: "new people are joiners",
			in:   Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng"), mkPerson("s2", "bob", "Sales")}},
			want: []want{{Joiner, Create, "ann"}, {Joiner, Create, "bob"}},
		},
		{
			name: "attribute change is a mover with the rule",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Sales")},
				Links: []state.PlanLink{link("s1", "a1", "ann")}, Accounts: []targets.Account{withExt(account("a1", "ann", "Eng", true), "s1")}},
			want:   []want{{Mover, Update, "ann"}},
			reason: "1 attribute differs",
		},
		{
			name: "rename only is recorded",
			in: Input{People: []mapping.Person{renamed},
				Links: []state.PlanLink{link("s1", "a1", "ann")}, Accounts: []targets.Account{withExt(account("a1", "ann", "Eng", true), "s1")}},
			want:   []want{{Mover, Record, "ann"}},
			reason: "renamed or moved",
		},
		{
			name: "unchanged person is no change",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng")},
				Links: []state.PlanLink{link("s1", "a1", "ann")}, Accounts: []targets.Account{withExt(account("a1", "ann", "Eng", true), "s1")}},
		},
		{
			name: "gone from the source is a leaver, disabled",
			in: Input{Links: []state.PlanLink{link("s2", "a2", "bob")},
				Accounts: []targets.Account{account("a2", "bob", "Sales", true)}},
			want:   []want{{Leaver, Disable, "bob"}},
			reason: "gone from the source (last seen as uid=bob",
		},
		{
			name: "leaver deleted when the target says so",
			in: Input{Links: []state.PlanLink{link("s2", "a2", "bob")}, Policy: Policy{Leavers: "delete"},
				Accounts: []targets.Account{account("a2", "bob", "Sales", true)}},
			want: []want{{Leaver, Delete, "bob"}},
		},
		{
			name: "disabled in the source is a leaver",
			in: Input{People: []mapping.Person{disabled}, Links: []state.PlanLink{link("s2", "a2", "bob")},
				Accounts: []targets.Account{account("a2", "bob", "Sales", true)}},
			want:   []want{{Leaver, Disable, "bob"}},
			reason: "disabled in the source",
		},
		{
			name: "already disabled leaver is left alone",
			in: Input{People: []mapping.Person{disabled}, Links: []state.PlanLink{link("s2", "a2", "bob")},
				Accounts: []targets.Account{account("a2", "bob", "Sales", false)}},
		},
		{
			name: "out of scope is a leaver",
			in: Input{People: []mapping.Person{outOfScope}, Links: []state.PlanLink{link("s2", "a2", "bob")},
				Accounts: []targets.Account{account("a2", "bob", "Sales", true)}},
			want:   []want{{Leaver, Disable, "bob"}},
			reason: "out of scope",
		},
		{
			name: "disabled unlinked person gets nothing",
			in:   Input{People: []mapping.Person{disabled}},
		},
		{
			name: "unlinked account with the same userName in other case is adopted",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng")},
				Accounts: []targets.Account{account("a9", "ANN", "Eng", true)}},
			want:   []want{{Adopt, Link, "ann"}},
			reason: `matches userName "ann"`,
		},
		{
			name: "unlinked account matching by e-mail is adopted",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng")},
				Accounts: []targets.Account{withMail(account("a9", "ann.other", "Eng", true), "ANN@example.org")}},
			want: []want{{Adopt, Link, "ann"}},
		},
		{
			name: "externalId beats userName in correlation",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng"), mkPerson("s2", "bob", "Eng")},
				Accounts: []targets.Account{withExt(account("a9", "bob", "Eng", true), "s1")}},
			want: []want{{Adopt, Link, "ann"}, {Joiner, Create, "bob"}},
		},
		{
			name: "unmatched account is an orphan, reported only",
			in:   Input{Accounts: []targets.Account{account("a9", "hand", "", true)}},
			want: []want{{Orphan, Report, "hand"}},
		},
		{
			name: "orphan disabled when the target says so",
			in:   Input{Accounts: []targets.Account{account("a9", "hand", "", true)}, Policy: Policy{Orphans: "disable"}},
			want: []want{{Orphan, Disable, "hand"}},
		},
		{
			name: "linked account gone from the target is created again",
			in:   Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng")}, Links: []state.PlanLink{link("s1", "a1", "ann")}},
			want: []want{{Joiner, Create, "ann"}},
		},
		{
			name: "leaver whose account is gone is unlinked",
			in:   Input{Links: []state.PlanLink{link("s2", "a2", "bob")}},
			want: []want{{Leaver, Unlink, "bob"}},
		},
		{
			name: "a person the rules could not map keeps the account",
			in: Input{Unmapped: []Unmapped{{SourceID: "s2", DN: "uid=bob", Err: "boom"}},
				Links: []state.PlanLink{link("s2", "a2", "bob")}, Accounts: []targets.Account{withExt(account("a2", "bob", "Sales", true), "s2")}},
		},
		{
			name: "re-enabled in the source is a mover",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng")}, Links: []state.PlanLink{link("s1", "a1", "ann")},
				Accounts: []targets.Account{withExt(account("a1", "ann", "Eng", false), "s1")}},
			want: []want{{Mover, Update, "ann"}},
		},
		{
			name: "leavers come first",
			in: Input{People: []mapping.Person{mkPerson("s1", "ann", "Eng")}, Links: []state.PlanLink{link("s2", "a2", "bob")},
				Accounts: []targets.Account{account("a2", "bob", "Sales", true)}},
			want: []want{{Leaver, Disable, "bob"}, {Joiner, Create, "ann"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.Target, tt.in.Managed, tt.in.Now = "t", managed, time.Unix(0, 0)
			p := BuildPlan(tt.in)
			var got []want
			for _, c := range p.Changes {
				got = append(got, want{c.Kind, c.Action, c.UserName})
			}
			if len(got) != len(tt.want) {
				t.Fatalf("changes = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("change %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
			if tt.reason != "" && !anyReason(p, tt.reason) {
				t.Errorf("no change gives reason %q: %+v", tt.reason, p.Changes)
			}
			if tt.name == "a person the rules could not map keeps the account" && len(p.Warnings) != 1 {
				t.Errorf("warnings = %v, want one", p.Warnings)
			}
		})
	}
}

func anyReason(p *Plan, s string) bool {
	for _, c := range p.Changes {
		for _, r := range c.Explain() {
			if strings.Contains(r, s) {
				return true
			}
		}
	}
	return false
}

func TestBuildPlanRoles(t *testing.T) {
	in := Input{
		Target: "t", Managed: managed,
		People: []mapping.Person{mkPerson("s1", "ann", "Eng", "eng"), mkPerson("s3", "cat", "Sales", "sales"), mkPerson("s4", "dan", "Eng", "eng")},
		Links:  []state.PlanLink{link("s1", "a1", "ann"), link("s2", "a2", "bob"), link("s3", "a3", "cat")},
		Accounts: []targets.Account{withExt(account("a1", "ann", "Eng", true), "s1"), account("a2", "bob", "Eng", true),
			withExt(account("a3", "cat", "Sales", true), "s3"), account("a9", "hand", "", true)},
		Groups: []targets.Group{
			{ID: "g1", DisplayName: "eng", Members: []string{"a1", "a2", "a3", "a9"}},
			{ID: "g2", DisplayName: "Sales", Members: nil},
		},
		GroupIDs: map[string]string{"eng": "g1"},
	}
	p := BuildPlan(in)
	byRole := map[string]GroupChange{}
	for _, g := range p.Groups {
		byRole[g.Role] = g
	}
	eng := byRole["eng"]
	if eng.Create || eng.Adopt || eng.GroupID != "g1" {
		t.Errorf("eng group = %+v, want existing g1", eng)
	}
	if len(eng.Add) != 1 || eng.Add[0].SourceID != "s4" || eng.Add[0].TargetID != "" {
		t.Errorf("eng add = %+v, want the joiner dan (no target ID yet)", eng.Add)
	}
	// bob left, cat moved to sales; the hand-made a9 is not ours and stays.
	if got := members(eng.Remove); got != "a2,a3" {
		t.Errorf("eng remove = %s, want a2,a3", got)
	}
	sales := byRole["sales"]
	if !sales.Adopt || sales.GroupID != "g2" || members(sales.Add) != "a3" {
		t.Errorf("sales = %+v, want adopted g2 (matched by name) adding a3", sales)
	}
	var cat *Change
	for i := range p.Changes {
		if p.Changes[i].UserName == "cat" {
			cat = &p.Changes[i]
		}
	}
	if cat == nil || cat.Kind != Mover || cat.Action != Roles || len(cat.RolesAdded) != 1 || len(cat.RolesRemoved) != 1 {
		t.Fatalf("cat = %+v, want a mover gaining sales and losing eng", cat)
	}
}

func members(ms []Member) string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.TargetID)
	}
	return strings.Join(ids, ",")
}

func TestBuildPlanIsPure(t *testing.T) {
	mk := func() Input {
		return Input{Target: "t", Managed: managed, People: []mapping.Person{mkPerson("s1", "ann", "Eng", "eng")},
			Accounts: []targets.Account{account("a9", "zed", "", true)}, Groups: []targets.Group{}}
	}
	a, b := BuildPlan(mk()), BuildPlan(mk())
	var x, y strings.Builder
	if err := WriteJSON(&x, []*Plan{a}); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&y, []*Plan{b}); err != nil {
		t.Fatal(err)
	}
	if x.String() != y.String() {
		t.Error("the same input gave two different plans")
	}
}

// TestSortChanges: changes come out ordered by kind, userName, source ID
// and target ID, each change once, whatever the order they were found in.
func TestSortChanges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []Kind{Orphan, Joiner, Adopt, Mover, Leaver}
	for _, n := range []int{0, 1, 2, 7, 100, 1000} {
		b := &builder{plan: &Plan{}}
		for i := 0; i < n*10; i++ {
			b.plan.Changes = append(b.plan.Changes, Change{Kind: kinds[rng.IntN(len(kinds))],
				UserName: fmt.Sprintf("u%d", rng.IntN(n+1)), SourceID: fmt.Sprint(i), TargetID: fmt.Sprint(rng.IntN(3))})
		}
		want := slices.Clone(b.plan.Changes)
		sort.SliceStable(want, func(i, j int) bool {
			x, y := want[i], want[j]
			if x.Kind != y.Kind {
				return slices.Index(kindOrder, x.Kind) < slices.Index(kindOrder, y.Kind)
			}
			if x.UserName != y.UserName {
				return x.UserName < y.UserName
			}
			if x.SourceID != y.SourceID {
				return x.SourceID < y.SourceID
			}
			return x.TargetID < y.TargetID
		})
		b.sortChanges()
		if !reflect.DeepEqual(b.plan.Changes, want) {
			t.Fatalf("%d changes: sorted differently", len(want))
		}
	}
}

// TestBuildPlanIndexAhead: a plan built with the target indexed ahead is
// the plan built without, and an index of other accounts is ignored.
func TestBuildPlanIndexAhead(t *testing.T) {
	plan := func(in Input) string {
		var b strings.Builder
		if err := WriteJSON(&b, []*Plan{BuildPlan(in)}); err != nil {
			t.Fatal(err)
		}
		return b.String()
	}
	want := plan(goldenInput())
	in := goldenInput()
	in.Index = IndexTarget(in.Accounts, in.Groups, in.Links)
	if got := plan(in); got != want {
		t.Errorf("with the index built ahead:\n%s\nwant\n%s", got, want)
	}
	in = goldenInput()
	in.PeopleIndex, _ = IndexPeople(in.People)
	if got := plan(in); got != want {
		t.Errorf("with the people indexed ahead:\n%s\nwant\n%s", got, want)
	}
	in = goldenInput()
	in.Index = IndexTarget(in.Accounts[:2], nil, in.Links)
	in.PeopleIndex, _ = IndexPeople(in.People[:1])
	if got := plan(in); got != want {
		t.Errorf("with indexes of other accounts and people:\n%s\nwant\n%s", got, want)
	}
	// The runner indexes the groups it listed even when the plan leaves
	// groups alone (Groups nil): the accounts still fit.
	in = goldenInput()
	in.Index = IndexTarget(in.Accounts, in.Groups, in.Links)
	in.Groups = nil
	noGroups := goldenInput()
	noGroups.Groups = nil
	if got, want := plan(in), plan(noGroups); got != want {
		t.Errorf("without groups:\n%s\nwant\n%s", got, want)
	}
}

func TestIndexPeopleRefusesDuplicateIDs(t *testing.T) {
	a, b, c := mkPerson("s1", "ann", "Eng"), mkPerson("s2", "bob", "Eng"), mkPerson("s1", "cat", "Eng")
	a.DN, c.DN = "uid=ann,dc=x", "uid=cat,dc=x"
	x, err := IndexPeople([]mapping.Person{a, b})
	if err != nil || x.n != 2 || x.bySource["s1"] != 0 || x.bySource["s2"] != 1 {
		t.Fatalf("IndexPeople = %+v, %v", x, err)
	}
	_, err = IndexPeople([]mapping.Person{a, b, c})
	want := `uid=ann,dc=x and uid=cat,dc=x have the same ID "s1"; is id_attribute unique?`
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

// mixedInput is a large input with every kind of change: leavers, movers,
// people who lose a role, joiners whose accounts went, people without an
// externalId or not yet active, and orphans.
func mixedInput() Input {
	in := benchInput(20000, true)
	for i := range in.People {
		p := &in.People[i]
		switch {
		case i%7 == 0:
			p.Disabled = true // leaver
		case i%11 == 0:
			p.Account.Attrs.Set("department", "moved") // mover
		case i%13 == 0:
			p.Roles = nil // loses its role
		case i%17 == 0:
			p.Account.ExternalID, p.Account.Active = "", false // defaults applied by the plan
		}
	}
	in.Accounts = in.Accounts[:len(in.Accounts)-500] // their people are joiners again
	in.Accounts = append(in.Accounts, account("orphan-1", "zed", "", true))
	return in
}

// cloneInput returns a deep copy of in: nothing of it shares memory with in.
func cloneInput(in Input) Input {
	c := in
	c.People = make([]mapping.Person, len(in.People))
	for i, p := range in.People {
		p.Account = p.Account.Clone()
		p.Roles = slices.Clone(p.Roles)
		c.People[i] = p
	}
	c.Unmapped = slices.Clone(in.Unmapped)
	c.Links = slices.Clone(in.Links)
	c.Accounts = make([]targets.Account, len(in.Accounts))
	for i, a := range in.Accounts {
		c.Accounts[i] = a.Clone()
	}
	if in.Groups != nil {
		c.Groups = make([]targets.Group, len(in.Groups))
		for i, g := range in.Groups {
			g.Members = slices.Clone(g.Members)
			c.Groups[i] = g
		}
	}
	c.GroupIDs = maps.Clone(in.GroupIDs)
	c.StaticRoles = slices.Clone(in.StaticRoles)
	c.Managed = slices.Clone(in.Managed)
	if x := in.Index; x != nil {
		cx := *x
		cx.linked = slices.Clone(x.linked)
		cx.members = make([][]int32, len(x.members))
		for i, m := range x.members {
			cx.members[i] = slices.Clone(m)
		}
		c.Index = &cx
	}
	if x := in.PeopleIndex; x != nil {
		c.PeopleIndex = &PeopleIndex{n: x.n, bySource: maps.Clone(x.bySource)}
	}
	return c
}

// TestBuildPlanLeavesInputAlone: BuildPlan writes nothing into its input
// (people, accounts, links, groups, indexes), with and without the indexes
// built ahead, and a plan built twice from one input is the same plan.
func TestBuildPlanLeavesInputAlone(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   func() Input
	}{{"golden", goldenInput}, {"mixed", mixedInput}} {
		for _, ahead := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/indexed ahead=%v", tc.name, ahead), func(t *testing.T) {
				in := tc.in()
				if ahead {
					in.Index = IndexTarget(in.Accounts, in.Groups, in.Links)
					in.PeopleIndex, _ = IndexPeople(in.People)
				}
				before := cloneInput(in)
				rule := in.Rule
				in.Rule, before.Rule = nil, nil // funcs do not compare
				first := BuildPlan(in)
				if !reflect.DeepEqual(in, before) {
					t.Fatal("BuildPlan changed its input")
				}
				if again := BuildPlan(in); !reflect.DeepEqual(first, again) {
					t.Error("the same input gave two different plans")
				}
				in.Rule = rule
			})
		}
	}
}

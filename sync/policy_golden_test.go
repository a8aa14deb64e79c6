package sync

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// goldenGlobal are the [mapping] rules of the multi-target golden plans.
func goldenGlobal() mapping.Config {
	return mapping.Config{
		Scope:    `has("mail")`,
		Disabled: `attr("employeeType") == "disabled"`,
		Attributes: map[string]string{
			"userName":    `lower(attr("uid"))`,
			"emails.work": `lower(attr("mail"))`,
			"title":       `attr("title")`,
		},
		Roles:      []mapping.RoleRule{{Name: "vpn", When: `memberOf("vpn-users")`}},
		GroupRoles: []mapping.GroupRoleRule{{Match: `group.name in ["Backend", "Finance"]`, Name: `"team-" + lower(group.name)`}},
	}
}

// goldenEntries: ann (Backend, vpn), bob (Finance), cid (Backend,
// disabled), dan (Finance, contractor).
func goldenEntries() []mapping.Entry {
	mk := func(uid, title, typ string, groups ...string) mapping.Entry {
		e := mapping.Entry{ID: "id-" + uid, DN: "uid=" + uid + ",ou=people,dc=example,dc=org",
			Attrs: mapping.AttrsOf(map[string][]string{"uid": {uid}, "mail": {uid + "@example.org"}, "title": {title}, "employeeType": {typ}})}
		for _, g := range groups {
			e.Groups = append(e.Groups, mapping.Membership{DN: "cn=" + g + ",ou=groups,dc=example,dc=org", Name: g})
		}
		return e
	}
	return []mapping.Entry{
		mk("ann", "Engineer", "staff", "Backend", "Engineering", "vpn-users"),
		mk("bob", "Accountant", "staff", "Finance"),
		mk("cid", "Engineer", "disabled", "Backend", "Engineering"),
		mk("dan", "Auditor", "contractor", "Finance"),
	}
}

// goldenTargets are three targets, each with its audience, rules, leaver
// stages, protection and state.
func goldenTargets() []struct {
	name     string
	rules    mapping.TargetRules
	policy   Policy
	links    []state.PlanLink
	accounts []targets.Account
} {
	disabledSince := policyNow.Add(-40 * 24 * time.Hour)
	gone := disabledLink("id-eve", "t-eve", "eve", disabledSince)
	return []struct {
		name     string
		rules    mapping.TargetRules
		policy   Policy
		links    []state.PlanLink
		accounts []targets.Account
	}{
		{name: "slack", rules: mapping.TargetRules{Name: "slack"},
			policy: Policy{Leavers: "disable", DeleteAfter: ninetyDays, Orphans: "delete", DisabledPeople: DisabledCreateInactive,
				Protect: Protect{UserNames: []string{"breakglass-*"}}},
			links:    []state.PlanLink{gone},
			accounts: []targets.Account{account("t-eve", "eve", "", false), account("t-bg", "breakglass-1", "", true), account("t-x", "stray", "", true)}},
		{name: "github", rules: mapping.TargetRules{Name: "github", ScopeGroups: []string{"Engineering"}, Roles: []string{"team-*"},
			Attributes: map[string]string{"title": `upper(attr("title"))`}},
			policy: Policy{Leavers: "delete", Orphans: "report"},
			links:  []state.PlanLink{link("id-bob", "g-bob", "bob"), link("id-ann", "g-ann", "ann")},
			accounts: []targets.Account{withExt(account("g-bob", "bob", "", true), "id-bob"),
				withTitle(withExt(account("g-ann", "ann", "", true), "id-ann"), "Engineer")}},
		{name: "expenses", rules: mapping.TargetRules{Name: "expenses", Scope: `memberOf("Finance") && attr("employeeType") != "contractor"`, Roles: []string{}},
			policy:   Policy{Leavers: "disable", DeleteAfter: 30 * 24 * time.Hour},
			links:    []state.PlanLink{gone},
			accounts: []targets.Account{account("t-eve", "eve", "", false)}},
	}
}

// TestPolicyGoldenPlans plans the same people for three targets, each
// with its own rules, and compares the text plans with
// testdata/policy-TARGET.txt (go test -run TestPolicyGoldenPlans -update
// rewrites them).
func TestPolicyGoldenPlans(t *testing.T) {
	for _, tt := range goldenTargets() {
		t.Run(tt.name, func(t *testing.T) {
			m, err := mapping.CompileTarget(goldenGlobal(), tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			var people []mapping.Person
			for _, e := range goldenEntries() {
				p, err := m.Map(e, policyNow)
				if err != nil {
					t.Fatal(err)
				}
				people = append(people, p)
			}
			p := BuildPlan(Input{Target: tt.name, Now: policyNow, People: people, Links: tt.links, Accounts: tt.accounts,
				Groups: []targets.Group{}, StaticRoles: m.Roles(), Managed: m.AttributePaths(), Rule: m.Rule, RuleKey: m.RuleKey,
				Policy: tt.policy})
			var buf bytes.Buffer
			if err := WriteReport(&buf, "text", []*Plan{p}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "policy-"+tt.name+".txt")
			if *update {
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./sync -run TestPolicyGoldenPlans -update)", err)
			}
			if buf.String() != string(want) {
				t.Errorf("plan differs from %s:\n%s", path, buf.String())
			}
		})
	}
}

func withTitle(a targets.Account, title string) targets.Account {
	a.Attrs.Set("title", title)
	return a
}

package mapping

import (
	"reflect"
	"strings"
	"testing"
)

func targetGlobal() Config {
	return Config{
		Scope: `has("uid")`,
		Attributes: map[string]string{
			"userName": `attr("uid")`,
			"title":    `attr("title")`,
		},
		Roles: []RoleRule{
			{Name: "vpn", When: `memberOf("vpn-users")`},
			{Name: "managers", When: `attr("title") contains "Manager"`},
		},
		GroupRoles: []GroupRoleRule{{Match: `group.name in ["Backend", "Platform"]`, Name: `"team-" + lower(group.name)`}},
	}
}

// TestCompileTarget: a target's scope narrows the global one, its
// attribute rules override and add to the global ones, its role list
// filters both static and group roles, and rule keys name the target.
func TestCompileTarget(t *testing.T) {
	tests := []struct {
		name      string
		rules     TargetRules
		entry     Entry
		inScope   bool
		scopeRule string
		title     string
		dept      string
		roles     []string
	}{
		{name: "inherits everything", rules: TargetRules{Name: "slack"}, entry: jdoe(), inScope: true,
			title: "Backend Engineer", roles: []string{"team-backend", "vpn"}},
		{name: "scope expression keeps", rules: TargetRules{Name: "gh", Scope: `memberOf("Engineering")`},
			entry: asmith(), inScope: true, title: "Engineering Manager", roles: []string{"managers", "team-backend", "team-platform"}},
		{name: "scope expression leaves out", rules: TargetRules{Name: "gh", Scope: `attr("employeeType") == "staff"`},
			entry: asmith(), scopeRule: "target.scope"},
		{name: "scope groups", rules: TargetRules{Name: "vpn", ScopeGroups: []string{"nobody", "vpn-users"}},
			entry: jdoe(), inScope: true, title: "Backend Engineer", roles: []string{"team-backend", "vpn"}},
		{name: "scope groups leave out", rules: TargetRules{Name: "vpn", ScopeGroups: []string{"vpn-users"}},
			entry: asmith(), scopeRule: "target.scope"},
		{name: "attribute override and addition", rules: TargetRules{Name: "x", Attributes: map[string]string{
			"title": `upper(attr("title"))`, "department": `"R&D"`}},
			entry: jdoe(), inScope: true, title: "BACKEND ENGINEER", dept: "R&D", roles: []string{"team-backend", "vpn"}},
		{name: "roles by name and glob", rules: TargetRules{Name: "x", Roles: []string{"managers", "team-p*"}},
			entry: asmith(), inScope: true, title: "Engineering Manager", roles: []string{"managers", "team-platform"}},
		{name: "no roles", rules: TargetRules{Name: "x", Roles: []string{}},
			entry: asmith(), inScope: true, title: "Engineering Manager"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := CompileTarget(targetGlobal(), tt.rules)
			if err != nil {
				t.Fatal(err)
			}
			p, err := m.Map(tt.entry, testNow)
			if err != nil {
				t.Fatal(err)
			}
			if p.InScope != tt.inScope || p.ScopeRule != tt.scopeRule {
				t.Fatalf("in scope %v (%q), want %v (%q)", p.InScope, p.ScopeRule, tt.inScope, tt.scopeRule)
			}
			if !p.InScope {
				return
			}
			if got := p.Account.Attrs.Get("title"); got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			if got := p.Account.Attrs.Get("department"); got != tt.dept {
				t.Errorf("department %q, want %q", got, tt.dept)
			}
			if got := p.RoleNames(); !reflect.DeepEqual(got, tt.roles) && len(got)+len(tt.roles) > 0 {
				t.Errorf("roles %v, want %v", got, tt.roles)
			}
		})
	}
}

func TestCompileTargetKeys(t *testing.T) {
	m, err := CompileTarget(targetGlobal(), TargetRules{Name: "gh", ScopeGroups: []string{"eng"},
		Attributes: map[string]string{"title": `"x"`}, Roles: []string{"vpn"}})
	if err != nil {
		t.Fatal(err)
	}
	for key, want := range map[string]string{
		"attributes.title":    "target.gh.mapping.attributes.title",
		"attributes.userName": "mapping.attributes.userName",
		"scope":               "mapping.scope",
		"target.scope":        "target.gh.scope_groups",
	} {
		if got := m.RuleKey(key); got != want {
			t.Errorf("RuleKey(%q) = %q, want %q", key, got, want)
		}
	}
	if got := m.Rule("target.scope"); got != `["eng"]` {
		t.Errorf("Rule(target.scope) = %q", got)
	}
	if got := m.Roles(); !reflect.DeepEqual(got, []string{"vpn"}) {
		t.Errorf("Roles() = %v", got)
	}
	g, _ := Compile(targetGlobal())
	if got := g.RuleKey("attributes.title"); got != "mapping.attributes.title" {
		t.Errorf("global RuleKey = %q", got)
	}
}

func TestCompileTargetErrors(t *testing.T) {
	cfg := targetGlobal()
	cfg.GroupRoles = nil
	_, err := CompileTarget(cfg, TargetRules{Name: "x", Scope: `attrr("x")`,
		Attributes: map[string]string{"titel": `"x"`, "title": `1 +`}, Roles: []string{"vpn", "nope", "[bad"}})
	if err == nil {
		t.Fatal("no error")
	}
	for _, want := range []string{
		"scope: compile: unknown name attrr",
		"mapping.attributes.titel: unknown attribute path",
		"mapping.attributes.title: compile:",
		`roles[1]: no [[mapping.roles]] rule is named "nope"`,
		`roles[2]: "[bad" is not a role name or glob`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// BenchmarkMapTarget maps with a target's own rules (a scope, one
// attribute override, a role filter) over benchConfig: the cost a run
// pays per person for each target with rules of its own, next to
// BenchmarkMap.
func BenchmarkMapTarget(b *testing.B) {
	m, err := CompileTarget(benchConfig, TargetRules{Name: "gh", ScopeGroups: []string{"Engineering"},
		Attributes: map[string]string{"title": `upper(attr("title"))`}, Roles: []string{"team-*", "vpn"}})
	if err != nil {
		b.Fatal(err)
	}
	entries := make([]Entry, 1000)
	for i := range entries {
		entries[i] = benchEntry(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := m.Map(entries[i%len(entries)], testNow); err != nil {
			b.Fatal(err)
		}
	}
}

package mapping

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

// userName is the minimal valid attribute rule set.
var userName = map[string]string{"userName": `attr("uid")`}

func withUser(extra map[string]string) map[string]string {
	out := map[string]string{"userName": `attr("uid")`}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		want []string // one line per problem, in order
	}{
		{"empty config", Config{}, []string{
			"attributes.userName: required",
		}},
		{"empty userName", Config{Attributes: map[string]string{"userName": "  "}}, []string{
			"attributes.userName: required",
		}},
		{"unknown name", Config{Attributes: withUser(map[string]string{"department": `attrr("departmentNumber")`})}, []string{
			"attributes.department: compile: unknown name attrr (1:1)",
		}},
		{"syntax error", Config{Attributes: withUser(map[string]string{"department": `attr("a") +`})}, []string{
			"attributes.department: compile: unexpected token EOF (1:11)",
		}},
		{"line and column", Config{Attributes: withUser(map[string]string{"department": "attr(\"a\") +\n  attr(\"b\") +\n  bogus"})}, []string{
			"attributes.department: compile: unknown name bogus (3:3)",
		}},
		{"unknown path", Config{Attributes: withUser(map[string]string{"frobnicate": `"x"`})}, []string{
			"attributes.frobnicate: unknown attribute path (known: " + strings.Join(knownPaths(), ", ") + ")",
		}},
		{"active", Config{Attributes: withUser(map[string]string{"active": `true`})}, []string{
			"attributes.active: set by the disabled rule, do not map it",
		}},
		{"empty attribute", Config{Attributes: withUser(map[string]string{"title": ``})}, []string{
			"attributes.title: empty expression",
		}},
		{"attribute list", Config{Attributes: withUser(map[string]string{"title": `attrs("title")`})}, []string{
			"attributes.title: expression must return a string (got []string)",
		}},
		{"attribute map", Config{Attributes: withUser(map[string]string{"title": `{"a": 1}`})}, []string{
			"attributes.title: expression must return a string (got map[string]interface {})",
		}},
		{"attribute function", Config{Attributes: withUser(map[string]string{"title": `memberOf`})}, []string{
			"attributes.title: expression must return a string (got func(string) bool)",
		}},
		{"disabled_reason without disabled", Config{Attributes: userName, DisabledReason: `"gone"`}, []string{
			"disabled_reason: set but disabled is empty",
		}},
		{"disabled_reason not a string", Config{Attributes: userName, Disabled: "true", DisabledReason: `attrs("x")`}, []string{
			"disabled_reason: expression must return a string (got []string)",
		}},
		{"scope not bool", Config{Attributes: userName, Scope: `attr("employeeType")`}, []string{
			"scope: expression must return a bool (got string)",
		}},
		{"disabled nil", Config{Attributes: userName, Disabled: `nil`}, []string{
			"disabled: expression must return a bool (got nil)",
		}},
		{"builtin now disabled", Config{Attributes: userName, Scope: `now() > now`}, []string{
			"scope: compile: time.Time is not callable (1:1)",
		}},
		{"helper argument type", Config{Attributes: userName, Disabled: `bitSet(attr("userAccountControl"), "2")`}, []string{
			"disabled: compile: cannot use string as argument (type int) to call bitSet (1:36)",
		}},
		{"helper argument count", Config{Attributes: userName, Disabled: `bitSet(attr("userAccountControl"))`}, []string{
			"disabled: compile: not enough arguments to call bitSet (1:1)",
		}},
		{"node budget", Config{Attributes: userName, Scope: strings.Repeat("1 + ", 600) + "1 > 0"}, []string{
			"scope: compile: compilation failed: expression exceeds maximum allowed nodes (1:2003)",
		}},
		{"roles", Config{Attributes: userName, Roles: []RoleRule{
			{Name: "eng", When: `memberOf("Engineering")`},
			{Name: "eng", When: `true`},
			{Name: "", When: `true`},
			{Name: " sales", When: `true`},
			{Name: "ops"},
			{Name: "x", When: `attr("title")`},
			{Name: "y", When: `group.name == "x"`},
		}}, []string{
			`roles[1].name: duplicate role "eng"`,
			"roles[2].name: required",
			`roles[3].name: " sales" has leading or trailing space`,
			`roles[4].when: required (use "true" for everyone in scope)`,
			"roles[5].when: expression must return a bool (got string)",
			"roles[6].when: compile: unknown name group (1:1)",
		}},
		{"group roles", Config{Attributes: userName, GroupRoles: []GroupRoleRule{
			{Match: `attr("x") == ""`, Name: `group.name`},
			{Match: `group.nme == "x"`, Name: `1 +`},
			{},
			{Match: `group.name`, Name: `[group.name]`},
		}}, []string{
			"group_roles[0].match: compile: unknown name attr (1:1)",
			"group_roles[1].match: compile: type group has no field nme (1:7)",
			"group_roles[1].name: compile: unexpected token EOF (1:3)",
			`group_roles[2].match: required (use "true" for every group)`,
			"group_roles[2].name: required",
			"group_roles[3].match: expression must return a bool (got string)",
			"group_roles[3].name: expression must return a string (got []interface {})",
		}},
		{"all at once, in key order", Config{
			Scope:    `1`,
			Disabled: `attr(`,
			Attributes: map[string]string{
				"title":    `x`,
				"active":   `"true"`,
				"userName": `y`,
			},
			Roles: []RoleRule{{Name: "a"}},
		}, []string{
			"scope: expression must return a bool (got int)",
			"disabled: compile: unexpected token EOF (1:5)",
			"attributes.active: set by the disabled rule, do not map it",
			"attributes.title: compile: unknown name x (1:1)",
			"attributes.userName: compile: unknown name y (1:1)",
			`roles[0].when: required (use "true" for everyone in scope)`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Compile(tt.cfg)
			if err == nil {
				t.Fatalf("Compile succeeded, want errors:\n%s", strings.Join(tt.want, "\n"))
			}
			if m != nil {
				t.Errorf("Compile returned a Mapper with an error")
			}
			if got := strings.Split(err.Error(), "\n"); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Compile errors:\n%s\nwant:\n%s", err, strings.Join(tt.want, "\n"))
			}
			// Every problem is a *RuleError whose message starts with its key.
			var joined interface{ Unwrap() []error }
			if !errors.As(err, &joined) {
				t.Fatalf("error %T is not joined", err)
			}
			for _, e := range joined.Unwrap() {
				var re *RuleError
				if !errors.As(e, &re) || !strings.HasPrefix(e.Error(), re.Key+": ") {
					t.Errorf("%q is not a *RuleError starting with its key", e)
				}
			}
		})
	}
}

func TestCompileValid(t *testing.T) {
	cfg := Config{
		Scope:    `has("mail")`,
		Disabled: `attr("employeeType") == "disabled"`,
		Attributes: map[string]string{
			"userName":    `attr("uid")`,
			"externalId":  `id`,
			"title":       `attr("title")`,
			"department":  `attr("departmentNumber")`,
			"displayName": `attr("cn")`,
		},
		Roles: []RoleRule{
			{Name: "vpn", When: `memberOf("vpn-users")`},
			{Name: "engineering", When: `memberOf("cn=Engineering,ou=groups,dc=example,dc=org")`},
		},
		GroupRoles: []GroupRoleRule{{Match: `true`, Name: `group.name`}},
	}
	m, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := m.AttributePaths(), []string{"department", "displayName", "externalId", "title", "userName"}; !reflect.DeepEqual(got, want) {
		t.Errorf("AttributePaths() = %q, want %q", got, want)
	}
	if got, want := m.Roles(), []string{"engineering", "vpn"}; !reflect.DeepEqual(got, want) {
		t.Errorf("Roles() = %q, want %q", got, want)
	}
	rules := map[string]string{
		"scope":                    cfg.Scope,
		"disabled":                 cfg.Disabled,
		"attributes.department":    `attr("departmentNumber")`,
		"mapping.attributes.title": `attr("title")`,
		"roles[1]":                 cfg.Roles[1].When,
		"roles[0].when":            cfg.Roles[0].When,
		"group_roles[0]":           `true`,
		"group_roles[0].match":     `true`,
		"group_roles[0].name":      `group.name`,
		"attributes.nickName":      "",
		"roles[2]":                 "",
		"bogus":                    "",
	}
	for key, want := range rules {
		if got := m.Rule(key); got != want {
			t.Errorf("Rule(%q) = %q, want %q", key, got, want)
		}
	}
	// The accessors return copies.
	m.AttributePaths()[0] = "x"
	m.Roles()[0] = "x"
	if m.AttributePaths()[0] != "department" || m.Roles()[0] != "engineering" {
		t.Error("AttributePaths or Roles returned the Mapper's own slice")
	}
}

func TestCompileDoesNotModifyConfig(t *testing.T) {
	cfg := Config{Attributes: map[string]string{"userName": `attr("UID")`}}
	if _, err := Compile(cfg); err != nil {
		t.Fatal(err)
	}
	m, _ := Compile(cfg)
	if got := m.Rule("attributes.userName"); got != `attr("UID")` {
		t.Errorf("Rule shows the patched text %q", got)
	}
}

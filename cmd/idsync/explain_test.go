package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets"
)

const (
	exTeams  = "ou=teams,ou=groups,dc=example,dc=org"
	exGroups = "ou=groups,dc=example,dc=org"
)

func explainMapper(t *testing.T) *mapping.Mapper {
	t.Helper()
	m, err := mapping.Compile(mapping.Config{
		Scope:    `has("mail")`,
		Disabled: `attr("employeeType") == "disabled"`,
		Attributes: map[string]string{"userName": `lower(attr("uid"))`, "externalId": "id",
			"displayName": `default(attr("displayName"), attr("cn"))`, "department": `attr("departmentNumber")`, "title": `attr("title")`},
		Roles: []mapping.RoleRule{{Name: "vpn", When: `memberOf("vpn-users")`}},
		GroupRoles: []mapping.GroupRoleRule{
			{Match: `group.name in ["Sales", "Marketing"]`, Name: `"dept-" + lower(group.name)`},
			{Match: `group.dn endsWith ",` + exTeams + `"`, Name: `"team-" + lower(group.name)`},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// explainWorld is a source entry in nested groups (Marketing through the
// Growth team, vpn-users through Remote through Growth), the account the
// target holds for it from before a department move, and a person gone
// from the source whose account is still active.
func explainWorld(t *testing.T, m *mapping.Mapper, mod func(e *mapping.Entry)) ([]mapping.Entry, sync.Input) {
	e := mapping.Entry{ID: "d-1", DN: "uid=dokafor,ou=people,dc=example,dc=org",
		Attrs: mapping.AttrsOf(map[string][]string{"uid": {"DOkafor"}, "cn": {"Daniel Okafor"}, "mail": {"dokafor@example.org"},
			"departmentNumber": {"Marketing"}, "title": {"Account Executive"}}),
		Groups: []mapping.Membership{
			{DN: "cn=Growth," + exTeams, Name: "Growth"},
			{DN: "cn=Marketing," + exGroups, Name: "Marketing", Via: []string{"cn=Growth," + exTeams}},
			{DN: "cn=vpn-users," + exGroups, Name: "vpn-users", Via: []string{"cn=Growth," + exTeams, "cn=Remote," + exGroups}},
		}}
	if mod != nil {
		mod(&e)
	}
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p, err := m.Map(e, now)
	if err != nil {
		t.Fatal(err)
	}
	acct := targets.Account{ID: "a1", UserName: "dokafor", ExternalID: "d-1", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"displayName": "Daniel Okafor", "department": "Sales", "title": "Account Executive"})}
	gone := targets.Account{ID: "a2", UserName: "bcarter", ExternalID: "b-1", Active: true,
		Attrs: targets.AttrsOf(map[string]string{"displayName": "Ben Carter", "department": "Finance"})}
	link := func(src, tgt, user string) state.PlanLink {
		return state.PlanLink{SourceID: src, TargetID: tgt, UserName: user, DN: "uid=" + user + ",ou=people,dc=example,dc=org", Active: true}
	}
	in := sync.Input{Target: "scim", Now: now, People: []mapping.Person{p},
		Links:    []state.PlanLink{link("d-1", "a1", "dokafor"), link("b-1", "a2", "bcarter")},
		Accounts: []targets.Account{acct, gone},
		Groups: []targets.Group{{ID: "g1", DisplayName: "dept-sales", Members: []string{"a1"}},
			{ID: "g2", DisplayName: "team-emea", Members: []string{"a1", "a2"}}, {ID: "g3", DisplayName: "team-growth"}},
		GroupIDs: map[string]string{"dept-sales": "g1", "team-emea": "g2", "team-growth": "g3"},
		Managed:  m.AttributePaths(), Rule: m.Rule, StaticRoles: m.Roles(),
	}
	return []mapping.Entry{e}, in
}

// TestExplainGolden: explain's text and JSON for a mover in nested groups,
// a person out of scope and a person gone from the source.
func TestExplainGolden(t *testing.T) {
	m := explainMapper(t)
	for _, tc := range []struct {
		name, query string
		mod         func(e *mapping.Entry)
	}{
		{"mover", "dokafor", nil},
		{"by-dn", "UID=dokafor,ou=people,dc=example,dc=org", nil},
		{"out-of-scope", "d-1", func(e *mapping.Entry) { e.Attrs.Delete("mail") }},
		{"gone", "bcarter", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found, in := explainWorld(t, m, tc.mod)
			p := sync.BuildPlan(in)
			ex := &explanation{Query: tc.query}
			ex.Targets = append(ex.Targets, explainTarget(ex, found, p, sync.NewPlanInputs(in)))
			var txt, js bytes.Buffer
			if err := writeExplanation(&txt, ex, m); err != nil {
				t.Fatal(err)
			}
			enc := json.NewEncoder(&js)
			enc.SetIndent("", "  ")
			if err := enc.Encode(ex); err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata", "explain", tc.name+".txt"), txt.String())
			golden(t, filepath.Join("testdata", "explain", tc.name+".json"), js.String())
		})
	}
}

func TestRuleInputs(t *testing.T) {
	for _, tc := range []struct{ rule, attrs, groups string }{
		{`lower(attr("uid"))`, "uid", ""},
		{`default(attr("displayName"), attr("cn"))`, "displayName,cn", ""},
		{`has("mail") && !memberOf("leavers") || directMemberOf("cn=x,dc=org")`, "mail", "leavers,cn=x,dc=org"},
		{`id`, "", ""},
		{`attr(`, "", ""},
	} {
		a, g := ruleInputs(tc.rule)
		if strings.Join(a, ",") != tc.attrs || strings.Join(g, ",") != tc.groups {
			t.Errorf("ruleInputs(%q) = %v, %v", tc.rule, a, g)
		}
	}
}

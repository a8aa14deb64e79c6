package sync

import (
	"reflect"
	"slices"
	"strings"
	"testing"
)

// sodGrant is a plan change for the SoD tests: sid gains add and loses
// remove (roles) in one change of action.
func sodChange(sid string, action Action, add, remove []string) Change {
	c := Change{Kind: Mover, Action: action, SourceID: sid, UserName: sid, TargetID: "t-" + sid}
	if action == Create {
		c.Kind, c.TargetID = Joiner, ""
	}
	for _, r := range add {
		c.RolesAdded = append(c.RolesAdded, RoleChange{Role: r, Reason: "rule gives " + r})
	}
	for _, r := range remove {
		c.RolesRemoved = append(c.RolesRemoved, RoleChange{Role: r, Reason: "no rule gives this role any more"})
	}
	return c
}

// sodPlan makes a target's plan of the changes, with the group changes
// they imply.
func sodPlan(target string, cs ...Change) *Plan {
	p := &Plan{Target: target, Changes: cs}
	groups := map[string]*GroupChange{}
	var order []string
	group := func(role string) *GroupChange {
		if groups[role] == nil {
			groups[role] = &GroupChange{Role: role, GroupID: "g-" + role}
			order = append(order, role)
		}
		return groups[role]
	}
	for _, c := range cs {
		for _, r := range c.RolesAdded {
			g := group(r.Role)
			g.Add = append(g.Add, Member{SourceID: c.SourceID, TargetID: c.TargetID, UserName: c.UserName})
		}
		for _, r := range c.RolesRemoved {
			g := group(r.Role)
			g.Remove = append(g.Remove, Member{TargetID: c.TargetID, UserName: c.UserName})
		}
	}
	for _, r := range order {
		p.Groups = append(p.Groups, *groups[r])
	}
	recount(p)
	return p
}

func held(sid string, roles ...string) []SoDHolding {
	var out []SoDHolding
	for _, r := range roles {
		out = append(out, SoDHolding{SourceID: sid, UserName: sid, Role: r})
	}
	return out
}

func TestCheckSoD(t *testing.T) {
	within := SoDRule{Name: "pay", Roles: []SoDRole{{"erp", "requesters"}, {"erp", "approvers"}}}
	across := SoDRule{Name: "admin-approve", Roles: []SoDRole{{"github", "admins"}, {"", "approvers"}}}
	block := func(r SoDRule) SoDRule { r.Block = true; return r }
	tests := []struct {
		name  string
		rules []SoDRule
		ts    func() []SoDTarget
		flags []string // rule/target/role/sid/blocked
		viols []string // rule/sid/holds/resolved
		// grants left, per target: "sid:role" of RolesAdded and of group adds
		grants map[string][]string
		warn   string // a warning of the first plan must contain it
	}{
		{
			name:  "within a target, reported",
			rules: []SoDRule{within},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("ann", Roles, []string{"approvers"}, nil)), Held: held("ann", "requesters")}}
			},
			flags:  []string{"pay/erp/approvers/ann/false"},
			grants: map[string][]string{"erp": {"ann:approvers", "group ann:approvers"}},
			warn:   `rule "pay": ann would hold erp:approvers with erp:requesters; the grant is reported only`,
		},
		{
			name:  "within a target, blocked",
			rules: []SoDRule{block(within)},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("ann", Roles, []string{"approvers", "viewers"}, nil)), Held: held("ann", "requesters")}}
			},
			flags:  []string{"pay/erp/approvers/ann/true"},
			grants: map[string][]string{"erp": {"ann:viewers", "group ann:viewers"}},
			warn:   "the grant is blocked, not applied",
		},
		{
			name:  "a joiner granted both: the first role of the rule granted, the second blocked",
			rules: []SoDRule{block(within)},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("bob", Create, []string{"approvers", "requesters"}, nil))}}
			},
			flags:  []string{"pay/erp/approvers/bob/true"},
			grants: map[string][]string{"erp": {"bob:requesters", "group bob:requesters"}},
			warn:   `rule "pay": bob would hold erp:approvers with erp:requesters; the grant is blocked, not applied`,
		},
		{
			name:  "a joiner granted both under a reporting rule: only the grant that completes the set flagged",
			rules: []SoDRule{within},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("bob", Create, []string{"approvers", "requesters"}, nil))}}
			},
			flags:  []string{"pay/erp/approvers/bob/false"},
			grants: map[string][]string{"erp": {"bob:approvers", "bob:requesters", "group bob:approvers", "group bob:requesters"}},
		},
		{
			name:  "three roles granted at once: the rule's order decides, the last one blocked",
			rules: []SoDRule{{Name: "three", Block: true, Roles: []SoDRole{{"erp", "vendors"}, {"erp", "requesters"}, {"erp", "approvers"}}}},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("kim", Create, []string{"approvers", "requesters", "vendors"}, nil))}}
			},
			flags:  []string{"three/erp/approvers/kim/true"},
			grants: map[string][]string{"erp": {"kim:requesters", "kim:vendors", "group kim:requesters", "group kim:vendors"}},
		},
		{
			name:  "both roles granted across targets: the grant of the rule.s second role blocked",
			rules: []SoDRule{block(across)},
			ts: func() []SoDTarget {
				return []SoDTarget{
					{Plan: sodPlan("expenses", sodChange("lee", Roles, []string{"approvers"}, nil))},
					{Plan: sodPlan("github", sodChange("lee", Roles, []string{"admins"}, nil))},
				}
			},
			flags:  []string{"admin-approve/expenses/approvers/lee/true"},
			grants: map[string][]string{"github": {"lee:admins", "group lee:admins"}, "expenses": nil},
		},
		{
			name:  "across targets, blocked in the second target",
			rules: []SoDRule{block(across)},
			ts: func() []SoDTarget {
				return []SoDTarget{
					{Plan: sodPlan("github"), Held: held("cid", "admins")},
					{Plan: sodPlan("expenses", sodChange("cid", Roles, []string{"approvers"}, nil))},
				}
			},
			flags:  []string{"admin-approve/expenses/approvers/cid/true"},
			grants: map[string][]string{"github": nil, "expenses": nil},
		},
		{
			name:  "across targets, the bare role matches in any target",
			rules: []SoDRule{across},
			ts: func() []SoDTarget {
				return []SoDTarget{
					{Plan: sodPlan("github", sodChange("dan", Roles, []string{"admins"}, nil))},
					{Plan: sodPlan("erp"), Held: held("dan", "approvers")},
				}
			},
			flags:  []string{"admin-approve/github/admins/dan/false"},
			grants: map[string][]string{"github": {"dan:admins", "group dan:admins"}},
		},
		{
			name:  "a role in another target does not match a targeted role",
			rules: []SoDRule{block(within)},
			ts: func() []SoDTarget {
				return []SoDTarget{
					{Plan: sodPlan("erp", sodChange("eve", Roles, []string{"approvers"}, nil))},
					{Plan: sodPlan("github"), Held: held("eve", "requesters")},
				}
			},
			grants: map[string][]string{"erp": {"eve:approvers", "group eve:approvers"}},
		},
		{
			name:  "a revocation in the same run resolves the conflict",
			rules: []SoDRule{block(within)},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("fay", Roles, []string{"approvers"}, []string{"requesters"})), Held: held("fay", "requesters")}}
			},
			grants: map[string][]string{"erp": {"fay:approvers", "group fay:approvers"}},
		},
		{
			name:  "a current violation is reported, not revoked",
			rules: []SoDRule{block(within)},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("gus", Roles, []string{"viewers"}, nil)), Held: held("gus", "requesters", "approvers")}}
			},
			viols:  []string{"pay/gus/erp:approvers,erp:requesters/false"},
			grants: map[string][]string{"erp": {"gus:viewers", "group gus:viewers"}},
			warn:   `rule "pay": gus holds erp:approvers and erp:requesters now, which the rule forbids together (a current violation`,
		},
		{
			name:  "a current violation this run's revocation ends",
			rules: []SoDRule{within},
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("hal", Roles, nil, []string{"approvers"})), Held: held("hal", "requesters", "approvers")}}
			},
			viols:  []string{"pay/hal/erp:approvers,erp:requesters/true"},
			grants: map[string][]string{"erp": nil},
			warn:   "this run's revocations end it",
		},
		{
			name:  "a grant an earlier rule blocked does not count for a later one",
			rules: []SoDRule{block(within), block(across)},
			ts: func() []SoDTarget {
				return []SoDTarget{
					{Plan: sodPlan("erp", sodChange("jo", Roles, []string{"approvers"}, nil)), Held: held("jo", "requesters")},
					{Plan: sodPlan("github", sodChange("jo", Roles, []string{"admins"}, nil))},
				}
			},
			flags:  []string{"pay/erp/approvers/jo/true"},
			grants: map[string][]string{"erp": nil, "github": {"jo:admins", "group jo:admins"}},
		},
		{
			name:  "no rules, nothing flagged",
			rules: nil,
			ts: func() []SoDTarget {
				return []SoDTarget{{Plan: sodPlan("erp", sodChange("ian", Create, []string{"approvers", "requesters"}, nil))}}
			},
			grants: map[string][]string{"erp": {"ian:approvers", "ian:requesters", "group ian:approvers", "group ian:requesters"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := tt.ts()
			flags, viols := CheckSoD(tt.rules, ts)
			var gotFlags, gotViols []string
			for _, f := range flags {
				gotFlags = append(gotFlags, strings.Join([]string{f.Rule, f.Target, f.Role, f.SourceID, boolText(f.Blocked)}, "/"))
			}
			for _, v := range viols {
				gotViols = append(gotViols, strings.Join([]string{v.Rule, v.SourceID, strings.Join(v.Holds, ","), boolText(v.Resolved)}, "/"))
			}
			slices.Sort(gotFlags)
			if !reflect.DeepEqual(gotFlags, tt.flags) {
				t.Errorf("flags = %q, want %q", gotFlags, tt.flags)
			}
			if !reflect.DeepEqual(gotViols, tt.viols) {
				t.Errorf("violations = %q, want %q", gotViols, tt.viols)
			}
			for _, st := range ts {
				want, ok := tt.grants[st.Plan.Target]
				if !ok {
					continue
				}
				if got := grantsOf(st.Plan); !reflect.DeepEqual(got, want) {
					t.Errorf("%s: grants left = %q, want %q", st.Plan.Target, got, want)
				}
				if st.Plan.Summary.MembersAdded != countAdds(st.Plan) {
					t.Errorf("%s: summary counts %d additions, the plan has %d", st.Plan.Target, st.Plan.Summary.MembersAdded, countAdds(st.Plan))
				}
			}
			if tt.warn != "" && !strings.Contains(strings.Join(allWarnings(ts), "\n"), tt.warn) {
				t.Errorf("warnings %q lack %q", allWarnings(ts), tt.warn)
			}
			if len(flags) > 0 {
				c := grantChangeAny(ts, flags[0])
				if c == nil || !strings.Contains(strings.Join(c.Reasons, "\n"), `segregation of duties, rule "`+flags[0].Rule+`"`) {
					t.Errorf("the flagged change has no reason naming the rule: %+v", c)
				}
			}
		})
	}
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

func grantsOf(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		for _, r := range c.RolesAdded {
			out = append(out, c.SourceID+":"+r.Role)
		}
	}
	for _, g := range p.Groups {
		for _, m := range g.Add {
			out = append(out, "group "+m.SourceID+":"+g.Role)
		}
	}
	return out
}

func countAdds(p *Plan) int {
	n := 0
	for _, g := range p.Groups {
		n += len(g.Add)
	}
	return n
}

func allWarnings(ts []SoDTarget) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.Plan.Warnings...)
	}
	return out
}

// grantChangeAny finds the change a flag is about, its grant dropped or not.
func grantChangeAny(ts []SoDTarget, f SoDFlag) *Change {
	for _, t := range ts {
		if t.Plan.Target != f.Target {
			continue
		}
		for i := range t.Plan.Changes {
			if t.Plan.Changes[i].SourceID == f.SourceID {
				return &t.Plan.Changes[i]
			}
		}
	}
	return nil
}

func TestCheckSoDBlockedRolesOnlyChangeIsReported(t *testing.T) {
	rule := SoDRule{Name: "pay", Block: true, Roles: []SoDRole{{"erp", "requesters"}, {"erp", "approvers"}}}
	p := sodPlan("erp", sodChange("ann", Roles, []string{"approvers"}, nil))
	p.Groups[0].GroupID, p.Groups[0].Create = "", true
	CheckSoD([]SoDRule{rule}, []SoDTarget{{Plan: p, Held: held("ann", "requesters")}})
	if got := p.Changes[0].Action; got != Report {
		t.Errorf("action = %s, want report (nothing left to do)", got)
	}
	if len(p.Groups) != 0 {
		t.Errorf("groups = %+v, want the creation of a group for nobody dropped", p.Groups)
	}
	if p.Summary.GroupsCreated != 0 || p.Summary.MembersAdded != 0 {
		t.Errorf("summary = %+v", p.Summary)
	}
}

func TestSoDViolations(t *testing.T) {
	rules := []SoDRule{{Name: "admin-approve", Roles: []SoDRole{{"github", "admins"}, {"", "approvers"}}}}
	rows := []ReviewRow{
		{Target: "github", Role: "admins", UserName: "ann", SourceID: "ann"},
		{Target: "erp", Role: "approvers", UserName: "ann", SourceID: "ann"},
		{Target: "erp", Role: "approvers", UserName: "bob", SourceID: "bob"},
		{Target: "github", Role: "admins", UserName: "hand", TargetID: "x"}, // unlinked
		{Target: "erp", Role: "approvers", UserName: "hand", TargetID: "y"},
	}
	got := SoDViolations(rules, rows)
	want := []SoDViolation{{Rule: "admin-approve", SourceID: "ann", UserName: "ann", Holds: []string{"erp:approvers", "github:admins"}}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SoDViolations = %+v, want %+v", got, want)
	}
}

package sync

import (
	"fmt"
	"slices"
	"strings"
)

// markSoD writes the flags and current violations into the plans: a
// reason on each flagged change, a warning per flag and violation, and
// under a blocking rule the grant dropped.
func markSoD(ts []SoDTarget, flags []SoDFlag, current []SoDViolation) {
	byTarget := map[string]*Plan{}
	for _, t := range ts {
		byTarget[t.Plan.Target] = t.Plan
	}
	for _, v := range current {
		if p := firstPlan(ts, v.Holds); p != nil {
			p.Warnings = append(p.Warnings, violationText(v))
		}
	}
	changed := map[*Plan]bool{}
	for _, f := range flags {
		p := byTarget[f.Target]
		with := "itself"
		if len(f.With) > 0 {
			with = strings.Join(f.With, " and ")
		}
		outcome := "reported only"
		if f.Blocked {
			outcome = "blocked, not applied"
		}
		why := fmt.Sprintf("%s: granting %s:%s conflicts with %s; %s", sodRuleText(f.Rule), f.Target, f.Role, with, outcome)
		p.Warnings = append(p.Warnings, fmt.Sprintf("%s: %s would hold %s:%s with %s; the grant is %s",
			sodRuleText(f.Rule), f.UserName, f.Target, f.Role, with, outcome))
		if c := grantChange(p, f.SourceID, f.Role); c != nil && !slices.Contains(c.Reasons, why) {
			c.Reasons = append(c.Reasons, why)
		}
		if f.Blocked {
			dropGrant(p, f.SourceID, f.Role)
			changed[p] = true
		}
	}
	for p := range changed {
		p.Groups = dropEmptyCreates(p.Groups)
		recount(p)
		p.Digest = ""
	}
}

// firstPlan returns the plan of the first target of the run (in run
// order) of one of the holdings ("target:role").
func firstPlan(ts []SoDTarget, holds []string) *Plan {
	for _, t := range ts {
		if t.Elsewhere {
			continue
		}
		for _, h := range holds {
			if strings.HasPrefix(h, t.Plan.Target+":") {
				return t.Plan
			}
		}
	}
	return nil
}

// grantChange returns the change of p that grants the person role.
func grantChange(p *Plan, sourceID, role string) *Change {
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.SourceID != sourceID {
			continue
		}
		for _, r := range c.RolesAdded {
			if r.Role == role {
				return c
			}
		}
	}
	return nil
}

// dropGrant takes the grant of role to the person out of p: from the
// change's roles and the group's additions. A change left with nothing to
// do is kept as a report, for a human to see.
func dropGrant(p *Plan, sourceID, role string) {
	if c := grantChange(p, sourceID, role); c != nil {
		kept := c.RolesAdded[:0]
		for _, r := range c.RolesAdded {
			if r.Role != role {
				kept = append(kept, r)
			}
		}
		c.RolesAdded = kept
		if len(kept) == 0 {
			c.RolesAdded = nil
		}
		if c.Action == Roles && len(c.RolesAdded) == 0 && len(c.RolesRemoved) == 0 {
			c.Action = Report
		}
	}
	for i := range p.Groups {
		g := &p.Groups[i]
		if g.Role == role {
			g.Add = keepMembers(g.Add, func(m Member) bool { return m.SourceID != sourceID })
		}
	}
}

// dropEmptyCreates removes group creations left with no member to add.
func dropEmptyCreates(gs []GroupChange) []GroupChange {
	out := gs[:0]
	for _, g := range gs {
		if g.Create && len(g.Add) == 0 && len(g.Remove) == 0 {
			continue
		}
		out = append(out, g)
	}
	return out
}

// SoDHeld lists what the linked people of in's target hold now of the
// roles the rules name: every member of such a role's group whose account
// is linked to a source person.
func SoDHeld(in *PlanInputs, rules []SoDRule) []SoDHolding {
	var out []SoDHolding
	for _, rg := range in.RoleGroups() {
		if !slices.ContainsFunc(rules, func(rule SoDRule) bool {
			return slices.ContainsFunc(rule.Roles, func(r SoDRole) bool { return r.Role == rg.Role })
		}) {
			continue
		}
		for _, a := range rg.Members {
			if l := in.LinkOf(a.ID); l != nil {
				out = append(out, SoDHolding{SourceID: l.SourceID, UserName: a.UserName, Role: rg.Role})
			}
		}
	}
	return out
}

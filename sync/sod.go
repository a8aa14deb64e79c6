package sync

import (
	"fmt"
	"slices"
	"strings"
)

// SoDRule is a segregation-of-duties rule: roles one person must not hold
// together, within a target or across targets.
type SoDRule struct {
	Name string
	// Roles are the roles the rule forbids together (at least two).
	Roles []SoDRole
	// Block drops a grant that would complete the set from the plan (the
	// rest of the run proceeds); false only reports it.
	Block bool
}

// SoDRole is one role of a rule: Role in Target, or in any target when
// Target is "".
type SoDRole struct {
	Target string
	Role   string
}

// String returns "target:role", or the role alone for any target.
func (r SoDRole) String() string {
	if r.Target == "" {
		return r.Role
	}
	return r.Target + ":" + r.Role
}

func (r SoDRole) matches(h holding) bool {
	return r.Role == h.role && (r.Target == "" || r.Target == h.target)
}

// SoDHolding is one role a linked person holds in a target now.
type SoDHolding struct {
	SourceID string
	UserName string
	Role     string
}

// SoDTarget is one target's plan and what its people hold now, as the
// rules are checked against it.
type SoDTarget struct {
	Plan *Plan
	Held []SoDHolding
	// Elsewhere marks a target not in the run: Plan is empty and only
	// names it, Held is what its people hold; its plan is not written.
	Elsewhere bool
}

// SoDFlag is a grant that completes a rule's set.
type SoDFlag struct {
	Rule     string
	Target   string
	Role     string
	SourceID string
	UserName string
	Blocked  bool
	// With are the rule's other roles the person would hold with it
	// ("target:role").
	With []string
}

// SoDViolation is a person who holds a rule's set now.
type SoDViolation struct {
	Rule     string   `json:"rule"`
	SourceID string   `json:"sourceId"`
	UserName string   `json:"userName"`
	Holds    []string `json:"holds"` // "target:role", sorted
	// Resolved is set when the run's revocations end it.
	Resolved bool `json:"resolved,omitempty"`
}

// holding is a role in a target.
type holding struct{ target, role string }

func (h holding) String() string { return h.target + ":" + h.role }

// sodPerson is what one person holds before and after the run.
type sodPerson struct {
	userName string
	now      []holding // held now
	kept     []holding // held now and not revoked by the run
	grants   []holding // granted by the run
}

// CheckSoD checks the rules, in order, against the plans of a run: a grant that
// completes a rule's set (the person would hold every role of the rule
// after the run, and would not without the run's grants) is flagged, with
// a reason on its change and a warning in its target's plan, and under a
// blocking rule dropped from the plan (its change and the person's other
// grants proceed; a blocked grant no longer counts for the rules after
// it). When the run grants several roles of a set, they are taken in the
// rule's role order and only the grant that completes the set is flagged:
// a joiner given both roles of a two-role rule gets the first and not the
// second. A person who holds a set now is a current violation,
// warned in the plan of the first target involved; idsync does not revoke
// it. The plans are changed in place; the flags and violations returned.
func CheckSoD(rules []SoDRule, ts []SoDTarget) ([]SoDFlag, []SoDViolation) {
	if len(rules) == 0 {
		return nil, nil
	}
	people, order := sodPeople(rules, ts)
	var flags []SoDFlag
	var current []SoDViolation
	for _, sid := range order {
		sp := people[sid]
		for _, rule := range rules {
			if v, ok := violates(rule, sp.now); ok {
				current = append(current, SoDViolation{Rule: rule.Name, SourceID: sid, UserName: sp.userName,
					Holds: v, Resolved: !covers(rule, sp.kept, sp.grants)})
			}
			if covers(rule, sp.kept, nil) || !covers(rule, sp.kept, sp.grants) {
				continue
			}
			var fs []SoDFlag
			fs, sp.grants = completing(rule, sid, sp)
			flags = append(flags, fs...)
		}
	}
	markSoD(ts, flags, current)
	return flags, current
}

// sodPeople gathers, by source ID, what each person holds now and what
// the plans grant and revoke of the roles the rules name; order lists the
// source IDs sorted.
func sodPeople(rules []SoDRule, ts []SoDTarget) (map[string]*sodPerson, []string) {
	named := func(h holding) bool {
		for _, rule := range rules {
			if slices.ContainsFunc(rule.Roles, func(r SoDRole) bool { return r.matches(h) }) {
				return true
			}
		}
		return false
	}
	people := map[string]*sodPerson{}
	get := func(sid, userName string) *sodPerson {
		sp := people[sid]
		if sp == nil {
			sp = &sodPerson{userName: userName}
			people[sid] = sp
		}
		return sp
	}
	revoked := map[string]map[holding]bool{}
	for _, t := range ts {
		for _, h := range t.Held {
			if hd := (holding{t.Plan.Target, h.Role}); named(hd) {
				sp := get(h.SourceID, h.UserName)
				sp.now = append(sp.now, hd)
			}
		}
		for i := range t.Plan.Changes {
			c := &t.Plan.Changes[i]
			for _, r := range c.RolesAdded {
				if hd := (holding{t.Plan.Target, r.Role}); named(hd) {
					sp := get(c.SourceID, c.UserName)
					sp.grants = append(sp.grants, hd)
				}
			}
			from := c.SourceID
			if c.Action == Relink && c.PreviousSourceID != "" {
				from = c.PreviousSourceID // the old person's roles go
			}
			for _, r := range c.RolesRemoved {
				if revoked[from] == nil {
					revoked[from] = map[holding]bool{}
				}
				revoked[from][holding{t.Plan.Target, r.Role}] = true
			}
		}
	}
	order := make([]string, 0, len(people))
	for sid, sp := range people {
		for _, h := range sp.now {
			if !revoked[sid][h] {
				sp.kept = append(sp.kept, h)
			}
		}
		order = append(order, sid)
	}
	slices.Sort(order)
	return people, order
}

// completing takes the person's grants of the rule's roles in the rule's
// role order (grants of other roles are left as they are) and flags each
// one that, with what the person keeps and the grants taken before it,
// completes the set. It returns the flags and the grants left: a blocked
// one is dropped and no longer counts.
func completing(rule SoDRule, sid string, sp *sodPerson) ([]SoDFlag, []holding) {
	have := slices.Clone(sp.kept)
	blocked := make([]bool, len(sp.grants))
	taken := make([]bool, len(sp.grants))
	var flags []SoDFlag
	for _, role := range rule.Roles {
		for i, g := range sp.grants {
			if taken[i] || !role.matches(g) {
				continue
			}
			taken[i] = true
			if !covers(rule, append(have, g), nil) {
				have = append(have, g)
				continue
			}
			flags = append(flags, SoDFlag{Rule: rule.Name, Target: g.target, Role: g.role,
				SourceID: sid, UserName: sp.userName, Blocked: rule.Block, With: with(rule, g, have)})
			if rule.Block {
				blocked[i] = true
			} else {
				have = append(have, g)
			}
		}
	}
	var left []holding
	for i, g := range sp.grants {
		if !blocked[i] {
			left = append(left, g)
		}
	}
	return flags, left
}

// with lists the roles of the rule's set other than the grant g among
// the holdings hs, sorted.
func with(rule SoDRule, g holding, hs []holding) []string {
	var out []string
	for _, h := range hs {
		if h != g && slices.ContainsFunc(rule.Roles, func(r SoDRole) bool { return r.matches(h) }) && !slices.Contains(out, h.String()) {
			out = append(out, h.String())
		}
	}
	slices.Sort(out)
	return out
}

// covers reports whether the holdings a and b together hold every role of
// the rule.
func covers(rule SoDRule, a, b []holding) bool {
	for _, r := range rule.Roles {
		if !slices.ContainsFunc(a, r.matches) && !slices.ContainsFunc(b, r.matches) {
			return false
		}
	}
	return true
}

// violates reports whether hs hold every role of the rule, and which of
// them do, sorted.
func violates(rule SoDRule, hs []holding) ([]string, bool) {
	if !covers(rule, hs, nil) {
		return nil, false
	}
	var out []string
	for _, h := range hs {
		if slices.ContainsFunc(rule.Roles, func(r SoDRole) bool { return r.matches(h) }) && !slices.Contains(out, h.String()) {
			out = append(out, h.String())
		}
	}
	slices.Sort(out)
	return out, true
}

// SoDViolations lists the people who hold a rule's set now, from the rows
// of an access review (the linked holders of every role).
func SoDViolations(rules []SoDRule, rows []ReviewRow) []SoDViolation {
	idx := map[string]int{}
	var ts []SoDTarget
	for _, r := range rows {
		if r.SourceID == "" {
			continue
		}
		i, ok := idx[r.Target]
		if !ok {
			i = len(ts)
			idx[r.Target] = i
			ts = append(ts, SoDTarget{Plan: &Plan{Target: r.Target}})
		}
		ts[i].Held = append(ts[i].Held, SoDHolding{SourceID: r.SourceID, UserName: r.UserName, Role: r.Role})
	}
	people, order := sodPeople(rules, ts)
	var out []SoDViolation
	for _, sid := range order {
		for _, rule := range rules {
			if v, ok := violates(rule, people[sid].now); ok {
				out = append(out, SoDViolation{Rule: rule.Name, SourceID: sid, UserName: people[sid].userName, Holds: v})
			}
		}
	}
	return out
}

// sodText describes a violation or a flag's rule in words.
func sodRuleText(rule string) string { return fmt.Sprintf("segregation of duties, rule %q", rule) }

// violationText is the warning for a current violation.
func violationText(v SoDViolation) string {
	s := fmt.Sprintf("%s: %s holds %s now, which the rule forbids together", sodRuleText(v.Rule), v.UserName,
		strings.Join(v.Holds, " and "))
	if v.Resolved {
		return s + "; this run's revocations end it"
	}
	return s + " (a current violation: idsync does not revoke it; review it)"
}

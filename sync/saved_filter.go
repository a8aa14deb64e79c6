package sync

import (
	"fmt"
	"strings"
)

// SavedOutcome is what SavedPlan.Filter did with one target's fresh plan.
type SavedOutcome struct {
	Target string
	// Approved counts the saved changes; Kept those applied from them.
	Approved, Kept int
	// Refused are the saved changes not applied, each named with why.
	Refused []Refusal
	// Skipped counts the fresh changes the saved plan does not have: not
	// approved, so not applied (the next plan lists them again).
	Skipped int
}

// Refusal is a saved change that was not applied, and why.
type Refusal struct {
	Change string `json:"change"`
	Why    string `json:"why"`
}

// Filter is an Options.Inspect for applying a saved plan: it fingerprints
// the fresh plan p from in and keeps only the changes the saved plan has
// with the same fingerprint, and of the group changes only those the
// saved plan has and the memberships of the people whose change is kept.
// A saved change that is not in the fresh plan, or whose fingerprint
// differs, is refused and named in the outcome and the plan's warnings;
// under AllOrNothing any refusal refuses the whole target. A target the
// saved plan has no plan for is refused. Set as Options.Saved, it gets the
// fresh plan before the target's group size limit, and applies that limit
// to the approved changes, before their fingerprints are compared.
func (sp *SavedPlan) Filter(p *Plan, in *PlanInputs) error {
	var st *SavedTarget
	for _, t := range sp.Targets {
		if t.Target == p.Target {
			st = t
		}
	}
	if st == nil {
		return fmt.Errorf("%w: it has no plan for target %q", ErrSavedPlan, p.Target)
	}
	out := &SavedOutcome{Target: p.Target, Approved: st.Changes}
	sp.Outcomes = append(sp.Outcomes, out)
	if in.limit != nil {
		// The group size limit counts what is written: the approved
		// changes and their memberships, not the whole fresh plan.
		approved := p.Changes[:0]
		for i := range p.Changes {
			if _, ok := st.changes[changeKey(&p.Changes[i])]; ok {
				approved = append(approved, p.Changes[i])
			} else {
				out.Skipped++
			}
		}
		clear(p.Changes[len(approved):])
		p.Changes = approved
		p.Groups = onlyMembershipsOf(p.Groups, approved)
		in.limit(p)
	}
	in.Fingerprint(p)
	seen := make(map[string]bool, st.Changes)
	kept := p.Changes[:0]
	for i := range p.Changes {
		c := &p.Changes[i]
		key := changeKey(c)
		s, ok := st.changes[key]
		if !ok {
			out.Skipped++
			continue
		}
		seen[key] = true
		if why := moved(&s.fp, c.Fingerprint); why != "" {
			out.Refused = append(out.Refused, Refusal{Change: s.label, Why: why})
			continue
		}
		kept = append(kept, *c)
	}
	for _, key := range st.order {
		if !seen[key] {
			out.Refused = append(out.Refused, Refusal{Change: st.changes[key].label,
				Why: "no longer planned: its inputs changed since the plan was made"})
		}
	}
	if sp.AllOrNothing && len(out.Refused) > 0 {
		return fmt.Errorf("%w: %d of its %d changes moved since it was made (--all-or-nothing):\n  %s",
			ErrSavedPlan, len(out.Refused), st.Changes, refusalText(out.Refused))
	}
	clear(p.Changes[len(kept):])
	p.Changes = kept
	out.Kept = len(kept)
	p.Groups = filterGroups(p.Groups, kept, st)
	recount(p)
	p.Digest = ""
	p.Warnings = append(p.Warnings, fmt.Sprintf("applying the saved plan %s: %d of its %d changes, %d refused, %d changes planned now that it does not have skipped",
		st.Digest, out.Kept, st.Changes, len(out.Refused), out.Skipped))
	for _, r := range out.Refused {
		p.Warnings = append(p.Warnings, "refused from the saved plan: "+r.Change+": "+r.Why)
	}
	return nil
}

// moved says which of a saved change's inputs differ now, "" when none.
func moved(saved, now *Fingerprint) string {
	var why []string
	if saved.Source != now.Source {
		why = append(why, "the source entry changed since the plan was made")
	}
	if saved.Account != now.Account {
		why = append(why, "the target account changed since the plan was made")
	}
	if saved.Link != now.Link {
		why = append(why, "idsync's link changed since the plan was made")
	}
	if len(why) == 0 && saved.Change != now.Change {
		why = append(why, "the change would differ from the approved one (the rules or the configuration changed)")
	}
	return strings.Join(why, "; ")
}

// refusalText lists refusals, one per line, at most 20.
func refusalText(rs []Refusal) string {
	lines := make([]string, 0, min(len(rs), 21))
	for i, r := range rs {
		if i == 20 {
			lines = append(lines, fmt.Sprintf("and %d more", len(rs)-20))
			break
		}
		lines = append(lines, r.Change+": "+r.Why)
	}
	return strings.Join(lines, "\n  ")
}

// filterGroups keeps the group changes the saved plan has (the same
// create or adoption) with only the memberships of kept changes: an
// addition for a person whose kept change gains the role, a removal for an
// account whose kept change loses it.
func filterGroups(groups []GroupChange, kept []Change, st *SavedTarget) []GroupChange {
	gains, losses := membershipsOf(kept)
	out := groups[:0]
	for _, g := range groups {
		sg, ok := st.groups[g.Role]
		if !ok {
			continue
		}
		s := sg.head
		if g.Create != s.Create || g.Adopt != s.Adopt || g.Adopt && g.GroupID != s.GroupID {
			g.Create, g.Adopt = false, false
			if g.GroupID == "" {
				continue // the group to add members to is not approved
			}
		}
		g.Add = keepMembers(g.Add, func(m Member) bool { return gains[m.SourceID+"\x00"+g.Role] })
		g.Remove = keepMembers(g.Remove, func(m Member) bool { return losses[m.TargetID+"\x00"+g.Role] })
		if g.Create && sg.adds > 0 && len(g.Add) == 0 {
			continue // created for members whose changes were all refused
		}
		if g.Create || g.Adopt || len(g.Add) > 0 || len(g.Remove) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// membershipsOf returns the role gains (source ID + role) and losses
// (target ID + role) of changes.
func membershipsOf(changes []Change) (gains, losses map[string]bool) {
	gains, losses = map[string]bool{}, map[string]bool{}
	for i := range changes {
		c := &changes[i]
		for _, r := range c.RolesAdded {
			gains[c.SourceID+"\x00"+r.Role] = true
		}
		for _, r := range c.RolesRemoved {
			losses[c.TargetID+"\x00"+r.Role] = true
		}
	}
	return gains, losses
}

// onlyMembershipsOf keeps of groups' additions and removals those of
// changes, and every group change that still does something: what the
// group size limit counts when a saved plan is applied.
func onlyMembershipsOf(groups []GroupChange, changes []Change) []GroupChange {
	gains, losses := membershipsOf(changes)
	out := groups[:0]
	for _, g := range groups {
		g.Add = keepMembers(g.Add, func(m Member) bool { return gains[m.SourceID+"\x00"+g.Role] })
		g.Remove = keepMembers(g.Remove, func(m Member) bool { return losses[m.TargetID+"\x00"+g.Role] })
		if g.Create || g.Adopt || len(g.Add) > 0 || len(g.Remove) > 0 {
			out = append(out, g)
		}
	}
	return out
}

func keepMembers(ms []Member, keep func(Member) bool) []Member {
	out := ms[:0]
	for _, m := range ms {
		if keep(m) {
			out = append(out, m)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// recount sets the change and group counts of p's summary from what p now
// holds, as BuildPlan counts them (the source and target counts stay).
func recount(p *Plan) {
	s := &p.Summary
	s.Joiners, s.Movers, s.Leavers, s.Orphans, s.Adopted, s.Rehires, s.PendingDeletes = 0, 0, 0, 0, 0, 0, 0
	s.Creates, s.Updates, s.Disables, s.Deletes = 0, 0, 0, 0
	s.GroupsCreated, s.MembersAdded, s.MembersRemoved = 0, 0, 0
	kinds := map[Kind]*int{Joiner: &s.Joiners, Mover: &s.Movers, Leaver: &s.Leavers, Orphan: &s.Orphans, Adopt: &s.Adopted, Rehire: &s.Rehires}
	for i := range p.Changes {
		c := &p.Changes[i]
		switch n := kinds[c.Kind]; {
		case c.Kind == Leaver && c.Action == Report:
			// Not a pending write: a protected leaver, or an account
			// waiting for its staged deletion.
			if !c.DeleteOn.IsZero() {
				s.PendingDeletes++
			}
		case n != nil:
			*n++
		}
		switch {
		case c.Action == Create:
			s.Creates++
		case c.Action == Update, c.Action == Link && len(c.Attrs) > 0:
			s.Updates++
		case c.Action == Disable:
			s.Disables++
		case c.Action == Delete:
			s.Deletes++
		}
	}
	for _, g := range p.Groups {
		if g.Create {
			s.GroupsCreated++
		}
		s.MembersAdded += len(g.Add)
		s.MembersRemoved += len(g.Remove)
	}
}

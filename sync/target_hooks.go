package sync

import (
	"fmt"
	"slices"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/targets"
)

// userNameRewriter is a target that stores a userName rewritten (the SCIM
// target's slack and github-emu profiles). The plan compares a person's
// desired userName through the rewrite, so a name the target rewrote is
// not a change on every run, and correlation by userName still matches.
type userNameRewriter interface {
	// RewriteUserName returns the userName the target stores for name.
	RewriteUserName(name string) string
}

// rewriteUserNames returns people with every account's userName as t
// stores it: people itself when t rewrites none of them, else a copy.
func rewriteUserNames(t targets.Target, people []mapping.Person) []mapping.Person {
	rw, ok := t.(userNameRewriter)
	if !ok {
		return people
	}
	var out []mapping.Person
	for i := range people {
		name := people[i].Account.UserName
		if n := rw.RewriteUserName(name); n != name {
			if out == nil {
				out = slices.Clone(people)
			}
			out[i].Account.UserName = n
		}
	}
	if out == nil {
		return people
	}
	return out
}

// actionDescriber is a target that says in words what an action does there
// (the SCIM target's profiles: on Slack a delete deactivates, on GitHub
// EMU it destroys the user's data for good).
type actionDescriber interface {
	// Meaning describes action ("disable", "delete") on the target as a
	// verb phrase; "" when there is nothing to add.
	Meaning(action string) string
}

// describeActions adds to every disable and delete of p a reason saying
// what the action does on t, when t says.
func describeActions(t targets.Target, p *Plan) {
	d, ok := t.(actionDescriber)
	if !ok {
		return
	}
	for i := range p.Changes {
		c := &p.Changes[i]
		if c.Action != Disable && c.Action != Delete {
			continue
		}
		if m := d.Meaning(string(c.Action)); m != "" {
			c.Reasons = append(c.Reasons, fmt.Sprintf("%s on this target %s", c.Action, m))
		}
	}
}

// groupSizeLimiter is a target whose groups may hold a limited number of
// members (the SCIM target's slack profile: 15,000).
type groupSizeLimiter interface {
	// MaxGroupMembers is the most members a group may have; 0 for no limit.
	MaxGroupMembers() int
}

// limitGroupSizes drops the additions of every group change of p that
// would leave its group with more members than t allows, with a warning
// naming the group, and the role from the changes of the people left out
// (a change that only granted it goes): the target would refuse the whole
// update, and the plan says so instead of a refused write. Removals still
// go. A group's size is what the target's listing (or the view's index of
// it) says it holds now, its members that are accounts; an incremental
// run that knows fewer members checks less, and the target's refusal is
// then recorded as any other.
func limitGroupSizes(t targets.Target, groups []targets.Group, x *TargetIndex, p *Plan) {
	l, ok := t.(groupSizeLimiter)
	if !ok || l.MaxGroupMembers() <= 0 {
		return
	}
	limit := l.MaxGroupMembers()
	size := make(map[string]int, len(groups))
	for gi, g := range groups {
		size[g.ID] = len(g.Members)
		if x != nil && len(x.members) == len(groups) {
			size[g.ID] = len(x.members[gi]) // the view's index holds them
		}
	}
	left := map[grant]bool{}
	for i := range p.Groups {
		g := &p.Groups[i]
		n := len(g.Add) - len(g.Remove)
		if !g.Create {
			n += size[g.GroupID]
		}
		if len(g.Add) == 0 || n <= limit {
			continue
		}
		p.Warnings = append(p.Warnings, fmt.Sprintf(
			"group %q would have %d members, and the target allows at most %d: its %d additions are not sent "+
				"(split the role, or narrow its rule)", g.Role, n, limit, len(g.Add)))
		for _, m := range g.Add {
			left[grant{g.Role, m.SourceID}] = true
		}
		g.Add = nil
	}
	if len(left) == 0 {
		return
	}
	p.Groups = slices.DeleteFunc(p.Groups, func(g GroupChange) bool {
		return !g.Create && !g.Adopt && len(g.Add) == 0 && len(g.Remove) == 0
	})
	withoutGrants(p, left)
	recount(p)
}

// grant is one role given to one person (by source ID).
type grant struct{ role, person string }

// withoutGrants takes the grants in left out of p's changes: a change
// left with nothing to do goes (a rename stays, as a record), and the
// reasons say what was not granted.
func withoutGrants(p *Plan, left map[grant]bool) {
	kept := p.Changes[:0]
	for _, c := range p.Changes {
		had := len(c.RolesAdded)
		c.RolesAdded = slices.DeleteFunc(c.RolesAdded, func(r RoleChange) bool { return left[grant{r.Role, c.SourceID}] })
		if len(c.RolesAdded) < had {
			if c.Action == Roles && len(c.RolesAdded) == 0 && len(c.RolesRemoved) == 0 {
				if c.PreviousDN == "" {
					p.Summary.Unchanged++ // nothing left to do for this person
					continue
				}
				c.Action = Record // the rename is still recorded
			}
			// A mover's "gains N roles" counts what is left.
			if i := slices.Index(c.Reasons, "gains "+plural(had, "role", "roles")); c.Kind == Mover && i >= 0 {
				if n := len(c.RolesAdded); n > 0 {
					c.Reasons[i] = "gains " + plural(n, "role", "roles")
				} else {
					c.Reasons = slices.Delete(c.Reasons, i, i+1)
				}
			}
			c.Reasons = append(c.Reasons, plural(had-len(c.RolesAdded), "role", "roles")+
				" not granted: the target's group is full (see the warnings)")
		}
		kept = append(kept, c)
	}
	clear(p.Changes[len(kept):])
	p.Changes = kept
}

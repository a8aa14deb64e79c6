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

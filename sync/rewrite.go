package sync

import (
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

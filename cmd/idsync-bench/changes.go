//go:build linux

package main

import (
	"fmt"
	"os/exec"
	"strings"

	"github.com/idsync/idsync/sync/ldapsource/slapdtest"
)

// Kinds of change the watch benchmark makes, in turn.
var changeKinds = []string{"title", "move", "disable", "delete"}

// change is one directory change: its LDIF for ldapmodify, and the SCIM
// resources it must write to (suffixes of their paths) to be visible.
type change struct {
	kind   string
	user   int
	ldif   string
	writes []string
}

// ids are the SCIM IDs of the users (by userName) and groups (by display
// name) after the first full reconciliation.
type ids struct{ users, groups map[string]string }

// roleOf is the SCIM group of directory group g (the benchmark's
// group_roles name them "role-" + the group's cn).
func roleOf(g int) string { return fmt.Sprintf("role-group%04d", g) }

// planChanges picks k changes of the kinds in turn, each on a person of
// its own, spread over the directory.
func planChanges(k, size, groups int, id ids) ([]change, error) {
	used := map[int]bool{}
	next := 0
	var out []change
	for j := 0; len(out) < k; j++ {
		if len(used) >= size {
			return nil, fmt.Errorf("-changes %d: not enough people (%d)", k, size)
		}
		next = (next + 7919) % size // a prime step visits everyone
		if used[next] {
			next = (next + 1) % size
			continue
		}
		used[next] = true
		c, ok := makeChange(changeKinds[len(out)%len(changeKinds)], next, j, groups, id)
		if !ok {
			continue
		}
		out = append(out, c)
	}
	return out, nil
}

// makeChange builds a change of kind on user i; ok is false when i cannot
// have one (a move needs a group to leave and one to join).
func makeChange(kind string, i, j, groups int, id ids) (change, bool) {
	dn := slapdtest.UserDN(i)
	user := id.users[fmt.Sprintf("user%06d", i)]
	c := change{kind: kind, user: i, writes: []string{"/Users/" + user}}
	switch kind {
	case "title":
		c.ldif = fmt.Sprintf("dn: %s\nchangetype: modify\nreplace: title\ntitle: Changed %d\n-\n", dn, j)
	case "disable":
		c.ldif = fmt.Sprintf("dn: %s\nchangetype: modify\nreplace: employeeType\nemployeeType: disabled\n-\n", dn)
	case "delete":
		c.ldif = fmt.Sprintf("dn: %s\nchangetype: delete\n", dn)
	case "move":
		from, to, ok := moveGroups(i, groups)
		if !ok {
			return change{}, false
		}
		// slapd's memberof overlay updates the person's memberOf.
		c.ldif = fmt.Sprintf("dn: %s\nchangetype: modify\ndelete: member\nmember: %s\n-\n\n"+
			"dn: %s\nchangetype: modify\nadd: member\nmember: %s\n-\n",
			slapdtest.GroupDN(from), dn, slapdtest.GroupDN(to), dn)
		gf, gt := id.groups[roleOf(from)], id.groups[roleOf(to)]
		if gf == "" || gt == "" {
			return change{}, false
		}
		c.writes = []string{"/Groups/" + gf, "/Groups/" + gt}
	}
	return c, user != ""
}

// moveGroups picks a group user i is a direct member of and one it is not
// in at all. Groups 10k+1 and 10k+2 nest the ones before them (see
// slapdtest.NestedIn): the group left is never one of those (the person
// could stay in it through the nested group), the group joined is a 10k
// one (it nests no group, so the person is in it only if directly).
func moveGroups(i, groups int) (from, to int, ok bool) {
	if groups < 10 {
		return 0, 0, false
	}
	in := map[int]bool{}
	from = -1
	for _, g := range slapdtest.UserGroups(i, groups) {
		in[g] = true
		if r := g % 10; from < 0 && r != 1 && r != 2 {
			from = g
		}
	}
	if from < 0 {
		return 0, 0, false
	}
	for k := 0; k < groups; k += 10 {
		to = (from/10*10 + 10 + k) % (groups / 10 * 10)
		if !in[to] {
			return from, to, true
		}
	}
	return 0, 0, false
}

// ldapmodify runs the ldapmodify command with the change as admin.
func ldapmodify(s *slapdtest.Server, ldif string) error {
	cmd := exec.Command("ldapmodify", "-x", "-H", s.URL, "-D", s.AdminDN, "-w", s.AdminPassword)
	cmd.Stdin = strings.NewReader(ldif)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("ldapmodify: %w: %s", err, out)
	}
	return nil
}

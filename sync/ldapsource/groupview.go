package ldapsource

import (
	"maps"
	"slices"

	"github.com/idsync/idsync/mapping"
)

// groupsOf answers which groups an entry belongs to; *mapping.Groups is
// one.
type groupsOf interface {
	Of(dn string, memberOf []string) []mapping.Membership
}

// memberships returns what answers for the cached groups as they are
// now. Rebuilding the index of every group costs a pass over every
// membership of the directory, so after a few groups changed the old index
// is kept and each person's groups are worked out around the changed ones
// (changedGroups, kept until a group changes again); the index is rebuilt
// only once the changed groups hold a good part of all memberships (1/16)
// or are many.
func (c *groupCache) memberships() groupsOf {
	if c.index == nil || len(c.changed) == 0 {
		return c.groups()
	}
	if c.around != nil { // no group changed since the last read
		return c.around
	}
	total, changed := 0, 0
	for key, g := range c.byKey {
		total += len(g.members)
		if c.changed[key] {
			changed += len(g.members)
		}
	}
	if len(c.changed) > maxChangedGroups || changed*16 > total {
		return c.groups()
	}
	v := &changedGroups{c: c, listedBy: map[string][]string{}}
	for _, key := range slices.Sorted(maps.Keys(c.changed)) {
		g := c.byKey[key]
		if g == nil {
			continue // removed
		}
		for _, m := range g.members {
			mk := mapping.NormalizeDN(m)
			v.listedBy[mk] = append(v.listedBy[mk], key)
		}
	}
	c.around = v
	return v
}

// maxChangedGroups is how many groups may change before the index is
// rebuilt.
const maxChangedGroups = 64

// changedGroups answers Of as an index of every cached group would, from
// an index built before some groups changed.
type changedGroups struct {
	c *groupCache
	// listedBy maps a member's normalised DN to the changed groups that
	// list it now.
	listedBy map[string][]string
}

// Of returns the groups of the entry dn, as mapping.Groups.Of over every
// cached group would: it finds the groups that matter to dn (those
// listing it or a memberOf group, and the groups listing those, up the
// nesting), and asks an index of those groups alone, each holding only
// the members found on the way, added in the order a full index adds
// them. Its cost follows dn's groups, not the size of the directory.
func (v *changedGroups) Of(dn string, memberOf []string) []mapping.Membership {
	c := v.c
	wanted := map[string]bool{}    // keys whose listing groups matter
	lists := map[string][]string{} // cached group key -> the wanted keys it lists
	var queue []string
	want := func(key string) {
		if !wanted[key] {
			wanted[key] = true
			queue = append(queue, key)
		}
	}
	want(mapping.NormalizeDN(dn))
	for _, m := range memberOf {
		want(mapping.NormalizeDN(m))
	}
	for i := 0; i < len(queue); i++ {
		for _, g := range v.listing(queue[i]) {
			lists[g] = append(lists[g], queue[i])
			want(g)
		}
	}
	for key := range wanted { // a memberOf group that lists nothing wanted
		if _, ok := lists[key]; !ok && c.byKey[key] != nil {
			lists[key] = nil
		}
	}
	small := mapping.NewGroups()
	for _, key := range slices.Sorted(maps.Keys(lists)) {
		g := c.byKey[key]
		small.AddTyped(g.dn, g.name, g.typ, lists[key])
	}
	return small.Of(dn, memberOf)
}

// listing returns the normalised DNs of the cached groups that list key
// as a direct member now: those the index knows that have not changed
// since, and the changed ones.
func (v *changedGroups) listing(key string) []string {
	var out []string
	for _, m := range v.c.index.Of(key, nil) {
		if len(m.Via) > 0 {
			continue // through another group: found from that one
		}
		gk := mapping.NormalizeDN(m.DN)
		if !v.c.changed[gk] && v.c.byKey[gk] != nil {
			out = append(out, gk)
		}
	}
	return append(out, v.listedBy[key]...)
}

package ldapsource

import (
	"maps"
	"slices"

	"github.com/idsync/idsync/mapping"
)

// groupCache is every group of the last full read, kept (when the Source
// keeps groups) so that a read of a few changed people resolves their
// memberships without reading every group again, and so that a changed
// group's former members are known.
type groupCache struct {
	byKey map[string]*cachedGroup // normalised DN -> group
	byID  map[string]string       // the group entry's ID -> normalised DN
	// index is built from byKey as it was before the groups in changed
	// were put or removed (nil: not built yet). A change does not rebuild
	// it: memberships() answers around the few changed groups.
	index   *mapping.Groups
	changed map[string]bool // normalised DNs
	around  *changedGroups  // made from changed when first asked; nil after a change
}

// cachedGroup is one group entry as read.
type cachedGroup struct {
	dn, name, id string
	typ          mapping.GroupType // scope and kind of an AD group
	members      []string          // member DNs (people or groups), as the server gave them
}

func newGroupCache() *groupCache {
	return &groupCache{byKey: map[string]*cachedGroup{}, byID: map[string]string{}}
}

// put records g, replacing the group of the same DN or ID (a rename), and
// returns the group it replaced, nil when g is new.
func (c *groupCache) put(g *cachedGroup) (old *cachedGroup) {
	key := mapping.NormalizeDN(g.dn)
	if g.id != "" {
		if k, ok := c.byID[g.id]; ok && k != key {
			old = c.byKey[k]
			delete(c.byKey, k)
			c.change(k)
		}
		c.byID[g.id] = key
	}
	if o := c.byKey[key]; o != nil {
		old = o
	}
	c.byKey[key] = g
	c.change(key)
	return old
}

// removeID forgets the group whose entry has ID id and returns it; nil when
// id is not a known group.
func (c *groupCache) removeID(id string) *cachedGroup {
	key, ok := c.byID[id]
	if !ok {
		return nil
	}
	delete(c.byID, id)
	g := c.byKey[key]
	delete(c.byKey, key)
	c.change(key)
	return g
}

// removeKey forgets the group at normalised DN key.
func (c *groupCache) removeKey(key string) {
	delete(c.byKey, key)
	c.change(key)
}

// change records that the group at normalised DN key was put or removed
// after the index was built.
func (c *groupCache) change(key string) {
	if c.index == nil {
		return // built from byKey when first asked
	}
	if c.changed == nil {
		c.changed = map[string]bool{}
	}
	c.changed[key] = true
	c.around = nil
}

// groups returns the membership index of the cached groups, built anew
// when a group changed since it was built.
func (c *groupCache) groups() *mapping.Groups {
	if c.index == nil || len(c.changed) > 0 {
		c.changed, c.around = nil, nil
		c.index = mapping.NewGroups()
		for _, key := range slices.Sorted(maps.Keys(c.byKey)) {
			g := c.byKey[key]
			c.index.AddTyped(g.dn, g.name, g.typ, g.members)
		}
	}
	return c.index
}

// people returns the DNs of the entries that are members of g directly or
// through the groups it contains, by normalised DN; groups themselves are
// left out. Cycles are harmless.
func (c *groupCache) people(g *cachedGroup) map[string]string {
	out := map[string]string{}
	c.walk(g, func(key, dn string, group bool) bool {
		if !group {
			out[key] = dn
		}
		return true
	})
	return out
}

// walk calls visit with every member of g, directly or through the groups
// it contains (each group once: cycles are harmless), by normalised DN and
// as given, saying whether it is a group of c; it stops when visit returns
// false. A nil g has no members.
func (c *groupCache) walk(g *cachedGroup, visit func(key, dn string, group bool) bool) {
	if g == nil {
		return
	}
	seen := map[string]bool{mapping.NormalizeDN(g.dn): true}
	stack := [][]string{g.members}
	for len(stack) > 0 {
		members := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, m := range members {
			key := mapping.NormalizeDN(m)
			sub, group := c.byKey[key]
			if !visit(key, m, group) {
				return
			}
			if group && !seen[key] {
				seen[key] = true
				stack = append(stack, sub.members)
			}
		}
	}
}

// affected returns the DNs of the people whose memberships a change of a
// group from old to new (either nil: added or deleted) changes: those in
// one but not the other, or all of both when its DN, name or type changed.
func (c *groupCache) affected(old, new *cachedGroup, oldPeople map[string]string) []string {
	newPeople := c.people(new)
	all := old == nil || new == nil || mapping.NormalizeDN(old.dn) != mapping.NormalizeDN(new.dn) || old.name != new.name || old.typ != new.typ
	var out []string
	for k, dn := range oldPeople {
		if _, in := newPeople[k]; all || !in {
			out = append(out, dn)
		}
	}
	for k, dn := range newPeople {
		if _, in := oldPeople[k]; !in {
			out = append(out, dn)
		}
	}
	slices.Sort(out)
	return out
}

// clone returns a copy of c that can change without changing c; the
// groups themselves and the index are shared (they are replaced, never
// changed).
func (c *groupCache) clone() *groupCache {
	return &groupCache{byKey: maps.Clone(c.byKey), byID: maps.Clone(c.byID), index: c.index, changed: maps.Clone(c.changed)}
}

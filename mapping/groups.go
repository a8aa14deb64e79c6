package mapping

import (
	"iter"
	"slices"
	"strings"
	gosync "sync"
)

// Groups collects the groups a source read and answers which groups a
// person belongs to, expanding nested groups. Add every group first, then
// call Of for each person; Of may be called concurrently, Add may not.
type Groups struct {
	byDN map[string]*group // normalised DN -> group
	// parents maps a normalised member DN to the groups listing it, a
	// list threaded through edges in the order they were added: a
	// directory's hundreds of thousands of memberships cost two map
	// operations each and no allocation of their own.
	parents map[string]edgeList
	edges   []edge
	// resolve fills group.parents once, on the first Of after an Add.
	resolve *gosync.Once
}

// edge is one group listing a member; next is the member's next edge, -1
// after the last.
type edge struct {
	g    *group
	next int32
}

// edgeList is the first and last of one member's edges.
type edgeList struct{ first, last int32 }

// listing yields the groups listing the member with normalised DN key, in
// the order they were added.
func (g *Groups) listing(key string) iter.Seq[*group] {
	return func(yield func(*group) bool) {
		l, ok := g.parents[key]
		if !ok {
			return
		}
		for i := l.first; i >= 0; i = g.edges[i].next {
			if !yield(g.edges[i].g) {
				return
			}
		}
	}
}

type group struct {
	dn, name string
	typ      GroupType
	key      string // normalised dn
	// parents are the groups this group is a direct member of.
	parents []*group
}

// NewGroups returns an empty group index.
func NewGroups() *Groups {
	return &Groups{byDN: map[string]*group{}, parents: map[string]edgeList{}, resolve: new(gosync.Once)}
}

// Add records the group dn with display name name (its cn; the first RDN
// value when empty) and its direct member DNs (people or groups).
func (g *Groups) Add(dn, name string, members []string) {
	g.AddTyped(dn, name, GroupType{}, members)
}

// AddTyped is Add for a group whose AD groupType is known: the
// memberships Of returns carry it (Membership.Type).
func (g *Groups) AddTyped(dn, name string, typ GroupType, members []string) {
	key := NormalizeDN(dn)
	if name == "" {
		name = firstRDNValue(dn)
	}
	// A group read twice (overlapping group bases) stays one group, so
	// that every member's parents point at the one resolveParents fills.
	gr := g.byDN[key]
	if gr == nil {
		gr = &group{key: key}
		g.byDN[key] = gr
	}
	gr.dn, gr.name, gr.typ = dn, name, typ
	if need := len(g.edges) + len(members); need > cap(g.edges) {
		// Doubled: append grows a large slice by a quarter at a time.
		grown := make([]edge, len(g.edges), max(2*cap(g.edges), need, 256))
		copy(grown, g.edges)
		g.edges = grown
	}
	for _, m := range members {
		mk := NormalizeDN(m)
		i := int32(len(g.edges))
		g.edges = append(g.edges, edge{g: gr, next: -1})
		if l, ok := g.parents[mk]; ok {
			g.edges[l.last].next = i
			g.parents[mk] = edgeList{l.first, i}
		} else {
			g.parents[mk] = edgeList{i, i}
		}
	}
	g.resolve = new(gosync.Once)
}

// resolveParents links every group to the groups it is a member of, so
// that Of walks nested groups by pointer instead of by map lookups.
func (g *Groups) resolveParents() {
	for key, gr := range g.byDN {
		gr.parents = slices.Collect(g.listing(key))
	}
}

// Len returns the number of groups added.
func (g *Groups) Len() int { return len(g.byDN) }

// Of returns every group the entry dn belongs to: the groups that list it as
// a member, the groups named in memberOf (a server-maintained back link, when
// the source reads it), and transitively the groups those groups are members
// of. Each group appears once; direct memberships come first, in the order
// found; cycles are harmless. The result shares no memory with dn or
// memberOf. A memberOf group that was not added is kept
// with its DN as given and its first RDN value as its name.
func (g *Groups) Of(dn string, memberOf []string) []Membership {
	g.resolve.Do(g.resolveParents)
	// An item is a group found: gr for an added group, else (a memberOf
	// value naming a group the read did not see) only key and given.
	type item struct {
		gr         *group
		key, given string
		via        []string
	}
	// The queue doubles as the seen set: people are in a handful of
	// groups, and a linear scan of a few keys beats a map per person. Large
	// sets switch to a map.
	var buf [8]item
	queue := buf[:0]
	var seen map[string]bool
	push := func(it item) {
		if seen == nil {
			for i := range queue {
				if queue[i].key == it.key {
					return
				}
			}
			if len(queue) == 32 {
				seen = make(map[string]bool, 64)
				for _, q := range queue {
					seen[q.key] = true
				}
			}
		} else if seen[it.key] {
			return
		}
		if seen != nil {
			seen[it.key] = true
		}
		queue = append(queue, it)
	}
	for p := range g.listing(NormalizeDN(dn)) {
		push(item{gr: p, key: p.key})
	}
	listed := queue[:len(queue):len(queue)] // the groups whose member lists name dn
	for _, m := range memberOf {
		// A server writes memberOf as the group's DN, and most groups
		// that list a person are in its memberOf too: those are known
		// without normalising m and looking it up.
		if slices.ContainsFunc(listed, func(it item) bool { return it.gr.dn == m }) {
			continue
		}
		key := NormalizeDN(m)
		if gr, ok := g.byDN[key]; ok {
			push(item{gr: gr, key: gr.key})
		} else {
			push(item{key: key, given: m})
		}
	}
	out := make([]Membership, 0, len(queue))
	for i := 0; i < len(queue); i++ {
		it := queue[i]
		var m Membership
		var parents []*group
		if it.gr != nil {
			m = Membership{DN: it.gr.dn, Name: it.gr.name, Type: it.gr.typ, Via: it.via}
			parents = it.gr.parents
		} else {
			// The membership shares no memory with the entry it came
			// from.
			dn := strings.Clone(strings.TrimSpace(it.given))
			m = Membership{DN: dn, Name: firstRDNValue(dn), Via: it.via}
			parents = slices.Collect(g.listing(it.key))
		}
		out = append(out, m)
		if len(parents) > 0 {
			via := append(append(make([]string, 0, len(it.via)+1), it.via...), m.DN)
			for _, p := range parents {
				push(item{gr: p, key: p.key, via: via})
			}
		}
	}
	return out
}

// NormalizeDN returns dn in a form that compares equal for equal DNs:
// attribute types and values lower-cased, spaces around separators removed.
// It understands backslash escapes well enough not to split on an escaped
// comma; it does not decode hex escapes.
func NormalizeDN(dn string) string {
	if isNormal(dn) {
		return dn // the common case for server-written DNs: no allocation
	}
	var b strings.Builder
	b.Grow(len(dn))
	start := 0
	esc := false
	for i := 0; i < len(dn); i++ {
		c := dn[i]
		switch {
		case esc:
			esc = false
		case c == '\\':
			esc = true
		case c == ',' || c == ';':
			writeRDN(&b, dn[start:i])
			b.WriteByte(',')
			start = i + 1
		}
	}
	writeRDN(&b, dn[start:])
	return b.String()
}

func writeRDN(b *strings.Builder, rdn string) {
	rdn = strings.TrimSpace(rdn)
	if k, v, ok := strings.Cut(rdn, "="); ok {
		b.WriteString(strings.ToLower(strings.TrimSpace(k)))
		b.WriteByte('=')
		b.WriteString(strings.ToLower(strings.TrimSpace(v)))
		return
	}
	b.WriteString(strings.ToLower(rdn))
}

// firstRDNValue returns the value of the first RDN of dn ("Sales" for
// "cn=Sales,ou=groups,dc=example,dc=org").
func firstRDNValue(dn string) string {
	first := dn
	esc := false
	for i := 0; i < len(dn); i++ {
		if esc {
			esc = false
			continue
		}
		if dn[i] == '\\' {
			esc = true
		} else if dn[i] == ',' {
			first = dn[:i]
			break
		}
	}
	if _, v, ok := strings.Cut(first, "="); ok {
		return strings.TrimSpace(v)
	}
	return strings.TrimSpace(first)
}

// isNormal reports whether dn has nothing NormalizeDN would change: no
// upper-case ASCII, no spaces, no semicolons, no escapes, no non-ASCII.
func isNormal(dn string) bool {
	for i := 0; i < len(dn); i++ {
		if notNormal[dn[i]] {
			return false
		}
	}
	return true
}

// notNormal marks the bytes isNormal rejects.
var notNormal = func() (t [256]bool) {
	for c := 0; c < 256; c++ {
		t[c] = c >= 'A' && c <= 'Z' || c == ' ' || c == ';' || c == '\\' || c >= 0x80 || c == '\t'
	}
	return t
}()

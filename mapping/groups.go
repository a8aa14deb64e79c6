package mapping

import "strings"

// Groups collects the groups a source read and answers which groups a
// person belongs to, expanding nested groups. Add every group first, then
// call Of for each person. It is not safe for concurrent Add calls.
type Groups struct {
	byDN    map[string]*group   // normalised DN -> group
	parents map[string][]string // normalised member DN -> normalised group DNs
}

type group struct {
	dn, name string
}

// NewGroups returns an empty group index.
func NewGroups() *Groups {
	return &Groups{byDN: map[string]*group{}, parents: map[string][]string{}}
}

// Add records the group dn with display name name (its cn; the first RDN
// value when empty) and its direct member DNs (people or groups).
func (g *Groups) Add(dn, name string, members []string) {
	key := NormalizeDN(dn)
	if name == "" {
		name = firstRDNValue(dn)
	}
	g.byDN[key] = &group{dn: dn, name: name}
	for _, m := range members {
		mk := NormalizeDN(m)
		g.parents[mk] = append(g.parents[mk], key)
	}
}

// Len returns the number of groups added.
func (g *Groups) Len() int { return len(g.byDN) }

// Of returns every group the entry dn belongs to: the groups that list it as
// a member, the groups named in memberOf (a server-maintained back link, when
// the source reads it), and transitively the groups those groups are members
// of. Each group appears once; direct memberships come first, in the order
// found; cycles are harmless. A memberOf group that was not added is kept
// with its DN as given and its first RDN value as its name.
func (g *Groups) Of(dn string, memberOf []string) []Membership {
	type item struct {
		key string
		via []string
	}
	// The queue doubles as the seen set: people are in a handful of
	// groups, and a linear scan of a few keys beats a map per person. Large
	// sets switch to a map.
	queue := make([]item, 0, 8)
	var seen map[string]bool
	push := func(key string, via []string) {
		if seen == nil {
			for _, q := range queue {
				if q.key == key {
					return
				}
			}
			if len(queue) == 32 {
				seen = make(map[string]bool, 64)
				for _, q := range queue {
					seen[q.key] = true
				}
			}
		} else if seen[key] {
			return
		}
		if seen != nil {
			seen[key] = true
		}
		queue = append(queue, item{key, via})
	}
	for _, p := range g.parents[NormalizeDN(dn)] {
		push(p, nil)
	}
	var asGiven map[string]string // normalised memberOf DN -> as given
	for _, m := range memberOf {
		key := NormalizeDN(m)
		if _, ok := g.byDN[key]; !ok {
			if asGiven == nil {
				asGiven = map[string]string{}
			}
			if _, ok := asGiven[key]; !ok {
				asGiven[key] = m
			}
		}
		push(key, nil)
	}
	out := make([]Membership, 0, len(queue))
	for i := 0; i < len(queue); i++ {
		it := queue[i]
		gr, ok := g.byDN[it.key]
		var m Membership
		if ok {
			m = Membership{DN: gr.dn, Name: gr.name, Via: it.via}
		} else {
			dn := strings.TrimSpace(asGiven[it.key])
			m = Membership{DN: dn, Name: firstRDNValue(dn), Via: it.via}
		}
		out = append(out, m)
		if parents := g.parents[it.key]; len(parents) > 0 {
			via := append(append(make([]string, 0, len(it.via)+1), it.via...), m.DN)
			for _, p := range parents {
				push(p, via)
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
		c := dn[i]
		if c >= 'A' && c <= 'Z' || c == ' ' || c == ';' || c == '\\' || c >= 0x80 || c == '\t' {
			return false
		}
	}
	return true
}

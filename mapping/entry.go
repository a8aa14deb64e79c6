package mapping

import "strings"

// Entry is one person as read from the source directory, with the groups it
// belongs to already resolved (directly and through nested groups).
type Entry struct {
	// ID is the stable identifier (entryUUID, objectGUID as a GUID string);
	// never the DN, which changes on rename and move.
	ID string
	// DN is the entry's distinguished name as the server returned it.
	DN string
	// Attrs holds the attribute values, each under its lower-case name.
	Attrs Attrs
	// Groups lists every group the entry is a member of, directly or via
	// nested groups, each once, in a stable order (direct groups first).
	Groups []Membership
}

// Membership is one group an entry belongs to.
type Membership struct {
	// DN of the group.
	DN string
	// Name is the group's cn (or the first RDN value when it has no cn).
	Name string
	// Type is the group's AD scope and kind; zero (and left out of JSON)
	// when the source did not say (not AD, or a group known only from
	// memberOf).
	Type GroupType `json:",omitzero"`
	// Via lists the DNs of the groups the membership goes through, from the
	// entry's direct group outwards; empty for a direct membership.
	Via []string
}

// First returns the first value of the attribute name (case-insensitive),
// or "".
func (e Entry) First(name string) string {
	if v := e.Values(name); len(v) > 0 {
		return v[0]
	}
	return ""
}

// Values returns all values of the attribute name (case-insensitive).
func (e Entry) Values(name string) []string {
	return e.Attrs.Get(strings.ToLower(name))
}

// Clone returns a deep copy of e that shares no memory with it, for a
// caller that keeps an entry past the Source callback that passed it.
func (e Entry) Clone() Entry {
	c := Entry{ID: strings.Clone(e.ID), DN: strings.Clone(e.DN)}
	if e.Attrs != nil {
		c.Attrs = make(Attrs, len(e.Attrs))
		for i, a := range e.Attrs {
			c.Attrs[i] = Attr{Name: strings.Clone(a.Name), Values: cloneStrings(a.Values)}
		}
	}
	if e.Groups != nil {
		c.Groups = make([]Membership, len(e.Groups))
		for i, g := range e.Groups {
			c.Groups[i] = Membership{DN: strings.Clone(g.DN), Name: strings.Clone(g.Name), Type: g.Type, Via: cloneStrings(g.Via)}
		}
	}
	return c
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	c := make([]string, len(s))
	for i, v := range s {
		c[i] = strings.Clone(v)
	}
	return c
}

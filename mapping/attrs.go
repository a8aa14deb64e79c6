package mapping

import (
	"sort"
	"strings"
)

// Attr is one attribute of an entry.
type Attr struct {
	// Name is the lower-case attribute description ("mail",
	// "member;range=0-1499").
	Name string
	// Values in the order the source returned them.
	Values []string
}

// Attrs is an entry's attributes, each name at most once. An entry has a
// dozen or so attributes: a slice scanned in order costs less to build and
// to search than a map, and a source builds one per person.
type Attrs []Attr

// AttrsOf returns the attributes of m with lower-cased names, sorted by
// name. Values of names that differ only in case are merged.
func AttrsOf(m map[string][]string) Attrs {
	as := make(Attrs, 0, len(m))
	for k, v := range m {
		as.Add(strings.ToLower(k), v...)
	}
	sort.Slice(as, func(i, j int) bool { return as[i].Name < as[j].Name })
	return as
}

// Get returns the values of the attribute name, which must be lower-case;
// nil when the entry does not have it.
func (as Attrs) Get(name string) []string {
	v, _ := as.Lookup(name)
	return v
}

// Lookup returns the values of the attribute name (lower-case) and whether
// the entry has it.
func (as Attrs) Lookup(name string) ([]string, bool) {
	for i := range as {
		if as[i].Name == name {
			return as[i].Values, true
		}
	}
	return nil, false
}

// Set replaces the values of name (lower-case), adding it at the end when
// missing.
func (as *Attrs) Set(name string, values []string) {
	for i := range *as {
		if (*as)[i].Name == name {
			(*as)[i].Values = values
			return
		}
	}
	*as = append(*as, Attr{Name: name, Values: values})
}

// Add appends values to name (lower-case), adding it at the end when
// missing. It never appends into a slice another attribute shares.
func (as *Attrs) Add(name string, values ...string) {
	for i := range *as {
		if a := &(*as)[i]; a.Name == name {
			a.Values = append(a.Values[:len(a.Values):len(a.Values)], values...)
			return
		}
	}
	*as = append(*as, Attr{Name: name, Values: values})
}

// Delete removes name (lower-case), keeping the order of the others.
func (as *Attrs) Delete(name string) {
	for i := range *as {
		if (*as)[i].Name == name {
			*as = append((*as)[:i], (*as)[i+1:]...)
			return
		}
	}
}

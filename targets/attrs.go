package targets

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
)

// Attr is one account attribute other than the fixed fields.
type Attr struct {
	Path  string // for example "displayName" or "emails.work"
	Value string // "" means absent (a desired "" clears the attribute)
}

// Attrs holds an account's attributes, sorted by path, each path at most
// once. A run holds two accounts per person, each with a handful of
// attributes: a sorted slice costs a third of a map's memory, builds in
// one allocation and is cheap for the garbage collector to scan.
//
// Producers that emit paths in sorted order build it with append; everyone
// else uses Set or AttrsOf. The zero value is empty. It encodes to JSON as
// an object, like a map.
type Attrs []Attr

// AttrsOf returns the attributes in m.
func AttrsOf(m map[string]string) Attrs {
	as := make(Attrs, 0, len(m))
	for p, v := range m {
		as = append(as, Attr{p, v})
	}
	sort.Slice(as, func(i, j int) bool { return as[i].Path < as[j].Path })
	return as
}

// Get returns the value of path, "" when absent.
func (as Attrs) Get(path string) string {
	v, _ := as.Lookup(path)
	return v
}

// Lookup returns the value of path and whether the path is present.
func (as Attrs) Lookup(path string) (string, bool) {
	for i := range as {
		if as[i].Path == path {
			return as[i].Value, true
		}
	}
	return "", false
}

// Set sets path to value, keeping the paths sorted. It may write into the
// slice's array: use it on attributes this code owns (see Clone).
func (as *Attrs) Set(path, value string) {
	i := sort.Search(len(*as), func(i int) bool { return (*as)[i].Path >= path })
	if i < len(*as) && (*as)[i].Path == path {
		(*as)[i].Value = value
		return
	}
	*as = append(*as, Attr{})
	copy((*as)[i+1:], (*as)[i:])
	(*as)[i] = Attr{path, value}
}

// Delete removes path.
func (as *Attrs) Delete(path string) {
	for i := range *as {
		if (*as)[i].Path == path {
			*as = append((*as)[:i], (*as)[i+1:]...)
			return
		}
	}
}

// Clone returns a copy that shares no array with as; nil stays nil.
func (as Attrs) Clone() Attrs {
	if as == nil {
		return nil
	}
	return append(make(Attrs, 0, len(as)), as...)
}

// InOrder returns as when it is sorted, else a sorted copy: for code that
// must not depend on every producer keeping the order.
func (as Attrs) InOrder() Attrs {
	if as.Sorted() {
		return as
	}
	c := as.Clone()
	sort.Slice(c, func(i, j int) bool { return c[i].Path < c[j].Path })
	return c
}

// Sorted reports whether the paths are sorted and unique, as Attrs
// requires.
func (as Attrs) Sorted() bool {
	for i := 1; i < len(as); i++ {
		if as[i-1].Path >= as[i].Path {
			return false
		}
	}
	return true
}

// MarshalJSON encodes the attributes as an object, keys sorted. One
// encoder writes every key and value into one buffer: a plan report
// encodes an account per person.
func (as Attrs) MarshalJSON() ([]byte, error) {
	n := 2
	for _, a := range as {
		n += len(a.Path) + len(a.Value) + 8
	}
	b := bytes.NewBuffer(make([]byte, 0, n))
	enc := json.NewEncoder(b)
	b.WriteByte('{')
	for i, a := range as {
		if i > 0 {
			b.WriteByte(',')
		}
		for k, s := range []string{a.Path, a.Value} {
			if err := enc.Encode(s); err != nil {
				return nil, err
			}
			b.Truncate(b.Len() - 1) // Encode ends each value with a newline
			if k == 0 {
				b.WriteByte(':')
			}
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON decodes an object of strings; null leaves as nil.
func (as *Attrs) UnmarshalJSON(data []byte) error {
	var m map[string]string
	if err := json.Unmarshal(data, &m); err != nil {
		return fmt.Errorf("account attributes: %w", err)
	}
	if m == nil {
		*as = nil
		return nil
	}
	*as = AttrsOf(m)
	return nil
}

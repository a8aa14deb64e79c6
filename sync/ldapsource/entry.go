package ldapsource

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/go-ldap/ldap/v3"
	"github.com/idsync/idsync/mapping"
)

// converter turns go-ldap entries into mapping entries. It keeps the
// lower-cased attribute names, which repeat in every entry.
type converter struct {
	idName string // ID attribute as configured
	idKey  string // lower-cased ID attribute
	guid   bool   // the ID attribute is a binary objectGUID
	names  map[string]string
}

func newConverter(idAttribute string) *converter {
	return &converter{
		idName: idAttribute,
		idKey:  strings.ToLower(idAttribute),
		guid:   strings.EqualFold(idAttribute, "objectGUID"),
		names:  make(map[string]string),
	}
}

// lower returns the lower-cased form of an attribute description,
// allocating once per distinct name.
func (c *converter) lower(n string) string {
	if l, ok := c.names[n]; ok {
		return l
	}
	l := strings.ToLower(n)
	if len(c.names) < 4096 {
		c.names[n] = l
	}
	return l
}

// entry converts e, lower-casing attribute names and merging names that
// differ only in case. The values are e's own (go-ldap allocates them per
// entry), so the result shares nothing with another entry. ranged reports
// attributes with a range option ("member;range=0-1499"), kept under that
// name for completeRanges. ID and Groups are left to the caller.
func (c *converter) entry(e *ldap.Entry) (out mapping.Entry, ranged bool) {
	out = mapping.Entry{DN: e.DN, Attrs: make(mapping.Attrs, 0, len(e.Attributes))}
	for _, a := range e.Attributes {
		name := c.lower(a.Name)
		ranged = ranged || strings.Contains(name, ";range=")
		if _, dup := out.Attrs.Lookup(name); dup {
			out.Attrs.Add(name, a.Values...)
			continue
		}
		out.Attrs = append(out.Attrs, mapping.Attr{Name: name, Values: a.Values})
	}
	return out, ranged
}

// setID sets e.ID from the ID attribute, which is required. A binary
// objectGUID is replaced by its string form in ID and in Attrs.
func (c *converter) setID(e *mapping.Entry) error {
	id := e.Attrs.Get(c.idKey)
	if len(id) == 0 || id[0] == "" {
		return fmt.Errorf("entry %q has no %s", e.DN, c.idName)
	}
	if c.guid {
		g, err := formatGUID([]byte(id[0]))
		if err != nil {
			return fmt.Errorf("entry %q: %s: %w", e.DN, c.idName, err)
		}
		e.Attrs.Set(c.idKey, []string{g})
		e.ID = g
		return nil
	}
	e.ID = id[0]
	return nil
}

// formatGUID formats a 16-byte objectGUID in its canonical string form,
// lower-case, e.g. "2c4d9a1b-3f5e-4a6b-8c7d-0e1f2a3b4c5d". Per MS-DTYP
// 2.3.4 the first three fields (Data1, Data2, Data3) are stored
// little-endian and the last 8 bytes in order.
func formatGUID(b []byte) (string, error) {
	if len(b) != 16 {
		return "", fmt.Errorf("GUID must be 16 bytes, got %d", len(b))
	}
	var buf [36]byte
	order := [16]byte{3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15}
	j := 0
	for i, src := range order {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			buf[j] = '-'
			j++
		}
		hex.Encode(buf[j:j+2], b[src:src+1])
		j += 2
	}
	return string(buf[:]), nil
}

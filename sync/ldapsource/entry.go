package ldapsource

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/idsync/idsync/mapping"
)

// converter decodes search result entries into mapping entries. It keeps
// lower-cased attribute names, which repeat in every entry, and scratch
// space reused across entries.
type converter struct {
	idName string // ID attribute as configured
	idKey  string // lower-cased ID attribute
	guid   bool   // the ID attribute is a binary objectGUID
	names  map[string]attrName
	ids    map[string]int // lower-cased name -> index into seen
	seen   []seen
	stamp  uint64 // the entry being decoded, for seen
	spans  []span
	vals   []string
}

type attrName struct {
	lower  string
	ranged bool // has a ";range=" option
	id     int  // index into converter.seen; -1 when not cached
}

// seen records whether the entry with stamp has a name already, and where.
type seen struct {
	stamp uint64
	at    int
}

type span struct {
	name       attrName
	start, end int
}

func newConverter(idAttribute string) *converter {
	return &converter{
		idName: idAttribute,
		idKey:  strings.ToLower(idAttribute),
		guid:   strings.EqualFold(idAttribute, "objectGUID"),
		names:  make(map[string]attrName),
		ids:    make(map[string]int),
	}
}

// name returns the lower-cased form of an attribute description, allocating
// once per distinct name.
func (c *converter) name(n string) attrName {
	if a, ok := c.names[n]; ok {
		return a
	}
	l := strings.Clone(strings.ToLower(n)) // n is part of a read buffer
	a := attrName{lower: l, ranged: strings.Contains(l, ";range="), id: -1}
	id, ok := c.ids[l]
	if !ok && len(c.ids) < 4096 {
		id, ok = len(c.seen), true
		c.ids[l] = id
		c.seen = append(c.seen, seen{})
	}
	if ok {
		a.id = id
	}
	if len(c.names) < 4096 {
		c.names[strings.Clone(n)] = a
	}
	return a
}

// decode decodes the body of a SearchResultEntry. Attribute keys are
// lower-cased; the DN and values are substrings of body. ranged reports
// attributes with a range option ("member;range=0-1499"), kept under that
// name for completeRanges. ID and Groups are left to the caller. With pb,
// the entry's slices are carved from pb's slabs; otherwise they are
// allocated.
func (c *converter) decode(body string, pb *pageBuf) (e mapping.Entry, ranged bool, err error) {
	dn, rest, err := expect(body, tagOctetString)
	if err != nil {
		return e, false, err
	}
	seq, _, err := expect(rest, tagSequence)
	if err != nil {
		return e, false, err
	}
	c.spans, c.vals = c.spans[:0], c.vals[:0]
	for seq != "" {
		var attr, name, set string
		if attr, seq, err = expect(seq, tagSequence); err != nil {
			return e, false, err
		}
		if name, attr, err = expect(attr, tagOctetString); err != nil {
			return e, false, err
		}
		if set, _, err = expect(attr, tagSet); err != nil {
			return e, false, err
		}
		start := len(c.vals)
		for set != "" {
			var v string
			if v, set, err = expect(set, tagOctetString); err != nil {
				return e, false, err
			}
			c.vals = append(c.vals, v)
		}
		an := c.name(name)
		ranged = ranged || an.ranged
		c.spans = append(c.spans, span{an, start, len(c.vals)})
	}
	var vals []string
	if pb != nil {
		vals = take(&pb.strs, len(c.vals))
		e = mapping.Entry{DN: dn, Attrs: take(&pb.attrs, len(c.spans))[:0]}
	} else {
		vals = make([]string, len(c.vals))
		e = mapping.Entry{DN: dn, Attrs: make(mapping.Attrs, 0, len(c.spans))}
	}
	copy(vals, c.vals)
	// A name seldom repeats (in a different case); seen finds the repeats
	// without comparing every name with every other.
	c.stamp++
	for _, sp := range c.spans {
		v := vals[sp.start:sp.end:sp.end]
		if sp.name.id < 0 {
			e.Attrs.Add(sp.name.lower, v...)
			continue
		}
		if s := &c.seen[sp.name.id]; s.stamp == c.stamp {
			a := &e.Attrs[s.at]
			a.Values = append(a.Values[:len(a.Values):len(a.Values)], v...)
		} else {
			s.stamp, s.at = c.stamp, len(e.Attrs)
			e.Attrs = append(e.Attrs, mapping.Attr{Name: sp.name.lower, Values: v})
		}
	}
	return e, ranged, nil
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

package scimtest

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
	"time"
)

// resource is one stored User or Group. data is never modified in place:
// every write stores a new deep copy, so a rendered page may share it.
type resource struct {
	id       string
	data     map[string]any // attributes including "id", without "meta"
	created  time.Time
	modified time.Time
	version  int
	// json is the resource as sent (data plus meta), encoded on every
	// write; never modified in place, so a response may use it after the
	// lock is released. A list page is a concatenation of these.
	json []byte
	// ends holds, per top-level member of json ("key":value, in json's
	// order), the offset just past it: member i is json[ends[i-1]+1 :
	// ends[i]] (json[1:ends[0]] for the first), so a list page that
	// excludes attributes concatenates the members it keeps (see
	// exclusion). Set with json, and like it never modified in place.
	ends []int32
}

// collection holds one resource type with the indexes that keep lookups
// O(1) and a page O(page size): list order, id, lower(unique attribute),
// externalId.
type collection struct {
	kind       string // "User" or "Group"
	schema     string // SchemaUser or SchemaGroup
	endpoint   string // "/Users"
	uniqueAttr string // "userName" or "displayName", unique case-insensitively
	byID       map[string]*resource
	order      []*resource    // list order; a delete moves the last one into the gap
	pos        map[string]int // id -> index in order
	unique     map[string]string
	external   map[string]string
}

func newCollection(kind, schema, endpoint, uniqueAttr string) *collection {
	return &collection{
		kind: kind, schema: schema, endpoint: endpoint, uniqueAttr: uniqueAttr,
		byID: map[string]*resource{}, pos: map[string]int{},
		unique: map[string]string{}, external: map[string]string{},
	}
}

func (c *collection) uniqueKey(data map[string]any) string {
	return lower(str(get(data, c.uniqueAttr)))
}

// conflict returns a 409 when another resource than id has data's unique
// attribute.
func (c *collection) conflict(id string, data map[string]any) *httpError {
	if other, ok := c.unique[c.uniqueKey(data)]; ok && other != id {
		return errorf(http.StatusConflict, "uniqueness", "%s %q already exists", c.uniqueAttr, str(get(data, c.uniqueAttr)))
	}
	return nil
}

// insert adds r, whose json is already encoded (see encode).
func (c *collection) insert(r *resource) {
	c.byID[r.id] = r
	c.pos[r.id] = len(c.order)
	c.order = append(c.order, r)
	c.index(r)
}

func (c *collection) index(r *resource) {
	c.unique[c.uniqueKey(r.data)] = r.id
	if ext := str(get(r.data, "externalId")); ext != "" {
		c.external[ext] = r.id
	}
}

func (c *collection) unindex(r *resource) {
	if c.unique[c.uniqueKey(r.data)] == r.id {
		delete(c.unique, c.uniqueKey(r.data))
	}
	if ext := str(get(r.data, "externalId")); ext != "" && c.external[ext] == r.id {
		delete(c.external, ext)
	}
}

// replace stores new data for r, keeping the indexes right. It changes
// nothing when the new version cannot be encoded.
func (c *collection) replace(r *resource, data map[string]any, now time.Time) *httpError {
	next := *r
	next.data, next.modified, next.version = data, now, r.version+1
	if herr := c.encode(&next); herr != nil {
		return herr
	}
	c.unindex(r)
	*r = next
	c.index(r)
	return nil
}

func (c *collection) remove(id string) bool {
	r, ok := c.byID[id]
	if !ok {
		return false
	}
	c.unindex(r)
	i := c.pos[id]
	last := len(c.order) - 1
	c.order[i] = c.order[last]
	c.pos[c.order[i].id] = i
	c.order[last] = nil
	c.order = c.order[:last]
	delete(c.pos, id)
	delete(c.byID, id)
	return true
}

// encode sets r.json and r.ends from r's current data and meta. The JSON
// is what json.Marshal makes of the rendered object (members in key order,
// HTML-escaped), written one member at a time to note where each ends.
func (c *collection) encode(r *resource) *httpError {
	m := c.render(r)
	var buf bytes.Buffer
	buf.Grow(len(r.json)) // the last version's size, if any
	enc := json.NewEncoder(&buf)
	ends := make([]int32, 0, len(m))
	buf.WriteByte('{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := encodeMember(&buf, enc, k, m[k]); err != nil {
			return errorf(http.StatusBadRequest, "invalidValue", "%s %s cannot be encoded: %v", c.kind, r.id, err)
		}
		if buf.Len() > math.MaxInt32 {
			return errorf(http.StatusBadRequest, "invalidValue", "%s %s is too large", c.kind, r.id)
		}
		ends = append(ends, int32(buf.Len()))
	}
	buf.WriteByte('}')
	r.json, r.ends = bytes.Clone(buf.Bytes()), ends
	return nil
}

// encodeMember writes "key":value to buf with enc, which writes to buf.
func encodeMember(buf *bytes.Buffer, enc *json.Encoder, key string, value any) error {
	if err := encodeValue(buf, enc, key); err != nil {
		return err
	}
	buf.WriteByte(':')
	return encodeValue(buf, enc, value)
}

// encodeValue writes v to buf with enc, without the newline Encode adds.
// On an error Encode writes nothing.
func encodeValue(buf *bytes.Buffer, enc *json.Encoder, v any) error {
	if err := enc.Encode(v); err != nil {
		return err
	}
	buf.Truncate(buf.Len() - 1)
	return nil
}

// render returns the resource as sent: its data plus meta.
func (c *collection) render(r *resource) map[string]any {
	out := make(map[string]any, len(r.data)+1)
	for k, v := range r.data {
		out[k] = v
	}
	out["meta"] = map[string]any{
		"resourceType": c.kind,
		"created":      r.created.UTC().Format(time.RFC3339Nano),
		"lastModified": r.modified.UTC().Format(time.RFC3339Nano),
		"location":     c.endpoint + "/" + r.id,
		"version":      fmt.Sprintf(`W/"%d"`, r.version),
	}
	return out
}

// selectFiltered returns the resources matching f, using an index where
// one exists.
func (c *collection) selectFiltered(f *filter) ([]*resource, *httpError) {
	one := func(id string, ok bool) []*resource {
		if r := c.byID[id]; ok && r != nil {
			return []*resource{r}
		}
		return nil
	}
	switch {
	case f.attr == "id":
		_, ok := c.byID[f.value]
		return one(f.value, ok), nil
	case f.attr == lower(c.uniqueAttr):
		id, ok := c.unique[lower(f.value)]
		return one(id, ok), nil
	case f.attr == "externalid":
		id, ok := c.external[f.value]
		return one(id, ok), nil
	case (c.kind == "User" && (f.attr == "emails.value" || f.attr == "displayname")) ||
		(c.kind == "Group" && f.attr == "members.value"):
		var out []*resource
		for _, r := range c.order {
			if f.matchesResource(r.data) {
				out = append(out, r)
			}
		}
		return out, nil
	}
	return nil, errorf(http.StatusBadRequest, "invalidFilter", "unsupported filter attribute %q", f.attr)
}

// validate checks data (a whole resource about to be stored) and fills
// in the schemas.
func (c *collection) validate(data map[string]any) *httpError {
	if str(get(data, c.uniqueAttr)) == "" {
		return errorf(http.StatusBadRequest, "invalidValue", "%s is required", c.uniqueAttr)
	}
	if v := get(data, "active"); v != nil {
		if _, ok := v.(bool); !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "active must be a boolean, got %v", v)
		}
	}
	if c.kind == "Group" {
		if err := validateMembers(get(data, "members")); err != nil {
			return err
		}
	}
	schemas := []any{SchemaUser}
	if c.kind == "Group" {
		schemas = []any{SchemaGroup}
	}
	if ext, ok := get(data, SchemaEnterprise).(map[string]any); ok && len(ext) > 0 && c.kind == "User" {
		schemas = append(schemas, SchemaEnterprise)
	}
	delete(data, key(data, "schemas"))
	data["schemas"] = schemas
	return nil
}

func validateMembers(v any) *httpError {
	if v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return errorf(http.StatusBadRequest, "invalidValue", "members must be an array")
	}
	for _, m := range list {
		obj, ok := m.(map[string]any)
		if !ok || str(get(obj, "value")) == "" {
			return errorf(http.StatusBadRequest, "invalidValue", "each member needs a value")
		}
	}
	return nil
}

// newID returns a random UUID-shaped id.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// key returns the key of m equal to k case-insensitively, or k.
func key(m map[string]any, k string) string {
	if _, ok := m[k]; ok {
		return k
	}
	for mk := range m {
		if strings.EqualFold(mk, k) {
			return mk
		}
	}
	return k
}

func get(m map[string]any, k string) any {
	if m == nil {
		return nil
	}
	return m[key(m, k)]
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case fmt.Stringer: // json.Number
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	return ""
}

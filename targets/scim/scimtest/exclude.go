package scimtest

import (
	"bytes"
	"encoding/json"
	"strings"
)

// exclusion is a list request's excludedAttributes (RFC 7644 §3.4.2.5):
// top-level attribute names or extension schema URNs, matched
// case-insensitively; a name qualified with the resource's core schema URN
// counts as the bare name. Sub-attribute paths ("name.givenName",
// "urn:...:User:manager") are accepted and exclude nothing. id and schemas
// are returned always and never excluded.
type exclusion struct {
	names [][]byte // lower-case
}

// parseExclusion reads the parameter's value for a collection whose core
// schema is coreSchema. An empty value excludes nothing.
func parseExclusion(param, coreSchema string) exclusion {
	var e exclusion
	prefix := lower(coreSchema) + ":"
	for _, n := range strings.Split(param, ",") {
		n = strings.TrimPrefix(lower(strings.TrimSpace(n)), prefix)
		switch n {
		case "", "id", "schemas":
		default:
			e.names = append(e.names, []byte(n))
		}
	}
	return e
}

// none says whether e excludes nothing, so that resources go out as stored.
func (e exclusion) none() bool { return len(e.names) == 0 }

// excludes says whether e excludes the member whose (unescaped) key is key.
func (e exclusion) excludes(key []byte) bool {
	for _, n := range e.names {
		if bytes.EqualFold(key, n) {
			return true
		}
	}
	return false
}

// appendKept appends to dst the stored resource json (with its member
// ends, see resource.ends) without the members e excludes, as a JSON
// object: the kept members' bytes, copied as stored.
func (e exclusion) appendKept(dst, json []byte, ends []int32) []byte {
	dst = append(dst, '{')
	start, kept := 1, 0
	for _, end := range ends {
		member := json[start:end]
		start = int(end) + 1 // past the comma
		if e.excludes(memberKey(member)) {
			continue
		}
		if kept > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, member...)
		kept++
	}
	return append(dst, '}')
}

// memberKey returns the key of an encoded member "key":value, unescaped.
func memberKey(member []byte) []byte {
	i, escaped := 1, false
	for ; i < len(member) && member[i] != '"'; i++ {
		if member[i] == '\\' {
			i++
			escaped = true
		}
	}
	raw := member[:min(i+1, len(member))]
	if !escaped {
		return raw[1 : len(raw)-1]
	}
	var k string
	if err := json.Unmarshal(raw, &k); err != nil {
		return nil
	}
	return []byte(k)
}

// trimPage returns page with e's attributes left out of every resource,
// the kept members copied into one buffer; no value is decoded.
// ends[i] belongs to page[i].
func (e exclusion) trimPage(page [][]byte, ends [][]int32) [][]byte {
	size := 0
	for _, b := range page {
		size += len(b)
	}
	buf := make([]byte, 0, size)
	out := make([][]byte, len(page))
	for i, b := range page {
		from := len(buf)
		buf = e.appendKept(buf, b, ends[i])
		out[i] = buf[from:len(buf):len(buf)]
	}
	return out
}

package scim

import (
	"fmt"
	"strings"

	"github.com/idsync/idsync/internal/strpack"
	"github.com/idsync/idsync/targets"
)

// This file maps between targets.Account (flat attribute paths, see
// targets.Attributes) and SCIM User resources (RFC 7643 §4.1, §4.3). Users
// are read from list pages as the typed userResource (resources.go); a
// resource written is a generic JSON object, so that a PUT keeps every
// attribute idsync does not manage. Attribute names are matched
// case-insensitively, as RFC 7643 §2.1 requires.

type attrKind int

const (
	kindTop        attrKind = iota // a top-level string attribute
	kindName                       // a sub-attribute of "name"
	kindTyped                      // the value of one type of a multi-valued attribute
	kindEnterprise                 // an attribute of the enterprise User extension
)

// attrDef says where an account attribute path lives in a SCIM User.
type attrDef struct {
	kind attrKind
	// attr is the SCIM attribute: "displayName", "givenName" (under name),
	// "emails" (with typ "work"), "department" (under the extension).
	attr string
	typ  string
	// primary marks the typed value sent as primary (emails.work).
	primary bool
}

var enterpriseAttrs = map[string]bool{
	"employeeNumber": true, "costCenter": true, "organization": true, "division": true, "department": true,
}

var topAttrs = map[string]bool{
	"displayName": true, "nickName": true, "title": true, "userType": true,
	"preferredLanguage": true, "locale": true, "timezone": true, "profileUrl": true,
}

var typedAttrs = map[string][]string{
	"emails":       {"work", "home", "other"},
	"phoneNumbers": {"work", "mobile"},
}

// lookupAttr returns where path lives, or false for a path this target
// does not know.
func lookupAttr(path string) (attrDef, bool) {
	switch {
	case topAttrs[path]:
		return attrDef{kind: kindTop, attr: path}, true
	case enterpriseAttrs[path]:
		return attrDef{kind: kindEnterprise, attr: path}, true
	}
	parent, sub, ok := strings.Cut(path, ".")
	if !ok {
		return attrDef{}, false
	}
	if parent == "name" {
		switch sub {
		case "formatted", "givenName", "familyName", "middleName", "honorificPrefix", "honorificSuffix":
			return attrDef{kind: kindName, attr: sub}, true
		}
		return attrDef{}, false
	}
	for _, t := range typedAttrs[parent] {
		if t == sub {
			return attrDef{kind: kindTyped, attr: parent, typ: sub, primary: parent == "emails" && sub == "work"}, true
		}
	}
	return attrDef{}, false
}

// pathInfo is a known path with its definition and how it is read from a
// decoded SCIM User.
type pathInfo struct {
	path string
	def  attrDef
	get  func(*userResource) jsonScalar
}

// knownPaths lists every path the mapping knows, sorted.
func knownPaths() []pathInfo {
	var ps []pathInfo
	for _, p := range targets.AttributeNames() {
		if def, ok := lookupAttr(p); ok {
			ps = append(ps, pathInfo{path: p, def: def, get: userGetters[p]})
		}
	}
	return ps
}

var allPaths = knownPaths()

// managedAttrs returns a.Attrs, sorted by path, failing on unknown paths.
// With enterprise false, the extension's attributes are dropped.
func managedAttrs(a targets.Account, enterprise bool) (targets.Attrs, error) {
	out := make(targets.Attrs, 0, len(a.Attrs))
	for _, at := range a.Attrs.InOrder() {
		def, ok := lookupAttr(at.Path)
		if !ok {
			return nil, fmt.Errorf("scim: attribute %q is not supported by the SCIM target", at.Path)
		}
		if def.kind == kindEnterprise && !enterprise {
			continue
		}
		out = append(out, at)
	}
	return out, nil
}

// accountFromResource reads a SCIM User. Absent attributes are left out
// of Attrs; an absent "active" counts as true (the account is not marked
// disabled).
func accountFromResource(u *userResource, enterprise bool) (targets.Account, error) {
	a := targets.Account{
		ID:         string(u.ID),
		UserName:   string(u.UserName),
		ExternalID: string(u.ExternalID),
		Active:     true,
	}
	if a.ID == "" {
		return a, fmt.Errorf("scim: user %q has no id", a.UserName)
	}
	if u.Active.set {
		if !u.Active.valid {
			return a, fmt.Errorf("scim: user %s: active is %s, not a boolean", a.ID, u.Active.raw)
		}
		a.Active = u.Active.value
	}
	// Collect first so that Attrs is allocated once at its final size.
	// allPaths is sorted, so Attrs is too.
	var buf [32]targets.Attr
	vals := buf[:0]
	for i := range allPaths {
		p := &allPaths[i]
		if p.get == nil || (p.def.kind == kindEnterprise && !enterprise) {
			continue
		}
		if v := p.get(u); v != "" {
			vals = append(vals, targets.Attr{Path: p.path, Value: string(v)})
		}
	}
	// One allocation for the account's strings: the decoder's are short
	// lived, an account lives for the whole run.
	n := len(a.ID) + len(a.UserName) + len(a.ExternalID)
	for _, kv := range vals {
		n += len(kv.Value)
	}
	var p strpack.Packer
	p.Grow(n)
	a.ID, a.UserName, a.ExternalID = p.Add(a.ID), p.Add(a.UserName), p.Add(a.ExternalID)
	a.Attrs = make(targets.Attrs, len(vals))
	for i, kv := range vals {
		a.Attrs[i] = targets.Attr{Path: kv.Path, Value: p.Add(kv.Value)}
	}
	return a, nil
}

// resourceFromAccount builds the SCIM User for a POST.
func resourceFromAccount(a targets.Account, enterprise bool) (map[string]any, error) {
	r := map[string]any{"schemas": []any{schemaUser}}
	if err := applyAccount(r, a, enterprise); err != nil {
		return nil, err
	}
	return r, nil
}

// applyAccount makes the managed attributes of r match a: the fixed fields
// and every path in a.Attrs (an empty value removes the attribute). Other
// attributes of r are kept. The read-only "meta" and "groups" are dropped.
func applyAccount(r map[string]any, a targets.Account, enterprise bool) error {
	attrs, err := managedAttrs(a, enterprise)
	if err != nil {
		return err
	}
	delete(r, keyCI(r, "meta"))
	delete(r, keyCI(r, "groups"))
	setCI(r, "userName", a.UserName)
	setCI(r, "externalId", a.ExternalID)
	r[keyCI(r, "active")] = a.Active
	for _, at := range attrs {
		writeAttr(r, at.Path, at.Value)
	}
	if ext, ok := getCI(r, schemaEnterprise).(map[string]any); ok && len(ext) > 0 {
		addSchema(r, schemaEnterprise)
	}
	return nil
}

func writeAttr(r map[string]any, path, v string) {
	def, _ := lookupAttr(path)
	switch def.kind {
	case kindTop:
		setCI(r, def.attr, v)
	case kindName:
		setCI(subObject(r, "name"), def.attr, v)
		dropEmpty(r, "name")
	case kindEnterprise:
		setCI(subObject(r, schemaEnterprise), def.attr, v)
		dropEmpty(r, schemaEnterprise)
	case kindTyped:
		key := keyCI(r, def.attr)
		old, _ := r[key].([]any)
		list := make([]any, 0, len(old)+1)
		for _, item := range old {
			m, _ := item.(map[string]any)
			if m != nil && strings.EqualFold(str(getCI(m, "type")), def.typ) {
				continue
			}
			if def.primary && v != "" && m != nil {
				delete(m, keyCI(m, "primary"))
			}
			list = append(list, item)
		}
		if v != "" {
			list = append(list, typedValue(def, v))
		}
		if len(list) == 0 {
			delete(r, key)
		} else {
			r[key] = list
		}
	}
}

func typedValue(def attrDef, v string) map[string]any {
	m := map[string]any{"type": def.typ, "value": v}
	if def.primary {
		m["primary"] = true
	}
	return m
}

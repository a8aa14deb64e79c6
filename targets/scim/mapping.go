package scim

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/idsync/idsync/targets"
)

// This file maps between targets.Account (flat attribute paths) and SCIM
// User resources, driven by targets.AttributeTable: a path's kind says
// where it lives in a User. Users are read as the typed user
// (resources.go); a user written is a generic JSON object, so that a PUT
// keeps every attribute idsync does not manage. Attribute names are
// matched case-insensitively, as RFC 7643 §2.1 requires.

// userField is one attribute path of the table with the way to read it
// from a decoded user.
type userField struct {
	targets.AttributeDef
	get func(*user) scalar
}

// userFields are the table's paths other than the fixed fields, sorted,
// each with its reader. Built once from the table and the JSON tags of
// user: a path the table has and user lacks panics at start-up.
var userFields = buildUserFields()

// maxUserFields bounds userFields, so that accountFromResource reads a
// user's values into an array on its stack.
const maxUserFields = 32

func buildUserFields() []userField {
	var out []userField
	for _, d := range targets.AttributeTable {
		if d.Kind != targets.KindFixed {
			out = append(out, userField{AttributeDef: d, get: fieldReader(d)})
		}
	}
	if len(out) > maxUserFields {
		panic(fmt.Sprintf("scim: %d user attribute paths, more than maxUserFields (%d)", len(out), maxUserFields))
	}
	return out
}

// fieldReader returns a function that reads the attribute d from a user,
// finding the struct fields by their JSON names.
func fieldReader(d targets.AttributeDef) func(*user) scalar {
	ut := reflect.TypeFor[user]()
	var idx []int
	switch d.Kind {
	case targets.KindSimple:
		idx = jsonField(ut, d.Path)
	case targets.KindSub:
		parent := jsonField(ut, d.Parent())
		idx = append(parent, jsonField(ut.FieldByIndex(parent).Type, d.Sub())...)
	case targets.KindEnterprise:
		parent := jsonField(ut, schemaEnterprise)
		idx = append(parent, jsonField(ut.FieldByIndex(parent).Type, d.Path)...)
		if d.Ref {
			idx = append(idx, jsonField(ut.FieldByIndex(idx).Type, "value")...)
		}
	case targets.KindTyped:
		list, typ := jsonField(ut, d.Parent()), d.Sub()
		return func(u *user) scalar {
			values := reflect.ValueOf(u).Elem().FieldByIndex(list).Addr().Interface().(*[]multiValue)
			return typedValue(*values, typ)
		}
	}
	return func(u *user) scalar { return scalar(reflect.ValueOf(u).Elem().FieldByIndex(idx).String()) }
}

// jsonField returns the index of the field of t whose JSON name is name.
func jsonField(t reflect.Type, name string) []int {
	for i := range t.NumField() {
		if tag, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ","); tag == name {
			return []int{i}
		}
	}
	panic(fmt.Sprintf("scim: the SCIM %s type has no field %q that targets.AttributeTable needs", t.Name(), name))
}

// managedAttrs returns a.Attrs, sorted by path, failing on unknown paths.
// With enterprise false, the extension's attributes are dropped.
func managedAttrs(a targets.Account, enterprise bool) ([]attrValue, error) {
	out := make([]attrValue, 0, len(a.Attrs))
	for _, at := range a.Attrs.InOrder() {
		def, ok := targets.LookupAttribute(at.Path)
		if !ok || def.Kind == targets.KindFixed {
			return nil, fmt.Errorf("scim: attribute %q is not supported by the SCIM target", at.Path)
		}
		if def.Kind == targets.KindEnterprise && !enterprise {
			continue
		}
		out = append(out, attrValue{def, at.Value})
	}
	return out, nil
}

// attrValue is a managed attribute with its value ("" clears it).
type attrValue struct {
	def   targets.AttributeDef
	value string
}

// accountFromResource reads a SCIM User. Absent attributes are left out
// of Attrs; an absent "active" counts as true (the account is not marked
// disabled).
func accountFromResource(u *user, enterprise bool) (targets.Account, error) {
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
	// Read the values first: Attrs is held for every account of a listing,
	// so it gets exactly the room it needs.
	var values [maxUserFields]scalar
	n := 0
	for i := range userFields {
		if f := &userFields[i]; f.Kind != targets.KindEnterprise || enterprise {
			if values[i] = f.get(u); values[i] != "" {
				n++
			}
		}
	}
	a.Attrs = make(targets.Attrs, 0, n)
	for i := range userFields { // sorted, so Attrs is too
		if values[i] != "" {
			a.Attrs = append(a.Attrs, targets.Attr{Path: userFields[i].Path, Value: string(values[i])})
		}
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
		writeAttr(r, at.def, at.value)
	}
	if ext, ok := getCI(r, schemaEnterprise).(map[string]any); ok && len(ext) > 0 {
		addSchema(r, schemaEnterprise)
	}
	return nil
}

func writeAttr(r map[string]any, def targets.AttributeDef, v string) {
	switch def.Kind {
	case targets.KindSimple:
		setCI(r, def.Path, v)
	case targets.KindSub:
		setCI(subObject(r, def.Parent()), def.Sub(), v)
		dropEmpty(r, def.Parent())
	case targets.KindEnterprise:
		ext := subObject(r, schemaEnterprise)
		if def.Ref && v != "" {
			ext[keyCI(ext, def.Path)] = map[string]any{"value": v}
		} else {
			setCI(ext, def.Path, v)
		}
		dropEmpty(r, schemaEnterprise)
	case targets.KindTyped:
		key := keyCI(r, def.Parent())
		old, _ := r[key].([]any)
		list := make([]any, 0, len(old)+1)
		for _, item := range old {
			m, _ := item.(map[string]any)
			if m != nil && strings.EqualFold(str(getCI(m, "type")), def.Sub()) {
				continue
			}
			if def.Primary && v != "" && m != nil {
				delete(m, keyCI(m, "primary"))
			}
			list = append(list, item)
		}
		if v != "" {
			list = append(list, typedElement(def, v))
		}
		if len(list) == 0 {
			delete(r, key)
		} else {
			r[key] = list
		}
	}
}

// typedElement is the element of a multi-valued attribute that holds the
// typed value v.
func typedElement(def targets.AttributeDef, v string) map[string]any {
	m := map[string]any{"type": def.Sub(), "value": v}
	if def.Primary {
		m["primary"] = true
	}
	return m
}

package scimtest

import (
	"net/http"
	"regexp"
	"strings"
)

// patchOp is one PATCH operation (RFC 7644 §3.5.2).
type patchOp struct {
	op       string // add, replace or remove (accepted in any case, as Entra sends "Replace")
	path     string
	value    any
	hasValue bool
}

func parsePatch(body map[string]any) ([]patchOp, *httpError) {
	if schemas, ok := get(body, "schemas").([]any); ok {
		found := false
		for _, s := range schemas {
			found = found || str(s) == schemaPatchOp
		}
		if !found {
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "schemas must contain %s", schemaPatchOp)
		}
	}
	list, ok := get(body, "Operations").([]any)
	if !ok || len(list) == 0 {
		return nil, errorf(http.StatusBadRequest, "invalidSyntax", "Operations must be a non-empty array")
	}
	ops := make([]patchOp, 0, len(list))
	for i, item := range list {
		obj, ok := item.(map[string]any)
		if !ok {
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "operation %d is not an object", i+1)
		}
		op := patchOp{op: strings.ToLower(str(get(obj, "op"))), path: str(get(obj, "path"))}
		op.value, op.hasValue = obj[key(obj, "value")]
		switch {
		case op.op != "add" && op.op != "replace" && op.op != "remove":
			return nil, errorf(http.StatusBadRequest, "invalidSyntax", "operation %d: unknown op %q", i+1, str(get(obj, "op")))
		case op.op == "remove" && op.path == "":
			return nil, errorf(http.StatusBadRequest, "noTarget", "operation %d: remove needs a path", i+1)
		case op.op != "remove" && !op.hasValue:
			return nil, errorf(http.StatusBadRequest, "invalidValue", "operation %d: %s needs a value", i+1, op.op)
		}
		ops = append(ops, op)
	}
	return ops, nil
}

// memberChanges counts the member values a PATCH adds, replaces or removes.
func memberChanges(ops []patchOp) int {
	n := 0
	for _, op := range ops {
		value := op.value
		if op.path == "" {
			obj, _ := op.value.(map[string]any)
			value = get(obj, "members")
			if value == nil {
				continue
			}
		} else if spec, err := parsePath(op.path); err != nil || !strings.EqualFold(spec.attr, "members") {
			continue
		} else if spec.filter != nil {
			n++
			continue
		}
		if list, ok := value.([]any); ok {
			n += len(list)
		} else {
			n++
		}
	}
	return n
}

// pathSpec is a parsed PATCH path: [urn:]attr[filter][.sub].
type pathSpec struct {
	ext    string // the extension schema URN, "" for core attributes
	attr   string // "" when the path is the extension itself
	filter *filter
	sub    string
}

var (
	attrNameRE = regexp.MustCompile(`^[A-Za-z$][\w$-]*$`)
	pathRE     = regexp.MustCompile(`^([^.\[\]]+)(?:\[(.*)\])?(?:\.([^.\[\]]+))?$`)
)

func parsePath(p string) (pathSpec, *httpError) {
	bad := errorf(http.StatusBadRequest, "invalidPath", "invalid path %q", p)
	var spec pathSpec
	rest := p
	if strings.HasPrefix(strings.ToLower(p), "urn:") {
		switch {
		case strings.EqualFold(p, SchemaEnterprise):
			return pathSpec{ext: SchemaEnterprise}, nil
		case hasPrefixFold(p, SchemaEnterprise+":"):
			spec.ext, rest = SchemaEnterprise, p[len(SchemaEnterprise)+1:]
		case hasPrefixFold(p, SchemaUser+":"):
			rest = p[len(SchemaUser)+1:]
		case hasPrefixFold(p, SchemaGroup+":"):
			rest = p[len(SchemaGroup)+1:]
		default:
			return spec, bad
		}
	}
	m := pathRE.FindStringSubmatch(rest)
	if m == nil || !attrNameRE.MatchString(m[1]) {
		return spec, bad
	}
	spec.attr, spec.sub = m[1], m[3]
	if strings.Contains(rest, "[") {
		f, herr := parseFilter(m[2])
		if herr != nil {
			return spec, bad
		}
		if strings.EqualFold(spec.attr, "members") && f.attr == "value" {
			f.caseExact = true
		}
		spec.filter = f
	}
	return spec, nil
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// applyPatch applies ops to doc in order. doc is a private copy.
func applyPatch(doc map[string]any, ops []patchOp) *httpError {
	for _, op := range ops {
		if err := applyOp(doc, op); err != nil {
			return err
		}
	}
	// Entra sends active as "True"/"False".
	if k := key(doc, "active"); doc[k] != nil {
		if s, ok := doc[k].(string); ok && (strings.EqualFold(s, "true") || strings.EqualFold(s, "false")) {
			doc[k] = strings.EqualFold(s, "true")
		}
	}
	return nil
}

func applyOp(doc map[string]any, op patchOp) *httpError {
	if op.path == "" { // add or replace with a value object
		obj, ok := op.value.(map[string]any)
		if !ok {
			return errorf(http.StatusBadRequest, "invalidValue", "%s without path needs an object value", op.op)
		}
		for k, v := range obj {
			if err := applyOp(doc, patchOp{op: op.op, path: k, value: v, hasValue: true}); err != nil {
				return err
			}
		}
		return nil
	}
	spec, herr := parsePath(op.path)
	if herr != nil {
		return herr
	}
	container := doc
	if spec.ext != "" {
		if spec.attr == "" { // the whole extension object
			return setValue(doc, spec.ext, op)
		}
		ext, _ := get(doc, spec.ext).(map[string]any)
		if ext == nil {
			if op.op == "remove" {
				return nil
			}
			ext = map[string]any{}
			doc[key(doc, spec.ext)] = ext
		}
		container = ext
		defer dropIfEmpty(doc, spec.ext)
	}
	switch {
	case spec.filter != nil:
		return applyFiltered(container, spec, op)
	case spec.sub != "":
		obj, _ := get(container, spec.attr).(map[string]any)
		if obj == nil {
			if op.op == "remove" {
				return nil
			}
			obj = map[string]any{}
			container[key(container, spec.attr)] = obj
		}
		defer dropIfEmpty(container, spec.attr)
		return setValue(obj, spec.sub, op)
	}
	return setValue(container, spec.attr, op)
}

// setValue applies op to container[attr]: remove deletes it (or, with a
// value array, just those values); add appends to a multi-valued attribute
// and merges into a complex one; replace merges a complex value and
// overwrites anything else.
func setValue(container map[string]any, attr string, op patchOp) *httpError {
	k := key(container, attr)
	existing, exists := container[k]
	if op.op == "remove" {
		list, isList := existing.([]any)
		if !op.hasValue || !isList {
			delete(container, k)
			return nil
		}
		container[k] = withoutValues(list, op.value)
		dropIfEmpty(container, k)
		return nil
	}
	value := deepCopy(op.value)
	if newObj, ok := value.(map[string]any); ok {
		if old, ok := existing.(map[string]any); ok {
			for sk, sv := range newObj {
				old[key(old, sk)] = sv
			}
			return nil
		}
	}
	if list, ok := existing.([]any); ok && op.op == "add" {
		container[k] = appendNew(list, value)
		return nil
	}
	if _, isList := value.([]any); !isList && multiValued[strings.ToLower(attr)] {
		value = []any{value}
	}
	if !exists {
		k = attr
	}
	container[k] = value
	return nil
}

// multiValued lists the RFC 7643 multi-valued attributes, for wrapping a
// single value sent to one of them.
var multiValued = map[string]bool{
	"emails": true, "phonenumbers": true, "ims": true, "photos": true, "addresses": true,
	"groups": true, "entitlements": true, "roles": true, "x509certificates": true, "members": true,
}

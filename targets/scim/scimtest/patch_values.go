package scimtest

import "net/http"

// applyFiltered applies op to the elements of the multi-valued attribute
// spec.attr that match spec.filter, e.g. emails[type eq "work"].value or
// members[value eq "id"]. An add or replace that matches nothing creates
// the element when the filter is on "type" (what Entra expects) and is a
// 400 noTarget otherwise (RFC 7644 §3.5.2.3).
func applyFiltered(container map[string]any, spec pathSpec, op patchOp) *httpError {
	k := key(container, spec.attr)
	list, _ := container[k].([]any)
	var hits []int
	for i, e := range list {
		if m, ok := e.(map[string]any); ok && spec.filter.matchesResource(m) {
			hits = append(hits, i)
		}
	}
	if op.op == "remove" {
		kept := make([]any, 0, len(list))
		for i, e := range list {
			if contains(hits, i) && spec.sub == "" {
				continue
			}
			if contains(hits, i) {
				m := e.(map[string]any)
				delete(m, key(m, spec.sub))
			}
			kept = append(kept, e)
		}
		container[k] = kept
		dropIfEmpty(container, k)
		return nil
	}
	value := deepCopy(op.value)
	obj, isObj := value.(map[string]any)
	if spec.sub == "" && !isObj {
		return errorf(http.StatusBadRequest, "invalidValue", "%s of %q needs an object value", op.op, op.path)
	}
	if len(hits) == 0 {
		if spec.filter.attr != "type" {
			return errorf(http.StatusBadRequest, "noTarget", "%q matches no value", op.path)
		}
		elem := map[string]any{"type": spec.filter.value}
		if spec.sub != "" {
			elem[spec.sub] = value
		} else {
			for sk, sv := range obj {
				elem[sk] = sv
			}
		}
		container[k] = append(list, elem)
		return nil
	}
	for _, i := range hits {
		m := list[i].(map[string]any)
		switch {
		case spec.sub != "":
			m[key(m, spec.sub)] = deepCopy(value)
		case op.op == "replace":
			repl := deepCopy(obj).(map[string]any)
			if get(repl, spec.filter.attr) == nil {
				fk := key(m, spec.filter.attr)
				repl[fk] = m[fk]
			}
			list[i] = repl
		default:
			for sk, sv := range obj {
				m[key(m, sk)] = deepCopy(sv)
			}
		}
	}
	return nil
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// valueOf is the "value" sub-attribute of an element, or the element itself.
func valueOf(e any) (string, bool) {
	if m, ok := e.(map[string]any); ok {
		v := get(m, "value")
		return str(v), v != nil
	}
	s, ok := e.(string)
	return s, ok
}

// withoutValues removes the elements whose value is among values (the
// remove-by-value-array dialect: {"op":"remove","path":"members","value":[{"value":"id"}]}).
func withoutValues(list []any, values any) []any {
	vs, ok := values.([]any)
	if !ok {
		vs = []any{values}
	}
	drop := map[string]bool{}
	for _, v := range vs {
		if s, ok := valueOf(v); ok {
			drop[s] = true
		}
	}
	kept := make([]any, 0, len(list))
	for _, e := range list {
		if s, ok := valueOf(e); ok && drop[s] {
			continue
		}
		kept = append(kept, e)
	}
	return kept
}

// appendNew appends the values not already present (RFC 7644 §3.5.2.1: an
// add of an existing value changes nothing).
func appendNew(list []any, value any) []any {
	vs, ok := value.([]any)
	if !ok {
		vs = []any{value}
	}
	have := map[string]bool{}
	for _, e := range list {
		if s, ok := valueOf(e); ok {
			have[s] = true
		}
	}
	for _, v := range vs {
		if s, ok := valueOf(v); ok {
			if have[s] {
				continue
			}
			have[s] = true
		}
		list = append(list, v)
	}
	return list
}

func dropIfEmpty(container map[string]any, attr string) {
	k := key(container, attr)
	switch v := container[k].(type) {
	case map[string]any:
		if len(v) == 0 {
			delete(container, k)
		}
	case []any:
		if len(v) == 0 {
			delete(container, k)
		}
	}
}

func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

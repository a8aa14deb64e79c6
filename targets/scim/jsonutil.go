package scim

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Helpers for generic JSON objects whose attribute names are compared
// case-insensitively (RFC 7643 §2.1).

// keyCI returns the key of m that equals k case-insensitively, or k.
func keyCI(m map[string]any, k string) string {
	if _, ok := m[k]; ok {
		return k
	}
	for key := range m {
		if strings.EqualFold(key, k) {
			return key
		}
	}
	return k
}

func getCI(m map[string]any, k string) any {
	if m == nil {
		return nil
	}
	return m[keyCI(m, k)]
}

// setCI sets m[k] = v, or deletes it when v is empty.
func setCI(m map[string]any, k, v string) {
	if v == "" {
		delete(m, keyCI(m, k))
		return
	}
	m[keyCI(m, k)] = v
}

func subObject(r map[string]any, k string) map[string]any {
	key := keyCI(r, k)
	m, ok := r[key].(map[string]any)
	if !ok {
		m = map[string]any{}
		r[key] = m
	}
	return m
}

func dropEmpty(r map[string]any, k string) {
	key := keyCI(r, k)
	if m, ok := r[key].(map[string]any); ok && len(m) == 0 {
		delete(r, key)
	}
}

func addSchema(r map[string]any, urn string) {
	key := keyCI(r, "schemas")
	list, _ := r[key].([]any)
	for _, s := range list {
		if str(s) == urn {
			return
		}
	}
	r[key] = append(list, urn)
}

// str renders a JSON scalar as a string; objects and arrays give "".
func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

// boolValue accepts JSON booleans and, as some servers send them, the
// strings "true"/"false" in any case.
func boolValue(v any) (bool, bool) {
	switch v := v.(type) {
	case bool:
		return v, true
	case string:
		b, err := strconv.ParseBool(strings.ToLower(v))
		return b, err == nil
	}
	return false, false
}

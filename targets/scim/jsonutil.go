package scim

import (
	"bytes"
	"encoding/json"
	"fmt"
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

// decodeObject decodes one JSON object, keeping numbers as json.Number.
func decodeObject(raw []byte) (map[string]any, error) {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var m map[string]any
	if err := d.Decode(&m); err != nil {
		return nil, fmt.Errorf("decode resource: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("decode resource: not an object")
	}
	return m, nil
}

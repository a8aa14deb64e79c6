package scimtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// filter is the one filter form this server understands: `attr eq value`
// (RFC 7644 §3.4.2.2), used in list queries and in PATCH value paths.
type filter struct {
	attr  string // attribute path, lower case: "username", "emails.value", "type"
	value string
	// caseExact compares exactly; otherwise case-insensitively, as RFC 7643
	// says for userName, displayName, emails and types.
	caseExact bool
}

var filterRE = regexp.MustCompile(`(?i)^\s*([a-z][\w.:$-]*)\s+eq\s+("(?:[^"\\]|\\.)*"|true|false|-?\d+(?:\.\d+)?)\s*$`)

func parseFilter(s string) (*filter, *httpError) {
	m := filterRE.FindStringSubmatch(s)
	if m == nil {
		return nil, errorf(http.StatusBadRequest, "invalidFilter", "unsupported filter %q (only: attribute eq value)", s)
	}
	f := &filter{attr: strings.ToLower(m[1]), value: m[2]}
	if strings.HasPrefix(m[2], `"`) {
		if err := json.Unmarshal([]byte(m[2]), &f.value); err != nil {
			return nil, errorf(http.StatusBadRequest, "invalidFilter", "bad string in filter %q", s)
		}
	}
	switch f.attr {
	case "id", "externalid", "members.value", "value":
		f.caseExact = true
	}
	return f, nil
}

// matchesResource evaluates f against a resource or a multi-valued
// attribute's element: a dotted path goes into a complex attribute or into
// any element of a multi-valued one.
func (f *filter) matchesResource(obj map[string]any) bool {
	head, rest, _ := strings.Cut(f.attr, ".")
	v := get(obj, head)
	if rest == "" {
		return f.equal(v)
	}
	sub := &filter{attr: rest, value: f.value, caseExact: f.caseExact}
	switch v := v.(type) {
	case map[string]any:
		return sub.matchesResource(v)
	case []any:
		for _, e := range v {
			if m, ok := e.(map[string]any); ok && sub.matchesResource(m) {
				return true
			}
		}
	}
	return false
}

func (f *filter) equal(v any) bool {
	s := str(v)
	if v == nil {
		return false
	}
	if f.caseExact {
		return s == f.value
	}
	return strings.EqualFold(s, f.value)
}

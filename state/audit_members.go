package state

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// parseMembers decodes a members column (see storedMember). idsync writes
// it with encoding/json: that shape, compact, with no escapes, is read
// directly (the strings are pieces of s); anything else goes through
// encoding/json, which gives the same result for that shape.
func parseMembers(s string, out []storedMember) ([]storedMember, error) {
	if ms, ok := parseMembersCompact(s, out); ok {
		return ms, nil
	}
	var ms []storedMember
	if err := json.Unmarshal([]byte(s), &ms); err != nil {
		return nil, err
	}
	return append(out, ms...), nil
}

// parseMembersCompact reads s when it is an array of compact objects with
// only storedMember's keys, spelled as encoding/json writes them, and
// string values with no escapes; ok is false for anything else.
func parseMembersCompact(s string, out []storedMember) (ms []storedMember, ok bool) {
	if !strings.HasPrefix(s, "[") {
		return nil, false
	}
	i := 1
	if strings.HasPrefix(s[i:], "]") {
		return out, i+1 == len(s)
	}
	for {
		var m storedMember
		if i, ok = member(s, i, &m); !ok {
			return nil, false
		}
		out = append(out, m)
		switch {
		case i < len(s) && s[i] == ',':
			i++
		case i+1 == len(s) && s[i] == ']':
			return out, true
		default:
			return nil, false
		}
	}
}

// member reads one object at s[i:] into m and returns the index after it.
func member(s string, i int, m *storedMember) (int, bool) {
	if i >= len(s) || s[i] != '{' {
		return 0, false
	}
	i++
	if i < len(s) && s[i] == '}' {
		return i + 1, true
	}
	for {
		key, j, ok := plainString(s, i)
		if !ok || j >= len(s) || s[j] != ':' {
			return 0, false
		}
		i = j + 1
		if key == "redacted" {
			switch {
			case strings.HasPrefix(s[i:], "true"):
				m.Redacted, i = true, i+4
			case strings.HasPrefix(s[i:], "false"):
				m.Redacted, i = false, i+5
			default:
				return 0, false
			}
		} else {
			v, j, ok := plainString(s, i)
			if !ok {
				return 0, false
			}
			switch key {
			case "sourceId":
				m.SourceID = v
			case "targetId":
				m.TargetID = v
			case "userName":
				m.UserName = v
			case "reason":
				m.Reason = v
			default:
				return 0, false
			}
			i = j
		}
		switch {
		case i < len(s) && s[i] == ',':
			i++
		case i < len(s) && s[i] == '}':
			return i + 1, true
		default:
			return 0, false
		}
	}
}

// plainString reads a JSON string at s[i:] that has no escapes and no
// control characters, and is valid UTF-8, and returns its value and the
// index after its closing quote.
func plainString(s string, i int) (string, int, bool) {
	if i >= len(s) || s[i] != '"' {
		return "", 0, false
	}
	n := strings.IndexByte(s[i+1:], '"')
	if n < 0 {
		return "", 0, false
	}
	v := s[i+1 : i+1+n]
	ascii := true
	for k := 0; k < len(v); k++ {
		switch c := v[k]; {
		case c == '\\' || c < 0x20:
			return "", 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	if !ascii && !utf8.ValidString(v) {
		return "", 0, false
	}
	return v, i + 2 + n, true
}

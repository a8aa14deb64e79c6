package mapping

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr"
)

// helperOptions registers the stateless helpers, available to every rule.
// Each has a typed signature so the checker reports wrong arguments at
// compile time.
func helperOptions() []expr.Option {
	return []expr.Option{
		expr.Function("rdn", func(p ...any) (any, error) {
			return rdnValue(p[0].(string)), nil
		}, new(func(string) string)),
		expr.Function("parentDN", func(p ...any) (any, error) {
			return parentDN(p[0].(string)), nil
		}, new(func(string) string)),
		expr.Function("dnValue", func(p ...any) (any, error) {
			return dnValue(p[0].(string), p[1].(string)), nil
		}, new(func(string, string) string)),
		expr.Function("default", func(p ...any) (any, error) {
			if s := p[0].(string); s != "" {
				return s, nil
			}
			return p[1].(string), nil
		}, new(func(string, string) string)),
		expr.Function("bitSet", func(p ...any) (any, error) {
			return bitSet(p[0].(string), p[1].(int))
		}, new(func(string, int) bool)),
		expr.Function("adTime", func(p ...any) (any, error) {
			return adTime(p[0].(string))
		}, new(func(string) time.Time)),
		expr.Function("generalizedTime", func(p ...any) (any, error) {
			return generalizedTime(p[0].(string))
		}, new(func(string) time.Time)),
	}
}

// bitSet reports whether any bit of mask is set in the decimal integer s
// (AD userAccountControl). An empty s has no bits set.
func bitSet(s string, mask int) (bool, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return false, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return false, fmt.Errorf("bitSet: %q is not an integer", s)
	}
	return n&int64(mask) != 0, nil
}

// fileTimeEpoch is 1601-01-01 (the FILETIME epoch) in 100 ns units before
// the Unix epoch.
const fileTimeEpoch = 116444736000000000

// adExpired reports whether the AD accountExpires value s (a FILETIME: 100 ns
// intervals since 1601-01-01 UTC) lies at or before now. Empty, 0 and
// 9223372036854775807 mean the account never expires.
func adExpired(s string, now time.Time) (bool, error) {
	t, err := adTime(s)
	if err != nil {
		return false, fmt.Errorf("adExpired: %w", err)
	}
	return !t.IsZero() && !now.Before(t), nil
}

// adTime converts an AD FILETIME s (accountExpires, lastLogonTimestamp,
// pwdLastSet: 100 ns intervals since 1601-01-01 UTC, in decimal) to a time
// in UTC. Empty, 0 and 9223372036854775807 (never) give the zero time.
func adTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("%q is not a FILETIME", s)
	}
	if n == 0 || n == math.MaxInt64 {
		return time.Time{}, nil
	}
	d := n - fileTimeEpoch
	return time.Unix(d/1e7, d%1e7*100).UTC(), nil
}

// generalizedTime parses an LDAP GeneralizedTime (RFC 4517) such as
// "20240131120000Z", "20240131120000.5+0100" or "202401311200Z". An empty
// string gives the zero time.
func generalizedTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, nil
	}
	bad := fmt.Errorf("generalizedTime: %q is not a GeneralizedTime", s)
	digits := 0
	for digits < len(s) && s[digits] >= '0' && s[digits] <= '9' {
		digits++
	}
	layouts := map[int]string{10: "2006010215", 12: "200601021504", 14: "20060102150405"}
	layout, ok := layouts[digits]
	if !ok {
		return time.Time{}, bad
	}
	rest := s[digits:]
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') {
		i := 1
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 1 || digits != 14 {
			return time.Time{}, bad
		}
		layout += "." + strings.Repeat("9", i-1)
		s = s[:digits] + "." + rest[1:]
		rest = rest[i:]
	}
	switch {
	case rest == "Z":
		layout += "Z07"
	case len(rest) == 5 && (rest[0] == '+' || rest[0] == '-'):
		layout += "-0700"
	case len(rest) == 3 && (rest[0] == '+' || rest[0] == '-'):
		layout += "-07"
	default:
		return time.Time{}, bad
	}
	t, err := time.Parse(layout, s)
	if err != nil {
		return time.Time{}, bad
	}
	return t.UTC(), nil
}

// ava is one attribute type and value of a DN, the value unescaped.
type ava struct{ typ, value string }

// splitUnescaped splits s at every unescaped sep byte.
func splitUnescaped(s string, seps string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case strings.IndexByte(seps, s[i]) >= 0:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// parseRDN returns the attribute-value assertions of one RDN.
func parseRDN(rdn string) []ava {
	var out []ava
	for _, part := range splitUnescaped(rdn, "+") {
		typ, val, ok := strings.Cut(part, "=")
		if !ok {
			out = append(out, ava{value: unescapeDNValue(strings.TrimSpace(part))})
			continue
		}
		out = append(out, ava{typ: strings.TrimSpace(typ), value: unescapeDNValue(strings.TrimSpace(val))})
	}
	return out
}

// unescapeDNValue decodes RFC 4514 escapes: a backslash followed by a
// special character or by two hex digits.
func unescapeDNValue(v string) string {
	if strings.IndexByte(v, '\\') < 0 {
		return v
	}
	var b strings.Builder
	for i := 0; i < len(v); i++ {
		c := v[i]
		if c != '\\' || i+1 >= len(v) {
			b.WriteByte(c)
			continue
		}
		if i+2 < len(v) && isHex(v[i+1]) && isHex(v[i+2]) {
			n, _ := strconv.ParseUint(v[i+1:i+3], 16, 8)
			b.WriteByte(byte(n))
			i += 2
			continue
		}
		b.WriteByte(v[i+1])
		i++
	}
	return b.String()
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// rdnValue returns the unescaped value of the first RDN of dn: "Jane Doe"
// for "cn=Jane Doe,ou=people,dc=example,dc=org".
func rdnValue(dn string) string {
	if strings.TrimSpace(dn) == "" {
		return ""
	}
	return parseRDN(splitUnescaped(dn, ",;")[0])[0].value
}

// parentDN returns dn without its first RDN, as written: "ou=people,dc=example,dc=org"
// for "uid=jdoe,ou=people,dc=example,dc=org"; "" when dn has one RDN.
func parentDN(dn string) string {
	rdns := splitUnescaped(dn, ",;")
	if len(rdns) < 2 {
		return ""
	}
	return strings.TrimSpace(dn[len(rdns[0])+1:])
}

// dnValue returns the unescaped value of the first RDN component of dn
// whose attribute type is typ (case-insensitive): dnValue(dn, "ou") is
// "people" for "uid=jdoe,ou=people,dc=example,dc=org"; "" when there is none.
func dnValue(dn, typ string) string {
	for _, rdn := range splitUnescaped(dn, ",;") {
		for _, a := range parseRDN(rdn) {
			if strings.EqualFold(a.typ, typ) {
				return a.value
			}
		}
	}
	return ""
}

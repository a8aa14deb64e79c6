package scim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// jsonReader reads one JSON text held in memory in a single pass, for the
// decoders of list pages (see resources.go). It accepts exactly the JSON
// that encoding/json accepts (RFC 8259, at most maxDepth levels of
// nesting), and decodes strings the same way: escapes resolved, invalid
// UTF-8 and lone surrogates replaced by U+FFFD. The first error stops it;
// every method is a no-op afterwards.
//
// It exists because encoding/json scans a list page twice (checkValid,
// then the reflective decode) at well under 100 MB/s; a page of 1000 users
// is about 0.7 MB and a plan lists every page.
type jsonReader struct {
	data  []byte
	pos   int
	depth int
	err   error
	// arena, when set, holds the bytes of the strings str returns, which
	// are views of it: one buffer per page instead of one allocation per
	// string. See listPage.arena for how long they stay valid.
	arena *[]byte
}

// maxDepth is encoding/json's nesting limit.
const maxDepth = 10000

// strSpecial marks the bytes that end the fast path through a string: the
// quote, a backslash, control characters and non-ASCII bytes.
var strSpecial = func() (t [256]bool) {
	for c := range 256 {
		t[c] = c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf
	}
	return t
}()

func (r *jsonReader) fail(what string) {
	if r.err != nil {
		return
	}
	if r.pos >= len(r.data) {
		r.err = fmt.Errorf("unexpected end of JSON input")
		return
	}
	r.err = fmt.Errorf("invalid JSON at offset %d: invalid character %s %s", r.pos, quoteByte(r.data[r.pos]), what)
}

func quoteByte(c byte) string {
	if c == '\'' {
		return `'\''`
	}
	if c == '"' {
		return `'"'`
	}
	s := strconv.Quote(string(c))
	return "'" + s[1:len(s)-1] + "'"
}

// ws skips whitespace and returns the next byte, 0 at the end.
func (r *jsonReader) ws() byte {
	for r.pos < len(r.data) {
		switch c := r.data[r.pos]; c {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return c
		}
	}
	return 0
}

// peek returns the first byte of the next value (0 after an error).
func (r *jsonReader) peek() byte {
	if r.err != nil {
		return 0
	}
	return r.ws()
}

// end checks that only whitespace follows the top-level value.
func (r *jsonReader) end() error {
	if r.err == nil {
		if r.ws(); r.pos < len(r.data) {
			r.fail("after top-level value")
		}
	}
	return r.err
}

// enter consumes open ('{' or '[') when it comes next.
func (r *jsonReader) enter(open byte) bool {
	if r.peek() != open {
		return false
	}
	if r.depth++; r.depth > maxDepth {
		r.err = fmt.Errorf("invalid JSON at offset %d: exceeded max depth", r.pos)
		return false
	}
	r.pos++
	return true
}

// more reports whether the object or array entered last has another
// member, consuming the comma before it or the closing bracket after the
// last one. n counts the members so far; start it at 0.
func (r *jsonReader) more(closing byte, n *int) bool {
	if r.err != nil {
		return false
	}
	c := r.ws()
	switch {
	case c == closing:
		r.pos++
		r.depth--
		return false
	case *n == 0:
	case c == ',':
		r.pos++
	default:
		if closing == '}' {
			r.fail("after object key:value pair")
		} else {
			r.fail("after array element")
		}
		return false
	}
	*n++
	return true
}

// key reads an object member's name and the colon after it. The result
// may alias the input; it is valid until the next call.
func (r *jsonReader) key() []byte {
	if r.peek() != '"' {
		r.fail("looking for beginning of object key string")
		return nil
	}
	raw, plain := r.scanString()
	if !plain && r.err == nil {
		raw = []byte(r.unquote(raw))
	}
	if r.err == nil && r.ws() != ':' {
		r.fail("after object key")
		return nil
	}
	r.pos++
	return raw
}

// str reads a string literal and returns its value.
func (r *jsonReader) str() string {
	raw, plain := r.scanString()
	switch {
	case r.err != nil || len(raw) == 0:
		return ""
	case !plain:
		return r.unquote(raw)
	case r.arena == nil:
		return string(raw)
	}
	// Appending may move the arena; strings returned before keep the old
	// array, which nothing writes again.
	start := len(*r.arena)
	*r.arena = append(*r.arena, raw...)
	return unsafe.String(&(*r.arena)[start], len(raw))
}

// unquote decodes the string literal whose contents are raw (a subslice
// of the input) by encoding/json's rules. Rare: escapes or invalid UTF-8.
func (r *jsonReader) unquote(raw []byte) string {
	lit := r.data[r.pos-len(raw)-2 : r.pos] // with the quotes
	var s string
	if err := json.Unmarshal(lit, &s); err != nil {
		r.err = err
	}
	return s
}

// scanString reads a string literal, checking it as encoding/json does,
// and returns the bytes between the quotes. plain reports that they are
// its value: no escapes, valid UTF-8.
func (r *jsonReader) scanString() (raw []byte, plain bool) {
	start := r.pos + 1 // after the quote
	i := start
	ascii, escaped := true, false
	for {
		for i < len(r.data) && !strSpecial[r.data[i]] {
			i++
		}
		if i >= len(r.data) {
			r.pos = i
			r.fail("")
			return nil, false
		}
		switch c := r.data[i]; {
		case c == '"':
			r.pos = i + 1
			raw = r.data[start:i]
			return raw, !escaped && (ascii || utf8.Valid(raw))
		case c == '\\':
			escaped = true
			i++
			if i >= len(r.data) {
				r.pos = i
				r.fail("")
				return nil, false
			}
			switch r.data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				for j := 1; j <= 4; j++ {
					if i+j >= len(r.data) || !isHex(r.data[i+j]) {
						r.pos = min(i+j, len(r.data))
						r.fail("in \\u hexadecimal character escape")
						return nil, false
					}
				}
				i += 5
			default:
				r.pos = i
				r.fail("in string escape code")
				return nil, false
			}
		case c < 0x20:
			r.pos = i
			r.fail("in string literal")
			return nil, false
		default: // non-ASCII: checked as a whole at the end
			ascii = false
			i++
		}
	}
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// literal reads a number, true, false or null and returns its text.
func (r *jsonReader) literal() []byte {
	c := r.peek()
	start, d := r.pos, r.data
	switch {
	case c == 't' || c == 'f' || c == 'n':
		for _, w := range [...]string{"true", "false", "null"} {
			if w[0] == c {
				for j := 0; j < len(w); j++ {
					if r.pos >= len(d) || d[r.pos] != w[j] {
						r.fail("in literal " + w + " (expecting " + quoteByte(w[j]) + ")")
						return nil
					}
					r.pos++
				}
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		if c == '-' {
			r.pos++
		}
		digits := func() int {
			n := 0
			for r.pos < len(d) && '0' <= d[r.pos] && d[r.pos] <= '9' {
				r.pos++
				n++
			}
			return n
		}
		switch {
		case r.pos < len(d) && d[r.pos] == '0':
			r.pos++
		case digits() == 0:
			r.fail("in numeric literal")
			return nil
		}
		if r.pos < len(d) && d[r.pos] == '.' {
			r.pos++
			if digits() == 0 {
				r.fail("after decimal point in numeric literal")
				return nil
			}
		}
		if r.pos < len(d) && (d[r.pos] == 'e' || d[r.pos] == 'E') {
			r.pos++
			if r.pos < len(d) && (d[r.pos] == '+' || d[r.pos] == '-') {
				r.pos++
			}
			if digits() == 0 {
				r.fail("in exponent of numeric literal")
				return nil
			}
		}
	default:
		r.fail("looking for beginning of value")
		return nil
	}
	return d[start:r.pos]
}

// skip reads and discards any value.
func (r *jsonReader) skip() {
	switch r.peek() {
	case '{':
		r.enter('{')
		for n := 0; r.more('}', &n); {
			r.key()
			r.skip()
		}
	case '[':
		r.enter('[')
		for n := 0; r.more(']', &n); {
			r.skip()
		}
	case '"':
		r.scanString()
	default:
		r.literal()
	}
}

// scalar reads any value as a jsonScalar: a string as it is, a number or
// boolean as written; null, an object or an array as "".
func (r *jsonReader) scalar() jsonScalar {
	switch r.peek() {
	case '"':
		return jsonScalar(r.str())
	case '{', '[':
		r.skip()
		return ""
	case 'n':
		r.literal()
		return ""
	}
	return jsonScalar(r.literal())
}

// boolean reads an attribute that should be a boolean; see jsonBool.
func (r *jsonReader) boolean() jsonBool {
	switch c := r.peek(); c {
	case 'n':
		r.literal()
		return jsonBool{}
	case 't', 'f':
		r.literal()
		return jsonBool{set: true, valid: true, value: c == 't'}
	case '"':
		s := r.str()
		v, err := strconv.ParseBool(strings.ToLower(s))
		return jsonBool{set: true, valid: err == nil, value: v, raw: s}
	case '{', '[':
		start := r.pos
		r.skip()
		return jsonBool{set: true, raw: string(r.data[start:r.pos])}
	}
	return jsonBool{set: true, raw: string(r.literal())}
}

// integer reads a number that must be an integer in range for an int, as
// encoding/json does for an int field; null leaves *v alone.
func (r *jsonReader) integer(v *int, name string) {
	c := r.peek()
	if c == 'n' {
		r.literal()
		return
	}
	start := r.pos
	var lit []byte
	if c == '-' || '0' <= c && c <= '9' {
		lit = r.literal()
	} else {
		r.skip()
	}
	if r.err != nil {
		return
	}
	n, err := strconv.ParseInt(string(lit), 10, 0)
	if lit == nil || err != nil {
		r.err = fmt.Errorf("%s at offset %d is %.40s, not an integer", name, start, r.data[start:r.pos])
		return
	}
	*v = int(n)
}

// lowerKey returns key in lower case (strings.ToLower), using buf when it
// is short and ASCII. A key longer than buf that is ASCII matches no
// attribute; ok is false for it.
func lowerKey(buf *[64]byte, key []byte) (lower []byte, ok bool) {
	if len(key) <= len(buf) {
		// One pass: lower-case into buf, and note any non-ASCII byte.
		var seen byte
		for i, c := range key {
			seen |= c
			buf[i] = asciiLower[c]
		}
		if seen < utf8.RuneSelf {
			return buf[:len(key)], true
		}
	} else if isASCII(key) {
		return nil, false
	}
	return []byte(strings.ToLower(string(key))), true
}

// asciiLower maps A-Z to a-z and every other byte to itself.
var asciiLower = func() (t [256]byte) {
	for c := range 256 {
		t[c] = byte(c)
		if 'A' <= c && c <= 'Z' {
			t[c] += 'a' - 'A'
		}
	}
	return t
}()

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

package main

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// keyLines maps every dotted key of a TOML document to the line it is set
// on, so configuration errors can say where to look. Keys inside arrays of
// tables are recorded twice: with the element index ("target[1].name") and
// without it ("target.name", first occurrence). It is a line scanner, not a
// parser: it only needs to be right for documents toml already accepted.
func keyLines(src []byte) map[string]int {
	lines := map[string]int{}
	set := func(k string, n int) {
		if _, ok := lines[k]; !ok {
			lines[k] = n
		}
	}
	counts := map[string]int{}
	prefix, plain := "", ""
	inMulti := ""
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if inMulti != "" {
			if strings.Contains(line, inMulti) {
				inMulti = ""
			}
			continue
		}
		switch {
		case line == "" || line[0] == '#':
			continue
		case strings.HasPrefix(line, "[["):
			name := cleanKey(strings.TrimSuffix(strings.TrimPrefix(line[:strings.Index(line+"]]", "]]")], "[["), "]]"))
			idx := counts[name]
			counts[name]++
			prefix = name + "[" + strconv.Itoa(idx) + "]"
			plain = name
			set(prefix, n)
			set(plain, n)
		case line[0] == '[':
			name := cleanKey(line[1:strings.Index(line+"]", "]")])
			prefix, plain = withArray(name, counts), name
			set(prefix, n)
			set(plain, n)
		default:
			k, rest, ok := strings.Cut(line, "=")
			if !ok {
				continue
			}
			key := cleanKey(k)
			set(join(prefix, key), n)
			set(join(plain, key), n)
			rest = strings.TrimSpace(rest)
			for _, q := range []string{`"""`, `'''`} {
				if strings.HasPrefix(rest, q) && !strings.Contains(rest[3:], q) {
					inMulti = q
				}
			}
		}
	}
	return lines
}

// withArray turns "target.scim" into "target[2].scim" when [[target]] has
// been seen three times.
func withArray(name string, counts map[string]int) string {
	parts := strings.Split(name, ".")
	for i := len(parts); i > 0; i-- {
		head := strings.Join(parts[:i], ".")
		if c := counts[head]; c > 0 {
			out := head + "[" + strconv.Itoa(c-1) + "]"
			if i < len(parts) {
				out += "." + strings.Join(parts[i:], ".")
			}
			return out
		}
	}
	return name
}

// cleanKey removes spaces and quotes from a dotted key: `"name.givenName"`
// stays one component, written as name.givenName.
func cleanKey(k string) string {
	var parts []string
	var cur strings.Builder
	quote := byte(0)
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case quote != 0 && c == quote:
			quote = 0
		case quote != 0:
			cur.WriteByte(c)
		case c == '"' || c == '\'':
			quote = c
		case c == '.':
			parts = append(parts, strings.TrimSpace(cur.String()))
			cur.Reset()
		case c == ' ' || c == '\t':
		default:
			cur.WriteByte(c)
		}
	}
	parts = append(parts, strings.TrimSpace(cur.String()))
	return strings.Join(parts, ".")
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// lineOf returns the line of key or of its nearest enclosing table; 0 when
// unknown.
func lineOf(lines map[string]int, key string) int {
	for k := key; k != ""; {
		if n, ok := lines[k]; ok {
			return n
		}
		i := strings.LastIndexAny(k, ".[")
		if i < 0 {
			break
		}
		k = k[:i]
	}
	return 0
}

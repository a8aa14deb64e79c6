// Package ldif reads directory entries from an LDIF export (RFC 2849), for
// offline runs and tests: a parser and writer for content records, and a
// Source that streams the people in a file with their groups resolved.
package ldif

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// Record is one LDIF content record: an entry with its attributes.
type Record struct {
	// Line is the line number (from 1) of the record's dn line.
	Line int
	// DN is the entry's distinguished name, decoded.
	DN string
	// Attrs lists the attributes in the order they first appear; values of
	// one attribute (names compared case-insensitively) are grouped under
	// the first spelling of its name.
	Attrs []Attr
}

// Attr is one attribute of a Record with its values.
type Attr struct {
	Name   string
	Values []string
}

// Get returns the values of the attribute name (case-insensitive).
func (r *Record) Get(name string) []string {
	for i := range r.Attrs {
		if strings.EqualFold(r.Attrs[i].Name, name) {
			return r.Attrs[i].Values
		}
	}
	return nil
}

// ParseError is an error at a line of an LDIF file.
type ParseError struct {
	// File names the file when known (set by Source), else "".
	File string
	// Line is the line number, from 1.
	Line int
	// Err is what is wrong there.
	Err error
}

// Error returns "ldif: [file: ]line N: problem".
func (e *ParseError) Error() string {
	if e.File != "" {
		return fmt.Sprintf("ldif: %s: line %d: %v", e.File, e.Line, e.Err)
	}
	return fmt.Sprintf("ldif: line %d: %v", e.Line, e.Err)
}

// Unwrap returns Err.
func (e *ParseError) Unwrap() error { return e.Err }

func errorf(line int, format string, args ...any) error {
	return &ParseError{Line: line, Err: fmt.Errorf(format, args...)}
}

// maxLine bounds one logical (unfolded) line, so a corrupt file cannot make
// the parser hold unbounded memory.
const maxLine = 64 << 20

// Parse reads LDIF content records from r and calls fn once for each, in
// file order, stopping at the first error. A leading "version: 1", comments,
// folded lines, base64 values ("attr:: ...") and CRLF line ends are
// understood; "changetype: add" records are read as content. URL values
// ("attr:< ..."), controls and other change types are errors. A DN or a
// value that is not valid UTF-8 is an error too, except a base64 value of
// a binary attribute (see IsBinary). Every parse error names the line:
// "ldif: line 42: ...". An error fn returns is returned as it is.
func Parse(r io.Reader, fn func(Record) error) error {
	p := parser{r: bufio.NewReaderSize(r, 64<<10), names: make(map[string]string)}
	return p.run(fn)
}

type parser struct {
	r     *bufio.Reader
	line  int               // physical lines read so far
	text  []byte            // the current logical line, reused
	names map[string]string // checked attribute names, interned
	// Reused while reading a record.
	buf    []byte // the DN, then every value
	dnEnd  int
	dec    []byte // base64 decoding
	pairs  []pair
	slot   []int
	counts []int
}

// appendPhysical appends the next physical line, without its line end, to
// dst. ok is false at the end of input.
func (p *parser) appendPhysical(dst []byte) (_ []byte, ok bool, err error) {
	start := len(dst)
	for {
		chunk, err := p.r.ReadSlice('\n')
		ok = ok || len(chunk) > 0
		dst = append(dst, chunk...)
		if err == bufio.ErrBufferFull {
			if len(dst)-start > maxLine {
				return dst, false, errorf(p.line+1, "line longer than %d bytes", maxLine)
			}
			continue
		}
		if err == io.EOF && !ok {
			return dst, false, nil
		}
		if err != nil && err != io.EOF {
			return dst, false, errorf(p.line+1, "%w", err)
		}
		break
	}
	p.line++
	if n := len(dst); n > start && dst[n-1] == '\n' {
		dst = dst[:n-1]
	}
	if n := len(dst); n > start && dst[n-1] == '\r' {
		dst = dst[:n-1]
	}
	return dst, true, nil
}

// logical returns the next unfolded line (valid until the next call) and
// the number of its first physical line. ok is false at the end of input.
func (p *parser) logical() (text []byte, start int, ok bool, err error) {
	p.text, ok, err = p.appendPhysical(p.text[:0])
	if !ok || err != nil {
		return nil, 0, ok, err
	}
	start = p.line
	if len(p.text) == 0 {
		return p.text, start, true, nil // a blank line is never continued
	}
	if p.text[0] == ' ' {
		if len(bytes.TrimSpace(p.text)) == 0 {
			return nil, start, true, nil // whitespace-only: a separator
		}
		return nil, 0, false, errorf(start, "continuation line without a line to continue")
	}
	for {
		if c, err := p.r.Peek(1); err != nil || c[0] != ' ' {
			break // a read error other than EOF shows on the next read
		}
		n := len(p.text)
		if p.text, _, err = p.appendPhysical(p.text); err != nil {
			return nil, 0, false, err
		}
		p.text = append(p.text[:n], p.text[n+1:]...) // drop the fold's space
		if len(p.text) > maxLine {
			return nil, 0, false, errorf(start, "line longer than %d bytes", maxLine)
		}
	}
	return p.text, start, true, nil
}

// name returns the attribute description b as a string, checked; names are
// interned, as a file repeats the same few thousand at most.
func (p *parser) name(b []byte) (string, error) {
	if s, ok := p.names[string(b)]; ok {
		return s, nil
	}
	s := string(b)
	if err := checkName(s); err != nil {
		return "", err
	}
	if len(p.names) < 4096 {
		p.names[s] = s
	}
	return s, nil
}

func (p *parser) run(fn func(Record) error) error {
	var (
		line  int // of the record's dn, 0 outside a record
		first = true
	)
	flush := func() error {
		if line == 0 {
			return nil
		}
		r := p.record(line)
		line = 0
		return fn(r)
	}
	for {
		text, n, ok, err := p.logical()
		if err != nil {
			return err
		}
		if !ok {
			return flush()
		}
		if len(text) == 0 { // blank line ends a record
			if err := flush(); err != nil {
				return err
			}
			continue
		}
		if text[0] == '#' {
			continue
		}
		name, value, err := p.splitLine(text, n)
		if err != nil {
			return err
		}
		if line == 0 {
			if first && strings.EqualFold(name, "version") {
				first = false
				if string(value) != "1" {
					return errorf(n, "unsupported version %q", value)
				}
				continue
			}
			first = false
			if !strings.EqualFold(name, "dn") {
				return errorf(n, "record must start with dn:, got %q", name)
			}
			line = n
			p.buf = append(p.buf[:0], value...)
			p.dnEnd = len(p.buf)
			p.pairs = p.pairs[:0]
			continue
		}
		switch {
		case strings.EqualFold(name, "changetype"):
			if len(p.pairs) > 0 {
				return errorf(n, "changetype must directly follow dn")
			}
			if !bytes.EqualFold(value, []byte("add")) {
				return errorf(n, "changetype %s not supported", value)
			}
		case strings.EqualFold(name, "control"):
			return errorf(n, "controls not supported")
		default:
			start := len(p.buf)
			p.buf = append(p.buf, value...)
			p.pairs = append(p.pairs, pair{name, start, len(p.buf)})
		}
	}
}

// pair is one "name: value" line of the record being read; the value is
// p.buf[start:end].
type pair struct {
	name       string
	start, end int
}

// record returns the record read since its dn line (at line): its DN and
// values are substrings of one string, its attributes in order of first
// appearance with the values of one attribute (case-insensitive) together.
func (p *parser) record(line int) Record {
	all := string(p.buf)
	r := Record{Line: line, DN: all[:p.dnEnd]}
	if len(p.pairs) == 0 {
		return r
	}
	attrs := make([]Attr, 0, 8)
	p.slot = p.slot[:0]
	counts := p.counts[:0]
	for _, pr := range p.pairs {
		i := 0
		for i < len(attrs) && !strings.EqualFold(attrs[i].Name, pr.name) {
			i++
		}
		if i == len(attrs) {
			attrs = append(attrs, Attr{Name: pr.name})
			counts = append(counts, 0)
		}
		counts[i]++
		p.slot = append(p.slot, i)
	}
	vals := make([]string, len(p.pairs))
	off := 0
	for i := range attrs {
		attrs[i].Values = vals[off : off : off+counts[i]]
		off += counts[i]
	}
	for k, pr := range p.pairs {
		a := &attrs[p.slot[k]]
		a.Values = append(a.Values, all[pr.start:pr.end])
	}
	p.counts = counts
	r.Attrs = attrs
	return r
}

// splitLine splits "name: value", "name:: base64" and rejects "name:< url".
// value is valid until the next call.
func (p *parser) splitLine(text []byte, n int) (name string, value []byte, err error) {
	i := bytes.IndexByte(text, ':')
	if i < 0 {
		return "", nil, errorf(n, "missing ':' after attribute name")
	}
	if name, err = p.name(text[:i]); err != nil {
		return "", nil, errorf(n, "%w", err)
	}
	rest := text[i+1:]
	switch {
	case len(rest) > 0 && rest[0] == ':':
		enc := bytes.Trim(rest[1:], " ")
		if need := base64.StdEncoding.DecodedLen(len(enc)); cap(p.dec) < need {
			p.dec = make([]byte, need)
		}
		m, err := base64.StdEncoding.Decode(p.dec[:cap(p.dec)], enc)
		if err != nil {
			return "", nil, errorf(n, "attribute %s: invalid base64: %w", name, err)
		}
		value = p.dec[:m]
		if !utf8.Valid(value) && !IsBinary(name) {
			return "", nil, errorf(n, "attribute %s: base64 value is not valid UTF-8 text "+
				"(%s is not a binary attribute; re-export the directory as UTF-8)", name, name)
		}
		return name, value, nil
	case len(rest) > 0 && rest[0] == '<':
		return "", nil, errorf(n, "attribute %s: URL values (:<) are not supported", name)
	}
	value = bytes.TrimLeft(rest, " ")
	if !utf8.Valid(value) {
		return "", nil, errorf(n, "attribute %s: value is not valid UTF-8 "+
			"(re-export the directory as UTF-8; binary values are written base64-encoded, as %s::)", name, name)
	}
	return name, value, nil
}

// IsBinary reports whether the attribute description name holds binary
// values, not text: it has the ";binary" option or is one of the binary
// attributes of the standard schemas and Active Directory (objectGUID,
// objectSid, jpegPhoto, userCertificate, ...). Their base64 values may be
// any bytes; every other value must be UTF-8.
func IsBinary(name string) bool {
	base, opts, _ := strings.Cut(strings.ToLower(name), ";")
	for opts != "" {
		var o string
		o, opts, _ = strings.Cut(opts, ";")
		if o == "binary" {
			return true
		}
	}
	return binaryAttrs[base]
}

// binaryAttrs are the binary attributes IsBinary knows, lower case.
var binaryAttrs = map[string]bool{
	"objectguid": true, "objectsid": true, "sidhistory": true, "tokengroups": true,
	"ms-ds-consistencyguid": true, "msexchmailboxguid": true, "mssfu30objectsid": true,
	"jpegphoto": true, "photo": true, "thumbnailphoto": true, "audio": true,
	"usercertificate": true, "cacertificate": true, "usersmimecertificate": true,
	"certificaterevocationlist": true, "authorityrevocationlist": true,
	"crosscertificatepair": true, "deltarevocationlist": true, "userpkcs12": true,
	"userpassword": true, "unicodepwd": true, "ntsecuritydescriptor": true,
	"logonhours": true, "msds-generationid": true, "replicationsignature": true,
}

// checkName accepts an attribute description: a name or numeric OID
// followed by ";option"s (letters, digits, '-' and '.').
func checkName(name string) error {
	if name == "" {
		return errors.New("empty attribute name")
	}
	for _, part := range strings.Split(name, ";") {
		if part == "" {
			return fmt.Errorf("invalid attribute name %q", name)
		}
		for i := 0; i < len(part); i++ {
			c := part[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				return fmt.Errorf("invalid attribute name %q", name)
			}
		}
	}
	return nil
}

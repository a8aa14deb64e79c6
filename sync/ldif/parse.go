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

// add appends value to the attribute name, creating it when new.
func (r *Record) add(name, value string) {
	for i := range r.Attrs {
		if strings.EqualFold(r.Attrs[i].Name, name) {
			r.Attrs[i].Values = append(r.Attrs[i].Values, value)
			return
		}
	}
	r.Attrs = append(r.Attrs, Attr{Name: name, Values: []string{value}})
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
// ("attr:< ..."), controls and other change types are errors. Every parse
// error names the line: "ldif: line 42: ...". An error fn returns is
// returned as it is.
func Parse(r io.Reader, fn func(Record) error) error {
	p := parser{r: bufio.NewReaderSize(r, 64<<10)}
	return p.run(fn)
}

type parser struct {
	r      *bufio.Reader
	line   int // physical lines read so far
	peeked []byte
	peekOK bool
	eof    bool
}

// physical returns the next physical line without its line end.
func (p *parser) physical() ([]byte, bool, error) {
	if p.peekOK {
		p.peekOK = false
		p.line++
		return p.peeked, true, nil
	}
	if p.eof {
		return nil, false, nil
	}
	var buf []byte
	for {
		chunk, err := p.r.ReadSlice('\n')
		buf = append(buf, chunk...)
		if err == bufio.ErrBufferFull {
			if len(buf) > maxLine {
				return nil, false, errorf(p.line+1, "line longer than %d bytes", maxLine)
			}
			continue
		}
		if err == io.EOF {
			p.eof = true
			if len(buf) == 0 {
				return nil, false, nil
			}
		} else if err != nil {
			return nil, false, errorf(p.line+1, "%w", err)
		}
		break
	}
	p.line++
	buf = bytes.TrimSuffix(buf, []byte("\n"))
	buf = bytes.TrimSuffix(buf, []byte("\r"))
	return buf, true, nil
}

func (p *parser) unread(b []byte) {
	p.peeked, p.peekOK = b, true
	p.line--
}

// logical returns the next unfolded line and the number of its first
// physical line. ok is false at the end of input.
func (p *parser) logical() (text []byte, start int, ok bool, err error) {
	b, ok, err := p.physical()
	if !ok || err != nil {
		return nil, 0, ok, err
	}
	start = p.line
	if len(b) == 0 {
		return b, start, true, nil // a blank line is never continued
	}
	if b[0] == ' ' {
		if len(bytes.TrimSpace(b)) == 0 {
			return nil, start, true, nil // whitespace-only: a separator
		}
		return nil, 0, false, errorf(start, "continuation line without a line to continue")
	}
	text = b // physical returns a fresh slice
	for {
		next, ok, err := p.physical()
		if err != nil {
			return nil, 0, false, err
		}
		if !ok {
			break
		}
		if len(next) == 0 || next[0] != ' ' {
			p.unread(next)
			break
		}
		text = append(text, next[1:]...)
		if len(text) > maxLine {
			return nil, 0, false, errorf(start, "line longer than %d bytes", maxLine)
		}
	}
	return text, start, true, nil
}

func (p *parser) run(fn func(Record) error) error {
	var rec *Record
	first := true
	flush := func() error {
		if rec == nil {
			return nil
		}
		r := *rec
		rec = nil
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
		name, value, err := splitLine(text, n)
		if err != nil {
			return err
		}
		if rec == nil {
			if first && strings.EqualFold(name, "version") {
				first = false
				if value != "1" {
					return errorf(n, "unsupported version %q", value)
				}
				continue
			}
			first = false
			if !strings.EqualFold(name, "dn") {
				return errorf(n, "record must start with dn:, got %q", name)
			}
			rec = &Record{Line: n, DN: value}
			continue
		}
		switch {
		case strings.EqualFold(name, "changetype"):
			if len(rec.Attrs) > 0 {
				return errorf(n, "changetype must directly follow dn")
			}
			if !strings.EqualFold(value, "add") {
				return errorf(n, "changetype %s not supported", value)
			}
		case strings.EqualFold(name, "control"):
			return errorf(n, "controls not supported")
		default:
			rec.add(name, value)
		}
	}
}

// splitLine splits "name: value", "name:: base64" and rejects "name:< url".
func splitLine(text []byte, n int) (name, value string, err error) {
	i := bytes.IndexByte(text, ':')
	if i < 0 {
		return "", "", errorf(n, "missing ':' after attribute name")
	}
	name = string(text[:i])
	if err := checkName(name); err != nil {
		return "", "", errorf(n, "%w", err)
	}
	rest := text[i+1:]
	switch {
	case len(rest) > 0 && rest[0] == ':':
		enc := bytes.Trim(rest[1:], " ")
		dec := make([]byte, base64.StdEncoding.DecodedLen(len(enc)))
		m, err := base64.StdEncoding.Decode(dec, enc)
		if err != nil {
			return "", "", errorf(n, "attribute %s: invalid base64: %w", name, err)
		}
		return name, string(dec[:m]), nil
	case len(rest) > 0 && rest[0] == '<':
		return "", "", errorf(n, "attribute %s: URL values (:<) are not supported", name)
	}
	return name, string(bytes.TrimLeft(rest, " ")), nil
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

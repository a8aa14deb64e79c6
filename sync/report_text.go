package sync

import (
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

var kindTitle = map[Kind]string{
	Joiner: "Joiners", Mover: "Movers", Leaver: "Leavers", Orphan: "Orphans", Adopt: "Adopted accounts", Rehire: "Rehires",
}

var kindMark = map[Kind]string{Joiner: "+", Mover: "~", Leaver: "-", Orphan: "?", Adopt: "=", Rehire: "^"}

// WriteText writes the plan for a human: changes grouped by kind, each with
// its reasons, attribute and role differences, then groups and a summary.
// Every value that comes from the directory, the target or the rules is
// escaped (see appendEscaped): one change is one line plus indented
// detail lines, whatever the values hold.
func WriteText(w io.Writer, p *Plan) error {
	tw := &textWriter{w: w, buf: make([]byte, 0, textBuffer)}
	s := p.Summary
	tw.printf("Plan for target %q\n", p.Target)
	tw.printf("source: %d people, %d in scope, %d of them disabled; target: %d accounts, %d linked\n",
		s.SourcePeople, s.InScope, s.Disabled, s.TargetAccounts, s.Linked)
	for _, k := range []Kind{Joiner, Mover, Leaver, Rehire, Adopt, Orphan} {
		n, reports := 0, 0
		for i := range p.Changes {
			switch c := &p.Changes[i]; {
			case c.Kind != k:
			case k == Leaver && c.Action == Report:
				reports++
			default:
				n++
			}
		}
		switch {
		case n+reports == 0:
			continue
		case reports > 0 && n == 0:
			// As the summary counts them: a leaver's report-only line
			// (protected, or awaiting its staged deletion) is no change.
			tw.printf("\n%s (%d report only)\n", kindTitle[k], reports)
		case reports > 0:
			tw.printf("\n%s (%d to change, %d report only)\n", kindTitle[k], n, reports)
		default:
			tw.printf("\n%s (%d)\n", kindTitle[k], n)
		}
		for i := range p.Changes {
			if p.Changes[i].Kind == k {
				tw.change(&p.Changes[i])
			}
		}
	}
	if len(p.Groups) > 0 {
		tw.printf("\nGroups (%d)\n", len(p.Groups))
		for i := range p.Groups {
			tw.group(&p.Groups[i])
		}
	}
	if len(p.Warnings) > 0 {
		tw.printf("\nWarnings (%d)\n", len(p.Warnings))
		for _, w := range p.Warnings {
			tw.line("! ", w)
		}
	}
	tw.printf("\n%s\n", SummaryLine(p))
	tw.flush()
	return tw.err
}

// textWriter writes the text plan through a buffer written out in large
// pieces: a first plan lists every person (about 40 MB at 100,000), so the
// report holds one buffer of it at a time.
type textWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const textBuffer = 64 << 10

// printf appends a formatted line of the report's own text; values from
// outside go through line, which escapes them.
func (t *textWriter) printf(format string, args ...any) {
	t.buf = fmt.Appendf(t.buf, format, args...)
	t.spill()
}

// line appends the concatenation of parts, each escaped, and a newline.
func (t *textWriter) line(parts ...string) {
	for _, p := range parts {
		t.buf = appendEscaped(t.buf, p)
	}
	t.buf = append(t.buf, '\n')
	t.spill()
}

// spill writes the buffer out once it is full.
func (t *textWriter) spill() {
	if len(t.buf) >= textBuffer {
		t.flush()
	}
}

func (t *textWriter) flush() {
	if t.err == nil && len(t.buf) > 0 {
		_, t.err = t.w.Write(t.buf)
	}
	t.buf = t.buf[:0]
}

func (t *textWriter) change(c *Change) {
	label := string(c.Action)
	if c.Action == Report {
		label = "report only"
	}
	sep, name := "", ""
	if c.After != nil && c.After.Attrs.Get("displayName") != "" {
		sep, name = "  ", c.After.Attrs.Get("displayName")
	} else if c.Before != nil && c.Before.Attrs.Get("displayName") != "" {
		sep, name = "  ", c.Before.Attrs.Get("displayName")
	}
	t.line(kindMark[c.Kind], " ", c.UserName, sep, name, "  [", label, "]")
	if c.PreviousDN != "" {
		t.line("    dn: ", c.PreviousDN, " -> ", c.DN)
	}
	for _, d := range c.Attrs {
		// Values are quoted, which escapes them: strconv.Quote leaves no
		// control or other non-printing character as it is.
		rule := ""
		if d.Rule != "" {
			rule = "  (" + d.Rule + ")"
		}
		t.line("    ", d.Path, ": ", d.beforeText(), " -> ", d.afterText(), rule)
	}
	for _, r := range c.RolesAdded {
		t.line("    role +", r.Role, " (", r.Reason, ")")
	}
	for _, r := range c.RolesRemoved {
		t.line("    role -", r.Role, " (", r.Reason, ")")
	}
	for _, r := range c.Reasons {
		t.line("    because: ", r)
	}
}

func (t *textWriter) group(g *GroupChange) {
	switch {
	case g.Create:
		t.line("+ ", g.Role, "  [create group]")
	case g.Adopt:
		t.line("= ", g.Role, "  [adopt group ", g.GroupID, "]")
	default:
		t.line("~ ", g.Role, "  [members]")
	}
	if len(g.Add) > 0 {
		t.line("    add ", strconv.Itoa(len(g.Add)), ": ", names(g.Add))
	}
	if len(g.Remove) > 0 {
		t.line("    remove ", strconv.Itoa(len(g.Remove)), ": ", names(g.Remove))
	}
}

// Escape returns s escaped as the text plan escapes every value from the
// directory, the target or the rules (see appendEscaped): other text
// reports use it too, so that a value can neither forge a line nor drive
// the terminal.
func Escape(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return string(appendEscaped(make([]byte, 0, len(s)+8), s))
		}
	}
	return s
}

// appendEscaped appends s with every character that could forge a line of
// the report or drive a terminal escaped as in a Go string literal: C0
// controls (newline, tab, ESC...), DEL, C1 controls, the line and
// paragraph separators U+2028 and U+2029, and the bidirectional controls
// that reorder what a terminal shows. Bytes that are not UTF-8 are written
// as \xNN. Everything else, backslashes and other scripts included, is
// written as it is.
func appendEscaped(buf []byte, s string) []byte {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < 0x7f {
		i++ // the common case: printable ASCII
	}
	if i == len(s) {
		return append(buf, s...)
	}
	buf = append(buf, s[:i]...)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			const hex = "0123456789abcdef"
			buf = append(buf, '\\', 'x', hex[s[i]>>4], hex[s[i]&0xf])
		case mustEscape(r):
			q := strconv.QuoteRune(r) // '\n', '\x1b', '\u2028'
			buf = append(buf, q[1:len(q)-1]...)
		default:
			buf = append(buf, s[i:i+size]...)
		}
		i += size
	}
	return buf
}

// mustEscape reports whether appendEscaped escapes r.
func mustEscape(r rune) bool {
	switch {
	case r < 0x20, r == 0x7f, r >= 0x80 && r < 0xa0:
		return true // C0, DEL, C1
	case r == 0x2028, r == 0x2029:
		return true // line and paragraph separators
	case r == 0x061c, r == 0x200e, r == 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
		return true // bidirectional marks, embeddings, overrides and isolates
	}
	return false
}

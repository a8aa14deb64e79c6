package sync

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Formats lists the plan report formats WriteReport knows.
var Formats = []string{"text", "json"}

// WriteReport writes the plans in format "text" or "json".
func WriteReport(w io.Writer, format string, plans []*Plan) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	if err := writeReport(bw, format, plans); err != nil {
		return err
	}
	return bw.Flush()
}

func writeReport(w io.Writer, format string, plans []*Plan) error {
	switch format {
	case "text", "":
		for i, p := range plans {
			if i > 0 {
				fmt.Fprintln(w)
			}
			if err := WriteText(w, p); err != nil {
				return err
			}
		}
		return nil
	case "json":
		return WriteJSON(w, plans)
	}
	return fmt.Errorf("unknown report format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// JSONVersion is the version of the JSON plan document. It changes only
// when a field is removed or changes meaning; new fields may appear.
const JSONVersion = 1

// jsonReport is the JSON plan document; docs/plan-json.md describes it.
type jsonReport struct {
	Version int     `json:"version"`
	Plans   []*Plan `json:"plans"`
}

// WriteJSON writes the plans as one indented JSON document.
func WriteJSON(w io.Writer, plans []*Plan) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if plans == nil {
		plans = []*Plan{}
	}
	return enc.Encode(jsonReport{Version: JSONVersion, Plans: plans})
}

var kindTitle = map[Kind]string{
	Joiner: "Joiners", Mover: "Movers", Leaver: "Leavers", Orphan: "Orphans", Adopt: "Adopted accounts",
	Rehire: "Rehires",
}

var kindMark = map[Kind]string{Joiner: "+", Mover: "~", Leaver: "-", Orphan: "?", Adopt: "=", Rehire: "^"}

// WriteText writes the plan for a human: changes grouped by kind, each with
// its reasons, attribute and role differences, then groups and a summary.
func WriteText(w io.Writer, p *Plan) error {
	tw := &textWriter{w: w, buf: make([]byte, 0, textBuffer)}
	s := p.Summary
	tw.printf("Plan for target %q\n", p.Target)
	tw.printf("source: %d people, %d in scope, %d of them disabled; target: %d accounts, %d linked\n",
		s.SourcePeople, s.InScope, s.Disabled, s.TargetAccounts, s.Linked)
	for _, k := range []Kind{Joiner, Mover, Leaver, Rehire, Adopt, Orphan} {
		var cs []*Change
		for i := range p.Changes {
			if p.Changes[i].Kind == k {
				cs = append(cs, &p.Changes[i])
			}
		}
		if len(cs) == 0 {
			continue
		}
		tw.printf("\n%s (%d)\n", kindTitle[k], len(cs))
		for _, c := range cs {
			tw.change(c)
		}
	}
	if len(p.Groups) > 0 {
		tw.printf("\nGroups (%d)\n", len(p.Groups))
		for _, g := range p.Groups {
			tw.group(g)
		}
	}
	if len(p.Warnings) > 0 {
		tw.printf("\nWarnings (%d)\n", len(p.Warnings))
		for _, w := range p.Warnings {
			tw.printf("! %s\n", w)
		}
	}
	tw.printf("\n%s\n", SummaryLine(p))
	tw.flush()
	return tw.err
}

// SummaryLine is the one-line summary of a plan.
func SummaryLine(p *Plan) string {
	s := p.Summary
	if !p.Pending() {
		line := fmt.Sprintf("No changes: %s up to date.", plural(s.Unchanged, "account", "accounts"))
		if s.Orphans > 0 {
			line += fmt.Sprintf(" %s reported.", plural(s.Orphans, "orphan", "orphans"))
		}
		return line
	}
	return "Summary: " + plural(s.Joiners, "joiner", "joiners") + ", " + plural(s.Movers, "mover", "movers") + ", " +
		plural(s.Leavers, "leaver", "leavers") + ", " + rehired(s.Rehires) + fmt.Sprintf("%d adopted", s.Adopted) + ", " +
		plural(s.Orphans, "orphan", "orphans") + "; " +
		fmt.Sprintf("%d to create, %d to update, %d to disable, %d to delete; ", s.Creates, s.Updates, s.Disables, s.Deletes) +
		plural(s.GroupsCreated, "group", "groups") + " to create, " +
		plural(s.MembersAdded, "membership", "memberships") + " to add, " + fmt.Sprintf("%d to remove; %d unchanged.", s.MembersRemoved, s.Unchanged)
}

// rehired names the rehires of a summary, when there are any.
func rehired(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d rehired, ", n)
}

// textWriter builds the text plan in a buffer written out in large
// pieces: a first plan lists every person (about 40 MB at 100,000), and a
// formatted print per line was a tenth of such a plan's time.
type textWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const textBuffer = 64 << 10

func (t *textWriter) printf(format string, args ...any) {
	t.buf = fmt.Appendf(t.buf, format, args...)
	t.spill()
}

// line appends the concatenation of parts and a newline.
func (t *textWriter) line(parts ...string) {
	for _, p := range parts {
		t.buf = append(t.buf, p...)
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
		t.buf = append(t.buf, "    "...)
		t.buf = append(t.buf, d.Path...)
		t.buf = append(t.buf, ": "...)
		t.buf = strconv.AppendQuote(t.buf, d.Before)
		t.buf = append(t.buf, " -> "...)
		t.buf = strconv.AppendQuote(t.buf, d.After)
		if d.Rule != "" {
			t.buf = append(t.buf, "  ("...)
			t.buf = append(t.buf, d.Rule...)
			t.buf = append(t.buf, ')')
		}
		t.line()
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

func (t *textWriter) group(g GroupChange) {
	switch {
	case g.Create:
		t.printf("+ %s  [create group]\n", g.Role)
	case g.Adopt:
		t.printf("= %s  [adopt group %s]\n", g.Role, g.GroupID)
	default:
		t.printf("~ %s  [members]\n", g.Role)
	}
	if len(g.Add) > 0 {
		t.printf("    add %d: %s\n", len(g.Add), names(g.Add))
	}
	if len(g.Remove) > 0 {
		t.printf("    remove %d: %s\n", len(g.Remove), names(g.Remove))
	}
}

package sync

import (
	"html"
	"io"
	"strconv"
	"time"
)

// WriteHTML writes the plans (and, for an apply, its results: nil for a
// plan) as one self-contained HTML page: per target the summary counts,
// the result of an apply, a section per kind with each change (before →
// after, roles, reasons), the group changes and the warnings. It holds no
// reference to anything outside the file, reads without scripts, and
// filters by words and kinds with them. It streams like the text report:
// one buffer at a time, whatever the plan's size. docs/reports.md
// describes the markup the checks rely on (data-count, data-kind).
func WriteHTML(w io.Writer, plans []*Plan, results []Result) error {
	h := &htmlWriter{textWriter{w: w, buf: make([]byte, 0, textBuffer)}}
	title := "idsync plan"
	if results != nil {
		title = "idsync apply"
	}
	h.raw(htmlHead, "<title>", title, "</title>\n", htmlStyle, "</head>\n<body>\n<h1>", title, "</h1>\n")
	h.raw(`<form id="filter" hidden><input type="search" id="q" placeholder="Filter: name, attribute, role, reason…" aria-label="filter">`)
	for _, k := range htmlKinds {
		h.raw(` <label><input type="checkbox" value="`, string(k), `" checked> `, kindTitle[k], `</label>`)
	}
	h.raw(` <span id="shown"></span></form>`, "\n")
	for i, p := range plans {
		var res *Result
		if i < len(results) {
			res = &results[i]
		}
		h.plan(p, res)
	}
	h.raw(htmlScript, "</body>\n</html>\n")
	h.flush()
	return h.err
}

// htmlKinds is the order of the kinds in the HTML report, as in the text.
var htmlKinds = []Kind{Joiner, Mover, Leaver, Rehire, Adopt, Orphan}

// htmlWriter writes HTML through the text report's buffer.
type htmlWriter struct{ textWriter }

// raw appends markup of the report's own.
func (h *htmlWriter) raw(parts ...string) {
	for _, p := range parts {
		h.buf = append(h.buf, p...)
	}
	h.spill()
}

// esc appends a value from outside: escaped as the text report escapes it
// (control and bidirectional characters shown, not obeyed), then as HTML.
func (h *htmlWriter) esc(s string) {
	start := len(h.buf)
	h.buf = appendEscaped(h.buf, s)
	// Escape the markup characters of what was appended, in place from
	// the end: the common value has none and costs one scan.
	n := 0
	for _, c := range h.buf[start:] {
		if c == '&' || c == '<' || c == '>' || c == '"' || c == '\'' {
			n++
		}
	}
	if n > 0 {
		h.buf = appendHTMLEscaped(h.buf, start)
	}
	h.spill()
}

// appendHTMLEscaped returns buf with buf[start:] escaped as HTML text and
// attribute values (the characters html.EscapeString escapes).
func appendHTMLEscaped(buf []byte, start int) []byte {
	tail := string(buf[start:])
	buf = buf[:start]
	for i := 0; i < len(tail); i++ {
		switch c := tail[i]; c {
		case '&':
			buf = append(buf, "&amp;"...)
		case '<':
			buf = append(buf, "&lt;"...)
		case '>':
			buf = append(buf, "&gt;"...)
		case '"':
			buf = append(buf, "&#34;"...)
		case '\'':
			buf = append(buf, "&#39;"...)
		default:
			buf = append(buf, c)
		}
	}
	return buf
}

func (h *htmlWriter) plan(p *Plan, res *Result) {
	s := p.Summary
	h.raw(`<section class="target" data-target="`)
	h.esc(p.Target)
	h.raw(`">`, "\n<h2>Target ")
	h.esc(p.Target)
	h.raw("</h2>\n")
	if !p.Created.IsZero() {
		h.raw(`<p>Planned at <time>`, p.Created.UTC().Format(time.RFC3339), "</time>")
		if p.Digest != "" {
			h.raw(`; saved plan digest <code class="digest">`, html.EscapeString(p.Digest), "</code>")
		}
		h.raw(".</p>\n")
	}
	h.raw("<p>Source: ", strconv.Itoa(s.SourcePeople), " people, ", strconv.Itoa(s.InScope), " in scope, ",
		strconv.Itoa(s.Disabled), " of them disabled; target: ", strconv.Itoa(s.TargetAccounts), " accounts, ",
		strconv.Itoa(s.Linked), " linked.</p>\n")
	h.summary(&s)
	h.raw(`<p class="summary-line">`)
	h.esc(SummaryLine(p))
	h.raw("</p>\n")
	if res != nil {
		h.result(res)
	}
	for _, k := range htmlKinds {
		h.kind(p, k)
	}
	h.groups(p.Groups)
	if len(p.Warnings) > 0 {
		h.raw(`<section class="warnings"><h3>Warnings (`, strconv.Itoa(len(p.Warnings)), ")</h3>\n<ul>\n")
		for _, w := range p.Warnings {
			h.raw("<li>")
			h.esc(w)
			h.raw("</li>\n")
		}
		h.raw("</ul></section>\n")
	}
	h.raw("</section>\n")
}

// summary writes the counts table; each count's cell carries its JSON
// name in data-count.
func (h *htmlWriter) summary(s *Summary) {
	rows := []struct {
		label, key string
		n          int
	}{
		{"Joiners", "joiners", s.Joiners}, {"Movers", "movers", s.Movers}, {"Leavers", "leavers", s.Leavers},
		{"Rehires", "rehires", s.Rehires}, {"Adopted", "adopted", s.Adopted}, {"Orphans", "orphans", s.Orphans},
		{"Unchanged", "unchanged", s.Unchanged}, {"To create", "creates", s.Creates}, {"To update", "updates", s.Updates},
		{"To disable", "disables", s.Disables}, {"To delete", "deletes", s.Deletes},
		{"Groups to create", "groupsCreated", s.GroupsCreated}, {"Memberships to add", "membersAdded", s.MembersAdded},
		{"Memberships to remove", "membersRemoved", s.MembersRemoved},
	}
	if s.PendingDeletes > 0 {
		rows = append(rows, struct {
			label, key string
			n          int
		}{"Awaiting deletion", "pendingDeletes", s.PendingDeletes})
	}
	h.raw(`<table class="summary"><tbody>`, "\n")
	for _, r := range rows {
		h.raw("<tr><th>", r.label, `</th><td data-count="`, r.key, `">`, strconv.Itoa(r.n), "</td></tr>\n")
	}
	h.raw("</tbody></table>\n")
}

// result writes what an apply did.
func (h *htmlWriter) result(r *Result) {
	h.raw(`<p class="result" data-status="`, html.EscapeString(r.Status), `">Result: `, html.EscapeString(r.Status),
		`; applied <span data-count="applied">`, strconv.Itoa(r.Applied), `</span>, refused <span data-count="refused">`,
		strconv.Itoa(r.Refused), `</span>, not applied <span data-count="failed">`, strconv.Itoa(r.Failed), "</span>.</p>\n")
	if len(r.Errors) > 0 {
		h.raw(`<ul class="errors">`, "\n")
		for _, e := range r.Errors {
			h.raw("<li>")
			h.esc(e)
			h.raw("</li>\n")
		}
		h.raw("</ul>\n")
	}
}

// kind writes the section of the changes of kind k, if any.
func (h *htmlWriter) kind(p *Plan, k Kind) {
	n := 0
	for i := range p.Changes {
		if p.Changes[i].Kind == k {
			n++
		}
	}
	if n == 0 {
		return
	}
	h.raw(`<section class="kind" data-kind="`, string(k), `"><h3>`, kindTitle[k], ` (<span data-count="`, string(k), `">`,
		strconv.Itoa(n), "</span>)</h3>\n")
	for i := range p.Changes {
		if p.Changes[i].Kind == k {
			h.change(&p.Changes[i])
		}
	}
	h.raw("</section>\n")
}

package sync

import (
	"io"
	"strconv"
	"strings"
	"time"
)

// reviewStatuses are the statuses of an access review, in the order the
// filter lists them, with their labels.
var reviewStatuses = []struct{ status, label string }{
	{ReviewKept, "kept by a rule"}, {ReviewRevoke, "to be revoked"}, {ReviewUnmanaged, "not managed by idsync"},
}

// WriteReviewHTML writes an access review as one self-contained HTML page,
// like the plan's (WriteHTML): per target and role a table of the current
// holders with why each holds it, counts in data-count attributes,
// filterable by words and status with scripts, and, with SoD rules, the
// current violations vs (nil without rules). at is when the listing was
// read.
func WriteReviewHTML(w io.Writer, rows []ReviewRow, vs []SoDViolation, at time.Time) error {
	h := &htmlWriter{textWriter{w: w, buf: make([]byte, 0, textBuffer)}}
	h.raw(htmlHead, "<title>idsync access review</title>\n", htmlStyle, "</head>\n<body>\n<h1>idsync access review</h1>\n")
	h.raw("<p>Current holders of every role, read at <time>", at.UTC().Format(time.RFC3339), "</time>: <span data-count=\"holders\">",
		strconv.Itoa(len(rows)), "</span> holders.</p>\n")
	h.raw(`<form id="filter" hidden><input type="search" id="q" placeholder="Filter: name, role, reason…" aria-label="filter">`)
	for _, s := range reviewStatuses {
		h.raw(` <label><input type="checkbox" value="`, s.status, `" checked> `, s.label, `</label>`)
	}
	h.raw(` <span id="shown"></span></form>`, "\n")
	if vs != nil {
		h.sodViolations(vs)
	}
	counts := countReview(rows)
	for i, c := range counts {
		if i == 0 || c.target != counts[i-1].target {
			if i > 0 {
				h.raw("</section>\n")
			}
			h.raw(`<section class="target" data-target="`)
			h.esc(c.target)
			h.raw(`"><h2>Target `)
			h.esc(c.target)
			h.raw("</h2>\n")
		}
		h.reviewRole(c, rows[c.start:c.end])
	}
	if len(counts) > 0 {
		h.raw("</section>\n")
	} else {
		h.raw("<p>No role has a holder.</p>\n")
	}
	h.raw(htmlScript, "</body>\n</html>\n")
	h.flush()
	return h.err
}

// reviewShown is how many holders of a role the review shows before
// folding the others, as the plan does with the changes of a kind
// (htmlShown); a variable for the tests.
var reviewShown = htmlShown

// reviewRole writes one role's holders, in a block the reader can fold
// (open to start with: the page reads without scripts). Past the first
// reviewShown holders, the others are in a closed block of their own, not
// laid out until opened, as in the plan.
func (h *htmlWriter) reviewRole(c reviewCount, rows []ReviewRow) {
	h.raw(`<details class="role" data-role="`)
	h.esc(c.role)
	h.raw(`" open><summary><h3>Role `)
	h.esc(c.role)
	h.raw(` <span class="ids">group `)
	h.esc(c.group)
	h.raw(`</span></h3></summary>`, "\n<p>", `<span data-count="holders">`, strconv.Itoa(len(rows)), `</span> holders: <span data-count="kept">`,
		strconv.Itoa(c.kept), `</span> kept by a rule, <span data-count="revoke">`, strconv.Itoa(c.revoke),
		`</span> to be revoked, <span data-count="unmanaged">`, strconv.Itoa(c.unmanaged), "</span> not managed by idsync.</p>\n")
	shown := min(len(rows), reviewShown)
	h.holders(rows[:shown])
	if rest := rows[shown:]; len(rest) > 0 {
		h.raw(`<details class="more"><summary>The other `, strconv.Itoa(len(rest)), ` holders of role `)
		h.esc(c.role)
		h.raw("</summary>\n")
		h.holders(rest)
		h.raw("</details>\n")
	}
	h.raw("</details>\n")
}

// holders writes a table of holders.
func (h *htmlWriter) holders(rows []ReviewRow) {
	h.raw(`<table class="holders"><thead><tr><th>user</th><th>name</th><th>account</th><th>status</th><th>why</th><th>source</th></tr></thead><tbody>`, "\n")
	for i := range rows {
		r := &rows[i]
		h.raw(`<tr class="holder" data-status="`, r.Status, `" data-user="`)
		h.esc(r.UserName)
		h.raw(`"><td>`)
		h.esc(r.UserName)
		h.raw("</td><td>")
		h.esc(r.DisplayName)
		h.raw(`</td><td class="ids">`)
		h.esc(r.TargetID)
		if !r.Active {
			h.raw(" (disabled)")
		}
		h.raw(`</td><td class="status">`, r.Status, `</td><td class="why">`)
		h.esc(r.Why)
		for _, v := range r.SoD {
			h.raw(`<div class="sod">`)
			h.esc(v)
			h.raw("</div>")
		}
		h.raw(`</td><td class="ids">`)
		h.esc(r.DN)
		h.raw("</td></tr>\n")
	}
	h.raw("</tbody></table>\n")
}

// sodViolations writes the current segregation-of-duties violations: a
// line per person and rule, with the roles held.
func (h *htmlWriter) sodViolations(vs []SoDViolation) {
	h.raw(`<section class="sod"><h2>Segregation of duties</h2>`, "\n", `<p><span data-count="sodViolations">`, strconv.Itoa(len(vs)),
		"</span> current violations (idsync does not revoke them; review them).</p>\n")
	if len(vs) > 0 {
		h.raw("<ul>\n")
	}
	for _, v := range vs {
		h.raw(`<li class="violation" data-rule="`)
		h.esc(v.Rule)
		h.raw(`" data-user="`)
		h.esc(v.UserName)
		h.raw(`">`)
		h.esc(v.UserName)
		h.raw(` — rule <q>`)
		h.esc(v.Rule)
		h.raw("</q>: holds ")
		h.esc(strings.Join(v.Holds, " and "))
		h.raw("</li>\n")
	}
	if len(vs) > 0 {
		h.raw("</ul>\n")
	}
	h.raw("</section>\n")
}

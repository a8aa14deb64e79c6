package sync

import (
	"bufio"
	"cmp"
	"encoding/csv"
	"io"
	"slices"
	"strconv"
	"strings"
)

// ReviewRow is one current holder of a role in a target, for an access
// review (certification campaign): who holds it now and why.
type ReviewRow struct {
	Target      string `json:"target"`
	Role        string `json:"role"`
	GroupID     string `json:"groupId"`
	UserName    string `json:"userName"`
	DisplayName string `json:"displayName,omitempty"`
	TargetID    string `json:"targetId"`
	Active      bool   `json:"active"`
	SourceID    string `json:"sourceId,omitempty"`
	DN          string `json:"dn,omitempty"`
	// Status is ReviewKept, ReviewRevoke or ReviewUnmanaged.
	Status string `json:"status"`
	// Why is the rule (and group path) that gives the role, or why the
	// next apply takes it away, or why idsync leaves it alone.
	Why string `json:"why"`
	// SoD are the segregation-of-duties rules this holding breaks now,
	// with the person's other roles of the rule's set, e.g.
	// `segregation of duties, rule "NAME": also holds T:R` (MarkReviewSoD).
	SoD []string `json:"sod,omitempty"`
}

// Review statuses.
const (
	ReviewKept      = "kept"      // a rule gives the linked person this role
	ReviewRevoke    = "revoke"    // the next apply removes it
	ReviewUnmanaged = "unmanaged" // not linked to a source person: idsync leaves it
)

// ReviewRows lists the current holders of every role in the target of
// plan p, from what p was built from, sorted by role and userName. role,
// when not "", keeps that role only.
func ReviewRows(p *Plan, in *PlanInputs, role string) []ReviewRow {
	var rows []ReviewRow
	for _, rg := range in.RoleGroups() {
		if rg.Group == nil || role != "" && rg.Role != role {
			continue
		}
		for _, a := range rg.Members {
			r := ReviewRow{Target: p.Target, Role: rg.Role, GroupID: rg.Group.ID, UserName: a.UserName,
				DisplayName: a.Attrs.Get("displayName"), TargetID: a.ID, Active: a.Active}
			r.Status, r.Why = ReviewUnmanaged, "not linked to a source person (added in the target by hand, or never adopted); idsync leaves it"
			if l := in.LinkOf(a.ID); l != nil {
				r.SourceID, r.DN = l.SourceID, l.DN
				if p := in.Person(l.SourceID); p != nil {
					r.DN = p.DN // where the person is now
				}
				r.Status, r.Why = why(in, l.SourceID, rg.Role)
			}
			rows = append(rows, r)
		}
	}
	slices.SortStableFunc(rows, func(x, y ReviewRow) int {
		return cmp.Or(strings.Compare(x.Role, y.Role), strings.Compare(x.UserName, y.UserName), strings.Compare(x.TargetID, y.TargetID))
	})
	return rows
}

// why says whether the person with the source ID keeps role, and why.
func why(in *PlanInputs, sourceID, role string) (status, reason string) {
	p := in.Person(sourceID)
	switch {
	case p == nil:
		return ReviewRevoke, "gone from the source: the next apply removes it"
	case !p.InScope:
		return ReviewRevoke, "out of scope: the next apply removes it"
	case p.Disabled:
		return ReviewRevoke, "disabled in the source: the next apply removes it"
	}
	for _, r := range p.Roles {
		if r.Name == role {
			return ReviewKept, r.Reason
		}
	}
	return ReviewRevoke, "no rule gives this role any more: the next apply removes it"
}

// ReviewColumns are the columns of the CSV access review, in order; a
// column is only ever added at the end (docs/reports.md).
var ReviewColumns = []string{"target", "role", "group_id", "user_name", "display_name", "target_id", "active",
	"source_id", "dn", "status", "why", "sod"}

// WriteReviewCSV writes the rows as CSV under a header row (ReviewColumns),
// values a spreadsheet would run as formulas prefixed with '.
func WriteReviewCSV(w io.Writer, rows []ReviewRow) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(ReviewColumns); err != nil {
		return err
	}
	for _, r := range rows {
		rec := []string{r.Target, r.Role, r.GroupID, r.UserName, r.DisplayName, r.TargetID, strconv.FormatBool(r.Active),
			r.SourceID, r.DN, r.Status, r.Why, strings.Join(r.SoD, "\n")}
		for i := range rec {
			rec[i] = csvSafe(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteReviewText writes the rows for a terminal: per target and role, a
// line per holder, values escaped.
func WriteReviewText(w io.Writer, rows []ReviewRow) error {
	t := &textWriter{w: w, buf: make([]byte, 0, textBuffer)}
	for i, r := range rows {
		if i == 0 || r.Target != rows[i-1].Target || r.Role != rows[i-1].Role {
			n := 0
			for j := i; j < len(rows) && rows[j].Target == r.Target && rows[j].Role == r.Role; j++ {
				n++
			}
			if i > 0 {
				t.printf("\n")
			}
			t.line("Target ", r.Target, ", role ", r.Role, " (group ", r.GroupID, "): ", strconv.Itoa(n), " holders")
		}
		state := ""
		if !r.Active {
			state = " (disabled)"
		}
		t.line("  ", r.UserName, state, "  [", r.Status, "]  ", r.Why)
	}
	if len(rows) == 0 {
		t.printf("No role has a holder.\n")
	}
	t.flush()
	return t.err
}

// reviewCounts counts each role's rows by status, in row order.
type reviewCount struct {
	target, role, group     string
	kept, revoke, unmanaged int
	start, end              int // rows[start:end]
}

func countReview(rows []ReviewRow) []reviewCount {
	var out []reviewCount
	for i, r := range rows {
		if i == 0 || r.Target != rows[i-1].Target || r.Role != rows[i-1].Role {
			out = append(out, reviewCount{target: r.Target, role: r.Role, group: r.GroupID, start: i})
		}
		c := &out[len(out)-1]
		c.end = i + 1
		switch r.Status {
		case ReviewKept:
			c.kept++
		case ReviewRevoke:
			c.revoke++
		default:
			c.unmanaged++
		}
	}
	return out
}

package sync

import (
	"io"
	"slices"
	"strconv"
	"strings"
)

// MarkReviewSoD notes on each row of a current violation's holdings the
// rule it breaks and the person's other roles of the rule's set.
func MarkReviewSoD(rows []ReviewRow, vs []SoDViolation) {
	for i := range rows {
		r := &rows[i]
		if r.SourceID == "" {
			continue
		}
		me := r.Target + ":" + r.Role
		for _, v := range vs {
			if v.SourceID != r.SourceID || !slices.Contains(v.Holds, me) {
				continue
			}
			var others []string
			for _, h := range v.Holds {
				if h != me {
					others = append(others, h)
				}
			}
			r.SoD = append(r.SoD, sodRuleText(v.Rule)+": also holds "+strings.Join(others, " and "))
		}
	}
}

// WriteSoDText writes the current segregation-of-duties violations of an
// access review for a terminal: a line per person and rule, values
// escaped.
func WriteSoDText(w io.Writer, vs []SoDViolation) error {
	t := &textWriter{w: w, buf: make([]byte, 0, textBuffer)}
	if len(vs) == 0 {
		t.line("Segregation of duties: no current violation.")
	} else {
		t.line("Segregation of duties: ", strconv.Itoa(len(vs)), " current violations (idsync does not revoke them)")
	}
	for _, v := range vs {
		t.line("  ", v.UserName, "  rule ", strconv.Quote(v.Rule), ": holds ", strings.Join(v.Holds, " and "))
	}
	t.flush()
	return t.err
}

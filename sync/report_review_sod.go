package sync

import (
	"io"
	"strconv"
	"strings"
)

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

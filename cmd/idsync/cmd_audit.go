package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/sync"
)

// auditColumns are the columns of audit --format csv, in order.
var auditColumns = []string{"time", "run", "target", "kind", "action", "status", "user_name", "source_id", "target_id", "detail", "error", "reasons"}

func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit", stderr)
	var c common
	c.register(fs)
	runID := fs.Int64("run", 0, "only the run with this `ID`")
	user := fs.String("user", "", "only this userName")
	format := fs.String("format", "text", "text, json (one object per line) or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	w, err := newAuditWriter(*format, stdout)
	if err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	f := state.AuditFilter{Target: c.target, RunID: *runID, UserName: *user}
	if err := s.store.Audit(ctx, f, w.row); err != nil {
		return err
	}
	return w.flush()
}

// rowWriter writes a report one row at a time.
type rowWriter[R any] struct {
	row   func(R) error
	flush func() error
}

// newAuditWriter returns the writer of one audit format.
func newAuditWriter(format string, w io.Writer) (*rowWriter[state.Audit], error) {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		return &rowWriter[state.Audit]{row: func(a state.Audit) error { return enc.Encode(a) }, flush: noFlush}, nil
	case "csv":
		cw := csv.NewWriter(w)
		if err := cw.Write(auditColumns); err != nil {
			return nil, err
		}
		return &rowWriter[state.Audit]{row: func(a state.Audit) error {
			return cw.Write([]string{stamp(a.Time), strconv.FormatInt(a.RunID, 10), a.Target, a.Kind, a.Action,
				a.Status, a.UserName, a.SourceID, a.TargetID, a.Detail, a.Error, strings.Join(a.Reasons, "; ")})
		}, flush: csvFlush(cw)}, nil
	case "text":
		tw := tabwriter.NewWriter(w, 2, 8, 2, ' ', 0)
		fmt.Fprintln(tw, "TIME\tRUN\tTARGET\tKIND\tACTION\tUSER\tWHY")
		return &rowWriter[state.Audit]{row: func(a state.Audit) error {
			var why []string
			if a.Status != state.AuditApplied { // PENDING, REFUSED, FAILED, UNCONFIRMED
				why = append(why, strings.TrimSuffix(strings.ToUpper(a.Status)+": "+a.Error, " "))
			}
			if a.Detail != "" {
				why = append(why, a.Detail)
			}
			why = append(why, a.Reasons...)
			_, err := fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\n", stamp(a.Time),
				a.RunID, a.Target, a.Kind, a.Action, text(a.UserName), text(strings.Join(why, "; ")))
			return err
		}, flush: tw.Flush}, nil
	}
	return nil, fmt.Errorf("--format must be text, json or csv, got %q", format)
}

func noFlush() error { return nil }

func csvFlush(cw *csv.Writer) func() error {
	return func() error {
		cw.Flush()
		return cw.Error()
	}
}

// stamp formats a time for reports: RFC 3339 in UTC, empty when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// text makes a value safe for one line of a text report: control, bidi
// and line-separator characters (a newline or tab from the directory, an
// escape sequence in a server's answer) are shown escaped, as the plan
// shows them.
func text(s string) string { return sync.Escape(s) }

// textLines escapes each line of s (an error, a list of results) with
// text, keeping the line breaks idsync wrote.
func textLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = text(l)
	}
	return strings.Join(lines, "\n")
}

package main

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/idsync/idsync/state"
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
	w, err := auditFormats.writer(*format, stdout)
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

// auditFormats writes audit rows.
var auditFormats = rowFormats[state.Audit]{
	json:    func(a state.Audit) any { return a },
	columns: auditColumns,
	csv: func(a state.Audit) []string {
		return []string{stamp(a.Time), strconv.FormatInt(a.RunID, 10), a.Target, a.Kind, a.Action,
			a.Status, a.UserName, a.SourceID, a.TargetID, a.Detail, a.Error, strings.Join(a.Reasons, "; ")}
	},
	header: "TIME\tRUN\tTARGET\tKIND\tACTION\tUSER\tWHY",
	text: func(a state.Audit) string {
		var why []string
		if a.Status != state.AuditApplied { // PENDING, REFUSED, FAILED, UNCONFIRMED
			why = append(why, strings.TrimSuffix(strings.ToUpper(a.Status)+": "+a.Error, " "))
		}
		if a.Detail != "" {
			why = append(why, a.Detail)
		}
		why = append(why, a.Reasons...)
		return fmt.Sprintf("%s\t%d\t%s\t%s\t%s\t%s\t%s", stamp(a.Time),
			a.RunID, a.Target, a.Kind, a.Action, text(a.UserName), text(strings.Join(why, "; ")))
	},
}

// stamp formats a time for reports: RFC 3339 in UTC, empty when zero.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

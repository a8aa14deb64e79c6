package sync

import (
	"fmt"
	"io"
	"strings"
)

// Formats lists the plan report formats WriteReport knows.
var Formats = []string{"text", "json", "csv", "html"}

// WriteReport writes the plans in format "text", "json", "csv" or "html".
// Every format streams: the report adds a buffer and one change's
// encoding to the plans in memory, whatever their size.
func WriteReport(w io.Writer, format string, plans []*Plan) error {
	return WriteApplyReport(w, format, plans, nil)
}

// WriteApplyReport writes the plans of an apply with what it did to each
// target (results[i] is plans[i]'s; nil for a plan): the text report adds
// a result line per target, the JSON document a "results" member, the
// HTML page a result paragraph per target. The CSV has the changes only.
func WriteApplyReport(w io.Writer, format string, plans []*Plan, results []Result) error {
	switch format {
	case "text", "":
		for i, p := range plans {
			if i > 0 {
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			if err := WriteText(w, p); err != nil {
				return err
			}
			if i < len(results) {
				if _, err := io.WriteString(w, ResultLine(p.Target, results[i])+"\n"); err != nil {
					return err
				}
			}
		}
		return nil
	case "json":
		return writeJSON(w, plans, results)
	case "csv":
		return WriteCSV(w, plans)
	case "html":
		return WriteHTML(w, plans, results)
	}
	return fmt.Errorf("unknown report format %q (known: %s)", format, strings.Join(Formats, ", "))
}

// ResultLine is the one-line result of an apply to a target.
func ResultLine(target string, r Result) string {
	return fmt.Sprintf("Result for %s: %s; applied %d, refused %d, not applied %d.", Escape(target), r.Status, r.Applied, r.Refused, r.Failed)
}

// SummaryLine is the one-line summary of a plan.
func SummaryLine(p *Plan) string {
	if p.Incremental != nil {
		return fmt.Sprintf("Incremental, %s: ", plural(p.Incremental.People, "person", "people")) + summaryLine(p)
	}
	return summaryLine(p)
}

func summaryLine(p *Plan) string {
	s := p.Summary
	if !p.Pending() {
		line := fmt.Sprintf("No changes: %s up to date.", plural(s.Unchanged, "account", "accounts"))
		if s.Orphans > 0 {
			line += fmt.Sprintf(" %s reported.", plural(s.Orphans, "orphan", "orphans"))
		}
		return line + awaiting(s.PendingDeletes)
	}
	return "Summary: " + plural(s.Joiners, "joiner", "joiners") + ", " + plural(s.Movers, "mover", "movers") + ", " +
		plural(s.Leavers, "leaver", "leavers") + ", " + rehired(s.Rehires) + fmt.Sprintf("%d adopted", s.Adopted) + ", " +
		plural(s.Orphans, "orphan", "orphans") + "; " +
		fmt.Sprintf("%d to create, %d to update, %d to disable, %d to delete; ", s.Creates, s.Updates, s.Disables, s.Deletes) +
		plural(s.GroupsCreated, "group", "groups") + " to create, " +
		plural(s.MembersAdded, "membership", "memberships") + " to add, " + fmt.Sprintf("%d to remove; %d unchanged.", s.MembersRemoved, s.Unchanged) +
		awaiting(s.PendingDeletes)
}

// awaiting names the disabled accounts waiting for their staged deletion,
// when there are any.
func awaiting(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(" %s disabled, awaiting deletion (delete_after).", plural(n, "account", "accounts"))
}

// rehired names the rehires of a summary, when there are any.
func rehired(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d rehired, ", n)
}

package sync

import (
	"fmt"
	"io"
	"strings"
)

// Formats lists the plan report formats WriteReport knows.
var Formats = []string{"text", "json"}

// WriteReport writes the plans in format "text" or "json". Both stream:
// the report adds a buffer and one change's encoding to the plans in
// memory, whatever their size.
func WriteReport(w io.Writer, format string, plans []*Plan) error {
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
		}
		return nil
	case "json":
		return WriteJSON(w, plans)
	}
	return fmt.Errorf("unknown report format %q (known: %s)", format, strings.Join(Formats, ", "))
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

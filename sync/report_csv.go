package sync

import (
	"bufio"
	"encoding/csv"
	"io"
	"strings"
)

// CSVColumns are the columns of the CSV plan report, in order. They are
// stable: a column is only ever added at the end (docs/reports.md).
var CSVColumns = []string{"target", "kind", "action", "user_name", "display_name", "source_id", "target_id",
	"dn", "previous_dn", "attributes", "roles_added", "roles_removed", "reasons"}

// WriteCSV writes the changes of the plans as CSV: a header row
// (CSVColumns), then one row per change, in the plan's order. A column
// holding several values (attributes, roles, reasons) has one per line.
// A value that a spreadsheet would run as a formula (it starts with =, +,
// -, @, a tab or a carriage return) is written with a ' before it.
func WriteCSV(w io.Writer, plans []*Plan) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(CSVColumns); err != nil {
		return err
	}
	row := make([]string, len(CSVColumns))
	for _, p := range plans {
		for i := range p.Changes {
			csvRow(row, p.Target, &p.Changes[i])
			if err := cw.Write(row); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

// csvRow fills row with the cells of c.
func csvRow(row []string, target string, c *Change) {
	attrs := make([]string, 0, len(c.Attrs))
	for _, d := range c.Attrs {
		line := d.Path + ": " + d.beforeText() + " -> " + d.afterText()
		if d.Rule != "" {
			line += " (" + d.Rule + ")"
		}
		attrs = append(attrs, line)
	}
	cells := []string{target, string(c.Kind), string(c.Action), c.UserName, displayName(c), c.SourceID, c.TargetID,
		c.DN, c.PreviousDN, strings.Join(attrs, "\n"), roleLines(c.RolesAdded), roleLines(c.RolesRemoved),
		strings.Join(c.Reasons, "\n")}
	for i, v := range cells {
		row[i] = csvSafe(v)
	}
}

func roleLines(rs []RoleChange) string {
	lines := make([]string, len(rs))
	for i, r := range rs {
		lines[i] = r.Role + " (" + r.Reason + ")"
	}
	return strings.Join(lines, "\n")
}

// csvSafe returns v with a ' before it when a spreadsheet would read it as
// a formula.
func csvSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

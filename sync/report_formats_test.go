package sync

import (
	"bytes"
	"encoding/csv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestApplyReportGolden: an apply's report in every format (the result of
// each target after its plan), and a saved plan (fingerprints, digest).
func TestApplyReportGolden(t *testing.T) {
	in := goldenInput()
	saved := BuildPlan(in)
	NewPlanInputs(in).Fingerprint(saved)
	res := []Result{{Status: "partial", Applied: 7, Refused: 1, Failed: 1,
		Errors: []string{"create ann: the target refused it: 409 userName \"ann\" exists"}}}
	for _, tc := range []struct {
		name    string
		plan    *Plan
		results []Result
	}{{"apply", BuildPlan(goldenInput()), res}, {"saved", saved, nil}} {
		for _, format := range Formats {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				var buf bytes.Buffer
				if err := WriteApplyReport(&buf, format, []*Plan{tc.plan}, tc.results); err != nil {
					t.Fatal(err)
				}
				checkGolden(t, filepath.Join("testdata", tc.name+"."+goldenExt[format]), buf.Bytes())
			})
		}
	}
}

func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./sync -run %s -update)", err, t.Name())
	}
	if !bytes.Equal(got, want) {
		t.Errorf("differs from %s (rerun with -update and review the diff):\n%s", path, got)
	}
}

// TestCSVColumnsStable: the documented columns, in order; every row has
// them all, and a formula from the directory is not run by a spreadsheet.
func TestCSVColumnsStable(t *testing.T) {
	want := []string{"target", "kind", "action", "user_name", "display_name", "source_id", "target_id",
		"dn", "previous_dn", "attributes", "roles_added", "roles_removed", "reasons"}
	if !slices.Equal(CSVColumns, want) {
		t.Fatalf("CSVColumns = %v: columns are only ever added at the end, and documented in docs/reports.md", CSVColumns)
	}
	in := goldenInput()
	in.People[0].Account.Attrs.Set("displayName", "=HYPERLINK(\"http://x\")")
	var buf bytes.Buffer
	if err := WriteCSV(&buf, []*Plan{BuildPlan(in)}); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 7 || !slices.Equal(rows[0], want) {
		t.Fatalf("rows %q", rows)
	}
	i := slices.IndexFunc(rows, func(r []string) bool { return r[3] == "ann" })
	if i < 0 || rows[i][4] != "'=HYPERLINK(\"http://x\")" {
		t.Errorf("ann's row %q", rows[i])
	}
}

// TestHTMLReportEscapes: nothing from the directory becomes markup.
func TestHTMLReportEscapes(t *testing.T) {
	in := controlInput()
	in.People[0].Account.Attrs.Set("displayName", `<script>alert(1)</script><img src=x onerror=alert(2)>`)
	var buf bytes.Buffer
	if err := WriteHTML(&buf, []*Plan{BuildPlan(in)}, nil); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if strings.Count(out, "<script>") != 1 || strings.Contains(out, "<img") {
		t.Errorf("markup from the directory in the page:\n%s", out)
	}
	for _, ref := range []string{"src=\"", "href=", "http://", "https://", "@import", "url("} {
		if strings.Contains(out, ref) {
			t.Errorf("the page refers to something outside it (%q)", ref)
		}
	}
}

// BenchmarkWriteHTML100k: the HTML report of 100,000 joiners. It streams:
// B/op is a small fraction of the page's size.
func BenchmarkWriteHTML100k(b *testing.B) { benchmarkReport(b, "html") }

// BenchmarkWriteCSV100k: the CSV report of 100,000 joiners.
func BenchmarkWriteCSV100k(b *testing.B) { benchmarkReport(b, "csv") }

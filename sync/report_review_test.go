package sync

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// reviewInput is the golden input with an account nobody is linked to
// added to the eng group by hand.
func reviewInput() Input {
	in := goldenInput()
	in.Groups[0].Members = append(in.Groups[0].Members, "a8")
	return in
}

// TestReviewGolden: the access review of the golden input in every format:
// the holder a rule keeps (cat, with the rule), the ones the next apply
// revokes (moved, disabled, gone) and the one idsync does not manage.
func TestReviewGolden(t *testing.T) {
	in := reviewInput()
	rows := ReviewRows(BuildPlan(in), NewPlanInputs(in), "")
	want := []string{"eng bob revoke", "eng cat kept", "eng dan revoke", "eng eve revoke", "eng handmade unmanaged"}
	var got []string
	for _, r := range rows {
		got = append(got, r.Role+" "+r.UserName+" "+r.Status)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("rows %v, want %v", got, want)
	}
	if rows[1].Why != "member of cn=eng" || rows[1].DN == "" {
		t.Errorf("cat's row %+v", rows[1])
	}
	for _, format := range []string{"text", "csv", "html", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var err error
			switch format {
			case "text":
				err = WriteReviewText(&buf, rows)
			case "csv":
				err = WriteReviewCSV(&buf, rows)
			case "html":
				err = WriteReviewHTML(&buf, rows, nil, in.Now)
			case "json":
				err = json.NewEncoder(&buf).Encode(rows)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "review."+goldenExt[format]), buf.Bytes())
		})
	}
	if only := ReviewRows(BuildPlan(in), NewPlanInputs(in), "sales"); len(only) != 0 {
		t.Errorf("role sales has no group yet, got %v", only)
	}
}

// TestReviewHTMLInChromium: the review page in Chromium shows each role's
// counts and every holder with why.
func TestReviewHTMLInChromium(t *testing.T) {
	in := reviewInput()
	rows := ReviewRows(BuildPlan(in), NewPlanInputs(in), "")
	var buf bytes.Buffer
	if err := WriteReviewHTML(&buf, rows, nil, in.Now); err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(t.TempDir(), "review.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	doc := chromiumDOM(t, page)
	counts := map[string][]string{}
	holders := map[string]string{}
	walk(doc, func(n *htmlNode) {
		if k, ok := attr(n, "data-count"); ok {
			counts[k] = append(counts[k], strings.TrimSpace(textOf(n)))
		}
		if n.Data == "tr" && mustAttr(n, "class") == "holder" {
			holders[mustAttr(n, "data-user")] = mustAttr(n, "data-status") + ": " + textOf(n)
		}
	})
	if fmt.Sprint(counts) != "map[holders:[5 5] kept:[1] revoke:[3] unmanaged:[1]]" {
		t.Errorf("counts on the page: %v", counts)
	}
	if len(holders) != 5 || !strings.Contains(holders["cat"], "member of cn=eng") || !strings.HasPrefix(holders["handmade"], "unmanaged") {
		t.Errorf("holders on the page: %v", holders)
	}
	if open := foldsOpen(doc); fmt.Sprint(open) != "map[role:[true]]" {
		t.Errorf("folding blocks (open or not) on the page: %v", open)
	}
}

// foldsOpen returns, per class of <details> (role, more), whether each is
// open, in page order.
func foldsOpen(doc *htmlNode) map[string][]bool {
	out := map[string][]bool{}
	walk(doc, func(n *htmlNode) {
		if n.Data == "details" {
			_, open := attr(n, "open")
			out[mustAttr(n, "class")] = append(out[mustAttr(n, "class")], open)
		}
	})
	return out
}

// TestReviewHTMLFolded: past the first holders of a role (2 here, 500 in
// use) the others are in a closed block of their own, on the page without
// scripts; each role's block folds; a filter (a link ending in #q=WORDS)
// opens the closed block and shows the holders that match in it.
func TestReviewHTMLFolded(t *testing.T) {
	defer func(n int) { reviewShown = n }(reviewShown)
	reviewShown = 2
	in := reviewInput()
	rows := ReviewRows(BuildPlan(in), NewPlanInputs(in), "")
	var buf bytes.Buffer
	if err := WriteReviewHTML(&buf, rows, nil, in.Now); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, filepath.Join("testdata", "review-folded.html"), buf.Bytes())
	page := filepath.Join(t.TempDir(), "review.html")
	if err := os.WriteFile(page, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		url, open, shown string
	}{
		{"file://" + page, "map[more:[false] role:[true]]", "bob cat dan eve handmade"},
		{"file://" + page + "#q=gone", "map[more:[true] role:[true]]", "eve"},
	} {
		doc := chromiumURL(t, tt.url)
		if open := foldsOpen(doc); fmt.Sprint(open) != tt.open {
			t.Errorf("%s: folding blocks %v, want %s", tt.url, open, tt.open)
		}
		var shown, folded []string
		walk(doc, func(n *htmlNode) {
			if n.Data == "details" && mustAttr(n, "class") == "more" {
				walk(n, func(m *htmlNode) {
					if m.Data == "tr" && mustAttr(m, "class") == "holder" {
						folded = append(folded, mustAttr(m, "data-user"))
					}
				})
			}
			if _, hidden := attr(n, "hidden"); n.Data == "tr" && mustAttr(n, "class") == "holder" && !hidden {
				shown = append(shown, mustAttr(n, "data-user"))
			}
		})
		if strings.Join(shown, " ") != tt.shown || strings.Join(folded, " ") != "dan eve handmade" {
			t.Errorf("%s: holders shown %v, in the closed block %v; want %s and dan eve handmade", tt.url, shown, folded, tt.shown)
		}
	}
}

// TestReviewSoDGolden: with a rule across targets that cat breaks (eng in
// the plan's target, approvers in erp), every format of the review shows
// the violation: on cat's rows (the JSON "sod" field, the CSV "sod"
// column, a line in the HTML), in the HTML's and the text's list of
// violations.
func TestReviewSoDGolden(t *testing.T) {
	in := reviewInput()
	p := BuildPlan(in)
	rows := ReviewRows(p, NewPlanInputs(in), "")
	cat := rows[1]
	all := append(slices.Clone(rows), ReviewRow{Target: "erp", Role: "approvers", GroupID: "g-approvers", UserName: "cat",
		TargetID: "erp-cat", Active: true, SourceID: cat.SourceID, Status: ReviewKept, Why: "member of cn=finance"})
	rules := []SoDRule{{Name: "build-and-approve", Roles: []SoDRole{{p.Target, "eng"}, {"erp", "approvers"}}}}
	vs := SoDViolations(rules, all)
	MarkReviewSoD(all, vs)
	want := `segregation of duties, rule "build-and-approve": also holds erp:approvers`
	if len(vs) != 1 || len(all[1].SoD) != 1 || all[1].SoD[0] != want || all[0].SoD != nil {
		t.Fatalf("violations %+v; cat's row %q, want %q", vs, all[1].SoD, want)
	}
	for _, format := range []string{"text", "csv", "html", "json"} {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			var err error
			switch format {
			case "text":
				if err = WriteReviewText(&buf, all); err == nil {
					buf.WriteString("\n")
					err = WriteSoDText(&buf, vs)
				}
			case "csv":
				err = WriteReviewCSV(&buf, all)
			case "html":
				err = WriteReviewHTML(&buf, all, vs, in.Now)
			case "json":
				err = json.NewEncoder(&buf).Encode(all)
			}
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, filepath.Join("testdata", "review-sod."+goldenExt[format]), buf.Bytes())
		})
	}
}

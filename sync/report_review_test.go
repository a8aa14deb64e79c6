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

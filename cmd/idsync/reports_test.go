package main

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
)

// reportEnv writes a configuration (the LDIF source is never read) and a
// state database holding one applied run of target "app" with three audit
// rows whose values need quoting or escaping, and one planned run.
func reportEnv(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	cfg := `[state]
path = "state.db"
[source]
kind = "ldif"
[source.ldif]
path = "people.ldif"
[mapping.attributes]
userName = 'attr("uid")'
[[target]]
name = "app"
kind = "scim"
[target.scim]
url = "https://scim.example.com/v2"
token = { env = "APP_SCIM_TOKEN" }
`
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	s, err := state.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	at := func(min int) time.Time { return time.Date(2020, 1, 2, 3, min, 0, 0, time.UTC) }
	run, err := s.StartRun(ctx, "app", state.ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range []state.Audit{
		{Kind: "joiner", Action: "create", SourceID: "s1", TargetID: "u1", UserName: "jdoe",
			Reasons: []string{`mapping.attributes.userName = attr("uid")`, "new in the source"}},
		{Kind: "mover", Action: "update", SourceID: "s2", TargetID: "u2", UserName: "mkeller",
			Detail: `title: "Engineer" -> "Lead, Platform"`, Reasons: []string{"renamed"}},
		{Kind: "leaver", Action: "disable", SourceID: "s3", TargetID: "u3", UserName: "bcarter\tx",
			Error: "400 Bad Request: \"active\" is read-only\nsecond line"},
	} {
		a.RunID, a.Target, a.Time = run.ID, "app", at(1+i)
		if err := s.Commit(ctx, state.Op{Audit: a}); err != nil {
			t.Fatal(err)
		}
	}
	run.Status, run.SourceCount, run.Summary, run.Finished = state.StatusApplied, 3, "1 joiner, 1 mover, 1 leaver", at(5)
	if err := s.FinishRun(ctx, run); err != nil {
		t.Fatal(err)
	}
	plan, err := s.StartRun(ctx, "app", state.ModePlan)
	if err != nil {
		t.Fatal(err)
	}
	plan.Status, plan.SourceCount, plan.Summary, plan.Finished = state.StatusPlanned, 3, "No changes", at(9)
	if err := s.FinishRun(ctx, plan); err != nil {
		t.Fatal(err)
	}
	return path
}

// started matches a run's start time, the one time in the reports that the
// test cannot choose.
var started = regexp.MustCompile(`20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ`)

// TestReports compares every format of runs and audit with
// testdata/report/*.golden (go test -run TestReports -update rewrites them).
func TestReports(t *testing.T) {
	cfg := reportEnv(t)
	for _, args := range [][]string{
		{"runs"}, {"runs", "--format", "json"}, {"runs", "--format", "csv"},
		{"audit"}, {"audit", "--format", "json"}, {"audit", "--format", "csv"},
	} {
		name := args[0] + "-text"
		if len(args) > 1 {
			name = args[0] + "-" + args[2]
		}
		t.Run(name, func(t *testing.T) {
			code, out, errs := (&env{t: t, cfg: cfg}).idsync(args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if args[0] == "runs" {
				out = started.ReplaceAllStringFunc(out, func(s string) string {
					if strings.HasPrefix(s, "2020-") {
						return s
					}
					return "STARTED"
				})
			}
			if args[len(args)-1] == "csv" {
				checkCSV(t, out)
			}
			golden(t, filepath.Join("testdata", "report", name+".golden"), out)
		})
	}
}

// golden compares got with the file at path, or rewrites it with -update.
func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd/idsync -run %s -update)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

func TestReportFormatRefused(t *testing.T) {
	cfg := reportEnv(t)
	for _, verb := range []string{"runs", "audit"} {
		code, _, errs := (&env{t: t, cfg: cfg}).idsync(verb, "--format", "xml")
		if want := `--format must be text, json or csv, got "xml"`; code != exitError || !containsLine(errs, "idsync: "+want) {
			t.Errorf("%s --format xml: exit %d, %q", verb, code, errs)
		}
	}
}

func containsLine(s, line string) bool {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(line) + `$`).MatchString(s)
}

// checkCSV reads out back with encoding/csv: a header row, then records of
// the same width.
func checkCSV(t *testing.T, out string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("not CSV with a header and rows: %v (%d records)", err, len(recs))
	}
	if h := strings.Join(recs[0], ","); h != strings.Join(auditColumns, ",") && h != strings.Join(runColumns, ",") {
		t.Errorf("header %q", h)
	}
	for _, r := range recs[1:] {
		if len(r) != len(recs[0]) {
			t.Errorf("record %q has %d fields, the header %d", r, len(r), len(recs[0]))
		}
	}
}

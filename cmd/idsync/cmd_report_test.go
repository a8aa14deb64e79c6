package main

import (
	"context"
	"database/sql"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// historyEnv writes a configuration and a state database holding a
// scripted history of target "app" with a fixed clock: ann and bob join
// (day 1), ann gets the role admins (day 2), bob moves from sales to
// support (day 3), ann leaves (seen day 4 09:00, disabled at 09:00:30),
// bob leaves (seen day 5, the first disable refused, the second on day 6),
// and ann is rehired as a new person (day 7).
func historyEnv(t *testing.T) (cfg, db string) {
	t.Helper()
	dir := t.TempDir()
	cfg = strings.Replace(reportConfig, "state.db", filepath.Join(dir, "state.db"), 1)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db = filepath.Join(dir, "state.db")
	s, err := state.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	day := func(d int, hms ...int) time.Time {
		t := time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC)
		if len(hms) > 0 {
			t = t.Add(time.Duration(hms[0]) * time.Second)
		}
		return t
	}
	h := &history{t: t, s: s, started: map[int64]time.Time{}}
	defer h.setStarts(db)
	h.run(day(1), func() {
		h.account("joiner", "create", "s-ann", "u-ann", "ann", true, `department: "" -> "Eng" (mapping.attributes.department = attr("ou"))`)
		h.account("joiner", "create", "s-bob", "u-bob", "bob", true, `department: "" -> "Sales" (mapping.attributes.department = attr("ou"))`)
		h.group("create-group", "sales", "g-sales")
		h.members("add-members", "sales", "g-sales", member{"s-bob", "u-bob", "bob", "mapping.group_roles[0]: member of cn=Sales"})
	})
	h.run(day(2), func() {
		h.group("create-group", "admins", "g-admins")
		h.members("add-members", "admins", "g-admins", member{"s-ann", "u-ann", "ann", "mapping.static_roles[0]: uid is ann"})
	})
	h.run(day(3), func() {
		h.members("remove-members", "sales", "g-sales", member{"s-bob", "u-bob", "bob", "no rule gives this role any more"})
		h.group("create-group", "support", "g-support")
		h.members("add-members", "support", "g-support", member{"s-bob", "u-bob", "bob", "mapping.group_roles[0]: member of cn=Support"})
		h.account("mover", "update", "s-bob", "u-bob", "bob", true, `department: "Sales" -> "Support" (mapping.attributes.department = attr("ou"))`)
	})
	h.run(day(4), func() {
		h.now = day(4, 30)
		h.members("remove-members", "admins", "g-admins", member{"s-ann", "u-ann", "ann", "leaver"})
		h.account("leaver", "disable", "s-ann", "u-ann", "ann", false, "gone from the source")
	})
	h.run(day(5), func() { h.refused("leaver", "disable", "s-bob", "u-bob", "bob", "503 Service Unavailable") })
	h.run(day(6), func() {
		h.members("remove-members", "support", "g-support", member{"s-bob", "u-bob", "bob", "leaver"})
		h.account("leaver", "disable", "s-bob", "u-bob", "bob", false, "disabled in the source")
	})
	h.run(day(7), func() {
		h.replaces = "s-ann"
		h.account("rehire", "relink", "s-ann2", "u-ann", "ann", true, "rehire: new in the source with the userName of a disabled account")
	})
	return path, db
}

type member struct{ source, account, name, why string }

// history writes audit records the way apply does, one run at a time.
type history struct {
	t       *testing.T
	s       *state.Store
	now     time.Time
	id      int64
	started map[int64]time.Time
	// replaces, when set, is the source ID the next link replaces (a
	// rehire).
	replaces string
}

// run records an apply run started at, whose changes fn writes (at that
// time, unless fn moves h.now).
func (h *history) run(at time.Time, fn func()) {
	h.t.Helper()
	ctx := context.Background()
	r, err := h.s.StartRun(ctx, "app", state.ModeApply)
	if err != nil {
		h.t.Fatal(err)
	}
	h.id, h.now, h.started[r.ID] = r.ID, at, at
	fn()
	r.Status, r.Finished = state.StatusApplied, h.now
	if err := h.s.FinishRun(ctx, r); err != nil {
		h.t.Fatal(err)
	}
}

// setStarts gives the runs their scripted start times (StartRun takes
// the clock's), once the store is closed.
func (h *history) setStarts(path string) {
	h.s.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		h.t.Fatal(err)
	}
	defer db.Close()
	for id, at := range h.started {
		if _, err := db.Exec(`UPDATE runs SET started = ? WHERE id = ?`, at.UnixMilli(), id); err != nil {
			h.t.Fatal(err)
		}
	}
}

func (h *history) commit(a state.Audit, l *state.Link) {
	h.t.Helper()
	a.RunID, a.Target, a.Time = h.id, "app", h.now
	op := state.Op{Audit: a, Link: l, Replaces: h.replaces}
	h.replaces = ""
	if err := h.s.Commit(context.Background(), op); err != nil {
		h.t.Fatal(err)
	}
}

func (h *history) account(kind, action, source, account, name string, active bool, why string) {
	after := &targets.Account{UserName: name, ExternalID: source, Active: active}
	h.commit(state.Audit{Kind: kind, Action: action, SourceID: source, TargetID: account, UserName: name, After: after,
		Reasons: []string{why}}, &state.Link{SourceID: source, TargetID: account, UserName: name, Active: active})
}

func (h *history) refused(kind, action, source, account, name, answer string) {
	h.commit(state.Audit{Kind: kind, Action: action, SourceID: source, TargetID: account, UserName: name, Status: state.AuditRefused,
		Error: answer}, nil)
}

func (h *history) group(action, role, id string) {
	h.commit(state.Audit{Kind: "group", Action: action, UserName: role, TargetID: id}, nil)
}

func (h *history) members(action, role, id string, ms ...member) {
	a := state.Audit{Kind: "group", Action: action, UserName: role, TargetID: id}
	for _, m := range ms {
		a.Members = append(a.Members, state.AuditMember{SourceID: m.source, TargetID: m.account, UserName: m.name, Reason: m.why})
		a.Reasons = append(a.Reasons, m.name+": "+m.why)
	}
	h.commit(a, nil)
}

// reportConfig is a configuration whose source is never read.
const reportConfig = `[state]
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

// TestAuditReports compares every format of report access, report
// leavers, audit export and audit verify over the scripted history with
// testdata/report/*.golden (-update rewrites them).
func TestAuditReports(t *testing.T) {
	cfg, _ := historyEnv(t)
	fixNow(t, time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC))
	tests := []struct {
		name string
		args []string
		cols []string
	}{
		{"access-text", []string{"report", "access", "--at", "2026-03-02T12:00:00Z"}, nil},
		{"access-json", []string{"report", "access", "--at", "2026-03-04T12:00:00Z", "--format", "json"}, nil},
		{"access-csv", []string{"report", "access", "--at", "2026-03-07T12:00:00Z", "--format", "csv"}, accessColumns},
		{"access-role-text", []string{"report", "access", "--at", "2026-03-03T12:00:00Z", "--role", "support"}, nil},
		{"access-person-text", []string{"report", "access", "--at", "2026-03-04T12:00:00Z", "--person", "s-ann"}, nil},
		{"leavers-text", []string{"report", "leavers", "--since", "2026-03-01", "--threshold", "1h"}, nil},
		{"leavers-json", []string{"report", "leavers", "--since", "2026-03-01", "--threshold", "1h", "--format", "json"}, nil},
		{"leavers-csv", []string{"report", "leavers", "--since", "2026-03-05", "--format", "csv"}, leaverColumns},
		{"export-jsonl", []string{"audit", "export", "--since", "2026-03-06"}, nil},
		{"export-csv", []string{"audit", "export", "--since", "2026-03-03", "--format", "csv"}, exportColumns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := (&env{t: t, cfg: cfg}).idsync(tt.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, errs)
			}
			if tt.cols != nil {
				checkColumns(t, out, tt.cols)
			}
			golden(t, filepath.Join("testdata", "report", tt.name+".golden"), headless(out))
		})
	}
}

// headless replaces the chain head (its salts are random) in out.
func headless(out string) string {
	for _, prefix := range []string{"head ", "head: "} {
		for i := strings.Index(out, prefix); i >= 0; {
			j := i + len(prefix)
			end := j
			for end < len(out) && strings.ContainsRune("0123456789abcdef:", rune(out[end])) {
				end++
			}
			out = out[:j] + "SEQ:HASH" + out[end:]
			k := strings.Index(out[j:], prefix)
			if k < 0 {
				break
			}
			i = j + k
		}
	}
	return out
}

func fixNow(t *testing.T, at time.Time) {
	saved := nowFunc
	nowFunc = func() time.Time { return at }
	t.Cleanup(func() { nowFunc = saved })
}

// checkColumns reads out back with encoding/csv: the header cols, then
// records of the same width.
func checkColumns(t *testing.T, out string, cols []string) {
	t.Helper()
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("not CSV with a header and rows: %v (%d records)", err, len(recs))
	}
	if h := strings.Join(recs[0], ","); h != strings.Join(cols, ",") {
		t.Errorf("header %q, want %q", h, strings.Join(cols, ","))
	}
	for _, r := range recs[1:] {
		if len(r) != len(cols) {
			t.Errorf("record %q has %d fields, the header %d", r, len(r), len(cols))
		}
	}
}

// TestAuditVerifyCommand: audit verify passes on the history, after a
// redaction and a retention prune, and fails, naming the record, once a
// record is edited by hand; report access is then refused.
func TestAuditVerifyCommand(t *testing.T) {
	cfg, db := historyEnv(t)
	e := &env{t: t, cfg: cfg}
	out := e.mustIdsync(exitOK, "audit", "verify")
	if !strings.Contains(out, "verified: the audit matches its chain") || !strings.Contains(out, "records: 16 (0 pending, 0 redacted)") {
		t.Errorf("audit verify:\n%s", out)
	}
	head := strings.TrimSpace(strings.TrimPrefix(lineWith(out, "head: "), "head: "))
	out = e.mustIdsync(exitOK, "audit", "redact", "bob", "--reason", "ticket 4711")
	if !strings.Contains(out, "redacted 4 account records and 4 group records") {
		t.Errorf("audit redact: %s", out)
	}
	e.mustIdsync(exitOK, "audit", "verify", "--head", head)
	out = e.mustIdsync(exitOK, "audit", "prune", "--older-than", "2026-03-02")
	if !strings.Contains(out, "deleted 4 records") {
		t.Errorf("audit prune: %s", out)
	}
	out = e.mustIdsync(exitOK, "audit", "export", "--since", "2026-03-05", "--format", "csv")
	if strings.Contains(out, "bob") || strings.Contains(out, "s-bob") || !strings.Contains(out, ",source_id target_id user_name reasons") {
		t.Errorf("bob is still in the export:\n%s", out)
	}
	e.mustIdsync(exitOK, "audit", "verify")

	sdb, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	if _, err := sdb.Exec(`UPDATE audit SET time = time - 60000 WHERE id = 15`); err != nil {
		t.Fatal(err)
	}
	code, out, errs := e.idsync("audit", "verify")
	if code != exitError || !strings.Contains(out, "BAD audit record 15 ") || !strings.Contains(errs, "first bad: audit record 15 ") {
		t.Errorf("verify of an edited audit: exit %d\n%s%s", code, out, errs)
	}
	code, _, errs = e.idsync("report", "access", "--at", "2026-03-09")
	if code != exitError || !strings.Contains(errs, "the audit chain does not verify: audit record 15 ") {
		t.Errorf("report access over an edited audit: exit %d %s", code, errs)
	}
	code, _, errs = e.idsync("report", "leavers", "--since", "2026-03-01")
	if code != exitError || !strings.Contains(errs, "does not verify") {
		t.Errorf("report leavers over an edited audit: exit %d %s", code, errs)
	}
}

func lineWith(s, prefix string) string {
	for _, l := range strings.Split(s, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

// TestReportArgs: dates and formats are checked before the database is
// opened.
func TestReportArgs(t *testing.T) {
	cfg, _ := historyEnv(t)
	e := &env{t: t, cfg: cfg}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "access"}, "--at DATE is required"},
		{[]string{"report", "access", "--at", "yesterday"}, `--at "yesterday": not a date`},
		{[]string{"report", "access", "--at", "2026-03-01", "--format", "xml"}, "--format must be text, json or csv"},
		{[]string{"report", "leavers", "--since", "2026-03-01", "--threshold", "soon"}, `--threshold "soon": not a duration`},
		{[]string{"audit", "export", "--since", "2026-03-01", "--format", "json"}, "--format must be jsonl or csv"},
		{[]string{"audit", "prune"}, "--older-than is required"},
		{[]string{"audit", "redact", "nobody"}, `no audit record names "nobody"`},
		{[]string{"audit", "verify", "--head", "12"}, "want SEQ:HASH"},
	} {
		code, _, errs := e.idsync(c.args...)
		if code != exitError || !strings.Contains(errs, c.want) {
			t.Errorf("%v: exit %d, %q; want %q", c.args, code, errs, c.want)
		}
	}
}

// TestIndependentVerifier runs the Python verifier docs/audit.md gives
// (standard library only) on a redacted and pruned audit, then on an
// edited one: the documented canonical forms are the ones idsync writes.
func TestIndependentVerifier(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not installed")
	}
	doc, err := os.ReadFile("../../docs/audit.md")
	if err != nil {
		t.Fatal(err)
	}
	_, script, ok := strings.Cut(string(doc), "```python\n")
	script, _, ok2 := strings.Cut(script, "```")
	if !ok || !ok2 {
		t.Fatal("docs/audit.md has no python block")
	}
	cfg, db := historyEnv(t)
	e := &env{t: t, cfg: cfg}
	defer func(n int64) { state.CheckpointEvery = n }(state.CheckpointEvery)
	state.CheckpointEvery = 4
	e.mustIdsync(exitOK, "audit", "checkpoint")
	e.mustIdsync(exitOK, "audit", "redact", "bob")
	e.mustIdsync(exitOK, "audit", "prune", "--older-than", "2026-03-02", "--anonymise")
	e.mustIdsync(exitOK, "audit", "prune", "--older-than", "2026-03-03")
	path := filepath.Join(t.TempDir(), "verify.py")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python, path, db).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "verified; head ") {
		t.Fatalf("verify.py: %v\n%s", err, out)
	}
	sdb, err := sql.Open("sqlite3", db)
	if err != nil {
		t.Fatal(err)
	}
	defer sdb.Close()
	var status string
	if err := sdb.QueryRow(`SELECT status FROM audit WHERE id = 13`).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.Exec(`UPDATE audit SET status = 'applied' WHERE id = 13`); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(python, path, db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "audit record 13: edited") {
		t.Errorf("verify.py on an edited audit: %v\n%s", err, out)
	}
	if _, err := sdb.Exec(`UPDATE audit SET status = ? WHERE id = 13; UPDATE audit_checkpoint SET state = zeroblob(8) WHERE upto = 12`, status); err != nil {
		t.Fatal(err)
	}
	out, err = exec.Command(python, path, db).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "checkpoint 12: edited") {
		t.Errorf("verify.py on an edited checkpoint: %v\n%s", err, out)
	}
}

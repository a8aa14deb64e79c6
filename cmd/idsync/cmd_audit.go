package main

import (
	"context"
	"encoding/csv"
	"encoding/json"
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
		if len(a.Redacted) > 0 {
			why = append(why, "redacted: "+strings.Join(a.Redacted, ", "))
		}
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

// cmdAuditVerify checks the audit's hash chain and exits non-zero, naming
// the first bad record, when it does not verify.
func cmdAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit verify", stderr)
	var c common
	c.register(fs)
	head := fs.String("head", "", "a chain head logged earlier (`SEQ:HASH`): fail unless the chain still holds it")
	checkpoints := fs.Bool("checkpoints", false, "also read every audit checkpoint's state and check it (a report checks the one it starts from)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opts := state.VerifyOptions{Checkpoints: *checkpoints}
	if *head != "" {
		h, err := state.ParseChainHead(*head)
		if err != nil {
			return err
		}
		opts.Head = h
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	res, err := s.store.VerifyAudit(ctx, opts)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "records: %d (%d pending, %d redacted", res.Records, res.Pending, res.Redacted)
	if res.PrunedTo > 0 {
		fmt.Fprintf(stdout, ", up to %d pruned", res.PrunedTo)
	}
	fmt.Fprintf(stdout, ")\nchain entries: %d\n", res.Entries)
	if res.Checkpoints > 0 {
		fmt.Fprintf(stdout, "checkpoints: %d\n", res.Checkpoints)
	}
	fmt.Fprintf(stdout, "head: %s\n", res.Head)
	if res.OK() {
		fmt.Fprintln(stdout, "verified: the audit matches its chain")
		return nil
	}
	for _, p := range res.Problems {
		fmt.Fprintf(stdout, "BAD %s\n", text(p.String()))
	}
	return fmt.Errorf("audit verify: the audit does not match its chain: first bad: %s", res.Problems[0])
}

// exportColumns are the columns of audit export --format csv, in order.
var exportColumns = []string{"id", "time", "run", "target", "kind", "action", "status", "user_name", "source_id", "target_id",
	"detail", "error", "reasons", "rules", "members", "redacted"}

// exportJSON is one record in audit export --format jsonl.
type exportJSON struct {
	ID       int64               `json:"id"`
	Time     string              `json:"time"`
	Run      int64               `json:"run,omitempty"`
	Target   string              `json:"target"`
	Kind     string              `json:"kind"`
	Action   string              `json:"action"`
	Status   string              `json:"status"`
	UserName string              `json:"user_name,omitempty"`
	SourceID string              `json:"source_id,omitempty"`
	TargetID string              `json:"target_id,omitempty"`
	Detail   string              `json:"detail,omitempty"`
	Error    string              `json:"error,omitempty"`
	Reasons  []string            `json:"reasons,omitempty"`
	Rules    []string            `json:"rules,omitempty"`
	Members  []state.AuditMember `json:"members,omitempty"`
	Redacted []string            `json:"redacted,omitempty"`
}

// cmdAuditExport writes the audit records since a date for a SIEM.
func cmdAuditExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit export", stderr)
	var c common
	c.register(fs)
	since := fs.String("since", "", "records at or after `DATE` (2006-01-02 or RFC 3339; required)")
	format := fs.String("format", "jsonl", "jsonl (one object per line) or csv")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	from, err := parseDate("--since", *since)
	if err != nil {
		return err
	}
	var row func(state.Audit) error
	flush := func() error { return nil }
	switch *format {
	case "jsonl":
		enc := json.NewEncoder(stdout)
		row = func(a state.Audit) error { return enc.Encode(exportRecord(a)) }
	case "csv":
		cw := csv.NewWriter(stdout)
		if err := cw.Write(exportColumns); err != nil {
			return err
		}
		row = func(a state.Audit) error { return cw.Write(exportCSV(a)) }
		flush = func() error { cw.Flush(); return cw.Error() }
	default:
		return fmt.Errorf("--format must be jsonl or csv, got %q", *format)
	}
	s, err := openSession(ctx, c, stderr, false)
	if err != nil {
		return err
	}
	defer s.store.Close()
	if err := s.store.Audit(ctx, state.AuditFilter{Target: c.target, Since: from}, row); err != nil {
		return err
	}
	return flush()
}

func exportRecord(a state.Audit) exportJSON {
	return exportJSON{ID: a.ID, Time: stampMS(a.Time), Run: a.RunID, Target: a.Target, Kind: a.Kind, Action: a.Action, Status: a.Status,
		UserName: a.UserName, SourceID: a.SourceID, TargetID: a.TargetID, Detail: a.Detail, Error: a.Error, Reasons: a.Reasons,
		Rules: a.Rules, Members: a.Members, Redacted: a.Redacted}
}

func exportCSV(a state.Audit) []string {
	members := ""
	if len(a.Members) > 0 {
		b, _ := json.Marshal(a.Members) // plain strings and bools always marshal
		members = string(b)
	}
	return []string{strconv.FormatInt(a.ID, 10), stampMS(a.Time), strconv.FormatInt(a.RunID, 10), a.Target, a.Kind, a.Action, a.Status,
		a.UserName, a.SourceID, a.TargetID, a.Detail, a.Error, strings.Join(a.Reasons, "; "), strings.Join(a.Rules, " "), members,
		strings.Join(a.Redacted, " ")}
}

// stampMS formats a time to the millisecond (what the audit stores), in
// UTC; empty when zero.
func stampMS(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z07:00")
}

// cmdAuditRedact removes a person's personal data from the audit.
func cmdAuditRedact(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit redact", stderr)
	var c common
	c.register(fs)
	reason := fs.String("reason", "erasure request", "why, recorded in the chain (a ticket number; no personal data)")
	person, err := parseWithArg(fs, args, "PERSON")
	if err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr, true)
	if err != nil {
		return err
	}
	defer s.store.Close()
	res, err := s.store.RedactPerson(ctx, person, *reason)
	if err != nil {
		return err
	}
	if res.Records == 0 && res.Groups == 0 && res.Checkpoints == 0 {
		return fmt.Errorf("audit redact: no audit record names %q (give a userName, a source ID or an account ID)", person)
	}
	head, err := s.store.AuditHead(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "redacted %d account records and %d group records; the chain still verifies (head %s)\n", res.Records, res.Groups, head)
	if res.Checkpoints > 0 {
		fmt.Fprintf(stdout, "%d audit checkpoints no longer hold them\n", res.Checkpoints)
	}
	return nil
}

// cmdAuditPrune applies a retention period to the audit.
func cmdAuditPrune(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit prune", stderr)
	var c common
	c.register(fs)
	olderThan := fs.String("older-than", "", "records older than `AGE` (730d, 8760h) or than a DATE")
	anonymise := fs.Bool("anonymise", false, "keep the records without their personal fields instead of deleting them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	before, err := parseAge("--older-than", *olderThan, nowFunc())
	if err != nil {
		return err
	}
	mode := state.RetentionDelete
	if *anonymise {
		mode = state.RetentionAnonymise
	}
	s, err := openSession(ctx, c, stderr, true)
	if err != nil {
		return err
	}
	defer s.store.Close()
	upTo, n, err := s.store.PruneAudit(ctx, before, mode)
	if err != nil {
		return err
	}
	verb := map[string]string{state.RetentionDelete: "deleted", state.RetentionAnonymise: "anonymised"}[mode]
	fmt.Fprintf(stdout, "%s %d records older than %s (up to record %d)\n", verb, n, stamp(before), upTo)
	return nil
}

// cmdAuditCheckpoint makes the audit checkpoints due.
func cmdAuditCheckpoint(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("audit checkpoint", stderr)
	var c common
	c.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	s, err := openSession(ctx, c, stderr, true)
	if err != nil {
		return err
	}
	defer s.store.Close()
	n, err := s.store.Checkpoint(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "made %d audit checkpoints\n", n)
	return nil
}

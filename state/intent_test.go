package state

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestBeginSurvivesFailedCommit: the intent of a write is on record before
// the write, so a store that cannot commit the outcome still has it.
func TestBeginSurvivesFailedCommit(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	run, _ := s.StartRun(ctx, "t", ModeApply)
	a := Audit{RunID: run.ID, Target: "t", Kind: "joiner", Action: "create", SourceID: "s1", UserName: "ann"}
	id, err := s.Begin(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	// The target accepted the create; the commit that records it fails.
	s.beforeCommit = func(context.Context) error { return errors.New("disk full") }
	a.ID, a.TargetID = id, "u1"
	if err := s.Commit(ctx, Op{Audit: a, Link: &Link{SourceID: "s1", TargetID: "u1", Active: true}}); err == nil {
		t.Fatal("Commit succeeded")
	}
	s.beforeCommit = nil
	rows := allAudit(t, s, AuditFilter{Target: "t"})
	if len(rows) != 1 || rows[0].Status != AuditPending || rows[0].UserName != "ann" || rows[0].Action != "create" {
		t.Fatalf("audit after a failed commit = %+v, want one pending create of ann", rows)
	}
	if len(allLinks(t, s, "t")) != 0 {
		t.Error("a link was recorded")
	}
	// Completing it later works once, then never again.
	if err := s.Commit(ctx, Op{Audit: a, Link: &Link{SourceID: "s1", TargetID: "u1", Active: true}}); err != nil {
		t.Fatal(err)
	}
	rows = allAudit(t, s, AuditFilter{Target: "t"})
	if len(rows) != 1 || rows[0].Status != AuditApplied || rows[0].TargetID != "u1" {
		t.Fatalf("completed audit = %+v", rows)
	}
	if err := s.Commit(ctx, Op{Audit: a}); err == nil {
		t.Error("an applied row was completed a second time")
	}
}

func TestSettlePending(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	id1, _ := s.Begin(ctx, Audit{Target: "t", Kind: "joiner", Action: "create", UserName: "ann"})
	id2, _ := s.Begin(ctx, Audit{Target: "t", Kind: "joiner", Action: "create", UserName: "bob"})
	s.Begin(ctx, Audit{Target: "other", Kind: "joiner", Action: "create", UserName: "cy"})
	n, err := s.SettlePending(ctx, "t", id1, "reported by run 9")
	if err != nil || n != 1 {
		t.Fatalf("SettlePending = %d, %v; want 1", n, err)
	}
	pending := allAudit(t, s, AuditFilter{Status: AuditPending})
	if len(pending) != 2 || pending[0].ID != id2 {
		t.Errorf("pending = %+v, want bob's and cy's", pending)
	}
	if u := allAudit(t, s, AuditFilter{Status: AuditUnconfirmed}); len(u) != 1 || u[0].Error != "reported by run 9" {
		t.Errorf("unconfirmed = %+v", u)
	}
}

// TestCommitReplacesLink: a rehire gives an account to a new source ID and
// drops the old link in the same transaction.
func TestCommitReplacesLink(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	old := Op{Audit: Audit{Target: "t", Kind: "joiner", Action: "create"}, Link: &Link{SourceID: "old", TargetID: "u1"}}
	if err := s.Commit(ctx, old); err != nil {
		t.Fatal(err)
	}
	steal := Op{Audit: Audit{Target: "t", Kind: "rehire", Action: "relink"}, Link: &Link{SourceID: "new", TargetID: "u1", Active: true}}
	if err := s.Commit(ctx, steal); !errors.Is(err, ErrLinkConflict) {
		t.Fatalf("linking a linked account = %v, want ErrLinkConflict", err)
	}
	steal.Replaces = "old"
	if err := s.Commit(ctx, steal); err != nil {
		t.Fatal(err)
	}
	links := allLinks(t, s, "t")
	if len(links) != 1 || links["new"].TargetID != "u1" {
		t.Errorf("links = %+v, want only new -> u1", links)
	}
	l, err := s.LinkOf(ctx, "t", "u1")
	if err != nil || l.SourceID != "new" {
		t.Errorf("LinkOf = %+v, %v", l, err)
	}
	if _, err := s.LinkOf(ctx, "t", "u2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("LinkOf unlinked = %v, want ErrNotFound", err)
	}
}

// TestMigrateV1KeepsRunsAndAudit: rebuilding the runs table for the
// partial status keeps every run and the audit's references to them.
func TestMigrateV1KeepsRunsAndAudit(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[:1]
	ctx := context.Background()
	db := openDB(path)
	if err := migrate(ctx, db, path); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `INSERT INTO runs (id, target, mode, started, status) VALUES (5, 't', 'apply', 1, 'running');
		INSERT INTO audit (run_id, time, target, kind, action, error) VALUES
		(5, 1, 't', 'joiner', 'create', ''), (5, 2, 't', 'joiner', 'create', '400 bad')`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	migrations = saved
	s := openAt(t, path)
	rows := allAudit(t, s, AuditFilter{RunID: 5})
	if len(rows) != 2 || rows[0].Status != AuditApplied || rows[1].Status != AuditFailed {
		t.Fatalf("audit after migration = %+v", rows)
	}
	runs, err := s.Runs(ctx, "t", 0)
	if err != nil || len(runs) != 1 || runs[0].Status != StatusFailed { // interrupted at Open
		t.Fatalf("runs = %+v, %v", runs, err)
	}
	r2, _ := s.StartRun(ctx, "t", ModeApply)
	r2.Status, r2.SourceCount = StatusPartial, 7
	if err := s.FinishRun(ctx, r2); err != nil {
		t.Fatal(err)
	}
	if n, ok, err := s.LastSourceCount(ctx, "t"); n != 7 || !ok || err != nil {
		t.Errorf("LastSourceCount after a partial run = %d, %v, %v; want 7", n, ok, err)
	}
}

// TestCommitNext: one commit completes a write and records the next one's
// intent; a failed commit records neither.
func TestCommitNext(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	a := Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: "s1", UserName: "ann"}
	id, err := s.Begin(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	a.ID = id
	next := &Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: "s2", UserName: "bob"}
	s.beforeCommit = func(context.Context) error { return errors.New("disk full") }
	if err := s.Commit(ctx, Op{Audit: a, Link: &Link{SourceID: "s1", TargetID: "u1"}, Next: next}); err == nil {
		t.Fatal("Commit succeeded")
	}
	s.beforeCommit = nil
	if rows := allAudit(t, s, AuditFilter{}); len(rows) != 1 || next.ID != 0 {
		t.Fatalf("after a failed commit: %+v, next ID %d", rows, next.ID)
	}
	if err := s.Commit(ctx, Op{Audit: a, Link: &Link{SourceID: "s1", TargetID: "u1"}, Next: next}); err != nil {
		t.Fatal(err)
	}
	rows := allAudit(t, s, AuditFilter{})
	if len(rows) != 2 || rows[0].Status != AuditApplied || rows[1].ID != next.ID || rows[1].Status != AuditPending || rows[1].UserName != "bob" {
		t.Fatalf("audit = %+v, want ann applied and bob pending with ID %d", rows, next.ID)
	}
}

// TestCompleteChangedIndexedFields: completing a pending row usually
// leaves its indexed fields (target, kind, action, source, userName) as
// Begin wrote them; when the outcome changes them (an adoption recorded on
// a create's row, say) the row still gets every field, found by the
// indexes, and the chain verifies. A row already completed is not
// completed again either way.
func TestCompleteChangedIndexedFields(t *testing.T) {
	s := openTest(t)
	ctx := context.Background()
	begin := func(a Audit) Audit {
		id, err := s.Begin(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		a.ID = id
		return a
	}
	same := begin(Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: "s1", UserName: "ann"})
	same.TargetID, same.Status = "u1", AuditApplied
	changed := begin(Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: "s2", UserName: "bob"})
	changed.Kind, changed.Action, changed.UserName, changed.TargetID, changed.Status = "adopt", "link", "Bob", "u2", AuditApplied
	for _, a := range []Audit{same, changed} {
		if err := s.Commit(ctx, Op{Audit: a}); err != nil {
			t.Fatal(err)
		}
		if err := s.Commit(ctx, Op{Audit: a}); err == nil {
			t.Errorf("audit %d completed twice", a.ID)
		}
	}
	rows := allAudit(t, s, AuditFilter{})
	if len(rows) != 2 || rows[0].TargetID != "u1" || rows[0].Status != AuditApplied || rows[0].Kind != "joiner" {
		t.Fatalf("audit = %+v, want ann's create applied to u1", rows)
	}
	if r := rows[1]; r.Kind != "adopt" || r.Action != "link" || r.UserName != "Bob" || r.TargetID != "u2" || r.Status != AuditApplied {
		t.Errorf("audit %+v, want Bob adopted as u2", r)
	}
	if got := allAudit(t, s, AuditFilter{Target: "t", UserName: "Bob"}); len(got) != 1 {
		t.Errorf("%d rows found by the new userName, want 1", len(got))
	}
	if res := verify(t, s, VerifyOptions{}); !res.OK() {
		t.Errorf("the chain does not verify: %+v", res.Problems)
	}
}

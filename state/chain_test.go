package state

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
)

// chainHistory writes a small history: two joiners (the second one's
// intent in the first one's commit), a group and its members, a write
// whose outcome was never recorded (a crash: pending), and a leaver. It
// returns the IDs in order: ann, bob, group, members, pending, leaver.
func chainHistory(t *testing.T, s *Store) []int64 {
	t.Helper()
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	run, err := s.StartRun(ctx, "t", ModeApply)
	if err != nil {
		t.Fatal(err)
	}
	acc := func(name string, active bool) *targets.Account {
		return &targets.Account{UserName: name, Active: active, Attrs: targets.Attrs{{Path: "displayName", Value: strings.ToUpper(name)}}}
	}
	ann := Audit{RunID: run.ID, Time: at, Target: "t", Kind: "joiner", Action: "create", SourceID: "s-ann", UserName: "ann",
		After: acc("ann", true), Reasons: []string{`department: "" -> "Sales" (mapping.attributes.department = attr("ou"))`}}
	id1 := must(s.Begin(ctx, ann))
	ann.ID, ann.TargetID, ann.Status = id1, "u-ann", AuditApplied
	bob := Audit{RunID: run.ID, Time: at, Target: "t", Kind: "joiner", Action: "create", SourceID: "s-bob", UserName: "bob", After: acc("bob", true)}
	op := Op{Audit: ann, Link: &Link{SourceID: "s-ann", TargetID: "u-ann", Active: true}, Next: &bob}
	if err := s.Commit(ctx, op); err != nil {
		t.Fatal(err)
	}
	id2 := op.Next.ID
	bob.ID, bob.TargetID, bob.Status = id2, "u-bob", AuditApplied
	if err := s.Commit(ctx, Op{Audit: bob, Link: &Link{SourceID: "s-bob", TargetID: "u-bob", Active: true}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetGroupID(ctx, "t", "sales", "g-sales", Audit{RunID: run.ID, Time: at, Kind: "group", Action: "create-group", UserName: "sales", TargetID: "g-sales"}); err != nil {
		t.Fatal(err)
	}
	members := Audit{RunID: run.ID, Time: at, Target: "t", Kind: "group", Action: "add-members", UserName: "sales", TargetID: "g-sales",
		Detail: "+2: ann, bob", Reasons: []string{"+ann: mapping.group_roles[0]: member of cn=Sales", "+bob: mapping.group_roles[0]: member of cn=Sales"},
		Members: []AuditMember{{SourceID: "s-ann", TargetID: "u-ann", UserName: "ann", Reason: "mapping.group_roles[0]: member of cn=Sales"},
			{SourceID: "s-bob", TargetID: "u-bob", UserName: "bob", Reason: "mapping.group_roles[0]: member of cn=Sales"}}}
	if err := s.Commit(ctx, Op{Audit: members}); err != nil {
		t.Fatal(err)
	}
	pend := must(s.Begin(ctx, Audit{RunID: run.ID, Time: at, Target: "t", Kind: "mover", Action: "update", SourceID: "s-bob", TargetID: "u-bob", UserName: "bob"}))
	leave := Audit{RunID: run.ID, Time: at.Add(time.Hour), Target: "t", Kind: "leaver", Action: "disable", SourceID: "s-ann", TargetID: "u-ann",
		UserName: "ann", Before: acc("ann", true), After: acc("ann", false)}
	if err := s.Commit(ctx, Op{Audit: leave, Link: &Link{SourceID: "s-ann", TargetID: "u-ann"}}); err != nil {
		t.Fatal(err)
	}
	return []int64{id1, id2, 3, 4, pend, 6}
}

func must(id int64, err error) int64 {
	if err != nil {
		panic(err)
	}
	return id
}

func verify(t *testing.T, s *Store, opts VerifyOptions) VerifyResult {
	t.Helper()
	res, err := s.VerifyAudit(context.Background(), opts)
	if err != nil {
		t.Fatalf("VerifyAudit: %v", err)
	}
	return res
}

// TestVerifyTamper: each way of altering the audit by hand is found, and
// the first bad record is named.
func TestVerifyTamper(t *testing.T) {
	tests := []struct {
		name    string
		sql     []string
		logged  bool  // verify against the head logged before the change
		wantID  int64 // the first problem's record (0: none named)
		wantSeq int64 // the first problem's chain entry (0: any)
		want    string
	}{
		{name: "edit userName", sql: []string{`UPDATE audit SET user_name = 'mallory' WHERE id = 2`}, wantID: 2, want: "edited"},
		{name: "edit status", sql: []string{`UPDATE audit SET status = 'refused' WHERE id = 6`}, wantID: 6, want: "edited"},
		{name: "edit time", sql: []string{`UPDATE audit SET time = time + 1 WHERE id = 1`}, wantID: 1, want: "edited"},
		{name: "edit a member", sql: []string{`UPDATE audit SET members = replace(members, '"userName":"bob"', '"userName":"eve"') WHERE id = 4`}, wantID: 4, want: "edited"},
		{name: "edit the after account", sql: []string{`UPDATE audit SET after = json_set(after, '$.active', json('true')) WHERE id = 6`}, wantID: 6, want: "edited"},
		{name: "edit a pending row", sql: []string{`UPDATE audit SET status = 'applied' WHERE id = 5`}, wantID: 5, want: "edited"},
		{name: "delete a record", sql: []string{`DELETE FROM audit WHERE id = 3`}, wantID: 3, want: "missing"},
		{name: "delete a record and its entries", sql: []string{`DELETE FROM audit WHERE id = 3`, `DELETE FROM audit_chain WHERE audit_id = 3`}, wantSeq: 5, want: "missing"},
		{name: "insert a record", sql: []string{`INSERT INTO audit (time, target, kind, action, user_name, status) VALUES (0, 't', 'joiner', 'create', 'ghost', 'applied')`}, wantID: 7, want: "inserted"},
		{name: "reorder records", sql: []string{`UPDATE audit SET id = -1 WHERE id = 1`, `UPDATE audit SET id = 1 WHERE id = 2`, `UPDATE audit SET id = 2 WHERE id = -1`}, wantID: 1, want: "edited"},
		{name: "reorder chain entries", sql: []string{`UPDATE audit_chain SET seq = -1 WHERE seq = 2`, `UPDATE audit_chain SET seq = 2 WHERE seq = 3`, `UPDATE audit_chain SET seq = 3 WHERE seq = -1`}, wantSeq: 2, want: "hash mismatch"},
		{name: "edit a chain entry", sql: []string{`UPDATE audit_chain SET note = 'nothing to see' WHERE seq = 4`}, wantSeq: 4, want: "hash mismatch"},
		{name: "shorten a chained digest", sql: []string{`UPDATE audit_chain SET digest = substr(digest, 1, 31) WHERE seq = 3`}, wantSeq: 3, want: "hash mismatch"},
		{name: "bytes of a digest in the note", sql: []string{`UPDATE audit_chain SET note = CAST(substr(digest, 1, 1) AS TEXT), digest = substr(digest, 2) WHERE seq = 3`}, wantSeq: 3, want: "hash mismatch"},
		{name: "insert a record far past the others", sql: []string{`INSERT INTO audit (id, time, target, kind, action, user_name, status) VALUES (1000000000000, 0, 't', 'joiner', 'create', 'ghost', 'applied')`}, wantID: 1000000000000, want: "inserted"},
		{name: "move a record far past the others", sql: []string{`UPDATE audit SET id = 1000000000000 WHERE id = 6`}, wantID: 1000000000000, want: "inserted"},
		{name: "truncate", sql: []string{`DELETE FROM audit WHERE id >= 5`, `DELETE FROM audit_chain WHERE audit_id >= 5`}, wantSeq: 7, want: "truncated"},
		{name: "truncate and move the head", logged: true, sql: []string{`DELETE FROM audit WHERE id >= 5`, `DELETE FROM audit_chain WHERE audit_id >= 5`,
			`UPDATE audit_head SET seq = 6, hash = (SELECT hash FROM audit_chain WHERE seq = 6)`}, wantSeq: 7, want: "past the end"},
		{name: "append an entry", sql: []string{`INSERT INTO audit_chain (seq, audit_id, event, digest, hash) SELECT 9, 1, 'insert', digest, hash FROM audit_chain WHERE seq = 1`}, wantSeq: 9, want: "chain entry 9"},
	}
	// Each case twice: the chain read in one pass, and in two halves read
	// in parallel.
	defer func(n int64) { chainSplit = n }(chainSplit)
	for _, tt := range tests {
		for _, split := range []int64{1 << 16, 2} {
			t.Run(fmt.Sprintf("%s/split%d", tt.name, split), func(t *testing.T) {
				chainSplit = split
				tamperCase(t, tt.sql, tt.logged, tt.wantID, tt.wantSeq, tt.want)
			})
		}
	}
}

// tamperCase applies sql to the audit of chainHistory and checks that
// verify names the first problem as wanted.
func tamperCase(t *testing.T, sql []string, logged bool, wantID, wantSeq int64, want string) {
	t.Helper()
	s := openTest(t)
	chainHistory(t, s)
	head, err := s.AuditHead(context.Background())
	if err != nil || head.Seq != 8 {
		t.Fatalf("head = %v, %v; want entry 8", head, err)
	}
	if res := verify(t, s, VerifyOptions{Head: head}); !res.OK() || res.Records != 6 || res.Pending != 1 || res.Entries != 8 {
		t.Fatalf("before tampering: %+v", res)
	}
	for _, q := range sql {
		if _, err := s.db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	opts := VerifyOptions{}
	if logged {
		opts.Head = head
	}
	res := verify(t, s, opts)
	if res.OK() {
		t.Fatal("the altered audit verified")
	}
	first := res.Problems[0]
	if (wantID != 0 && first.AuditID != wantID) || (wantSeq != 0 && first.Seq != wantSeq) || !strings.Contains(first.String(), want) {
		t.Errorf("first problem = %q (record %d, entry %d); want record %d entry %d %q; all: %v",
			first, first.AuditID, first.Seq, wantID, wantSeq, want, res.Problems)
	}
}

// TestVerifyAfterRedactAndRetention: a redaction, a settled pending row and
// the retention (delete or anonymise) keep the chain verifying, and the
// redacted records keep what happened, when, and under which rule.
func TestVerifyAfterRedactAndRetention(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{RetentionDelete, RetentionAnonymise} {
		t.Run(mode, func(t *testing.T) {
			s := openTest(t)
			ids := chainHistory(t, s)
			res, err := s.RedactPerson(ctx, "ann", "erasure request 42")
			if err != nil || res.Records != 2 || res.Groups != 1 {
				t.Fatalf("RedactPerson = %+v, %v; want 2 records and 1 group", res, err)
			}
			if v := verify(t, s, VerifyOptions{}); !v.OK() || v.Redacted != 3 {
				t.Fatalf("after redaction: %+v", v)
			}
			rows := allAudit(t, s, AuditFilter{})
			first := rows[0]
			if first.UserName != "" || first.SourceID != "" || first.After != nil || len(first.Reasons) != 0 || len(first.Redacted) != nPersonal ||
				first.Action != "create" || first.Kind != "joiner" || first.Status != AuditApplied || !first.Time.Equal(time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)) ||
				len(first.Rules) != 1 || first.Rules[0] != "mapping.attributes.department" {
				t.Errorf("redacted create = %+v", first)
			}
			group := rows[3]
			if len(group.Members) != 2 || !group.Members[0].Redacted || group.Members[1].UserName != "bob" || group.UserName != "sales" || group.Detail != "" {
				t.Errorf("redacted group = %+v", group)
			}
			if rows[1].UserName != "bob" {
				t.Errorf("bob's record was redacted: %+v", rows[1])
			}
			if _, err := s.SettlePending(ctx, "t", ids[4], "settled"); err != nil {
				t.Fatal(err)
			}
			upTo, n, err := s.PruneAudit(ctx, time.Date(2026, 1, 5, 9, 30, 0, 0, time.UTC), mode)
			wantN := map[string]int{RetentionDelete: 5, RetentionAnonymise: 4}[mode] // ann's create is already redacted
			if err != nil || upTo != 5 || n != wantN {
				t.Fatalf("PruneAudit = %d, %d, %v; want up to 5, %d records", upTo, n, err, wantN)
			}
			v := verify(t, s, VerifyOptions{})
			if !v.OK() {
				t.Fatalf("after %s: %v", mode, v.Problems)
			}
			rows = allAudit(t, s, AuditFilter{})
			switch mode {
			case RetentionDelete:
				if len(rows) != 1 || rows[0].ID != 6 || v.PrunedTo != 5 {
					t.Errorf("after delete: %d rows, pruned to %d", len(rows), v.PrunedTo)
				}
			case RetentionAnonymise:
				if len(rows) != 6 || rows[1].UserName != "" || len(rows[1].Redacted) != nPersonal || rows[1].Action != "create" {
					t.Errorf("after anonymise: %+v", rows[1])
				}
			}
			// A later edit is still found.
			if _, err := s.db.Exec(`UPDATE audit SET kind = 'mover' WHERE id = 6`); err != nil {
				t.Fatal(err)
			}
			if v := verify(t, s, VerifyOptions{}); v.OK() || v.Problems[0].AuditID != 6 {
				t.Errorf("edit after %s: %v", mode, v.Problems)
			}
		})
	}
}

// TestChainExistingRows: rows written before the chain existed are chained
// by the upgrade and verify.
func TestChainExistingRows(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	saved := migrations
	t.Cleanup(func() { migrations = saved })
	migrations = saved[:3]
	db := openDB(path)
	if err := migrate(ctx, db, path); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"ann", "bob"} {
		if _, err := db.Exec(`INSERT INTO audit (time, target, kind, action, user_name, reasons, status) VALUES (1, 't', 'joiner', 'create', ?, '["why"]', 'applied')`, name); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	migrations = saved
	s := openAt(t, path)
	res := verify(t, s, VerifyOptions{})
	if !res.OK() || res.Records != 2 || res.Entries != 2 {
		t.Fatalf("after the upgrade: %+v", res)
	}
	var note string
	if err := s.db.QueryRow(`SELECT note FROM audit_chain WHERE seq = 1`).Scan(&note); err != nil || !strings.Contains(note, "upgrade") {
		t.Errorf("entry 1 note = %q, %v", note, err)
	}
}

// TestVerifyWhileWriting: a verification beside a run that writes (intents
// completed, pending rows settled) reports no problem.
func TestVerifyWhileWriting(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	if err := fillAudit(path, 5000); err != nil { // passes that take a while
		t.Fatal(err)
	}
	w := openAt(t, path)
	r, err := OpenShared(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	done := make(chan error)
	stop := make(chan struct{})
	go func() {
		defer close(done)
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			a := Audit{Target: "t", Kind: "joiner", Action: "create", SourceID: fmt.Sprint("s", i), UserName: fmt.Sprint("u", i)}
			id, err := w.Begin(ctx, a)
			if err == nil {
				a.ID, a.TargetID = id, fmt.Sprint("acc", i)
				err = w.Commit(ctx, Op{Audit: a})
			}
			if err == nil && i%5 == 0 {
				_, err = w.SettlePending(ctx, "t", id, "settled")
			}
			if err != nil {
				done <- err
				return
			}
		}
	}()
	for i := 0; i < 10; i++ {
		res, err := r.VerifyAudit(ctx, VerifyOptions{})
		if err != nil || !res.OK() {
			t.Errorf("verify %d beside a writer: %v %v", i, err, res.Problems)
			break
		}
	}
	close(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

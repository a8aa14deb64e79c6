package state

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
)

func putRecords(t *testing.T, s *Store, recs ...Audit) {
	t.Helper()
	err := s.write(context.Background(), "review", func(tx *sql.Tx) error {
		for _, a := range recs {
			if a.Status == "" {
				a.Status = AuditApplied
			}
			if _, err := s.insertAudit(context.Background(), tx, a); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestRedactAfterRetention: a person whose records the retention took is
// still in the base checkpoint; a redaction takes them out of it.
func TestRedactAfterRetention(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := histStart
	putRecords(t, s,
		createIn(t0, "a", "s-u-pat", "u-pat", "pat"),
		createIn(t0.Add(time.Hour), "a", "s-u-bob", "u-bob", "bob"),
		Audit{Time: t0.Add(10 * 24 * time.Hour), Target: "a", Kind: "group", Action: "create-group", TargetID: "g1", UserName: "admins"},
		Audit{Time: t0.Add(10*24*time.Hour + time.Minute), Target: "a", Kind: "group", Action: "add-members", TargetID: "g1",
			Members: []AuditMember{{SourceID: "s-u-pat", TargetID: "u-pat", UserName: "pat", Reason: "r"}}},
	)
	if _, n, err := s.PruneAudit(ctx, t0.Add(5*24*time.Hour), RetentionDelete); err != nil || n != 2 {
		t.Fatal(n, err)
	}
	res, err := s.RedactPerson(ctx, "pat", "erasure request")
	if err != nil || res.Groups != 1 || res.Checkpoints != 1 {
		t.Fatal(res, err)
	}
	rows, _, _, err := s.AccessAt(ctx, AccessQuery{At: t0.Add(20 * 24 * time.Hour), Person: "pat"})
	if err != nil {
		t.Fatal(err)
	}
	var blob []byte
	s.db.QueryRow(`SELECT state FROM audit_checkpoint`).Scan(&blob)
	raw, _ := gunzip(blob)
	if len(rows) != 0 || strings.Contains(string(raw), "pat") || !strings.Contains(string(raw), "bob") {
		t.Errorf("after redacting pat: report rows %+v; checkpoint state names pat: %v", rows, strings.Contains(string(raw), "pat"))
	}
	if v := verify(t, s, VerifyOptions{Checkpoints: true}); !v.OK() {
		t.Errorf("after the redaction: %v", v.Problems)
	}
	// Only the base named pat: a second redaction finds nothing.
	if _, err := s.RedactPerson(ctx, "pat", "again"); err != nil {
		t.Fatal(err)
	}
}

// TestRetentionChangingNothing: an anonymising retention that changes no
// record (all redacted already) leaves the checkpoints, and the audit
// verifies.
func TestRetentionChangingNothing(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 2
	ctx := context.Background()
	s := openTest(t)
	t0 := histStart
	var recs []Audit
	recs = append(recs, createIn(t0, "a", "s-u-pat", "u-pat", "pat"))
	for i := 1; i < 6; i++ {
		recs = append(recs, Audit{Time: t0.Add(time.Duration(i) * time.Hour), Target: "a", Kind: "mover", Action: "update", SourceID: "s-u-pat", TargetID: "u-pat", UserName: "pat", Reasons: []string{"x"}})
	}
	for i := 0; i < 6; i++ {
		recs = append(recs, createIn(t0.Add(10*24*time.Hour+time.Duration(i)*time.Hour), "a", "s-u"+string(rune('a'+i)), "u"+string(rune('a'+i)), "n"+string(rune('a'+i))))
	}
	putRecords(t, s, recs...)
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RedactPerson(ctx, "pat", "erasure"); err != nil {
		t.Fatal(err)
	}
	if upTo, n, err := s.PruneAudit(ctx, t0.Add(9*24*time.Hour), RetentionAnonymise); err != nil || n != 0 {
		t.Fatalf("PruneAudit = %d, %d, %v; want nothing changed", upTo, n, err)
	}
	if res := verify(t, s, VerifyOptions{}); !res.OK() {
		t.Errorf("after an anonymising retention: %v", res.Problems)
	}
}

// TestCheckpointClockSetBack: a record after the next checkpoint dated
// before the report's date (a clock set back) is in the report; its time
// edited, audit verify finds it (the report finds such records by their
// date: docs/audit.md).
func TestCheckpointClockSetBack(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 3
	ctx := context.Background()
	s := openTest(t)
	t0 := histStart
	var recs []Audit
	for i := 1; i <= 6; i++ {
		recs = append(recs, createIn(t0.Add(time.Duration(i)*time.Hour), "a", "s-u"+string(rune('0'+i)), "u"+string(rune('0'+i)), "n"+string(rune('0'+i))))
	}
	recs = append(recs, createIn(t0.Add(3*time.Hour+30*time.Minute), "a", "s-late", "late", "late")) // clock set back
	putRecords(t, s, recs...)
	if n, err := s.Checkpoint(ctx); err != nil || n != 2 {
		t.Fatal(n, err)
	}
	at := t0.Add(3*time.Hour + 45*time.Minute)
	rows, _, _, err := s.AccessAt(ctx, AccessQuery{At: at, Person: "late"})
	if err != nil || len(rows) != 1 {
		t.Fatal(rows, err)
	}
	if _, err := s.db.Exec(`UPDATE audit SET time = time + 864000000 WHERE id = 7`); err != nil {
		t.Fatal(err)
	}
	if res := verify(t, s, VerifyOptions{}); res.OK() || res.Problems[0].AuditID != 7 {
		t.Errorf("audit verify of record 7's time edited: %v", res.Problems)
	}
}

// TestAccessDuringRedaction: a redaction that drops and makes again the
// checkpoint a report listed, before the report reads it, does not make
// the report refuse: it starts again from the new one.
func TestAccessDuringRedaction(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 29
	ctx := context.Background()
	s := openTest(t)
	scriptHistory(t, s, 200, 3)
	if _, err := s.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	q := AccessQuery{At: histStart.Add(1000 * 24 * time.Hour)}
	redacted := false
	s.afterSpan = func() {
		if !redacted {
			redacted = true
			if _, err := s.RedactPerson(ctx, "user5", "ticket"); err != nil {
				t.Error(err)
			}
		}
	}
	rows, _, _, err := s.AccessAt(ctx, q)
	if err != nil || !redacted {
		t.Fatalf("report racing a redaction: %v (redaction ran: %v)", err, redacted)
	}
	s.afterSpan = nil
	if want, _ := scratch(t, s, q); !reflect.DeepEqual(rows, want) {
		t.Errorf("report racing a redaction: %d rows, from the first record %d", len(rows), len(want))
	}
}

// TestRetentionKeepsNewest: a retention past every record (a quiet spell
// longer than the period) keeps the newest, so that the next record gets
// a new ID (SQLite would start again at 1) and is in the reports.
func TestRetentionKeepsNewest(t *testing.T) {
	ctx := context.Background()
	s := openTest(t)
	t0 := histStart
	putRecords(t, s, createIn(t0, "a", "s-u1", "u1", "one"), createIn(t0.Add(time.Hour), "a", "s-u2", "u2", "two"), createIn(t0.Add(2*time.Hour), "a", "s-u3", "u3", "three"))
	if upTo, n, err := s.PruneAudit(ctx, t0.Add(24*time.Hour), RetentionDelete); err != nil || n != 2 || upTo != 2 {
		t.Fatalf("PruneAudit = %d, %d, %v; want records 1-2 deleted, 3 kept", upTo, n, err)
	}
	putRecords(t, s, createIn(t0.Add(48*time.Hour), "a", "s-u4", "u4", "new"))
	var id int64
	s.db.QueryRow(`SELECT max(id) FROM audit`).Scan(&id)
	rows, _, _, err := s.AccessAt(ctx, AccessQuery{At: t0.Add(72 * time.Hour)})
	if err != nil || id != 4 || len(rows) != 4 {
		t.Errorf("after the prune: the new record is %d; the report %d rows, %v; want record 4 and 4 accounts", id, len(rows), err)
	}
	if v := verify(t, s, VerifyOptions{Checkpoints: true}); !v.OK() {
		t.Errorf("after the prune: %v", v.Problems)
	}
}

// TestCheckpointHeldBack: a record left pending (a target no run settles)
// holds back the checkpoints, and Checkpoint says which record.
func TestCheckpointHeldBack(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 3
	ctx := context.Background()
	s := openTest(t)
	chainHistory(t, s) // record 5 pending
	if n, err := s.Checkpoint(ctx); n != 1 || err != nil {
		t.Fatal(n, err)
	}
	var recs []Audit
	for i := 0; i < 4; i++ {
		recs = append(recs, createIn(histStart, "a", "s-"+fmt.Sprint("x", i), fmt.Sprint("x", i), fmt.Sprint("x", i)))
	}
	putRecords(t, s, recs...)
	n, err := s.Checkpoint(ctx)
	if n != 0 || err == nil || !strings.Contains(err.Error(), `audit record 5 (target "t") is still pending`) {
		t.Errorf("Checkpoint with record 5 pending = %d, %v", n, err)
	}
}

func createIn(at time.Time, target, src, id, name string) Audit {
	return Audit{Time: at, Target: target, Kind: "joiner", Action: "create", SourceID: src, TargetID: id, UserName: name,
		Reasons: []string{"rule"}, After: &targets.Account{UserName: name, Active: true}}
}

// reportedNames returns the userNames report access shows at.
func reportedNames(t *testing.T, s *Store, at time.Time) []string {
	t.Helper()
	rows, _, _, err := s.AccessAt(context.Background(), AccessQuery{At: at})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		out = append(out, r.UserName)
	}
	return out
}

// TestRedactWidensFromBase: a person whose records the retention took is
// known by all their identities in the base checkpoint: redacting one of
// their accounts removes the others too, as it does when the records are
// still there.
func TestRedactWidensFromBase(t *testing.T) {
	for _, prune := range []bool{false, true} {
		ctx := context.Background()
		s := openTest(t)
		t0 := histStart
		putRecords(t, s, createIn(t0, "a", "s-pat", "u-pat", "pat"), createIn(t0.Add(time.Minute), "b", "s-pat", "u-pat-b", "pat.b"),
			createIn(t0.Add(time.Hour), "a", "s-bob", "u-bob", "bob"), createIn(t0.Add(10*24*time.Hour), "a", "s-eve", "u-eve", "eve"))
		if prune {
			if _, n, err := s.PruneAudit(ctx, t0.Add(5*24*time.Hour), RetentionDelete); err != nil || n != 3 {
				t.Fatal(n, err)
			}
		}
		if _, err := s.RedactPerson(ctx, "u-pat", "erasure"); err != nil {
			t.Fatal(err)
		}
		if got := reportedNames(t, s, t0.Add(20*24*time.Hour)); !slices.Equal(got, []string{"bob", "eve"}) {
			t.Errorf("pruned first: %v; after redacting u-pat the report shows %v, want bob and eve", prune, got)
		}
	}
}

// TestRedactRenamedAfterHorizon: an account the retention left in the base
// only, renamed after it, leaves every checkpoint: the reports from the
// base and from a later checkpoint agree.
func TestRedactRenamedAfterHorizon(t *testing.T) {
	defer func(n int64) { CheckpointEvery = n }(CheckpointEvery)
	CheckpointEvery = 3
	ctx := context.Background()
	s := openTest(t)
	t0 := histStart
	putRecords(t, s, createIn(t0, "a", "s-pat", "u-pat", "pat"), createIn(t0.Add(time.Hour), "a", "s-bob", "u-bob", "bob"),
		createIn(t0.Add(10*24*time.Hour), "a", "s-x", "u-x", "x"))
	if upTo, _, err := s.PruneAudit(ctx, t0.Add(5*24*time.Hour), RetentionDelete); err != nil || upTo != 2 {
		t.Fatal(upTo, err)
	}
	recs := []Audit{{Time: t0.Add(11 * 24 * time.Hour), Target: "a", Kind: "mover", Action: "update", SourceID: "s-pat", TargetID: "u-pat", UserName: "patricia",
		Reasons: []string{"renamed"}, After: &targets.Account{UserName: "patricia", Active: true}}}
	for i := range 4 {
		recs = append(recs, createIn(t0.Add(time.Duration(12+i)*24*time.Hour), "a", fmt.Sprint("s-f", i), fmt.Sprint("u-f", i), fmt.Sprint("f", i)))
	}
	putRecords(t, s, recs...)
	if n, err := s.Checkpoint(ctx); err != nil || n != 2 {
		t.Fatal(n, err)
	}
	if _, err := s.RedactPerson(ctx, "pat", "erasure"); err != nil {
		t.Fatal(err)
	}
	for _, day := range []time.Duration{10, 20} {
		for _, name := range reportedNames(t, s, t0.Add(day*24*time.Hour)) {
			if strings.HasPrefix(name, "pat") {
				t.Errorf("day %d: %q still reported", day, name)
			}
		}
	}
	if v := verify(t, s, VerifyOptions{Checkpoints: true}); !v.OK() {
		t.Errorf("after the redaction: %v", v.Problems)
	}
}

package state

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
)

var (
	auditBenchSize = flag.Int("audit-records", 1_000_000, "audit records in the audit benchmarks")
	auditBenchPath = flag.String("audit-db", "", "reuse (or make) the audit benchmarks' database at this path")
)

// auditBenchDB is the benchmark database, built once per process.
var auditBenchDB struct {
	once sync.Once
	path string
	err  error
}

// benchAuditStore opens a database with n realistic audit records:
// joiners (each an intent completed), a group change per 50 joiners with
// their 50 members, movers and leavers, over a year of runs.
func benchAuditStore(b *testing.B) *Store {
	b.Helper()
	auditBenchDB.once.Do(func() {
		if p := *auditBenchPath; p != "" {
			auditBenchDB.path = p
			if _, err := os.Stat(p); err == nil {
				return
			}
			auditBenchDB.err = fillAudit(p, *auditBenchSize)
			return
		}
		dir, err := os.MkdirTemp("", "idsync-audit-bench")
		if err != nil {
			auditBenchDB.err = err
			return
		}
		auditBenchDB.path = filepath.Join(dir, "state.db")
		start := time.Now()
		auditBenchDB.err = fillAudit(auditBenchDB.path, *auditBenchSize)
		fmt.Fprintf(os.Stderr, "audit bench: %d records written in %s\n", *auditBenchSize, time.Since(start).Round(time.Second))
	})
	if auditBenchDB.err != nil {
		b.Fatal(auditBenchDB.err)
	}
	s := openAt(b, auditBenchDB.path)
	// A smaller audit gets ten checkpoints too.
	CheckpointEvery = min(CheckpointEvery, max(1, int64(*auditBenchSize)/10))
	start := time.Now()
	if n, err := s.Checkpoint(context.Background()); err != nil {
		b.Fatal(err)
	} else if n > 0 {
		fmt.Fprintf(os.Stderr, "audit bench: %d checkpoints made in %s\n", n, time.Since(start).Round(time.Millisecond))
	}
	return s
}

func fillAudit(path string, n int) error {
	ctx := context.Background()
	s, err := Open(ctx, path)
	if err != nil {
		return err
	}
	defer s.Close()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	written := 0
	const batch = 20_000
	var members []AuditMember
	for person := 0; written < n; {
		err := s.write(ctx, "bench fill", func(tx *sql.Tx) error {
			for end := written + batch; written < end && written < n; person++ {
				at := t0.Add(time.Duration(person) * 30 * time.Second)
				e := benchEntry(person)
				acc := &targets.Account{UserName: e.UserName, ExternalID: e.SourceID, Active: true, Attrs: targets.AttrsOf(map[string]string{
					"displayName": fmt.Sprintf("User %06d", person), "department": "Sales", "title": "Engineer",
					"emails.work": e.UserName, "name.familyName": fmt.Sprintf("Family%06d", person), "name.givenName": "Given"})}
				a := Audit{Time: at, Target: "app", Kind: "joiner", Action: "create", SourceID: e.SourceID, UserName: e.UserName,
					After: acc, Reasons: []string{"new in the source", `department: "" -> "Sales" (mapping.attributes.department = attr("departmentNumber"))`}, Status: AuditPending}
				id, err := s.insertAudit(ctx, tx, a)
				if err != nil {
					return err
				}
				a.ID, a.TargetID, a.Status = id, guid(-person-1), AuditApplied
				if err := s.putAudit(ctx, tx, a); err != nil {
					return err
				}
				written++
				members = append(members, AuditMember{SourceID: e.SourceID, TargetID: a.TargetID, UserName: e.UserName,
					Reason: "mapping.group_roles[0]: member of cn=Sales,ou=groups,dc=example,dc=org"})
				if len(members) == 50 {
					g := Audit{Time: at, Target: "app", Kind: "group", Action: "add-members", UserName: "dept-sales", TargetID: "g-sales",
						Detail: "+50: ...", Reasons: []string{"group membership follows the role rules"}, Members: members, Status: AuditApplied}
					if _, err := s.insertAudit(ctx, tx, g); err != nil {
						return err
					}
					members, written = nil, written+1
				}
				if person%10 == 5 {
					m := Audit{Time: at.Add(time.Minute), Target: "app", Kind: "mover", Action: "update", SourceID: e.SourceID, TargetID: a.TargetID,
						UserName: e.UserName, Before: acc, After: acc, Reasons: []string{`title: "Engineer" -> "Lead" (mapping.attributes.title = attr("title"))`}, Status: AuditApplied}
					if _, err := s.insertAudit(ctx, tx, m); err != nil {
						return err
					}
					written++
				}
				if person%20 == 7 {
					l := Audit{Time: at.Add(2 * time.Minute), Target: "app", Kind: "leaver", Action: "disable", SourceID: e.SourceID, TargetID: a.TargetID,
						UserName: e.UserName, Before: acc, Reasons: []string{"gone from the source"}, Status: AuditApplied}
					if _, err := s.insertAudit(ctx, tx, l); err != nil {
						return err
					}
					written++
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkVerifyAudit: audit verify of -audit-records records (1,000,000
// by default; the target is 10 s).
func BenchmarkVerifyAudit(b *testing.B) {
	s := benchAuditStore(b)
	ctx := context.Background()
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		res, err := s.VerifyAudit(ctx, VerifyOptions{})
		if err != nil || !res.OK() || res.Records != int64(*auditBenchSize) {
			b.Fatalf("VerifyAudit = %d records, %v, %v", res.Records, err, res.Problems)
		}
	}
}

// BenchmarkAccessAt: report access --at over -audit-records records
// (verified in the same pass; the target is 5 s), at three dates of the
// audit's five months: near its start, in its middle and after its end.
func BenchmarkAccessAt(b *testing.B) {
	s := benchAuditStore(b)
	ctx := context.Background()
	for _, at := range []time.Time{time.Date(2025, 1, 20, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 20, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)} {
		b.Run(at.Format("2006-01-02"), func(b *testing.B) {
			defer reportCPU(b)()
			for b.Loop() {
				rows, res, _, err := s.AccessAt(ctx, AccessQuery{At: at})
				if err != nil || len(rows) == 0 {
					b.Fatalf("AccessAt = %d rows, %v", len(rows), err)
				}
				b.ReportMetric(float64(len(rows)), "rows")
				b.ReportMetric(float64(res.Records), "records-read")
			}
		})
	}
}

// BenchmarkCheckpointNext: making the checkpoint of the last
// CheckpointEvery records from the one before (what the end of an apply
// run does once every CheckpointEvery records): it makes the last one
// again.
func BenchmarkCheckpointNext(b *testing.B) {
	s := benchAuditStore(b)
	ctx := context.Background()
	cps, err := checkpoints(ctx, s.db)
	if err != nil || len(cps) < 2 {
		b.Fatalf("%d checkpoints, %v", len(cps), err)
	}
	last := cps[len(cps)-1]
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		n, err := s.makeCheckpoints(ctx, cps[:len(cps)-1], []int64{last.upTo}, map[int64]int64{last.upTo: last.chainFrom}, "benchmark")
		if err != nil || n != 1 {
			b.Fatalf("makeCheckpoints = %d, %v", n, err)
		}
	}
}

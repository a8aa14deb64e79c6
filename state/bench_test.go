package state

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/idsync/idsync/targets"
)

const benchPeople = 100_000

// reportCPU starts measuring CPU time; the returned func, called after the
// loop, reports CPU milliseconds per op.
func reportCPU(b *testing.B) func() {
	start, ok := cpuTime()
	return func() {
		if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	}
}

// guid returns a realistic, unordered source ID for person i.
func guid(i int) string {
	h := sha256.Sum256([]byte(fmt.Sprint(i)))
	x := hex.EncodeToString(h[:16])
	return x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

func benchEntry(i int) SnapshotEntry {
	h := sha256.Sum256([]byte(fmt.Sprint("h", i)))
	return SnapshotEntry{
		SourceID: guid(i),
		DN:       fmt.Sprintf("CN=User %06d,OU=Staff,OU=People,DC=corp,DC=example,DC=com", i),
		UserName: fmt.Sprintf("user%06d@corp.example.com", i),
		InScope:  i%10 != 0,
		Disabled: i%50 == 0,
		Hash:     hex.EncodeToString(h[:]),
	}
}

func BenchmarkLinks100k(b *testing.B) {
	s := openTest(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	err := s.write(ctx, "bench setup", func(tx *sql.Tx) error {
		for i := 0; i < benchPeople; i++ {
			e := benchEntry(i)
			if err := s.upsertLink(ctx, tx, Link{Target: "t", SourceID: e.SourceID, TargetID: guid(-i - 1),
				UserName: e.UserName, DN: e.DN, Active: true}, time.Now(), false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	defer reportCPU(b)()
	for b.Loop() {
		n := 0
		if err := s.Links(ctx, "t", func(Link) error { n++; return nil }); err != nil || n != benchPeople {
			b.Fatalf("Links: %d, %v", n, err)
		}
	}
}

func BenchmarkSnapshot100k(b *testing.B) {
	s := openTest(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := s.SaveSnapshot(ctx, "t", 0, entries(benchEntries()...)); err != nil {
		b.Fatal(err)
	}
	defer reportCPU(b)()
	for b.Loop() {
		n := 0
		if err := s.Snapshot(ctx, "t", func(SnapshotEntry) error { n++; return nil }); err != nil || n != benchPeople {
			b.Fatalf("Snapshot: %d, %v", n, err)
		}
	}
}

// benchEntries returns benchPeople entries, built ahead so the benchmark
// measures the store, not the generator.
func benchEntries() []SnapshotEntry {
	es := make([]SnapshotEntry, benchPeople)
	for i := range es {
		es[i] = benchEntry(i)
	}
	return es
}

// BenchmarkSaveSnapshot100k replaces a 100k snapshot with another 100k.
func BenchmarkSaveSnapshot100k(b *testing.B) {
	s := openTest(b)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	es := benchEntries()
	if err := s.SaveSnapshot(ctx, "t", 0, entries(es...)); err != nil {
		b.Fatal(err)
	}
	defer reportCPU(b)()
	for b.Loop() {
		if err := s.SaveSnapshot(ctx, "t", 0, entries(es...)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommit records one mover (audit row with before/after accounts
// plus a link upsert) per op, one transaction each, with the default
// synchronous=FULL and with NORMAL for comparison.
// BenchmarkCommit measures the record of one applied change: Commit alone,
// and with intent, Begin (the pending row, before the target write) then
// Commit completing it, as Apply does for every write.
func BenchmarkCommit(b *testing.B) {
	for _, c := range []struct{ sync, name string }{{"FULL", ""}, {"NORMAL", ""}, {"FULL", "/intent"}, {"NORMAL", "/intent"}} {
		sync, intent := c.sync, c.name != ""
		b.Run("synchronous="+sync+c.name, func(b *testing.B) {
			saved := synchronous
			synchronous = sync
			s := openAt(b, filepath.Join(b.TempDir(), "state.db"))
			synchronous = saved
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			run, err := s.StartRun(ctx, "t", ModeApply)
			if err != nil {
				b.Fatal(err)
			}
			i := 0
			start := time.Now()
			defer reportCPU(b)()
			for b.Loop() {
				e := benchEntry(i % benchPeople)
				acc := &targets.Account{ID: guid(-i - 1), UserName: e.UserName, ExternalID: e.SourceID, Active: true,
					Attrs: targets.AttrsOf(map[string]string{"displayName": "User", "department": "Staff", "emails.work": e.UserName})}
				a := Audit{RunID: run.ID, Target: "t", Kind: "mover", Action: "update", SourceID: e.SourceID,
					TargetID: acc.ID, UserName: e.UserName, Reasons: []string{`attribute "department" changed`},
					Before: acc, After: acc}
				if intent {
					id, err := s.Begin(ctx, a)
					if err != nil {
						b.Fatal(err)
					}
					a.ID = id
				}
				err := s.Commit(ctx, Op{Audit: a,
					Link: &Link{SourceID: e.SourceID, TargetID: acc.ID, UserName: e.UserName, DN: e.DN, Active: true},
				})
				if err != nil {
					b.Fatal(err)
				}
				i++
			}
			b.ReportMetric(float64(i)/time.Since(start).Seconds(), "ops/s")
		})
	}
}

// BenchmarkApplyWrite records one target write the way Apply does: the
// link's owner is looked up (LinkOf), then one transaction completes the
// last write's audit row with its link and inserts the next write's pending
// row (Op.Next).
func BenchmarkApplyWrite(b *testing.B) {
	s := openAt(b, filepath.Join(b.TempDir(), "state.db"))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	run, err := s.StartRun(ctx, "t", ModeApply)
	if err != nil {
		b.Fatal(err)
	}
	audit := func(i int) (Audit, *Link) {
		e := benchEntry(i % benchPeople)
		acc := &targets.Account{ID: guid(-i - 1), UserName: e.UserName, ExternalID: e.SourceID, Active: true,
			Attrs: targets.AttrsOf(map[string]string{"displayName": "User", "department": "Staff", "emails.work": e.UserName})}
		return Audit{RunID: run.ID, Target: "t", Kind: "joiner", Action: "create", SourceID: e.SourceID,
				UserName: e.UserName, Reasons: []string{"new in the source"}, After: acc},
			&Link{SourceID: e.SourceID, TargetID: acc.ID, UserName: e.UserName, DN: e.DN, Active: true}
	}
	a, _ := audit(0)
	if a.ID, err = s.Begin(ctx, a); err != nil {
		b.Fatal(err)
	}
	i := 0
	start := time.Now()
	defer reportCPU(b)()
	for b.Loop() {
		_, l := audit(i)
		if _, err := s.LinkOf(ctx, "t", l.TargetID); !errors.Is(err, ErrNotFound) {
			b.Fatalf("LinkOf: %v", err)
		}
		next, _ := audit(i + 1)
		done := a
		done.TargetID, done.Status = l.TargetID, AuditApplied
		if err := s.Commit(ctx, Op{Audit: done, Link: l, Next: &next}); err != nil {
			b.Fatal(err)
		}
		a = next
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "ops/s")
}

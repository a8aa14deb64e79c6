package sync

import (
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// benchInput builds n people in 1000 roles; linked makes the state and the
// target hold every account already (a run with nothing to do).
func benchInput(n int, linked bool) Input {
	in := Input{Target: "t", Now: time.Unix(0, 0), Managed: managed, GroupIDs: map[string]string{}, Groups: []targets.Group{}}
	groups := map[string]*targets.Group{}
	for i := 0; i < n; i++ {
		id, user := fmt.Sprintf("src-%06d", i), fmt.Sprintf("user%06d", i)
		role := fmt.Sprintf("role-%04d", i%1000)
		p := mkPerson(id, user, fmt.Sprint(i%50), role)
		p.Account.ExternalID = id
		in.People = append(in.People, p)
		if !linked {
			continue
		}
		a := account(fmt.Sprintf("acc-%06d", i), user, fmt.Sprint(i%50), true)
		a.ExternalID = id
		in.Accounts = append(in.Accounts, a)
		in.Links = append(in.Links, state.PlanLink{SourceID: id, TargetID: a.ID, UserName: user, DN: p.DN})
		g := groups[role]
		if g == nil {
			g = &targets.Group{ID: "g-" + role, DisplayName: role}
			groups[role] = g
			in.GroupIDs[role] = g.ID
		}
		g.Members = append(g.Members, a.ID)
	}
	for _, g := range groups {
		in.Groups = append(in.Groups, *g)
	}
	return in
}

func benchmarkBuildPlan(b *testing.B, linked bool) {
	in := benchInput(100000, linked)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := BuildPlan(in)
		if linked && p.Pending() || !linked && p.Summary.Joiners != 100000 {
			b.Fatalf("unexpected plan: %+v", p.Summary)
		}
	}
}

// BenchmarkBuildPlan100kEmpty: 100,000 joiners into 1,000 new groups.
func BenchmarkBuildPlan100kEmpty(b *testing.B) { benchmarkBuildPlan(b, false) }

// BenchmarkBuildPlan100kLinked: 100,000 linked people, nothing to do.
func BenchmarkBuildPlan100kLinked(b *testing.B) { benchmarkBuildPlan(b, true) }

// benchmarkReport writes the report of 100,000 joiners; B/op is what the
// report allocates, next to the size of the document it writes.
func benchmarkReport(b *testing.B, format string) {
	p := BuildPlan(benchInput(100000, false))
	var n countingWriter
	if err := WriteReport(&n, format, []*Plan{p}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(n))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if err := WriteReport(io.Discard, format, []*Plan{p}); err != nil {
			b.Fatal(err)
		}
	}
}

// countingWriter counts the bytes written to it.
type countingWriter int

func (c *countingWriter) Write(p []byte) (int, error) {
	*c += countingWriter(len(p))
	return len(p), nil
}

// BenchmarkWriteText100k: the text report of 100,000 joiners.
func BenchmarkWriteText100k(b *testing.B) { benchmarkReport(b, "text") }

// BenchmarkWriteJSON100k: the JSON report of 100,000 joiners.
func BenchmarkWriteJSON100k(b *testing.B) { benchmarkReport(b, "json") }

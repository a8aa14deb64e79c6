package sync

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/mattn/go-sqlite3" // the benchmark seeds the links table directly
	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// BenchmarkRunChanges is one incremental pass over one changed person in a
// directory of IDSYNC_BENCH_PEOPLE people (default 100,000) in 1,000
// roles, all linked and in the target already (seeded directly, not
// applied). Each op changes another person (an attribute, or every fourth
// op a move from one role to another) and runs RunChanges: the reads of
// the state, the target reads, the plan, one write and the state commits.
// cpu-ms/op is the CPU time of the whole process per change; it must not
// grow with the number of people or with the runs before it:
//
//	go test ./sync -run XXX -bench RunChanges -benchtime 200x -cpuprofile cpu.out
func BenchmarkRunChanges(b *testing.B) {
	n := benchPeople(b)
	ctx := context.Background()
	r, src, tgt := seedIncremental(b, n)
	// A dry run over someone unchanged plans nothing: the seed is whole.
	out, err := r.RunChanges(ctx, Options{DryRun: true}, Changes{IDs: []string{benchID(0)}})
	if err != nil {
		b.Fatal(err)
	}
	if p := out.Plans[0]; p.Incremental == nil || p.Pending() {
		b.Fatalf("the seeded state is not in step: %s", SummaryLine(p))
	}
	b.ReportAllocs()
	cpu := reportCPU(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := (i + 1) * 7919 % n
		id := benchID(k)
		e := src.byID[id]
		if i%4 == 3 { // a move to the next role
			g := (k%benchRoles + 1 + i/benchRoles) % benchRoles
			e.Groups = []mapping.Membership{{DN: "cn=" + benchRole(g) + ",dc=x", Name: benchRole(g)}}
		} else {
			e.Attrs = mapping.Attrs{{Name: "uid", Values: []string{benchUser(k)}}, {Name: "ou", Values: []string{"ou-" + strconv.Itoa(i)}}}
		}
		src.byID[id] = e
		out, err := r.RunChanges(ctx, Options{}, Changes{IDs: []string{id}})
		if err != nil {
			b.Fatal(err)
		}
		if res := out.Results[0]; out.Plans[0].Incremental == nil || res.Applied == 0 {
			b.Fatalf("op %d: %s applied %d", i, SummaryLine(out.Plans[0]), res.Applied)
		}
	}
	b.StopTimer()
	cpu()
	_ = tgt
}

const benchRoles = 1000

// reportCPU starts measuring CPU time; the returned func, called after the
// loop, reports CPU milliseconds per op: on a shared, loaded machine a
// steadier figure than wall time.
func reportCPU(b *testing.B) func() {
	start, ok := cpuTime()
	return func() {
		if end, ok2 := cpuTime(); ok && ok2 && b.N > 0 {
			b.ReportMetric(float64(end-start)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
		}
	}
}

func benchPeople(b *testing.B) int {
	if v := os.Getenv("IDSYNC_BENCH_PEOPLE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 100_000
}

func benchID(i int) string    { return fmt.Sprintf("id-%06d", i) }
func benchUser(i int) string  { return fmt.Sprintf("user%06d", i) }
func benchRole(g int) string  { return fmt.Sprintf("role-%04d", g) }
func benchAcc(i int) string   { return fmt.Sprintf("acc-%06d", i) }
func benchGroup(g int) string { return "g-" + benchRole(g) }

// seedIncremental makes a runner whose state and target hold n people,
// linked, as a full run would have left them.
func seedIncremental(b *testing.B, n int) (*Runner, *mapSource, *indexedTarget) {
	b.Helper()
	ctx := context.Background()
	path := filepath.Join(b.TempDir(), "state.db")
	store, err := state.Open(ctx, path)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	src := &mapSource{byID: make(map[string]mapping.Entry, n)}
	tgt := newIndexedTarget()
	people := make([]mapping.Person, 0, n)
	for i := 0; i < n; i++ {
		e := entry(benchID(i), benchUser(i), "Eng", benchRole(i%benchRoles))
		src.byID[e.ID] = e
		src.order = append(src.order, e.ID)
		p, _ := testMapper{}.Map(e, time.Time{})
		people = append(people, p)
		a := p.Account
		a.ID = benchAcc(i)
		tgt.accounts[a.ID] = a
		tgt.byName[strings.ToLower(a.UserName)] = a.ID
		gid := benchGroup(i % benchRoles)
		g := tgt.groups[gid]
		if g == nil {
			g = &targets.Group{ID: gid, DisplayName: benchRole(i % benchRoles)}
			tgt.groups[gid] = g
		}
		g.Members = append(g.Members, a.ID)
		tgt.memberOf[a.ID] = map[string]bool{gid: true}
	}
	for g := 0; g < benchRoles; g++ {
		slices.Sort(tgt.groups[benchGroup(g)].Members)
	}
	seedState(b, store, path, people)
	log := logrus.New()
	log.SetOutput(io.Discard)
	r := &Runner{Source: src, Mapper: testMapper{}, Store: store, Log: log,
		Targets: []TargetSpec{{Name: "t", Target: tgt, Guards: DefaultGuards}}}
	return r, src, tgt
}

// seedState writes the links, group IDs, snapshot and an applied run of
// people (account i is benchAcc(i)) into the store at path.
func seedState(b *testing.B, store *state.Store, path string, people []mapping.Person) {
	b.Helper()
	ctx := context.Background()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		b.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO links (target, source_id, target_id, user_name, dn, active, created, updated)
		VALUES ('t', ?, ?, ?, ?, 1, 1, 1)`)
	if err != nil {
		b.Fatal(err)
	}
	for i, p := range people {
		if _, err := ins.Exec(p.SourceID, benchAcc(i), p.Account.UserName, p.DN); err != nil {
			b.Fatal(err)
		}
	}
	for g := 0; g < benchRoles; g++ {
		if _, err := tx.Exec(`INSERT INTO groups (target, role, group_id, updated) VALUES ('t', ?, ?, 1)`,
			benchRole(g), benchGroup(g)); err != nil {
			b.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		b.Fatal(err)
	}
	run, err := store.StartRun(ctx, "t", state.ModeApply)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	err = store.SaveSnapshot(ctx, "t", run.ID, func() (state.SnapshotEntry, bool, error) {
		if i == len(people) {
			return state.SnapshotEntry{}, false, nil
		}
		p := &people[i]
		i++
		return state.SnapshotEntry{SourceID: p.SourceID, DN: p.DN, UserName: p.Account.UserName,
			InScope: p.InScope, Disabled: p.Disabled, Hash: p.Hash()}, true, nil
	})
	if err != nil {
		b.Fatal(err)
	}
	run.Status, run.SourceCount = state.StatusApplied, len(people)
	if err := store.FinishRun(ctx, run); err != nil {
		b.Fatal(err)
	}
}

// mapSource is a ChangeReader over entries by ID.
type mapSource struct {
	byID  map[string]mapping.Entry
	order []string
}

func (s *mapSource) Read(_ context.Context, fn func(mapping.Entry) error) error {
	for _, id := range s.order {
		if err := fn(s.byID[id].Clone()); err != nil {
			return err
		}
	}
	return nil
}

func (s *mapSource) ReadChanges(_ context.Context, ids, _ []string, fn func(mapping.Entry) error) ([]string, bool, error) {
	for _, id := range ids {
		if e, ok := s.byID[id]; ok {
			if err := fn(e.Clone()); err != nil {
				return nil, false, err
			}
		}
	}
	return slices.Clone(ids), false, nil
}

// indexedTarget is a fakeTarget that finds an account by userName, and
// an account's groups, without going through them all.
type indexedTarget struct {
	*fakeTarget
	byName   map[string]string          // lower-case userName -> account ID
	memberOf map[string]map[string]bool // account ID -> group IDs
}

func newIndexedTarget() *indexedTarget {
	return &indexedTarget{fakeTarget: newFakeTarget(), byName: map[string]string{}, memberOf: map[string]map[string]bool{}}
}

func (f *indexedTarget) FindByUserName(_ context.Context, name string) (targets.Account, error) {
	id, ok := f.byName[strings.ToLower(name)]
	if !ok {
		return targets.Account{}, targets.ErrNotFound
	}
	return f.accounts[id].Clone(), nil
}

func (f *indexedTarget) GetWithGroups(ctx context.Context, id string) (targets.Account, []string, bool, error) {
	a, err := f.Get(ctx, id)
	if err != nil {
		return a, nil, false, err
	}
	groups := []string{}
	for g := range f.memberOf[id] {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	return a, groups, true, nil
}

// ModifyMembers changes the members of group id with a sorted insert or
// delete, and keeps memberOf.
func (f *indexedTarget) ModifyMembers(_ context.Context, id string, add, remove []string) error {
	g, ok := f.groups[id]
	if !ok {
		return targets.ErrNotFound
	}
	for _, m := range add {
		if i, found := slices.BinarySearch(g.Members, m); !found {
			g.Members = slices.Insert(g.Members, i, m)
		}
		if f.memberOf[m] == nil {
			f.memberOf[m] = map[string]bool{}
		}
		f.memberOf[m][id] = true
	}
	for _, m := range remove {
		if i, found := slices.BinarySearch(g.Members, m); found {
			g.Members = slices.Delete(g.Members, i, i+1)
		}
		delete(f.memberOf[m], id)
	}
	return nil
}

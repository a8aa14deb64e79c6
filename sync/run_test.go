package sync

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// sliceSource delivers a copy of each of its entries, or fails after
// failAfter of them.
type sliceSource struct {
	entries   []mapping.Entry
	failAfter int
}

func (s *sliceSource) Read(_ context.Context, fn func(mapping.Entry) error) error {
	for i, e := range s.entries {
		if s.failAfter > 0 && i == s.failAfter {
			return errors.New("connection reset by peer")
		}
		if err := fn(e.Clone()); err != nil {
			return err
		}
	}
	return nil
}

// testMapper maps uid -> userName, ou -> department, group names -> roles.
type testMapper struct{}

func (testMapper) Map(e mapping.Entry, _ time.Time) (mapping.Person, error) {
	p := mapping.Person{SourceID: e.ID, DN: e.DN, InScope: true, Disabled: e.First("disabled") == "yes", Changed: mapping.ChangeTime(&e),
		Account: targets.Account{UserName: e.First("uid"), Active: e.First("disabled") != "yes",
			Attrs: targets.AttrsOf(map[string]string{"department": e.First("ou")})}}
	for _, g := range e.Groups {
		p.Roles = append(p.Roles, mapping.Role{Name: g.Name, Reason: "member of " + g.DN})
	}
	return p, nil
}
func (testMapper) Rule(key string) string   { return "rule(" + key + ")" }
func (testMapper) AttributePaths() []string { return []string{"department", "userName"} }
func (testMapper) Roles() []string          { return nil }

func entry(id, uid, ou string, groups ...string) mapping.Entry {
	e := mapping.Entry{ID: id, DN: "uid=" + uid + ",dc=x", Attrs: mapping.Attrs{{Name: "uid", Values: []string{uid}}, {Name: "ou", Values: []string{ou}}}}
	for _, g := range groups {
		e.Groups = append(e.Groups, mapping.Membership{DN: "cn=" + g + ",dc=x", Name: g})
	}
	return e
}

func people(n int) []mapping.Entry {
	var out []mapping.Entry
	for i := 0; i < n; i++ {
		uid := string(rune('a'+i%26)) + string(rune('a'+i/26))
		out = append(out, entry("id-"+uid, uid, "Eng", "staff"))
	}
	return out
}

// crashingRecorder stops committing after n commits, as if the process
// died right after the target accepted the change.
type crashingRecorder struct {
	*state.Store
	n int
}

var errCrash = errors.New("process killed")

func (c *crashingRecorder) Commit(ctx context.Context, op state.Op) error {
	if c.n == 0 {
		return errCrash
	}
	c.n--
	return c.Store.Commit(ctx, op)
}

func newTestRunner(t *testing.T, src Source, tgt targets.Target) (*Runner, *state.Store) {
	t.Helper()
	store, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := logrus.New()
	log.SetOutput(io.Discard)
	return &Runner{Source: src, Mapper: testMapper{}, Store: store, Log: log,
		Targets: []TargetSpec{{Name: "t", Target: tgt, Guards: DefaultGuards}}}, store
}

func countUsers(f *fakeTarget, name string) int {
	n := 0
	for _, a := range f.accounts {
		if a.UserName == name {
			n++
		}
	}
	return n
}

func TestRunResumesAfterTargetFailure(t *testing.T) {
	tgt := newFakeTarget()
	tgt.failAfter, tgt.failWith = 7, errDown
	src := &sliceSource{entries: people(20)}
	r, _ := newTestRunner(t, src, tgt)
	_, err := r.Run(context.Background(), Options{})
	if !errors.Is(err, errDown) {
		t.Fatalf("first run err = %v, want the target failure", err)
	}
	if len(tgt.accounts) != 7 {
		t.Fatalf("after failure target has %d accounts, want 7", len(tgt.accounts))
	}
	tgt.failAfter = 0
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	// The seven done before the failure are linked; only their role is
	// still missing (groups come after accounts).
	if s := out.Plans[0].Summary; s.Joiners != 13 || s.Movers != 7 || s.Creates != 13 {
		t.Errorf("second run: %+v; want 13 joiners to create and 7 movers", s)
	}
	if len(tgt.accounts) != 20 {
		t.Errorf("target has %d accounts, want 20", len(tgt.accounts))
	}
	assertConverged(t, r)
}

func TestRunCrashBetweenWriteAndCommitMakesNoDuplicate(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(10)}
	r, store := newTestRunner(t, src, tgt)
	rec := &crashingRecorder{Store: store, n: 4}
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	ap := &Applier{Name: "t", Target: tgt, Store: rec, RunID: 1, Log: r.Log, Now: time.Now}
	if _, err := ap.Apply(context.Background(), p); !errors.Is(err, errCrash) {
		t.Fatalf("apply err = %v, want the crash", err)
	}
	// Five accounts exist, four are linked: the fifth was created but its
	// link was lost. The next run must adopt it, not create it again.
	out, err := r.Run(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if s := out.Plans[0].Summary; s.Adopted != 1 || s.Joiners != 5 {
		t.Errorf("recovery run: %d adopted, %d joiners; want 1 and 5", s.Adopted, s.Joiners)
	}
	for _, e := range src.entries {
		if n := countUsers(tgt, e.First("uid")); n != 1 {
			t.Errorf("%s has %d accounts, want 1", e.First("uid"), n)
		}
	}
	assertConverged(t, r)
}

func (r *Runner) planOnly(t *testing.T) (*Plan, error) {
	out, err := r.Run(context.Background(), Options{DryRun: true})
	if err != nil {
		return nil, err
	}
	return out.Plans[0], nil
}

func assertConverged(t *testing.T, r *Runner) {
	t.Helper()
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	if p.Pending() {
		t.Errorf("not converged, still pending: %+v", p.Changes)
	}
}

func TestRunSourceFailureWritesNothing(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(10)}
	r, store := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	before := tgt.writes
	src.failAfter = 3
	_, err := r.Run(context.Background(), Options{})
	if err == nil {
		t.Fatal("a failed read must fail the run")
	}
	if tgt.writes != before {
		t.Errorf("a failed read wrote %d times to the target", tgt.writes-before)
	}
	runs, err := store.Runs(context.Background(), "t", 1)
	if err != nil || len(runs) != 1 || runs[0].Status != "failed" || !strings.Contains(runs[0].Error, "connection reset") {
		t.Errorf("last run = %+v, %v; want a failed run saying why", runs, err)
	}
}

func TestRunGuardRefusesShrunkSource(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(50)}
	r, store := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.entries = src.entries[:20] // 60% gone
	before := tgt.writes
	_, err := r.Run(context.Background(), Options{})
	if !errors.Is(err, ErrGuard) {
		t.Fatalf("err = %v, want a guard refusal", err)
	}
	if tgt.writes != before {
		t.Errorf("a refused run wrote %d times", tgt.writes-before)
	}
	runs, err := store.Runs(context.Background(), "t", 1)
	if err != nil || len(runs) != 1 || runs[0].Status != "refused" {
		t.Errorf("last run = %+v, %v; want status refused", runs, err)
	}
	// The operator looked and allows it.
	if _, err := r.Run(context.Background(), Options{Overrides: Overrides{AllowShrink: true, AllowDeletes: 30}}); err != nil {
		t.Fatal(err)
	}
	active := 0
	for _, a := range tgt.accounts {
		if a.Active {
			active++
		}
	}
	if active != 20 {
		t.Errorf("%d active accounts, want 20", active)
	}
}

func TestRunRejectedChangeDoesNotStopOthers(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(5)}
	tgt.rejectUser = src.entries[2].First("uid")
	r, store := newTestRunner(t, src, tgt)
	out, err := r.Run(context.Background(), Options{})
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "400 bad") {
		t.Fatalf("err = %v, want ErrPartial naming the refusal", err)
	}
	// The refused create, and the group addition of that person it
	// takes with it; the others' additions go through.
	if res := out.Results[0]; res.Failed != 2 || res.Refused != 2 || res.Status != "partial" || len(tgt.accounts) != 4 {
		t.Errorf("result %+v with %d accounts; want 2 refused, partial, 4 accounts", res, len(tgt.accounts))
	}
	var refused []string
	_ = store.Audit(context.Background(), state.AuditFilter{Target: "t", Status: state.AuditRefused}, func(a state.Audit) error {
		refused = append(refused, a.Action+" "+a.Error)
		return nil
	})
	if len(refused) != 2 {
		t.Errorf("refused audit rows %q, want the create and the addition", refused)
	}
	for _, g := range tgt.groups {
		if len(g.Members) != 4 {
			t.Errorf("group %s has %d members, want the 4 created", g.DisplayName, len(g.Members))
		}
	}
}

func TestRunMoverAndLeaverWithRoles(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{
		entry("1", "ann", "Eng", "eng"), entry("2", "bob", "Eng", "eng"), entry("3", "cat", "Sales", "sales")}}
	r, store := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	// ann moves to sales, bob leaves.
	src.entries = []mapping.Entry{entry("1", "ann", "Sales", "sales"), entry("3", "cat", "Sales", "sales")}
	out, err := r.Run(context.Background(), Options{Overrides: Overrides{AllowShrink: true}})
	if err != nil {
		t.Fatal(err)
	}
	s := out.Plans[0].Summary
	if s.Movers != 1 || s.Leavers != 1 {
		t.Errorf("summary %+v, want 1 mover and 1 leaver", s)
	}
	members := map[string][]string{}
	for _, g := range tgt.groups {
		for _, id := range g.Members {
			members[g.DisplayName] = append(members[g.DisplayName], tgt.accounts[id].UserName)
		}
	}
	if len(members["eng"]) != 0 || len(members["sales"]) != 2 {
		t.Errorf("memberships = %v, want eng empty and sales ann+cat", members)
	}
	var kinds []string
	_ = store.Audit(context.Background(), state.AuditFilter{Target: "t", RunID: 2}, func(a state.Audit) error {
		kinds = append(kinds, a.Kind+"/"+a.Action)
		return nil
	})
	// Revocations first: out of the groups, then disabled; then grants.
	want := []string{"group/remove-members", "leaver/disable", "mover/update", "group/add-members"}
	if !slices.Equal(kinds, want) {
		t.Errorf("audit of run 2 = %v, want %v", kinds, want)
	}
	assertConverged(t, r)
}

// badSevens fails to map every person whose uid ends in 7.
type badSevens struct{ testMapper }

func (m badSevens) Map(e mapping.Entry, now time.Time) (mapping.Person, error) {
	if strings.HasSuffix(e.First("uid"), "7") {
		return mapping.Person{}, errors.New("no sevens")
	}
	return m.testMapper.Map(e, now)
}

// TestReadSourceMapsEveryEntryOnce checks that every entry ends up exactly
// once, as a person or as unmapped, in source order and indexed, whatever
// the size hint.
func TestReadSourceMapsEveryEntryOnce(t *testing.T) {
	const n = 1000
	var entries []mapping.Entry
	for i := range n {
		uid := fmt.Sprintf("u%04d", i)
		entries = append(entries, entry("id-"+uid, uid, "Eng"))
	}
	for _, hint := range []int{0, 10, 2 * n} {
		log := logrus.New()
		log.SetOutput(io.Discard)
		r := &Runner{Source: &sliceSource{entries: entries}, Mapper: badSevens{}, Log: log}
		src, err := r.readSource(context.Background(), time.Now(), hint, nil)
		if err != nil {
			t.Fatalf("hint %d: %v", hint, err)
		}
		var wantPeople, wantUnmapped []string
		for _, e := range entries {
			if strings.HasSuffix(e.ID, "7") {
				wantUnmapped = append(wantUnmapped, e.ID)
			} else {
				wantPeople = append(wantPeople, e.ID)
			}
		}
		var gotPeople, gotUnmapped []string
		for i, p := range src.people {
			gotPeople = append(gotPeople, p.SourceID)
			if k, ok := src.index.bySource[p.SourceID]; !ok || int(k) != i {
				t.Errorf("hint %d: %s indexed at %d, %v; it is at %d", hint, p.SourceID, k, ok, i)
			}
		}
		for _, u := range src.unmapped {
			gotUnmapped = append(gotUnmapped, u.SourceID)
			if u.Err != "no sevens" {
				t.Errorf("hint %d: unexpected unmapped %+v", hint, u)
			}
		}
		if !slices.Equal(gotPeople, wantPeople) || !slices.Equal(gotUnmapped, wantUnmapped) {
			t.Errorf("hint %d: people %d, unmapped %d, or their order, differ from the source's (%d, %d)",
				hint, len(gotPeople), len(gotUnmapped), len(wantPeople), len(wantUnmapped))
		}
		if src.index.Len() != len(src.people) {
			t.Errorf("hint %d: index of %d people, want %d", hint, src.index.Len(), len(src.people))
		}
	}
}

// TestRunRefusesDuplicateSourceIDs: two people with one ID stop the run
// before any plan; nothing reaches the target.
func TestRunRefusesDuplicateSourceIDs(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: append(people(5), entry("id-aa", "zed", "Eng"))}
	r, _ := newTestRunner(t, src, tgt)
	_, err := r.Run(context.Background(), Options{})
	want := `read source: uid=aa,dc=x and uid=zed,dc=x have the same ID "id-aa"; is id_attribute unique?`
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %s", err, want)
	}
	if len(tgt.accounts) != 0 {
		t.Errorf("target has %d accounts after a refused read", len(tgt.accounts))
	}
}

package sync

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// changeSource is a ChangeReader over a slice of entries the test edits.
// ReadChanges delivers the entries whose IDs it is given, and for a group
// DN the people the test says joined or left it (touched).
type changeSource struct {
	sliceSource
	touched map[string][]string // group DN -> IDs whose memberships it changed
	full    bool                // ReadChanges answers full
	reads   int                 // full Reads
	listed  []string            // what ChangedSince answers
	since   time.Time           // what ChangedSince was asked
}

func (s *changeSource) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	s.reads++
	return s.sliceSource.Read(ctx, fn)
}

func (s *changeSource) ReadChanges(_ context.Context, ids, groups []string, fn func(mapping.Entry) error) ([]string, bool, error) {
	if s.full {
		return nil, true, nil
	}
	covered := slices.Clone(ids)
	for _, g := range groups {
		covered = append(covered, s.touched[g]...)
	}
	for _, e := range s.entries {
		if slices.Contains(covered, e.ID) {
			if err := fn(e.Clone()); err != nil {
				return nil, false, err
			}
		}
	}
	return covered, false, nil
}

// ChangedSince returns the IDs set in listed, and records since.
func (s *changeSource) ChangedSince(_ context.Context, since time.Time) ([]string, []string, error) {
	s.since = since
	return s.listed, nil, nil
}

func (s *changeSource) set(e mapping.Entry) {
	for i := range s.entries {
		if s.entries[i].ID == e.ID {
			s.entries[i] = e
			return
		}
	}
	s.entries = append(s.entries, e)
}

func (s *changeSource) remove(id string) {
	s.entries = slices.DeleteFunc(s.entries, func(e mapping.Entry) bool { return e.ID == id })
}

// incrementalSetup applies a full run of 20 people in role "staff" (and
// "ops" for the first two), and returns the runner ready for changes.
func incrementalSetup(t *testing.T) (*Runner, *changeSource, *fakeTarget, *state.Store) {
	t.Helper()
	entries := people(20)
	entries[0] = entry(entries[0].ID, "aa", "Eng", "staff", "ops")
	entries[1] = entry(entries[1].ID, "ba", "Eng", "staff", "ops")
	src := &changeSource{sliceSource: sliceSource{entries: entries}, touched: map[string][]string{}}
	tgt := newFakeTarget()
	r, store := newTestRunner(t, src, tgt)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	src.reads, tgt.lists, tgt.gets = 0, 0, 0
	return r, src, tgt, store
}

// converged checks that a full plan now finds nothing to do: the
// incremental runs left the target and the state as a full run would.
func converged(t *testing.T, r *Runner) {
	t.Helper()
	out, err := r.Run(context.Background(), Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Plans[0]; p.Pending() {
		t.Errorf("a full plan after the incremental runs still has changes: %s", SummaryLine(p))
	}
}

func accountNamed(f *fakeTarget, name string) (targets.Account, bool) {
	for _, a := range f.accounts {
		if a.UserName == name {
			return a, true
		}
	}
	return targets.Account{}, false
}

func roleMembers(f *fakeTarget, role string) []string {
	for _, g := range f.groups {
		if g.DisplayName == role {
			var names []string
			for _, id := range g.Members {
				names = append(names, f.accounts[id].UserName)
			}
			slices.Sort(names)
			return names
		}
	}
	return nil
}

func TestRunChanges(t *testing.T) {
	ctx := context.Background()
	r, src, tgt, store := incrementalSetup(t)
	id := func(i int) string { return src.entries[i].ID }

	// A mover, a leaver (deleted from the directory), a joiner, and
	// someone who leaves "ops" (a mover too): one incremental run.
	src.set(entry(id(3), "da", "Sales", "staff"))
	gone := id(5)
	src.remove(gone)
	src.set(entry("id-new", "newbie", "Eng", "staff"))
	src.set(entry(id(1), "ba", "Eng", "staff"))
	src.touched["cn=ops,dc=x"] = []string{id(1)}
	out, err := r.RunChanges(ctx, Options{}, Changes{IDs: []string{id(3), gone, "id-new"}, Groups: []string{"cn=ops,dc=x"}})
	if err != nil {
		t.Fatal(err)
	}
	p := out.Plans[0]
	if p.Incremental == nil || p.Incremental.People != 4 || p.Incremental.Linked != 20 {
		t.Fatalf("plan.Incremental = %+v, want 4 people of 20 linked", p.Incremental)
	}
	s := p.Summary
	if s.Joiners != 1 || s.Movers != 2 || s.Leavers != 1 || s.MembersRemoved != 2 || s.MembersAdded != 1 {
		t.Errorf("summary = %s", SummaryLine(p))
	}
	if !strings.HasPrefix(SummaryLine(p), "Incremental, 4 people: ") {
		t.Errorf("summary line = %q", SummaryLine(p))
	}
	if src.reads != 0 || tgt.lists != 0 {
		t.Errorf("an incremental run read the whole source %d times and listed the target %d times", src.reads, tgt.lists)
	}
	if tgt.gets > 4 {
		t.Errorf("%d accounts read, want at most the 4 covered", tgt.gets)
	}
	if a, _ := accountNamed(tgt, "da"); a.Attrs.Get("department") != "Sales" {
		t.Errorf("mover not updated: %+v", a)
	}
	if a, _ := accountNamed(tgt, "fa"); a.Active {
		t.Errorf("leaver still active: %+v", a)
	}
	if _, ok := accountNamed(tgt, "newbie"); !ok {
		t.Error("joiner not created")
	}
	if got := roleMembers(tgt, "ops"); !slices.Equal(got, []string{"aa"}) {
		t.Errorf("ops = %v, want [aa]", got)
	}
	if got := roleMembers(tgt, "staff"); slices.Contains(got, "fa") || !slices.Contains(got, "newbie") {
		t.Errorf("staff = %v: the leaver must leave, the joiner join", got)
	}
	// The snapshot and the run's count follow the changes.
	if n, _, _ := store.SnapshotInScope(ctx, "t"); n != 20 {
		t.Errorf("snapshot in scope = %d, want 20", n)
	}
	if n, ok, _ := store.LastSourceCount(ctx, "t"); !ok || n != 20 {
		t.Errorf("last source count = %d, %v, want 20", n, ok)
	}
	converged(t, r)
}

// TestRunChangesFallsBackToFull runs a full reconciliation whenever the
// incremental pass could not be sure of its plan.
func TestRunChangesFallsBackToFull(t *testing.T) {
	tests := []struct {
		name, why string
		change    func(src *changeSource, tgt *fakeTarget, store *state.Store) Changes
	}{
		{"source does not know", "does not know what the changes touch", func(src *changeSource, _ *fakeTarget, _ *state.Store) Changes {
			src.full = true
			return Changes{IDs: []string{src.entries[2].ID}}
		}},
		{"target does not report groups", "did not report the groups", func(src *changeSource, tgt *fakeTarget, _ *state.Store) Changes {
			tgt.hideGroups = true
			return Changes{IDs: []string{src.entries[2].ID}}
		}},
		{"role without a group yet", `role "admins" has no group`, func(src *changeSource, _ *fakeTarget, _ *state.Store) Changes {
			src.set(entry(src.entries[2].ID, "ca", "Eng", "staff", "admins"))
			return Changes{IDs: []string{src.entries[2].ID}}
		}},
		{"joiner's userName held by a linked account", `userName "ca" is linked to`, func(src *changeSource, _ *fakeTarget, _ *state.Store) Changes {
			src.set(entry("id-other", "ca", "Eng", "staff"))
			return Changes{IDs: []string{"id-other"}}
		}},
		{"write without a recorded outcome", "1 earlier writes have no recorded outcome", func(src *changeSource, _ *fakeTarget, store *state.Store) Changes {
			if _, err := store.Begin(context.Background(), state.Audit{Target: "t", Kind: "joiner", Action: "create", UserName: "x"}); err != nil {
				panic(err)
			}
			return Changes{IDs: []string{src.entries[2].ID}}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, src, tgt, store := incrementalSetup(t)
			logs := test.NewLocal(r.Log.(*logrus.Logger))
			out, err := r.RunChanges(context.Background(), Options{}, tt.change(src, tgt, store))
			if err != nil && !errors.Is(err, ErrPartial) {
				t.Fatal(err)
			}
			if src.reads != 1 || tgt.lists != 1 || out.Plans[0].Incremental != nil {
				t.Errorf("reads %d, lists %d, incremental %+v: want one full run", src.reads, tgt.lists, out.Plans[0].Incremental)
			}
			var why []string
			for _, e := range logs.AllEntries() {
				if e.Message == "incremental run not possible: running a full reconciliation" {
					why = append(why, e.Data["why"].(string))
				}
			}
			if len(why) != 1 || !strings.Contains(why[0], tt.why) {
				t.Errorf("logged why = %q, want one containing %q", why, tt.why)
			}
		})
	}
}

func TestRunChangesNeedsAFullRunFirst(t *testing.T) {
	src := &changeSource{sliceSource: sliceSource{entries: people(3)}}
	tgt := newFakeTarget()
	r, _ := newTestRunner(t, src, tgt)
	out, err := r.RunChanges(context.Background(), Options{}, Changes{IDs: []string{src.entries[0].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if src.reads != 1 || out.Plans[0].Incremental != nil || len(tgt.accounts) != 3 {
		t.Errorf("reads %d, incremental %+v, %d accounts: want a full run", src.reads, out.Plans[0].Incremental, len(tgt.accounts))
	}
}

// TestRunChangesGuards: the removal limits hold for an incremental run,
// in percent of every managed account, not of the few it covers.
func TestRunChangesGuards(t *testing.T) {
	ctx := context.Background()
	r, src, tgt, _ := incrementalSetup(t)
	r.Targets[0].Guards = Guards{MaxDeletes: 2, MaxDeletesPercent: 50, MaxSourceShrinkPercent: 1}
	var ids []string
	for i := 10; i < 13; i++ {
		ids = append(ids, src.entries[i].ID)
	}
	for _, id := range ids {
		src.remove(id)
	}
	_, err := r.RunChanges(ctx, Options{}, Changes{IDs: ids})
	if !errors.Is(err, ErrGuard) || !strings.Contains(err.Error(), "max_deletes = 2") {
		t.Fatalf("three leavers past max_deletes = 2: err = %v", err)
	}
	if strings.Contains(err.Error(), "max_deletes_percent") || strings.Contains(err.Error(), "shrink") {
		t.Errorf("percent and shrink limits judged on the covered people alone: %v", err)
	}
	for _, a := range tgt.accounts {
		if !a.Active {
			t.Fatalf("refused run disabled %s", a.UserName)
		}
	}
	if _, err := r.RunChanges(ctx, Options{Overrides: Overrides{AllowDeletes: 3}}, Changes{IDs: ids}); err != nil {
		t.Fatal(err)
	}
	converged(t, r)
}

// TestRunChangesDryRun plans without writing, and leaves the snapshot.
func TestRunChangesDryRun(t *testing.T) {
	ctx := context.Background()
	r, src, tgt, store := incrementalSetup(t)
	src.set(entry(src.entries[4].ID, "ea", "Sales", "staff"))
	before := tgt.writes
	out, err := r.RunChanges(ctx, Options{DryRun: true}, Changes{IDs: []string{src.entries[4].ID}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Plans[0].Summary.Movers != 1 || tgt.writes != before {
		t.Errorf("dry run: %s, %d writes", SummaryLine(out.Plans[0]), tgt.writes-before)
	}
	var hash string
	store.Snapshot(ctx, "t", func(e state.SnapshotEntry) error {
		if e.SourceID == src.entries[4].ID {
			hash = e.Hash
		}
		return nil
	})
	p, _ := (testMapper{}).Map(src.entries[4], r.now())
	if hash == p.Hash() {
		t.Error("a dry run updated the snapshot")
	}
}

// TestRunSince polls: an incremental run over what the source lists as
// changed; nothing at all when nothing changed; a full run without a time
// to count from.
func TestRunSince(t *testing.T) {
	ctx := context.Background()
	r, src, tgt, _ := incrementalSetup(t)
	at := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	out, err := r.RunSince(ctx, Options{}, at)
	if err != nil || len(out.Plans) != 0 || !src.since.Equal(at) {
		t.Fatalf("nothing listed: %+v, %v, asked since %v", out, err, src.since)
	}
	src.set(entry(src.entries[6].ID, "ga", "Legal", "staff"))
	src.listed = []string{src.entries[6].ID}
	out, err = r.RunSince(ctx, Options{}, at)
	if err != nil {
		t.Fatal(err)
	}
	if p := out.Plans[0]; p.Incremental == nil || p.Summary.Movers != 1 || src.reads != 0 || tgt.lists != 0 {
		t.Errorf("poll: %s, %d reads, %d lists", SummaryLine(p), src.reads, tgt.lists)
	}
	if out, err := r.RunSince(ctx, Options{}, time.Time{}); err != nil || out.Plans[0].Incremental != nil || src.reads != 1 {
		t.Errorf("a poll without a time ran %+v, %v, %d reads: want a full run", out, err, src.reads)
	}
	converged(t, r)
}

// TestRunChangesDeletedReason: a person the source reports deleted from
// the directory (Changes.Deleted: AD tombstones) leaves with the reason
// "deleted"; one only gone from the changes' read, "gone from the source".
func TestRunChangesDeletedReason(t *testing.T) {
	r, src, _, _ := incrementalSetup(t)
	deleted, gone := src.entries[5].ID, src.entries[6].ID
	src.remove(deleted)
	src.remove(gone)
	out, err := r.RunChanges(context.Background(), Options{DryRun: true},
		Changes{IDs: []string{deleted, gone}, Deleted: []string{deleted}})
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for _, c := range out.Plans[0].Changes {
		if c.Kind == Leaver {
			why[c.SourceID] = c.Reasons[0]
		}
	}
	if !strings.HasPrefix(why[deleted], "deleted") || !strings.HasPrefix(why[gone], "gone from the source") {
		t.Errorf("leaver reasons = %v", why)
	}
}

// TestRunChangesGoneAt: a person a watcher reported deleted (a syncrepl
// delete, which carries no time) leaves with the report's arrival as the
// directory's time, kept in the audit and read back by the leavers
// report; one the changes only found gone has the run's start.
func TestRunChangesGoneAt(t *testing.T) {
	r, src, _, store := incrementalSetup(t)
	ctx := context.Background()
	reported, gone := src.entries[5].ID, src.entries[6].ID
	src.remove(reported)
	src.remove(gone)
	arrived := time.Date(2026, 3, 2, 9, 30, 15, 0, time.FixedZone("CET", 3600)) // before the run (the store's clock)
	if _, err := r.RunChanges(ctx, Options{}, Changes{IDs: []string{reported, gone}, GoneAt: map[string]time.Time{reported: arrived}}); err != nil {
		t.Fatal(err)
	}
	ls, err := store.Leavers(ctx, time.Time{}, "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]state.Leaver{}
	for _, l := range ls {
		got[l.SourceID] = l
	}
	if l := got[reported]; !l.Detected.Equal(arrived) || l.DetectedBy != ChangedByNotice {
		t.Errorf("reported leaver detected %s by %q, want %s by %q", l.Detected, l.DetectedBy, arrived.UTC(), ChangedByNotice)
	}
	if l := got[gone]; l.DetectedBy != state.DetectedByRun {
		t.Errorf("gone leaver detected by %q, want %q", l.DetectedBy, state.DetectedByRun)
	}
}

// markSource is a changeSource that lists changes by watermark.
type markSource struct {
	*changeSource
	full    bool     // ChangedAfter answers full (another DC's mark)
	asked   []byte   // the mark ChangedAfter was given
	deleted []string // the people ChangedAfter says were deleted
}

var _ WatermarkLister = (*markSource)(nil)

func (s *markSource) Watermark(context.Context) ([]byte, error) { return []byte("mark"), nil }

func (s *markSource) ChangedAfter(_ context.Context, mark []byte) ([]string, []string, []string, bool, error) {
	s.asked = mark
	if s.full {
		return nil, nil, nil, true, nil
	}
	return s.listed, nil, s.deleted, false, nil
}

// TestRunAfter: a poll by watermark runs an incremental pass over what
// the source lists after the mark, nothing when nothing changed, and a
// full reconciliation when the source cannot tell (a failover) or there
// is no mark.
func TestRunAfter(t *testing.T) {
	ctx := context.Background()
	r, src, _, _ := incrementalSetup(t)
	ms := &markSource{changeSource: src}
	r.Source = ms
	reads := src.reads
	src.set(entry(src.entries[2].ID, "ca", "Sales", "staff"))
	src.listed = []string{src.entries[2].ID}
	out, err := r.RunAfter(ctx, Options{}, []byte("m1"))
	if err != nil || len(out.Plans) != 1 || out.Plans[0].Incremental == nil || string(ms.asked) != "m1" {
		t.Fatalf("RunAfter = %+v, %v (asked %q), want an incremental run after m1", out, err, ms.asked)
	}
	// A tombstone the poll lists leaves as "deleted".
	deleted := src.entries[5].ID
	src.remove(deleted)
	src.listed, ms.deleted = []string{deleted}, []string{deleted}
	out, err = r.RunAfter(ctx, Options{}, []byte("m1"))
	if err != nil || len(out.Plans) != 1 || len(out.Plans[0].Changes) != 1 ||
		!strings.HasPrefix(out.Plans[0].Changes[0].Reasons[0], "deleted") {
		t.Fatalf("a deletion listed by the poll: %+v, %v; want a leaver with the reason \"deleted\"", out, err)
	}
	src.listed, ms.deleted = nil, nil
	if out, err := r.RunAfter(ctx, Options{}, []byte("m2")); err != nil || len(out.Plans) != 0 {
		t.Errorf("nothing changed: %+v, %v", out, err)
	}
	ms.full = true
	if _, err := r.RunAfter(ctx, Options{}, []byte("m3")); err != nil || src.reads != reads+1 {
		t.Errorf("another DC's mark: %v, %d full reads, want 1", err, src.reads-reads)
	}
	if _, err := r.RunAfter(ctx, Options{}, nil); err != nil || src.reads != reads+2 {
		t.Errorf("no mark: %v, %d full reads, want 2", err, src.reads-reads)
	}
}

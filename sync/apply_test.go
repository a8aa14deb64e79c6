package sync

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// stuckTarget records the order of writes; a create hangs until ctx ends,
// and cancels the run as soon as it is called (the operator's ^C while a
// joiner is stuck).
type stuckTarget struct {
	*fakeTarget
	calls  []string
	cancel context.CancelFunc
}

func (s *stuckTarget) Create(ctx context.Context, a targets.Account) (string, error) {
	s.calls = append(s.calls, "create "+a.UserName)
	s.cancel()
	<-ctx.Done()
	return "", ctx.Err()
}

func (s *stuckTarget) Deactivate(ctx context.Context, id string) error {
	s.calls = append(s.calls, "disable "+s.accounts[id].UserName)
	return s.fakeTarget.Deactivate(ctx, id)
}

func (s *stuckTarget) ModifyMembers(ctx context.Context, id string, add, remove []string) error {
	for _, m := range remove {
		s.calls = append(s.calls, "remove "+s.accounts[m].UserName)
	}
	return s.fakeTarget.ModifyMembers(ctx, id, add, remove)
}

// TestStuckJoinerDoesNotDelayLeaver: a leaver leaves its groups and is
// disabled before any joiner is created, so a create that hangs (and the
// run stopped on it) cannot keep a leaver's access; the hung create's
// audit row says it failed.
func TestStuckJoinerDoesNotDelayLeaver(t *testing.T) {
	fake := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng", "eng"), entry("2", "bob", "Eng", "eng")}}
	r, store := newTestRunner(t, src, fake)
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	// bob leaves, cy joins (and would sort before bob's name).
	src.entries = []mapping.Entry{entry("1", "ann", "Eng", "eng"), entry("0", "abe", "Eng", "eng")}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stuck := &stuckTarget{fakeTarget: fake, cancel: cancel}
	r.Targets[0].Target = stuck
	_, err := r.Run(ctx, Options{Overrides: Overrides{AllowShrink: true}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	want := []string{"remove bob", "disable bob", "create abe"}
	if strings.Join(stuck.calls, ", ") != strings.Join(want, ", ") {
		t.Errorf("calls = %q, want %q", stuck.calls, want)
	}
	rows := auditOf(t, store, state.AuditFilter{Target: "t", UserName: "abe"})
	if len(rows) != 1 || rows[0].Status != state.AuditFailed || !strings.Contains(rows[0].Error, "canceled") {
		t.Errorf("audit of the stuck create = %+v, want one failed row", rows)
	}
}

// failingStore fails every Commit once on, as a state store whose disk
// filled up right after a target write.
type failingStore struct {
	*state.Store
	failing bool
}

func (f *failingStore) Commit(ctx context.Context, op state.Op) error {
	if f.failing {
		return errors.New("state: commit: disk I/O error")
	}
	return f.Store.Commit(ctx, op)
}

// TestWriteAuditedWhenCommitFails: the audit row of a target write exists
// even when the commit after the write fails; the next plan reports it and
// the next apply settles it.
func TestWriteAuditedWhenCommitFails(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng")}}
	r, store := newTestRunner(t, src, tgt)
	fs := &failingStore{Store: store, failing: true}
	r.Store = fs
	if _, err := r.Run(context.Background(), Options{}); err == nil || !strings.Contains(err.Error(), "disk I/O") {
		t.Fatalf("err = %v, want the commit's", err)
	}
	if len(tgt.accounts) != 1 {
		t.Fatalf("%d accounts; the create should have reached the target", len(tgt.accounts))
	}
	rows := auditOf(t, store, state.AuditFilter{Target: "t", UserName: "ann"})
	if len(rows) != 1 || rows[0].Action != "create" || rows[0].Status != state.AuditPending {
		t.Fatalf("audit = %+v, want ann's create, pending", rows)
	}
	r.Store = store
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Warnings) != 1 || !strings.Contains(p.Warnings[0], `joiner create "ann"`) {
		t.Errorf("plan warnings = %q, want the pending create reported", p.Warnings)
	}
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if rows := auditOf(t, store, state.AuditFilter{Target: "t", Status: state.AuditPending}); len(rows) != 0 {
		t.Errorf("still pending after an apply: %+v", rows)
	}
	if len(tgt.accounts) != 1 {
		t.Errorf("%d accounts, want ann's adopted, not duplicated", len(tgt.accounts))
	}
}

// TestRefusedGroupsAreNotApplied: a target that refuses every group create
// gets its accounts, but no role grant is counted or recorded as applied;
// the run is partial and says why.
func TestRefusedGroupsAreNotApplied(t *testing.T) {
	tgt := newFakeTarget()
	tgt.rejectGroups = true
	src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng", "eng"), entry("2", "bob", "Eng", "eng", "ops")}}
	r, store := newTestRunner(t, src, tgt)
	out, err := r.Run(context.Background(), Options{})
	if !errors.Is(err, ErrPartial) || !strings.Contains(err.Error(), "400 invalidValue") {
		t.Fatalf("err = %v, want ErrPartial with the target's answer", err)
	}
	res := out.Results[0]
	// 2 creates applied; 2 group creates refused and their 2 additions not sent.
	if res.Status != "partial" || res.Applied != 2 || res.Refused != 4 || res.Failed != 4 {
		t.Errorf("result = %+v, want 2 applied, 4 refused, partial", res)
	}
	runs, _ := store.Runs(context.Background(), "t", 1)
	if len(runs) != 1 || runs[0].Status != state.StatusPartial || !strings.Contains(runs[0].Summary, "refused 4") {
		t.Errorf("run = %+v, want partial with the refusals counted", runs)
	}
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
		if a.Kind == "group" && a.Status != state.AuditRefused {
			t.Errorf("group audit row %s %s has status %s, want refused", a.Action, a.UserName, a.Status)
		}
		if a.Kind == "group" && a.Action == "add-members" && !strings.Contains(a.Error, "400 invalidValue") {
			t.Errorf("refused grant does not carry the target's answer: %q", a.Error)
		}
		for _, why := range a.Reasons {
			if a.Kind != "group" && strings.HasPrefix(why, "role +") {
				t.Errorf("account audit row claims a role grant: %q", why)
			}
		}
	}
}

// TestShortListingIsCheckedByID: accounts a listing did not show are read
// by ID before their links are dropped; a listing missing most linked
// accounts, or repeating a page, stops the run before any write.
func TestShortListingIsCheckedByID(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(40)}
	r, store := newTestRunner(t, src, tgt)
	ctx := context.Background()
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	writes := tgt.writes

	tgt.listLimit = 10 // a server capping its pages, claiming that was all
	_, err := r.Run(ctx, Options{})
	if !errors.Is(err, ErrGuard) || !strings.Contains(err.Error(), "listed 10 of the 40 accounts") ||
		!strings.Contains(err.Error(), "--allow-missing") {
		t.Fatalf("err = %v, want the listing guard with seen vs recorded and the override", err)
	}
	runs, _ := store.Runs(ctx, "t", 1)
	if len(runs) != 1 || runs[0].Status != state.StatusRefused {
		t.Errorf("run = %+v, want refused", runs)
	}
	// Overridden, every missing account is read by ID: none is gone.
	out, err := r.Run(ctx, Options{Overrides: Overrides{AllowMissing: true}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Plans[0].Pending() || tgt.writes != writes {
		t.Errorf("a short listing led to changes: %+v", out.Plans[0].Changes)
	}

	tgt.listLimit = 39 // under the threshold: checked by ID without asking
	if out, err := r.Run(ctx, Options{}); err != nil || out.Plans[0].Pending() {
		t.Fatalf("one missing account: err %v, plan %+v", err, out.Plans[0].Changes)
	}
	tgt.listLimit = 0

	tgt.repeatFirst = true
	if _, err := r.Run(ctx, Options{}); !errors.Is(err, ErrGuard) || !strings.Contains(err.Error(), "twice") {
		t.Fatalf("err = %v, want a refusal of the repeated page", err)
	}
	if tgt.writes != writes {
		t.Errorf("%d writes after refused runs", tgt.writes-writes)
	}
}

// wrongGetter answers every Get with the first account it has, as a
// server that ignores the ID in the path would.
type wrongGetter struct{ *fakeTarget }

func (w wrongGetter) Get(ctx context.Context, id string) (targets.Account, error) {
	return w.fakeTarget.Get(ctx, "u001")
}

// TestGetByIDAnswersForThatID: a linked account missing from the listing
// is taken as present only when reading it by ID returns that account; a
// target answering with another one stops the run before any write.
func TestGetByIDAnswersForThatID(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: people(5)}
	r, _ := newTestRunner(t, src, tgt)
	ctx := context.Background()
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	writes := tgt.writes
	r.Targets[0].Target = wrongGetter{tgt}
	tgt.listLimit = 4 // the last account is missing from the listing
	_, err := r.Run(ctx, Options{})
	if err == nil || !strings.Contains(err.Error(), "answered with account") {
		t.Fatalf("err = %v, want the wrong answer named", err)
	}
	if tgt.writes != writes {
		t.Errorf("%d writes after a wrong answer", tgt.writes-writes)
	}
}

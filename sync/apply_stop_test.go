package sync

import (
	"context"
	"errors"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// stopOnNext is a state store where idsync is told to stop just as the
// outcome of a write is committed with the next write's intent.
type stopOnNext struct {
	*state.Store
	cancel context.CancelFunc
}

func (s *stopOnNext) Commit(ctx context.Context, op state.Op) error {
	if op.Next != nil {
		s.cancel()
	}
	return s.Store.Commit(ctx, op)
}

// TestStopKeepsHeldOutcome: idsync is told to stop as the outcome of
// ann's create is committed with the intent of bob's: the commit fails,
// nothing is sent for bob, and ann's create (in the target) still has
// its outcome and link recorded, not a pending row.
func TestStopKeepsHeldOutcome(t *testing.T) {
	tgt := newFakeTarget()
	src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng"), entry("2", "bob", "Eng")}}
	r, store := newTestRunner(t, src, tgt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.Store = &stopOnNext{Store: store, cancel: cancel}
	if _, err := r.Run(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if len(tgt.accounts) != 1 {
		t.Fatalf("%d accounts, want the first create only", len(tgt.accounts))
	}
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
		if a.Status == state.AuditPending {
			t.Errorf("pending audit row left: %s %s", a.Action, a.UserName)
		}
	}
	for id := range tgt.accounts {
		if _, err := store.LinkOf(context.Background(), "t", id); err != nil {
			t.Errorf("the created account is not linked: %v", err)
		}
	}
}

// stopAfterCreate is a target whose creates succeed as idsync is told to
// stop: the answer arrives, the run's ctx is done.
type stopAfterCreate struct {
	*fakeTarget
	cancel context.CancelFunc
}

func (s *stopAfterCreate) Create(ctx context.Context, a targets.Account) (string, error) {
	id, err := s.fakeTarget.Create(ctx, a)
	s.cancel()
	return id, err
}

func (s *stopAfterCreate) CreateGroup(ctx context.Context, name string) (string, error) {
	id, err := s.fakeTarget.CreateGroup(ctx, name)
	s.cancel()
	return id, err
}

// TestStopAfterAcceptedWrite: the target accepts a create (of an account,
// of a group) just as idsync is told to stop: the write is recorded as
// applied with its link or group ID, not left pending.
func TestStopAfterAcceptedWrite(t *testing.T) {
	for _, c := range []struct {
		name    string
		prepare func(tgt *fakeTarget)
	}{
		{"account", func(*fakeTarget) {}},
		{"group", func(tgt *fakeTarget) { tgt.accounts["a1"] = targets.Account{ID: "a1", UserName: "ann", Active: true} }},
	} {
		t.Run(c.name, func(t *testing.T) {
			tgt := newFakeTarget()
			c.prepare(tgt)
			src := &sliceSource{entries: []mapping.Entry{entry("1", "ann", "Eng", "eng")}}
			r, store := newTestRunner(t, src, nil)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			r.Targets[0].Target = &stopAfterCreate{fakeTarget: tgt, cancel: cancel}
			if _, err := r.Run(ctx, Options{}); !errors.Is(err, context.Canceled) {
				t.Fatalf("err = %v, want the cancellation", err)
			}
			for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
				if a.Status == state.AuditPending {
					t.Errorf("pending audit row left: %s %s", a.Action, a.UserName)
				}
			}
			if c.name == "account" {
				for id := range tgt.accounts {
					if _, err := store.LinkOf(context.Background(), "t", id); err != nil {
						t.Errorf("the created account is not linked: %v", err)
					}
				}
				return
			}
			ids, err := store.GroupIDs(context.Background(), "t")
			if err != nil {
				t.Fatal(err)
			}
			if len(ids) != 1 {
				t.Errorf("group IDs = %v, want the created group's", ids)
			}
		})
	}
}

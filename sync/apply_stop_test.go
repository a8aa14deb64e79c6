package sync

import (
	"context"
	"errors"
	"testing"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
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

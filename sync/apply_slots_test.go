package sync

import (
	"context"
	gosync "sync"
	"testing"
	"time"

	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// heldCreates is a fake target whose creates wait for release, noting
// each start on started and the most in flight at once.
type heldCreates struct {
	*fakeTarget
	started chan string
	release chan struct{}

	mu                    gosync.Mutex
	inFlight, maxInFlight int
}

func (h *heldCreates) Create(ctx context.Context, a targets.Account) (string, error) {
	h.mu.Lock()
	h.inFlight++
	h.maxInFlight = max(h.maxInFlight, h.inFlight)
	h.mu.Unlock()
	h.started <- a.UserName
	<-h.release
	h.mu.Lock()
	defer h.mu.Unlock()
	h.inFlight--
	return h.fakeTarget.Create(ctx, a)
}

// intentSpy notes the userName of each intent once it is committed.
type intentSpy struct {
	*state.Store
	intents chan string
}

func (s intentSpy) Begin(ctx context.Context, a state.Audit) (int64, error) {
	id, err := s.Store.Begin(ctx, a)
	if err == nil {
		s.intents <- a.UserName
	}
	return id, err
}

func (s intentSpy) Commit(ctx context.Context, op state.Op) error {
	err := s.Store.Commit(ctx, op)
	if err == nil && op.Next != nil {
		s.intents <- op.Next.UserName
	}
	return err
}

// TestIntentsRecordedWhileWritesInFlight: at concurrency 2, while two
// creates are in flight the next two have their intents committed, and
// are not sent until a write in flight ends: the target never sees more
// than 2 at once, and the apply ends with every create applied.
func TestIntentsRecordedWhileWritesInFlight(t *testing.T) {
	const n = 6
	tgt := &heldCreates{fakeTarget: newFakeTarget(), started: make(chan string, n), release: make(chan struct{})}
	r, store := newTestRunner(t, &sliceSource{entries: people(n)}, nil)
	r.Targets[0].Target = tgt
	p, err := r.planOnly(t)
	if err != nil {
		t.Fatal(err)
	}
	spy := intentSpy{Store: store, intents: make(chan string, 2*n)}
	ap := &Applier{Name: "t", Target: tgt, Store: spy, RunID: 1, Log: r.Log, Now: time.Now, Concurrency: 2}
	done := make(chan error, 1)
	go func() {
		_, err := ap.Apply(context.Background(), p)
		done <- err
	}()
	sent := map[string]bool{<-tgt.started: true, <-tgt.started: true}
	recorded := map[string]bool{}
	for len(recorded) < 4 {
		recorded[<-spy.intents] = true
	}
	for u := range sent {
		if !recorded[u] {
			t.Errorf("%s was sent without its intent", u)
		}
	}
	select {
	case u := <-tgt.started:
		t.Fatalf("%s was sent while two writes were in flight", u)
	default:
	}
	close(tgt.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if tgt.maxInFlight != 2 || len(tgt.accounts) != n {
		t.Errorf("%d creates in flight at most and %d accounts, want 2 and %d", tgt.maxInFlight, len(tgt.accounts), n)
	}
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
		if a.Status != state.AuditApplied {
			t.Errorf("audit %s %s: %s, want applied", a.Action, a.UserName, a.Status)
		}
	}
}

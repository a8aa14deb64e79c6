package sync

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/progress"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/state"
	"github.com/idsync/idsync/targets"
)

// Write phases as concTarget sees them.
const (
	phaseRemoveMembers = iota
	phaseRevoke
	phaseAccounts
	phaseGroups
)

// concTarget is a fakeTarget safe for concurrent use that watches the
// writes: it notes two writes to one object at once, the most writes in
// flight, the order in which writes of each phase start and end, and
// (with store set) whether each write's intent is on record as it starts.
// With gate set, the first creates wait until gate writes are in flight,
// so that a test sees the concurrency without relying on timing.
type concTarget struct {
	f     *fakeTarget
	t     *testing.T
	store *state.Store

	mu          gosync.Mutex
	inFlight    map[string]int
	running     int
	maxRunning  int
	events      []string // "start 2 user:ann", "end 2 user:ann"
	overlaps    []string
	noIntent    []string
	attempts    int
	afterFailed int // attempts started after a write failed with a non-object error
	failed      bool
	gate        int
	gateOpen    chan struct{}
}

func newConcTarget(t *testing.T, f *fakeTarget, gate int) *concTarget {
	return &concTarget{f: f, t: t, inFlight: map[string]int{}, gate: gate, gateOpen: make(chan struct{})}
}

// begin notes the start of a write of phase to obj, audited as action on
// name.
func (c *concTarget) begin(phase int, obj, action, name string) {
	c.mu.Lock()
	c.attempts++
	if c.failed {
		c.afterFailed++
	}
	c.inFlight[obj]++
	if c.inFlight[obj] > 1 {
		c.overlaps = append(c.overlaps, obj)
	}
	c.running++
	c.maxRunning = max(c.maxRunning, c.running)
	c.events = append(c.events, fmt.Sprintf("start %d %s", phase, obj))
	if c.store != nil && !c.intentOnRecord(action, name) {
		c.noIntent = append(c.noIntent, action+" "+name)
	}
	wait := c.gate > 0 && phase == phaseAccounts
	if wait && c.running >= c.gate {
		close(c.gateOpen)
		c.gate = 0
	}
	c.mu.Unlock()
	if wait {
		select {
		case <-c.gateOpen:
		case <-time.After(10 * time.Second): // a sequential apply never opens it; maxRunning then says so
		}
	}
}

func (c *concTarget) end(phase int, obj string, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inFlight[obj]--
	c.running--
	c.events = append(c.events, fmt.Sprintf("end %d %s", phase, obj))
	if err != nil && !perObject(err) {
		c.failed = true
	}
}

// intentOnRecord reports whether a pending audit row says action on name
// (action "": an update, link or relink).
func (c *concTarget) intentOnRecord(action, name string) bool {
	found := false
	err := c.store.Audit(context.Background(), state.AuditFilter{Target: "t", Status: state.AuditPending}, func(a state.Audit) error {
		ok := a.Action == action || action == "" && (a.Action == "update" || a.Action == "link" || a.Action == "relink")
		found = found || ok && strings.EqualFold(a.UserName, name)
		return nil
	})
	if err != nil {
		c.t.Error(err)
	}
	return found
}

// call runs fn on the fake under the lock, between begin and end.
func (c *concTarget) call(phase int, obj, action, name string, fn func() error) error {
	c.begin(phase, obj, action, name)
	c.mu.Lock()
	err := fn()
	c.mu.Unlock()
	c.end(phase, obj, err)
	return err
}

func (c *concTarget) userOf(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return "user:" + c.f.accounts[id].UserName
}

func (c *concTarget) groupOf(id string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	if g := c.f.groups[id]; g != nil {
		return "group:" + g.DisplayName
	}
	return "group:" + id
}

func (c *concTarget) List(ctx context.Context, fn func(targets.Account) error) error {
	c.mu.Lock()
	var all []targets.Account
	err := c.f.List(ctx, func(a targets.Account) error { all = append(all, a); return nil })
	c.mu.Unlock()
	for _, a := range all {
		if err := fn(a); err != nil {
			return err
		}
	}
	return err
}

func (c *concTarget) ListGroups(ctx context.Context, fn func(targets.Group) error) error {
	c.mu.Lock()
	var all []targets.Group
	err := c.f.ListGroups(ctx, func(g targets.Group) error { all = append(all, g); return nil })
	c.mu.Unlock()
	for _, g := range all {
		if err := fn(g); err != nil {
			return err
		}
	}
	return err
}

func (c *concTarget) FindByUserName(ctx context.Context, name string) (targets.Account, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.f.FindByUserName(ctx, name)
}

func (c *concTarget) Create(ctx context.Context, a targets.Account) (id string, err error) {
	err = c.call(phaseAccounts, "user:"+a.UserName, "create", a.UserName, func() error {
		id, err = c.f.Create(ctx, a)
		return err
	})
	return id, err
}

func (c *concTarget) Update(ctx context.Context, id string, a targets.Account) error {
	return c.call(phaseAccounts, c.userOf(id), "", a.UserName, func() error { return c.f.Update(ctx, id, a) })
}

func (c *concTarget) Deactivate(ctx context.Context, id string) error {
	obj := c.userOf(id)
	return c.call(phaseRevoke, obj, "disable", strings.TrimPrefix(obj, "user:"), func() error { return c.f.Deactivate(ctx, id) })
}

func (c *concTarget) Delete(ctx context.Context, id string) error {
	obj := c.userOf(id)
	return c.call(phaseRevoke, obj, "delete", strings.TrimPrefix(obj, "user:"), func() error { return c.f.Delete(ctx, id) })
}

func (c *concTarget) CreateGroup(ctx context.Context, name string) (id string, err error) {
	err = c.call(phaseGroups, "group:"+name, auditCreateGroup, name, func() error {
		id, err = c.f.CreateGroup(ctx, name)
		return err
	})
	return id, err
}

func (c *concTarget) ModifyMembers(ctx context.Context, id string, add, remove []string) error {
	phase, action := phaseGroups, auditAddMembers
	if len(remove) > 0 {
		phase, action = phaseRemoveMembers, auditRemoveMembers
	}
	obj := c.groupOf(id)
	return c.call(phase, obj, action, strings.TrimPrefix(obj, "group:"), func() error { return c.f.ModifyMembers(ctx, id, add, remove) })
}

var (
	_ targets.Deactivator  = (*concTarget)(nil)
	_ targets.GroupManager = (*concTarget)(nil)
	_ targets.Finder       = (*concTarget)(nil)
)

// barrierViolations returns the writes of a phase that started before
// every write of an earlier phase had ended.
func barrierViolations(events []string) []string {
	lastEnd := map[int]int{} // phase -> index of its last end
	for i, e := range events {
		var phase int
		var obj string
		if n, _ := fmt.Sscanf(e, "end %d %s", &phase, &obj); n == 2 {
			lastEnd[phase] = i
		}
	}
	var bad []string
	for i, e := range events {
		var phase int
		var obj string
		if n, _ := fmt.Sscanf(e, "start %d %s", &phase, &obj); n != 2 {
			continue
		}
		for earlier := range phase {
			if end, ok := lastEnd[earlier]; ok && end > i {
				bad = append(bad, fmt.Sprintf("%s (event %d) before phase %d ended (event %d)", e, i, earlier, end))
			}
		}
	}
	return bad
}

// staffOf returns n people in group "staff", uids p000..., the first
// half also in "eng".
func staffOf(n int) []mapping.Entry {
	out := make([]mapping.Entry, n)
	for i := range out {
		groups := []string{"staff"}
		if i < n/2 {
			groups = append(groups, "eng")
		}
		uid := fmt.Sprintf("p%03d", i)
		out[i] = entry("id-"+uid, uid, "Eng", groups...)
	}
	return out
}

// TestConcurrentApply: a day-2 run with leavers (removed from their
// groups, then disabled), movers, joiners and a new group, at concurrency
// 8: writes really overlap (8 in flight), never two on one object, every
// phase ends before the next starts, every write's intent is on record
// as it is sent, nothing is left pending, and the next plan is empty.
func TestConcurrentApply(t *testing.T) {
	src := &sliceSource{entries: staffOf(40)}
	r, store := newTestRunner(t, src, nil)
	ct := newConcTarget(t, newFakeTarget(), 8)
	ct.store = store
	r.Targets[0].Target, r.Targets[0].Concurrency = ct, 8
	ctx := context.Background()
	if _, err := r.Run(ctx, Options{}); err != nil {
		t.Fatal(err)
	}
	// Day 2: p000-p009 leave, p010-p019 move, 30 join (some in a new group).
	next := staffOf(70)[10:]
	for i := range next[:10] {
		next[i].Attrs[1].Values = []string{"Ops"}
	}
	for i := range next[40:] {
		next[40+i].Groups = append(next[40+i].Groups, mapping.Membership{DN: "cn=new,dc=x", Name: "new"})
	}
	src.entries = next
	ct.events, ct.gate, ct.gateOpen = nil, 8, make(chan struct{})
	if _, err := r.Run(ctx, Options{Overrides: Overrides{AllowShrink: true, AllowDeletes: 10}}); err != nil {
		t.Fatal(err)
	}
	if ct.maxRunning != 8 {
		t.Errorf("at most %d writes in flight, want 8", ct.maxRunning)
	}
	if len(ct.overlaps) > 0 {
		t.Errorf("two writes at once to %v", ct.overlaps)
	}
	if bad := barrierViolations(ct.events); len(bad) > 0 {
		t.Errorf("phases overlap:\n%s", strings.Join(bad, "\n"))
	}
	if len(ct.noIntent) > 0 {
		t.Errorf("writes sent without their intent on record: %v", ct.noIntent)
	}
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
		if a.Status == state.AuditPending {
			t.Errorf("pending audit row left: %+v", a)
		}
	}
	if disabled := countInactive(ct.f); disabled != 10 {
		t.Errorf("%d accounts disabled, want the 10 leavers", disabled)
	}
	assertConverged(t, r)
}

func countInactive(f *fakeTarget) int {
	n := 0
	for _, a := range f.accounts {
		if !a.Active {
			n++
		}
	}
	return n
}

// TestConcurrentRefusedCreateSkipsOnlyItsGroups: at concurrency 8 the
// target refuses one joiner's create: the run goes on, every other joiner
// is created and added to the group, and only the refused person's group
// addition is recorded as not sent.
func TestConcurrentRefusedCreateSkipsOnlyItsGroups(t *testing.T) {
	f := newFakeTarget()
	f.rejectUser = "p007"
	src := &sliceSource{entries: staffOf(30)}
	r, store := newTestRunner(t, src, nil)
	ct := newConcTarget(t, f, 0)
	r.Targets[0].Target, r.Targets[0].Concurrency = ct, 8
	out, err := r.Run(context.Background(), Options{})
	if !errors.Is(err, ErrPartial) {
		t.Fatalf("err = %v, want a partial run", err)
	}
	if res := out.Results[0]; res.Refused != 3 || res.Failed != 3 {
		t.Errorf("result %+v, want 3 refused (the create, its two group additions)", res)
	}
	if len(f.accounts) != 29 {
		t.Errorf("%d accounts, want 29", len(f.accounts))
	}
	for _, g := range f.groups {
		want := map[string]int{"staff": 29, "eng": 14}[g.DisplayName]
		if len(g.Members) != want {
			t.Errorf("group %s has %d members, want %d", g.DisplayName, len(g.Members), want)
		}
	}
	var notSent []string
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t", Status: state.AuditRefused}) {
		if a.Kind == "group" {
			notSent = append(notSent, a.Detail)
		}
	}
	slices.Sort(notSent)
	if want := []string{"+1 not sent: p007", "+1 not sent: p007"}; !slices.Equal(notSent, want) {
		t.Errorf("refused group rows %q, want %q", notSent, want)
	}
}

// TestConcurrentFatalErrorStopsRun: the target goes down (an error that
// is not about one object) during a concurrent apply: the run stops with
// that error, no write starts after the failure beyond those the other
// workers had under way, the writes whose intents were on record and not
// sent are recorded as not sent (none left pending), and the next run
// finishes the job without a duplicate.
func TestConcurrentFatalErrorStopsRun(t *testing.T) {
	f := newFakeTarget()
	f.failAfter, f.failWith = 10, errDown
	src := &sliceSource{entries: staffOf(60)}
	r, store := newTestRunner(t, src, nil)
	ct := newConcTarget(t, f, 0)
	r.Targets[0].Target, r.Targets[0].Concurrency = ct, 8
	if _, err := r.Run(context.Background(), Options{}); !errors.Is(err, errDown) {
		t.Fatalf("err = %v, want the target failure", err)
	}
	notSent := 0
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
		switch {
		case a.Status == state.AuditFailed && a.Error == errNotSent.Error():
			notSent++
		case a.Status == state.AuditPending || a.Status == state.AuditFailed && !strings.Contains(a.Error, errDown.Error()):
			t.Errorf("audit %s %s: %s %q, want applied, failed with the target's error, or not sent", a.Action, a.UserName, a.Status, a.Error)
		}
	}
	if notSent > 2*8-1 {
		t.Errorf("%d writes not sent, want at most one per other worker (15)", notSent)
	}
	if ct.afterFailed > 7 {
		t.Errorf("%d writes started after the target failed, want at most the 7 other workers' own", ct.afterFailed)
	}
	if ct.attempts > 10+8 {
		t.Errorf("%d writes tried, want at most 10 + 8", ct.attempts)
	}
	f.failAfter = 0
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	if len(f.accounts) != 60 {
		t.Errorf("%d accounts, want 60", len(f.accounts))
	}
	assertConverged(t, r)
}

// TestRunPhaseKeys: jobs that share a key never run at once; the others
// do. a1 holds key "a" until b, c and d are done: a2, also on "a", waits
// for it although workers are free.
func TestRunPhaseKeys(t *testing.T) {
	ap := &Applier{Concurrency: 4}
	var (
		mu       gosync.Mutex
		aRunning bool
		overlap  bool
		others   gosync.WaitGroup
	)
	others.Add(3)
	other := func(context.Context, *Applier) error { others.Done(); return nil }
	jobs := []job{
		{keys: []string{"a"}, run: func(context.Context, *Applier) error {
			mu.Lock()
			aRunning = true
			mu.Unlock()
			others.Wait()
			mu.Lock()
			aRunning = false
			mu.Unlock()
			return nil
		}},
		{keys: []string{"a", "z"}, run: func(context.Context, *Applier) error {
			mu.Lock()
			defer mu.Unlock()
			overlap = aRunning
			return nil
		}},
		{keys: []string{"b"}, run: other},
		{keys: []string{"c"}, run: other},
		{keys: []string{"d"}, run: other},
	}
	var n atomic.Int32
	if err := ap.runPhase(context.Background(), jobs, func() { n.Add(1) }); err != nil {
		t.Fatal(err)
	}
	if overlap {
		t.Error("two jobs on key a ran at once")
	}
	if n := n.Load(); n != 5 {
		t.Errorf("%d steps counted, want 5", n)
	}
}

// TestRunPhasePanic: a job that panics on a worker goroutine fails the
// phase with an error naming its keys; the process goes on.
func TestRunPhasePanic(t *testing.T) {
	ap := &Applier{Concurrency: 2}
	jobs := []job{
		{keys: []string{"account:u1"}, run: func(context.Context, *Applier) error { panic("client bug") }},
		{keys: []string{"account:u2"}, run: func(context.Context, *Applier) error { return nil }},
	}
	err := ap.runPhase(context.Background(), jobs, func() {})
	if err == nil || !strings.Contains(err.Error(), "account:u1: panic: client bug") {
		t.Fatalf("err = %v, want the panic as an error", err)
	}
}

// TestAccountKeys: what an account change locks.
func TestAccountKeys(t *testing.T) {
	for _, tc := range []struct {
		name string
		c    Change
		want []string
	}{
		{"create", Change{SourceID: "s1", UserName: "Ann", After: &targets.Account{UserName: "Ann"}},
			[]string{"person:s1", "username:ann"}},
		{"rename", Change{SourceID: "s1", TargetID: "u1", UserName: "ann2", Before: &targets.Account{UserName: "ann"}, After: &targets.Account{UserName: "ann2"}},
			[]string{"account:u1", "person:s1", "username:ann", "username:ann2"}},
		{"orphan", Change{TargetID: "u9", UserName: "zed", Before: &targets.Account{UserName: "zed"}},
			[]string{"account:u9", "username:zed"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := accountKeys(&tc.c); !slices.Equal(got, tc.want) {
				t.Errorf("keys %q, want %q", got, tc.want)
			}
		})
	}
}

// countingProgress records the applies it is told of.
type countingProgress struct {
	meters map[string]*progress.Meter
	ended  []string
}

func (p *countingProgress) Begin(target string, steps int) *progress.Meter {
	m := progress.New(steps, nil)
	p.meters[target] = m
	return m
}

func (p *countingProgress) End(target string) { p.ended = append(p.ended, target) }

// TestApplyProgress: an apply counts one step per account change and per
// group's removals or additions, from its workers, up to the total it
// announced.
func TestApplyProgress(t *testing.T) {
	src := &sliceSource{entries: staffOf(20)}
	r, _ := newTestRunner(t, src, nil)
	pr := &countingProgress{meters: map[string]*progress.Meter{}}
	r.Targets[0].Target, r.Targets[0].Concurrency = newConcTarget(t, newFakeTarget(), 0), 4
	r.Progress = pr
	if _, err := r.Run(context.Background(), Options{}); err != nil {
		t.Fatal(err)
	}
	s := pr.meters["t"].Snapshot()
	if s.Total != 22 || s.Done != 22 { // 20 creates, 2 groups
		t.Errorf("progress %d/%d, want 22/22", s.Done, s.Total)
	}
	if !slices.Equal(pr.ended, []string{"t"}) {
		t.Errorf("ended %v, want [t]", pr.ended)
	}
}

// hangingCreates is a concTarget whose creates hang until ctx ends; the
// n-th create in flight cancels the run (idsync told to stop).
type hangingCreates struct {
	*concTarget
	n      int
	cancel context.CancelFunc
	mu     gosync.Mutex
	calls  int
}

func (h *hangingCreates) Create(ctx context.Context, a targets.Account) (string, error) {
	h.mu.Lock()
	h.calls++
	if h.calls == h.n {
		h.cancel()
	}
	h.mu.Unlock()
	<-ctx.Done()
	return "", ctx.Err()
}

// TestConcurrentApplyStopped: idsync is told to stop while 8 creates are
// in flight: the run ends with the cancellation, no create starts after
// it, and each of the 8 has its audit row completed as failed (none left
// pending); so has each create whose intent was on record, waiting to be
// sent (up to one per worker that was not sending), with "not sent".
func TestConcurrentApplyStopped(t *testing.T) {
	src := &sliceSource{entries: staffOf(40)}
	r, store := newTestRunner(t, src, nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h := &hangingCreates{concTarget: newConcTarget(t, newFakeTarget(), 0), n: 8, cancel: cancel}
	r.Targets[0].Target, r.Targets[0].Concurrency = h, 8
	if _, err := r.Run(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the cancellation", err)
	}
	if h.calls != 8 {
		t.Errorf("%d creates sent, want the 8 in flight", h.calls)
	}
	failed, notSent := 0, 0
	for _, a := range auditOf(t, store, state.AuditFilter{Target: "t"}) {
		switch {
		case a.Status == state.AuditPending:
			t.Errorf("pending audit row left: %s %s", a.Action, a.UserName)
		case a.Status == state.AuditFailed && strings.HasPrefix(a.Error, "not sent: "):
			notSent++
		case a.Status == state.AuditFailed:
			failed++
		}
	}
	if failed != 8 || notSent > 8 {
		t.Errorf("%d failed audit rows and %d not sent, want 8 and at most 8", failed, notSent)
	}
}

package main

import (
	"context"
	"slices"
	gosync "sync"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/secret"
	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
	"github.com/idsync/idsync/targets/scim"
	"github.com/idsync/idsync/targets/scim/scimtest"
)

// changeSource is a source of people that reads changes (a watched
// directory): its entries by ID, and how many full reads it served.
type changeSource struct {
	mu      gosync.Mutex
	entries map[string]mapping.Entry
	full    int
}

var _ sync.ChangeReader = (*changeSource)(nil)

func newChangeSource(uids ...string) *changeSource {
	s := &changeSource{entries: map[string]mapping.Entry{}}
	for _, uid := range uids {
		s.entries["id-"+uid] = mapping.Entry{ID: "id-" + uid, DN: "uid=" + uid + ",ou=people,dc=example,dc=org",
			Attrs: mapping.Attrs{{Name: "uid", Values: []string{uid}}}}
	}
	return s
}

func (s *changeSource) Read(_ context.Context, fn func(mapping.Entry) error) error {
	s.mu.Lock()
	s.full++
	var es []mapping.Entry
	for _, e := range s.entries {
		es = append(es, e)
	}
	s.mu.Unlock()
	for _, e := range es {
		if err := fn(e); err != nil {
			return err
		}
	}
	return nil
}

func (s *changeSource) ReadChanges(_ context.Context, ids, _ []string, fn func(mapping.Entry) error) ([]string, bool, error) {
	s.mu.Lock()
	var es []mapping.Entry
	for _, id := range ids {
		if e, ok := s.entries[id]; ok {
			es = append(es, e)
		}
	}
	s.mu.Unlock()
	for _, e := range es {
		if err := fn(e); err != nil {
			return nil, false, err
		}
	}
	return slices.Clone(ids), false, nil
}

func (s *changeSource) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.entries, id)
}

func (s *changeSource) fullReads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.full
}

// partialEnv is a daemon whose source is a changeSource of ten people and
// whose target the Go SCIM server, which can refuse writes; its retries
// are scheduled on a fake clock: fire runs the one scheduled.
type partialEnv struct {
	d     *daemon
	src   *changeSource
	srv   *scimtest.Server
	waits []time.Duration
	fire  func()
}

func newPartialEnv(t *testing.T, ctx context.Context) *partialEnv {
	t.Helper()
	d, _, _ := reloadEnv(t, "")
	url, token, srv := scimtest.Start(t, scimtest.Options{})
	t.Setenv("IDSYNC_TEST_PARTIAL_TOKEN", token)
	zero := 0.0
	client, err := scim.New(scim.Config{URL: url, Token: secret.Ref{Env: "IDSYNC_TEST_PARTIAL_TOKEN"}, RateLimit: &zero}, d.log)
	if err != nil {
		t.Fatal(err)
	}
	e := &partialEnv{d: d, srv: srv,
		src: newChangeSource("ann", "bob", "cat", "dan", "eve", "fay", "gus", "hal", "ida", "jon")}
	d.runner.Source = e.src
	d.runner.Targets[0].Target = client
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	d.retry.after = func(wait time.Duration, f func()) func() {
		e.waits, e.fire = append(e.waits, wait), f
		return func() { e.fire = nil }
	}
	go d.engine.Run(ctx)
	if err := d.engine.Do(ctx, sync.Request{Kind: sync.RunFull, Reason: reasonStartup}); err != nil {
		t.Fatal(err)
	}
	if n := len(e.active()); n != 10 {
		t.Fatalf("%d active accounts after the first run, want 10", n)
	}
	return e
}

// active returns the userNames of the target's active accounts.
func (e *partialEnv) active() map[string]bool {
	out := map[string]bool{}
	for _, a := range e.srv.Users() {
		if a.Active {
			out[a.UserName] = true
		}
	}
	return out
}

// runRetry runs the retry scheduled; false when none is.
func (e *partialEnv) runRetry() bool {
	f := e.fire
	if f == nil {
		return false
	}
	e.fire = nil
	f()
	return true
}

// TestWatchRetriesRefusedLeaver: a watch event's incremental run goes to
// its end with the leaver's disable refused by the target (a partial
// run). The leaver must not keep access until the next full run: the
// event's people are run again, incrementally, on a growing wait, and the
// disable goes through once the target takes it.
func TestWatchRetriesRefusedLeaver(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newPartialEnv(t, ctx)
	d := e.d

	e.srv.Refuse("PATCH", "/Users", 400)
	e.src.remove("id-cat")
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Deleted: []string{"id-cat"}, Cookie: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	if !e.active()["cat"] {
		t.Fatal("cat's disable was not refused: the test sets nothing up")
	}
	if e.fire == nil {
		t.Fatal("after the partial run, no retry is scheduled: cat keeps access until the next full run")
	}
	// Still refused: the retry is scheduled again, twice as late.
	if !e.runRetry() || e.fire == nil || len(e.waits) != 2 || e.waits[0] != retryFirst || e.waits[1] != 2*retryFirst {
		t.Fatalf("after a retry refused again: retry scheduled %v, waits %v; want %s, then twice as late", e.fire != nil, e.waits, retryFirst)
	}
	e.srv.Refuse("PATCH", "/Users", 0)
	reads := e.src.fullReads()
	if !e.runRetry() {
		t.Fatal("no retry scheduled")
	}
	if e.active()["cat"] {
		t.Error("cat still has access after the retry the target took")
	}
	if got := e.src.fullReads() - reads; got != 0 {
		t.Errorf("the retry read the whole source %d times; want only the event's people read again", got)
	}
	if e.fire != nil {
		t.Error("a retry is still scheduled after the retry's run applied everything")
	}
	if n := len(e.active()); n != 9 {
		t.Errorf("%d active accounts, want 9", n)
	}
	if st := d.engine.Status(); st.LastByKind[sync.RunIncremental].Reason != reasonRetry {
		t.Errorf("last incremental run = %+v, want the retry", st.LastByKind[sync.RunIncremental])
	}
}

// TestWatchPartialRetryGivesUp: a refusal that lasts is retried with a
// growing wait up to retryMax, then left to the next full run, not
// retried forever; a later partial run starts its retries again from
// retryFirst, with the people of both events.
func TestWatchPartialRetryGivesUp(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	e := newPartialEnv(t, ctx)
	e.srv.Refuse("PATCH", "/Users", 400)
	e.src.remove("id-cat")
	if err := e.d.handle(ctx, "ldap", sync.WatchEvent{Deleted: []string{"id-cat"}, Cookie: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	for i := 0; e.runRetry(); i++ {
		if i > 20 {
			t.Fatal("retried forever")
		}
	}
	want := []time.Duration{retryFirst}
	for w := 2 * retryFirst; w < retryMax; w *= 2 {
		want = append(want, w)
	}
	want = append(want, retryMax)
	if !slices.Equal(e.waits, want) {
		t.Errorf("retry waits %v, want %v", e.waits, want)
	}
	if c, err := e.d.store.LoadWatchCookie(ctx, "ldap"); err != nil || string(c.Cookie) != "c1" {
		t.Errorf("cookie %q, %v; want c1 saved (a restart starts with a full run)", c.Cookie, err)
	}

	e.waits = nil
	e.src.remove("id-dan")
	if err := e.d.handle(ctx, "ldap", sync.WatchEvent{Deleted: []string{"id-dan"}, Cookie: []byte("c2")}); err != nil {
		t.Fatal(err)
	}
	if len(e.waits) != 1 || e.waits[0] != retryFirst {
		t.Fatalf("waits %v after a new partial run, want %s", e.waits, retryFirst)
	}
	e.srv.Refuse("PATCH", "/Users", 0)
	e.runRetry()
	if a := e.active(); a["dan"] || !a["cat"] {
		t.Errorf("active %v: want dan's disable retried, and cat left to the next full run", a)
	}
}

// TestMergeChanges: the retries of partial runs merge as the engine merges
// requests: people and groups together, the earlier time one left, and an
// event that named no one (everything changed) stays everything.
func TestMergeChanges(t *testing.T) {
	t1, t2 := time.Date(2026, 1, 1, 9, 0, 0, 0, time.UTC), time.Date(2026, 1, 1, 10, 0, 0, 0, time.UTC)
	a := sync.Request{Kind: sync.RunIncremental, SourceIDs: []string{"s1"}, Deleted: []string{"s1"}, GoneAt: map[string]time.Time{"s1": t2}}
	b := sync.Request{Kind: sync.RunIncremental, SourceIDs: []string{"s2"}, Groups: []string{"g"}, GoneAt: map[string]time.Time{"s1": t1}}
	got := mergeChanges(mergeChanges(nil, a), b)
	if !slices.Equal(got.SourceIDs, []string{"s1", "s2"}) || !slices.Equal(got.Groups, []string{"g"}) || !got.GoneAt["s1"].Equal(t1) ||
		got.Reason != reasonRetry || got.Kind != sync.RunIncremental {
		t.Errorf("merged: %+v", got)
	}
	if !a.GoneAt["s1"].Equal(t2) || len(a.SourceIDs) != 1 {
		t.Errorf("the first request changed: %+v", a)
	}
	all := mergeChanges(mergeChanges(nil, sync.Request{Kind: sync.RunIncremental}), a)
	if len(all.SourceIDs) != 0 || len(all.Groups) != 0 {
		t.Errorf("an event that named no one, merged with one that names s1: %+v; want everything", all)
	}
}

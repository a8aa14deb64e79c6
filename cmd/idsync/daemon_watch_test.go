package main

import (
	"context"
	"errors"
	"reflect"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/idsync/idsync/mapping"
	"github.com/idsync/idsync/sync"
)

// switchSource is a source with no people whose reads fail while failing
// is set; it counts its reads.
type switchSource struct {
	mu      gosync.Mutex
	failing bool
	reads   int
}

var _ sync.Source = (*switchSource)(nil)

func (s *switchSource) Read(context.Context, func(mapping.Entry) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reads++
	if s.failing {
		return errors.New("source down")
	}
	return nil
}

func (s *switchSource) set(failing bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failing = failing
	return s.reads
}

// TestWatchSavesCookieAfterSuccess: each watch event runs through the
// engine and its cookie is saved only once that run succeeded; an event
// that asks for nothing only moves the cookie; a Full event is a full run;
// a watcher that fails stops watchLoop with its error.
func TestWatchSavesCookieAfterSuccess(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &switchSource{}
	d.runner.Source, d.runner.Targets = src, nil
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	engineDone := make(chan error, 1)
	go func() { engineDone <- d.engine.Run(ctx) }()

	cookie := func() string {
		c, err := d.store.LoadWatchCookie(ctx, "ldap")
		if err != nil {
			t.Fatal(err)
		}
		return string(c.Cookie)
	}
	steps := []struct {
		failing   bool
		ev        sync.WatchEvent
		cookie    string
		readsMore int
	}{
		{true, sync.WatchEvent{Changed: []string{"u1"}, Cookie: []byte("c1")}, "", 1},
		{false, sync.WatchEvent{Deleted: []string{"u2"}, Cookie: []byte("c2")}, "c2", 1},
		{true, sync.WatchEvent{Cookie: []byte("c3")}, "c3", 0},
		{false, sync.WatchEvent{Full: true, Cookie: []byte("c4")}, "c4", 1},
		{false, sync.WatchEvent{Groups: []string{"cn=g"}}, "c4", 1},
	}
	w := sync.WatcherFunc(func(ctx context.Context, start []byte, fn func(sync.WatchEvent) error) error {
		if len(start) != 0 {
			t.Errorf("first cookie %q, want none", start)
		}
		for i, s := range steps {
			before := src.set(s.failing)
			if err := fn(s.ev); err != nil {
				return err
			}
			if got := cookie(); got != s.cookie {
				t.Errorf("step %d: cookie %q, want %q", i, got, s.cookie)
			}
			if got := src.set(false) - before; got != s.readsMore {
				t.Errorf("step %d: %d runs, want %d", i, got, s.readsMore)
			}
		}
		return errors.New("bind refused")
	})
	err := d.watchLoop(ctx, w)
	if err == nil || !strings.Contains(err.Error(), "watch: bind refused") {
		t.Errorf("watchLoop = %v, want the watcher's error", err)
	}
	st := d.engine.Status()
	if full, ok := st.LastByKind[sync.RunFull]; !ok || full.Reason != reasonWatch {
		t.Errorf("last full run = %+v, want one for the change notification", full)
	}
	if ws := d.watch.snapshot(); ws.State != "disconnected" || ws.Error != "bind refused" || ws.LastEvent == nil {
		t.Errorf("watcher status = %+v", ws)
	}
	cancel()
	select {
	case <-engineDone:
	case <-time.After(waitFor):
		t.Fatal("the engine did not stop")
	}
}

// TestWatchRetriesFailedChanges: a change whose run failed is not lost
// while the daemon keeps running. Its cookie is held back; the next event
// runs a full pass rather than an incremental one; a full run is retried
// with a growing wait even when no event comes, and once one succeeds the
// held cookie is saved.
func TestWatchRetriesFailedChanges(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &switchSource{}
	d.runner.Source, d.runner.Targets = src, nil
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	var waits []time.Duration
	var fire func()
	d.retry.after = func(wait time.Duration, f func()) func() {
		waits, fire = append(waits, wait), f
		return func() { fire = nil }
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.engine.Run(ctx)
	cookie := func() string {
		c, err := d.store.LoadWatchCookie(ctx, "ldap")
		if err != nil {
			t.Fatal(err)
		}
		return string(c.Cookie)
	}

	src.set(true)
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Deleted: []string{"u1"}, Cookie: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	if cookie() != "" || !d.retry.needFull() || fire == nil {
		t.Fatalf("after a failed run: cookie %q, need full %v, retry scheduled %v", cookie(), d.retry.needFull(), fire != nil)
	}
	runRetry := func() {
		f := fire
		fire = nil
		f()
	}
	// The retry fails too: the next waits twice as long.
	runRetry()
	if fire == nil || len(waits) != 2 || waits[1] != 2*waits[0] {
		t.Fatalf("retry waits = %v", waits)
	}
	if st := d.engine.Status(); st.LastByKind[sync.RunFull].Reason != reasonRetry {
		t.Errorf("last full run = %+v, want the retry", st.LastByKind[sync.RunFull])
	}
	// Back up: the retry's full run saves the cookie held back.
	reads := src.set(false)
	runRetry()
	if got := src.set(false) - reads; got != 1 || cookie() != "c1" || d.retry.needFull() || fire != nil {
		t.Fatalf("after a successful retry: %d reads, cookie %q, need full %v", got, cookie(), d.retry.needFull())
	}

	// A failure, then the next event: a full run, and its own cookie.
	src.set(true)
	d.handle(ctx, "ldap", sync.WatchEvent{Changed: []string{"u2"}, Cookie: []byte("c2")})
	src.set(false)
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Changed: []string{"u3"}, Cookie: []byte("c3")}); err != nil {
		t.Fatal(err)
	}
	if cookie() != "c3" || d.retry.needFull() || fire != nil {
		t.Errorf("after the next event: cookie %q, need full %v, retry still scheduled %v", cookie(), d.retry.needFull(), fire != nil)
	}
	if st := d.engine.Status(); st.LastByKind[sync.RunFull].Reason != reasonWatch {
		t.Errorf("the event after a failure ran %+v, want a full run", st.LastByKind)
	}
}

// TestWatchEmptyEventAfterFailureKeepsCookie: after an event's run failed,
// an event that asks for nothing (a DirSync poll with no changes, a
// syncrepl cookie update) must not save its cookie: that would move the
// saved resume point past the failed changes, and a restart before the
// retry succeeds would never replay them. Its cookie is held back with the
// failed one's, and saved once a full run covered them.
func TestWatchEmptyEventAfterFailureKeepsCookie(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &switchSource{}
	d.runner.Source, d.runner.Targets = src, nil
	d.watch = newWatchState("dirsync", d.metrics, "ldap")
	var fire func()
	d.retry.after = func(wait time.Duration, f func()) func() {
		fire = f
		return func() { fire = nil }
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.engine.Run(ctx)
	cookie := func() string {
		c, err := d.store.LoadWatchCookie(ctx, "ldap")
		if err != nil {
			t.Fatal(err)
		}
		return string(c.Cookie)
	}

	src.set(true)
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Deleted: []string{"u1"}, Cookie: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Cookie: []byte("c2")}); err != nil {
		t.Fatal(err)
	}
	if got := cookie(); got != "" {
		t.Fatalf("cookie %q saved while the changes of c1 are not applied, want none", got)
	}
	src.set(false)
	if fire == nil {
		t.Fatal("no retry scheduled")
	}
	f := fire
	fire = nil
	f()
	if got := cookie(); got != "c2" || d.retry.needFull() {
		t.Errorf("after a successful retry: cookie %q, need full %v; want c2 saved", got, d.retry.needFull())
	}
}

// hookSource is a switchSource that calls during once, from its next read.
type hookSource struct {
	switchSource
	during func()
}

func (s *hookSource) Read(ctx context.Context, fn func(mapping.Entry) error) error {
	if f := s.during; f != nil {
		s.during = nil
		f()
	}
	return s.switchSource.Read(ctx, fn)
}

// TestRetryKeepsLaterFailure: the scheduled full run retrying a failed
// change succeeds, but the run of a later event failed meanwhile (its
// changes came after the retry's read began). The retry's success must not
// clear that failure and save the later event's cookie: its changes would
// be skipped for good (the next events run incrementally, a restart
// resumes past them).
func TestRetryKeepsLaterFailure(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &hookSource{}
	d.runner.Source, d.runner.Targets = src, nil
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	var fire func()
	d.retry.after = func(wait time.Duration, f func()) func() {
		fire = f
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.engine.Run(ctx)
	cookie := func() string {
		c, err := d.store.LoadWatchCookie(ctx, "ldap")
		if err != nil {
			t.Fatal(err)
		}
		return string(c.Cookie)
	}

	src.set(true)
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Deleted: []string{"u1"}, Cookie: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	src.set(false)
	src.during = func() {
		d.eventFailed(ctx, "ldap", sync.WatchEvent{Deleted: []string{"u2"}, Cookie: []byte("c2")}, errors.New("the run for u2 failed"))
	}
	f := fire
	fire = nil
	f()
	if got := cookie(); got == "c2" || !d.retry.needFull() || fire == nil {
		t.Errorf("after the retry: cookie %q, need full %v, retry scheduled %v; want c2 held back and u2's failure retried",
			got, d.retry.needFull(), fire != nil)
	}
}

// TestWatchDeleteArrival: the people a watch event reports deleted (a
// syncrepl delete carries no time) reach the run with the event's arrival,
// on the daemon's clock, as when the directory said they left; the people
// it reports changed do not.
func TestWatchDeleteArrival(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	d.watch = newWatchState("syncrepl", d.metrics, "ldap")
	arrived := time.Date(2026, 3, 2, 9, 30, 15, 0, time.UTC)
	d.now = func() time.Time { return arrived }
	var got []sync.Request
	var err error
	d.engine, err = sync.NewEngine(sync.EngineConfig{}, func(_ context.Context, req sync.Request) error {
		got = append(got, req)
		return nil
	}, d.log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go d.engine.Run(ctx)
	if err := d.handle(ctx, "ldap", sync.WatchEvent{Changed: []string{"u1"}, Deleted: []string{"u2"}, Cookie: []byte("c1")}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("%d runs, want 1", len(got))
	}
	if want := map[string]time.Time{"u2": arrived}; !reflect.DeepEqual(got[0].GoneAt, want) || got[0].Deleted != nil {
		t.Errorf("run for the event: gone at %v, deleted %v; want %v and none (not tombstones)", got[0].GoneAt, got[0].Deleted, want)
	}
}

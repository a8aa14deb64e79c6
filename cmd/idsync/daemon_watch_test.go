package main

import (
	"context"
	"errors"
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

package ldapsource

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/internal/duration"
	"github.com/idsync/idsync/mapping"
	"github.com/sirupsen/logrus"
)

// TestReadServerKilled kills slapd while fn handles the first entry.
func TestReadServerKilled(t *testing.T) {
	t.Parallel()
	srv := generated(t, 2500, 5)
	cfg := testConfig(t, srv)
	cfg.PageSize = 200
	seen := 0
	err := newTestSource(t, cfg).Read(context.Background(), func(mapping.Entry) error {
		if seen++; seen == 1 {
			srv.Stop()
		}
		return nil
	})
	if err == nil {
		t.Fatalf("Read returned nil after %d of 2500 entries with the server killed", seen)
	}
	t.Logf("after %d pages: %v", seen, err)
}

// TestReadCancel cancels the context from fn, and just before the search
// for a page that a paused server will never answer (the timeout is an
// hour, so only the cancellation can end that search). Both end the read
// with context.Canceled.
//
// It once flaked (1 in 120 runs here): Pause sent SIGSTOP and returned
// before slapd had stopped, the old client read a page ahead, and the
// cancel came from a 200 ms timer, by which time the read had sometimes
// finished. Pause now waits until the kernel reports slapd stopped, the
// reader asks for a page only after fn saw the last one, and the pause and
// the cancel are triggered by the read itself, as it asks for page 2 (fn
// sees entries as they arrive: a pause from fn could stop slapd in the
// middle of page 1).
func TestReadCancel(t *testing.T) {
	t.Parallel()
	srv := generated(t, 1500, 5)
	cfg := testConfig(t, srv)
	cfg.PageSize = 100

	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	err := newTestSource(t, cfg).Read(ctx, func(mapping.Entry) error { calls++; cancel(); return nil })
	if !errors.Is(err, context.Canceled) || calls > cfg.PageSize {
		t.Errorf("cancel from fn: err = %v after %d entries, want context.Canceled within the first page", err, calls)
	}

	cfg.Timeout = duration.Of(time.Hour)
	ctx, cancel = context.WithCancel(context.Background())
	defer cancel()
	pause := func() {
		if err := srv.Pause(); err != nil {
			t.Error(err)
		}
	}
	log, hook := quietLog(), &cancelHook{page: 2, before: pause, cancel: cancel}
	log.SetLevel(logrus.DebugLevel)
	log.AddHook(hook)
	s, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	calls = 0
	err = s.Read(ctx, func(mapping.Entry) error { calls++; return nil })
	if err := srv.Resume(); err != nil {
		t.Error(err)
	}
	if !errors.Is(err, context.Canceled) || calls != cfg.PageSize || !hook.fired {
		t.Errorf("cancel while the server hangs: err = %v after %d entries (cancelled: %v), want context.Canceled after one page",
			err, calls, hook.fired)
	}
}

// cancelHook calls before (when set), then cancel, when the users search
// asks for page.
type cancelHook struct {
	page   int
	before func()
	cancel func()
	fired  bool
}

func (h *cancelHook) Levels() []logrus.Level { return []logrus.Level{logrus.DebugLevel} }

func (h *cancelHook) Fire(e *logrus.Entry) error {
	if e.Message == "ldap: page requested" && e.Data["search"] == "users" && e.Data["page"] == h.page {
		h.fired = true
		if h.before != nil {
			h.before()
		}
		h.cancel()
	}
	return nil
}

// TestReadTimeout: a server that stops answering fails the read after the
// configured timeout. (Entries are handed on as they arrive, so the page
// that times out is the one in flight when the server stopped: page 1 or
// 2, as the server's writes and the test's pause race.)
func TestReadTimeout(t *testing.T) {
	t.Parallel()
	srv := generated(t, 1500, 5)
	cfg := testConfig(t, srv)
	cfg.PageSize = 100
	cfg.Timeout = duration.Of(300 * time.Millisecond)
	calls := 0
	err := newTestSource(t, cfg).Read(context.Background(), func(mapping.Entry) error {
		if calls++; calls == 1 {
			if err := srv.Pause(); err != nil {
				t.Error(err)
			}
		}
		return nil
	})
	if err := srv.Resume(); err != nil {
		t.Error(err)
	}
	if err == nil || !strings.Contains(err.Error(), "timed out") || !strings.Contains(err.Error(), `search users under "ou=people,dc=example,dc=org": page `) {
		t.Errorf("err = %v, want the users search timed out", err)
	}
}

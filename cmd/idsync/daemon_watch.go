package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/internal/admin"
	"github.com/idsync/idsync/sync"
)

// watchLoop follows the source's changes from the saved cookie until ctx
// is done. Each event that asks for something becomes a run through the
// engine (a Full event a full run, the others an incremental run over the
// people and groups they name: see runOnce), and its cookie is saved only once
// that run succeeded. After a failed run the cookie stays, so a restart
// replays the changes; while the daemon keeps running, the next successful
// run reads everything and covers them. After a partial run (some changes
// refused) the cookie is saved and the event's people are run again
// (watchRetry.partial). It returns nil when ctx ends, and
// the watcher's error otherwise (bad configuration, bind refused, the
// cookie not saved), which stops the daemon.
func (d *daemon) watchLoop(ctx context.Context, w sync.Watcher) error {
	source := d.cfg.Source.Kind
	c, err := d.store.LoadWatchCookie(ctx, source)
	if err != nil {
		return err
	}
	err = w.Watch(ctx, c.Cookie, func(ev sync.WatchEvent) error { return d.handle(ctx, source, ev) })
	if ctx.Err() != nil {
		return nil
	}
	d.watch.failed(err)
	return fmt.Errorf("watch: %w", err)
}

// handle serves one watch event: a run, then the cookie.
func (d *daemon) handle(ctx context.Context, source string, ev sync.WatchEvent) error {
	arrived := d.now()
	d.watch.received(ev, arrived)
	if !ev.Empty() {
		req := watchRequest(ev, arrived)
		full := ev.Full || d.retry.needFull()
		if full {
			req = sync.Request{Kind: sync.RunFull, Reason: reasonWatch}
		}
		err := d.engine.Do(ctx, req)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		d.watch.handled(err)
		// A run with some changes refused went to its end: its cookie is
		// saved (a restart starts with a full run, which plans them
		// again), and an incremental run's people are run again later.
		if err != nil && !errors.Is(err, sync.ErrPartial) {
			d.eventFailed(ctx, source, ev, err)
			return nil // the cookie stays where it was
		}
		if err != nil && !full {
			d.changesNotApplied(ctx, source, req, err)
		}
		if full {
			d.retry.succeeded() // this event's cookie is newer than any held back
		}
		d.mu.Lock()
		names := make([]string, len(d.cfg.Targets))
		for i, t := range d.cfg.Targets {
			names[i] = t.Name
		}
		d.mu.Unlock()
		for _, t := range names {
			d.metrics.ChangeLatency(t, time.Since(arrived))
		}
	} else {
		d.watch.handled(nil)
		if ev.Cookie != nil && d.retry.holdBack(ev.Cookie) {
			return nil // past the changes of a failed run: saved once a full run covered them
		}
	}
	if ev.Cookie == nil {
		return nil
	}
	if err := d.store.SaveWatchCookie(ctx, source, ev.Cookie, time.Now()); err != nil {
		return fmt.Errorf("watch: %w", err)
	}
	d.log.WithFields(logrus.Fields{"full": ev.Full, "changed": len(ev.Changed), "deleted": len(ev.Deleted),
		"groups": len(ev.Groups)}).Debug("watch: event handled, cookie saved")
	return nil
}

// watchRequest is the incremental run for event ev, arrived at arrived.
// The people it reports deleted or gone out of scope are read again; those
// gone leave with arrived as the directory's time (syncrepl says when a
// delete happened only by sending it).
func watchRequest(ev sync.WatchEvent, arrived time.Time) sync.Request {
	req := sync.Request{Kind: sync.RunIncremental, Reason: reasonWatch,
		SourceIDs: append(append([]string(nil), ev.Changed...), ev.Deleted...), Groups: ev.Groups}
	if ev.Tombstones {
		req.Deleted = ev.Deleted
	}
	if len(ev.Deleted) > 0 {
		req.GoneAt = make(map[string]time.Time, len(ev.Deleted))
		for _, id := range ev.Deleted {
			req.GoneAt[id] = arrived
		}
	}
	return req
}

// watchState is the watcher's part of /status and its metrics.
type watchState struct {
	metrics *admin.Metrics
	source  string

	mu      gosync.Mutex
	st      admin.WatcherStatus
	pending time.Time // when the event being handled arrived; zero when none
}

func newWatchState(kind string, m *admin.Metrics, source string) *watchState {
	m.WatcherConnected(source, false)
	return &watchState{metrics: m, source: source,
		st: admin.WatcherStatus{Kind: kind, State: "connecting", Since: time.Now()}}
}

// received records an event: the watcher is connected and watching.
func (w *watchState) received(ev sync.WatchEvent, at time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.st.State != "watching" {
		w.st.State, w.st.Since = "watching", at
		w.metrics.WatcherConnected(w.source, true)
	}
	t := at
	w.st.LastEvent = &t
	w.st.Pending = len(ev.Changed) + len(ev.Deleted) + len(ev.Groups)
	if ev.Full && w.st.Pending == 0 {
		w.st.Pending = 1
	}
	w.pending = at
}

// handled records the end of the event's run.
func (w *watchState) handled(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.Pending, w.pending = 0, time.Time{}
	w.st.Error = ""
	if err != nil {
		w.st.Error = "the run for the last change failed: " + err.Error()
	}
	w.metrics.WatcherLag(w.source, 0)
}

// connection records the watcher connecting to the server (connected),
// or losing its connection, err saying why, before it reconnects.
func (w *watchState) connection(connected bool, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	switch {
	case connected && w.st.State != "watching":
		w.st.State, w.st.Since = "watching", time.Now()
		if strings.HasPrefix(w.st.Error, connectionLost) {
			w.st.Error = ""
		}
	case !connected:
		w.st.State, w.st.Since = "disconnected", time.Now()
		if err != nil {
			w.st.Error = connectionLost + err.Error()
		}
	}
	w.metrics.WatcherConnected(w.source, connected)
}

// connectionLost starts the error of a watcher reconnecting.
const connectionLost = "connection lost, reconnecting: "

// failed records the watcher's end.
func (w *watchState) failed(err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.st.State, w.st.Since = "disconnected", time.Now()
	if err != nil && !errors.Is(err, context.Canceled) {
		w.st.Error = err.Error()
	}
	w.metrics.WatcherConnected(w.source, false)
}

// snapshot returns the watcher's status, with the lag of the event being
// handled.
func (w *watchState) snapshot() admin.WatcherStatus {
	w.mu.Lock()
	defer w.mu.Unlock()
	st := w.st
	if !w.pending.IsZero() {
		lag := time.Since(w.pending)
		st.LagSeconds = lag.Seconds()
		w.metrics.WatcherLag(w.source, lag)
	}
	return st
}

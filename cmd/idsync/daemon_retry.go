package main

import (
	"context"
	"errors"
	"maps"
	"slices"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"

	"github.com/idsync/idsync/sync"
)

// Retries after a change's run failed: the first after retryFirst, each
// next one twice as late, up to retryMax.
const (
	retryFirst  = 5 * time.Second
	retryMax    = 5 * time.Minute
	reasonRetry = "retry after a failed run"
)

// watchRetry keeps the changes of failed runs from being lost. When the run
// for a watch event fails (the target is down, a guard refused, the source
// read failed), its changes are not applied and its cookie is not saved.
// From then on, until a full run succeeds, every event runs a full pass
// (an incremental one would skip the failed changes), and a full run is
// retried with a growing wait even if no event comes; the first full run
// that succeeds saves the newest cookie held back.
//
// An event's incremental run that goes to its end with some changes not
// applied (sync.ErrPartial: the target refused a leaver's disable, an
// account was busy) saves its cookie (a restart starts with a full run,
// which plans them again), and its people are run again, incrementally,
// with a growing wait (see partial), so that a leaver does not keep access
// until the next full run.
type watchRetry struct {
	after func(time.Duration, func()) func() // time.AfterFunc; returns stop

	mu     gosync.Mutex
	dirty  bool
	cookie []byte // newest cookie held back, nil when none
	wait   time.Duration
	stop   func() // the scheduled retry's, nil when none
	fails  int    // failed runs recorded so far

	changes *sync.Request // the people of partial runs to run again, nil when none
	cwait   time.Duration // the wait of their last retry; 0 when none
	cstop   func()        // their scheduled retry's, nil when none
}

func newWatchRetry() *watchRetry {
	return &watchRetry{after: func(d time.Duration, f func()) func() {
		t := time.AfterFunc(d, f)
		return func() { t.Stop() }
	}}
}

// needFull reports whether runs must be full until one succeeds.
func (r *watchRetry) needFull() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.dirty
}

// failed records a failed run and the cookie it held back, and schedules a
// retry with retry unless one is scheduled.
func (r *watchRetry) failed(cookie []byte, retry func()) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dirty = true
	r.fails++
	if cookie != nil {
		r.cookie = cookie
	}
	if r.stop != nil {
		return r.wait
	}
	if r.wait == 0 {
		r.wait = retryFirst
	} else {
		r.wait = min(2*r.wait, retryMax)
	}
	r.stop = r.after(r.wait, retry)
	return r.wait
}

// holdBack holds back cookie, as the newest, while runs must be full
// (a failed run's changes are not applied yet), and reports whether it
// did; when they need not be, the caller saves cookie.
func (r *watchRetry) holdBack(cookie []byte) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.dirty {
		return false
	}
	r.cookie = cookie
	return true
}

// succeeded records a successful full run (or an event's run while not
// dirty) and returns the cookie held back, to save, nil when none.
func (r *watchRetry) succeeded() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.clear()
}

// clear is succeeded with r.mu held.
func (r *watchRetry) clear() []byte {
	c := r.cookie
	r.dirty, r.cookie, r.wait = false, nil, 0
	if r.stop != nil {
		r.stop()
		r.stop = nil
	}
	return c
}

// fired clears the scheduled retry once it runs, and returns the number
// of failures recorded, for succeededSince.
func (r *watchRetry) fired() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.stop = nil
	return r.fails
}

// succeededSince is succeeded for a full run that started when fails
// failures were recorded: when a run failed since (a later event's, whose
// changes the full run may not have read), that failure and its cookie
// are kept, and nil is returned.
func (r *watchRetry) succeededSince(fails int) []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fails != fails {
		return nil
	}
	return r.clear()
}

// eventFailed handles a failed run of a watch event: the event's cookie is
// held back and a full run is retried later.
func (d *daemon) eventFailed(ctx context.Context, source string, ev sync.WatchEvent, err error) {
	wait := d.retry.failed(ev.Cookie, func() { d.retryFull(ctx, source) })
	d.log.WithError(err).WithField("retry_in", wait.String()).
		Error("watch: the run for a directory change failed; its changes are kept and a full reconciliation is retried")
}

// retryFull runs the scheduled full run, and saves the cookie it held
// back once one succeeds.
func (d *daemon) retryFull(ctx context.Context, source string) {
	fails := d.retry.fired()
	if !d.retry.needFull() || ctx.Err() != nil {
		return
	}
	err := d.engine.Do(ctx, sync.Request{Kind: sync.RunFull, Reason: reasonRetry})
	if ctx.Err() != nil {
		return
	}
	if err != nil && !errors.Is(err, sync.ErrPartial) {
		d.eventFailed(ctx, source, sync.WatchEvent{}, err)
		return
	}
	d.saveHeldCookie(ctx, source, d.retry.succeededSince(fails))
}

// saveHeldCookie saves a cookie held back by a failed run, once a full
// run covered its changes.
func (d *daemon) saveHeldCookie(ctx context.Context, source string, cookie []byte) {
	if cookie == nil {
		return
	}
	if err := d.store.SaveWatchCookie(ctx, source, cookie, time.Now()); err != nil {
		d.log.WithError(err).Error("watch: saving the cookie held back by a failed run")
		return
	}
	d.log.WithFields(logrus.Fields{"source": source}).Info("watch: a full run covered the failed changes; cookie saved")
}

// partial records the people and groups of req, an incremental run that
// went to its end with changes not applied, and schedules their retry
// with retry unless one is scheduled (they join it). The first retry
// comes after retryFirst, each next one twice as late, up to retryMax;
// changes still not applied after the retry at retryMax are left to the
// next full run (a refusal that lasts is not retried forever), and partial
// returns 0. It returns the wait.
func (r *watchRetry) partial(req sync.Request, retry func()) time.Duration {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.changes = mergeChanges(r.changes, req)
	if r.cstop != nil {
		return r.cwait
	}
	if r.cwait >= retryMax {
		r.changes, r.cwait = nil, 0
		return 0
	}
	r.cwait = min(max(2*r.cwait, retryFirst), retryMax)
	r.cstop = r.after(r.cwait, retry)
	return r.cwait
}

// takeChanges returns the changes to run again, once their retry fires;
// false when there are none.
func (r *watchRetry) takeChanges() (sync.Request, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.cstop = nil
	if r.changes == nil {
		return sync.Request{}, false
	}
	req := *r.changes
	r.changes = nil
	return req, true
}

// changesApplied records a retry whose run applied every change: the next
// partial run's retries start from retryFirst again.
func (r *watchRetry) changesApplied() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cstop == nil {
		r.cwait = 0
	}
}

// mergeChanges returns the incremental retry run of the people and groups
// of into and req together (sync.Request.Merge: an event that named no
// one, everything changed, stays everything).
func mergeChanges(into *sync.Request, req sync.Request) *sync.Request {
	if into != nil {
		req = into.Merge(req)
	} else {
		req.SourceIDs, req.Groups, req.Deleted, req.GoneAt = slices.Clone(req.SourceIDs), slices.Clone(req.Groups), slices.Clone(req.Deleted), maps.Clone(req.GoneAt)
	}
	req.Kind, req.Reason = sync.RunIncremental, reasonRetry
	return &req
}

// changesNotApplied handles an event's incremental run req that went to
// its end with changes not applied (err wraps sync.ErrPartial): its
// people are run again later.
func (d *daemon) changesNotApplied(ctx context.Context, source string, req sync.Request, err error) {
	wait := d.retry.partial(req, func() { d.retryChanges(ctx, source) })
	if wait == 0 {
		d.log.WithError(err).Error("watch: changes still not applied after their last retry; the next full run plans them again")
		return
	}
	d.log.WithError(err).WithField("retry_in", wait.String()).
		Warn("watch: some changes were not applied; the people they touch are run again")
}

// retryChanges runs again the people of partial runs. A run that fails
// (not partial) is handled as an event's failed run: full runs until one
// succeeds, which covers them.
func (d *daemon) retryChanges(ctx context.Context, source string) {
	req, ok := d.retry.takeChanges()
	if !ok || ctx.Err() != nil {
		return
	}
	err := d.engine.Do(ctx, req)
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, sync.ErrPartial):
		d.changesNotApplied(ctx, source, req, err)
	case err != nil:
		d.eventFailed(ctx, source, sync.WatchEvent{}, err)
	default:
		d.retry.changesApplied()
	}
}

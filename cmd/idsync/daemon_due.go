package main

import (
	gosync "sync"
	"time"

	"github.com/idsync/idsync/sync"
)

// reasonDue is the reason of the runs started for a dated event.
const reasonDue = "dated event"

// dueTimer starts a full run when the next dated event falls (a start or
// end date, a staged deletion: sync.Outcome.NextDue), so that the daemon
// acts on dates as it acts on a directory change, with nobody touching
// the directory. Each full run says when the next event falls, and the
// timer follows it.
type dueTimer struct {
	after func(time.Duration, func()) func() // time.AfterFunc; returns stop
	now   func() time.Time
	fire  func() // asks for the run

	mu       gosync.Mutex
	at       time.Time // when the timer fires; zero when none is set
	stop     func()
	failures int // runs for a dated event that failed in a row
}

func newDueTimer(fire func()) *dueTimer {
	return &dueTimer{fire: fire, now: time.Now, after: func(d time.Duration, f func()) func() {
		t := time.AfterFunc(d, f)
		return func() { t.Stop() }
	}}
}

// set makes the timer fire at next, replacing the time set before; a zero
// next clears it. Only a full run knows every dated event, so only a full
// run sets the timer; an incremental run can only bring it forward
// (earlier).
func (t *dueTimer) set(next time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stop != nil {
		t.stop()
		t.stop = nil
	}
	t.at = next
	if next.IsZero() {
		return
	}
	t.stop = t.after(max(next.Sub(t.now()), 0), func() {
		t.mu.Lock()
		t.at, t.stop = time.Time{}, nil
		t.mu.Unlock()
		t.fire()
	})
}

// earlier makes the timer fire at next when that is before the time set,
// or no time is set: an incremental run knows only the dated events of
// the people it touched, which can bring the next one forward, never
// push it back (a date moved later leaves the timer as it is: the full
// run then finds nothing due and sets the true next time). A zero next
// changes nothing.
func (t *dueTimer) earlier(next time.Time) {
	if next.IsZero() {
		return
	}
	if at := t.next(); !at.IsZero() && !next.Before(at) {
		return
	}
	t.set(next)
}

// failed brings the timer forward to retry a run for a dated event that
// failed: the timer has fired, and nothing else may run before the next
// schedule. The first retry comes after retryFirst, each next one twice
// as late, up to retryMax. It returns the wait.
func (t *dueTimer) failed() time.Duration {
	t.mu.Lock()
	wait := min(retryFirst<<min(t.failures, 16), retryMax)
	t.failures++
	now := t.now()
	t.mu.Unlock()
	t.earlier(now.Add(wait))
	return wait
}

// succeeded resets the retries' wait once a run for a dated event went to
// its end.
func (t *dueTimer) succeeded() {
	t.mu.Lock()
	t.failures = 0
	t.mu.Unlock()
}

// next returns when the timer fires; zero when it is not set.
func (t *dueTimer) next() time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.at
}

// close stops the timer.
func (t *dueTimer) close() { t.set(time.Time{}) }

// dueRequest is the run a dated event asks for.
func dueRequest() sync.Request { return sync.Request{Kind: sync.RunFull, Reason: reasonDue} }

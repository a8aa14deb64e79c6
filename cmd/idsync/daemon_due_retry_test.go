package main

import (
	"context"
	"testing"
	"time"
)

// TestDueRunRetried: the run for a dated event (an end date: a leaver)
// fails, the source or target down for a moment. The timer has fired and
// nothing else would run it again before the next schedule: it must be
// retried, each time later, until a run succeeds.
func TestDueRunRetried(t *testing.T) {
	d, _, _ := reloadEnv(t, "")
	src := &switchSource{}
	d.runner.Source, d.runner.Targets = src, nil
	var waits []time.Duration
	d.due.after = func(wait time.Duration, f func()) func() {
		waits = append(waits, wait)
		return func() {}
	}
	ctx := context.Background()
	src.set(true)
	for range 2 {
		if err := d.runOnce(ctx, dueRequest()); err == nil {
			t.Fatal("the run succeeded with the source down")
		}
		if d.due.next().IsZero() {
			t.Fatal("the failed run for a dated event is not retried")
		}
		d.due.set(time.Time{}) // the retry fires
	}
	near := func(got, want time.Duration) bool { return got <= want && got > want-time.Second }
	if len(waits) != 2 || !near(waits[0], retryFirst) || !near(waits[1], 2*retryFirst) {
		t.Errorf("retry waits %v, want from %s, each twice as late", waits, retryFirst)
	}
	src.set(false)
	if err := d.runOnce(ctx, dueRequest()); err != nil {
		t.Fatal(err)
	}
	if !d.due.next().IsZero() {
		t.Errorf("a retry is still set at %v after the run succeeded", d.due.next())
	}
}

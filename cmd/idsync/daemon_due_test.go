package main

import (
	"testing"
	"time"
)

// TestDueTimer: the timer fires at the time set, a new time replaces the
// old one, a zero time clears it, and a time already past fires at once.
func TestDueTimer(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	fired := 0
	var waits []time.Duration
	var pending func()
	d := newDueTimer(func() { fired++ })
	d.now = func() time.Time { return now }
	d.after = func(wait time.Duration, f func()) func() {
		waits, pending = append(waits, wait), f
		return func() { pending = nil }
	}
	d.set(now.Add(time.Hour))
	if got := d.next(); !got.Equal(now.Add(time.Hour)) || waits[0] != time.Hour {
		t.Fatalf("next = %v, waits %v", got, waits)
	}
	d.set(now.Add(2 * time.Hour)) // a new full run: the next event moved
	if len(waits) != 2 || waits[1] != 2*time.Hour || pending == nil {
		t.Fatalf("waits %v after a new time", waits)
	}
	f := pending
	f()
	if fired != 1 || !d.next().IsZero() {
		t.Errorf("fired %d, next %v after firing", fired, d.next())
	}
	d.set(now.Add(-time.Minute)) // due already: at once
	if waits[2] != 0 {
		t.Errorf("wait for a past time = %v", waits[2])
	}
	d.set(time.Time{})
	if pending != nil || !d.next().IsZero() {
		t.Error("a zero time did not clear the timer")
	}
}

// TestDueTimerEarlier: an incremental run's next dated event brings the
// timer forward, or sets it when none is set; a later or zero time leaves
// it as it is.
func TestDueTimerEarlier(t *testing.T) {
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	var waits []time.Duration
	d := newDueTimer(func() {})
	d.now = func() time.Time { return now }
	d.after = func(wait time.Duration, f func()) func() {
		waits = append(waits, wait)
		return func() {}
	}
	d.earlier(now.Add(48 * time.Hour)) // none set: set
	d.earlier(now.Add(72 * time.Hour)) // later: kept
	d.earlier(time.Time{})             // nothing known: kept
	if got := d.next(); !got.Equal(now.Add(48 * time.Hour)) {
		t.Fatalf("next = %v, want in 48h", got)
	}
	d.earlier(now.Add(time.Hour)) // an end date brought forward
	if got := d.next(); !got.Equal(now.Add(time.Hour)) || len(waits) != 2 || waits[1] != time.Hour {
		t.Errorf("next = %v, waits %v; want in 1h", got, waits)
	}
}

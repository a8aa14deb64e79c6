package retry_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/idsync/idsync/targets/retry"
)

// TestSharedPacer: two Retriers (two targets on one tenant) share one
// Pacer: together they keep its rate, and a Retry-After told to one holds
// the other back until it has passed.
func TestSharedPacer(t *testing.T) {
	clock := newClock()
	p := retry.NewPacer(2, 1)
	pol := retry.Policy{MaxRetries: 3, MinWait: time.Second, MaxWait: time.Minute}
	a := retry.New(pol, 0, 0, retry.WithClock(clock), retry.WithPacer(p), retry.WithJitter(noJitter))
	b := retry.New(pol, 0, 0, retry.WithClock(clock), retry.WithPacer(p), retry.WithJitter(noJitter))
	ok := func(context.Context, int) error { return nil }
	start := clock.Now()
	for range 3 {
		for _, r := range []*retry.Retrier{a, b} {
			if err := r.Do(t.Context(), ok); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got := clock.Now().Sub(start); got != 2500*time.Millisecond {
		t.Errorf("6 requests through two retriers at a shared 2/s took %s, want 2.5s", got)
	}

	// a is told to come back in 10s; b, next, waits for that too.
	told := clock.Now()
	busy := errors.New("429")
	if err := a.Do(t.Context(), func(_ context.Context, n int) error {
		if n == 0 {
			return retry.Throttled(busy, "10")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := b.Do(t.Context(), ok); err != nil {
		t.Fatal(err)
	}
	if clock.Now().Before(told.Add(10 * time.Second)) {
		t.Errorf("b went out %s after a was told to wait 10s", clock.Now().Sub(told))
	}
}

// TestPauseOverMaxWaitNotShared: a Retry-After longer than MaxWait ends
// that request; it does not stall the others.
func TestPauseOverMaxWaitNotShared(t *testing.T) {
	clock := newClock()
	p := retry.NewPacer(0, 0)
	pol := retry.Policy{MaxRetries: 3, MinWait: time.Second, MaxWait: time.Minute}
	a := retry.New(pol, 0, 0, retry.WithClock(clock), retry.WithPacer(p))
	b := retry.New(pol, 0, 0, retry.WithClock(clock), retry.WithPacer(p))
	err := a.Do(t.Context(), func(context.Context, int) error { return retry.Throttled(errors.New("429"), "3600") })
	var g *retry.GiveUpError
	if !errors.As(err, &g) {
		t.Fatalf("err = %v, want a give-up", err)
	}
	start := clock.Now()
	if err := b.Do(t.Context(), func(context.Context, int) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if d := clock.Now().Sub(start); d != 0 {
		t.Errorf("b waited %s", d)
	}
}

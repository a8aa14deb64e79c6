package retry_test

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/idsync/idsync/targets/retry"
)

// fakeClock advances only when slept on, and records every sleep.
type fakeClock struct {
	now    time.Time
	sleeps []time.Duration
	// cancel, when set, is called on the first sleep (a run stopped
	// while waiting).
	cancel func()
}

func newClock() *fakeClock { return &fakeClock{now: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time { return c.now }

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	if c.cancel != nil {
		c.cancel()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return nil
}

// noJitter makes the jitter 0, so waits are exact.
func noJitter(int64) int64 { return 0 }

// maxJitter makes the jitter as large as it can be.
func maxJitter(n int64) int64 { return n - 1 }

var policy = retry.Policy{MaxRetries: 4, MinWait: time.Second, MaxWait: 10 * time.Second}

var errBusy = errors.New("busy")

// failing returns an attempt that fails with mark(errBusy) n times, then
// succeeds, counting its calls.
func failing(n int, mark func(error) error, calls *int) retry.Attempt {
	return func(context.Context, int) error {
		*calls++
		if *calls <= n {
			return mark(errBusy)
		}
		return nil
	}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		name   string
		jitter func(int64) int64
		fails  int
		want   []time.Duration
	}{
		// Half the exponential value, doubling, capped at MaxWait.
		{"low jitter", noJitter, 4, []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second}},
		// The other half at most.
		{"high jitter", maxJitter, 4, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second}},
		{"success first", noJitter, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			var told []time.Duration
			r := retry.New(policy, 0, 1, retry.WithClock(clock), retry.WithJitter(tt.jitter),
				retry.WithOnRetry(func(err error, wait time.Duration) {
					if err != errBusy {
						t.Errorf("OnRetry got %v", err)
					}
					told = append(told, wait)
				}))
			calls := 0
			if err := r.Do(t.Context(), failing(tt.fails, retry.Again, &calls)); err != nil {
				t.Fatal(err)
			}
			if calls != tt.fails+1 || !slices.Equal(clock.sleeps, tt.want) || !slices.Equal(told, tt.want) {
				t.Errorf("calls = %d, sleeps = %v, OnRetry told %v; want %d and %v", calls, clock.sleeps, told, tt.fails+1, tt.want)
			}
		})
	}
}

func TestBackoffCappedAtMaxWait(t *testing.T) {
	clock := newClock()
	p := retry.Policy{MaxRetries: 40, MinWait: time.Second, MaxWait: 3 * time.Second}
	r := retry.New(p, 0, 1, retry.WithClock(clock), retry.WithJitter(maxJitter))
	calls := 0
	if err := r.Do(t.Context(), failing(40, retry.Again, &calls)); err != nil {
		t.Fatal(err)
	}
	for _, d := range clock.sleeps {
		if d > p.MaxWait {
			t.Fatalf("slept %s, more than MaxWait %s", d, p.MaxWait)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	clock := newClock()
	date := clock.now.Add(7 * time.Second).Format(http.TimeFormat)
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"3", 3 * time.Second},
		{" 0 ", 0},
		{date, 7 * time.Second},
		{"", 500 * time.Millisecond},     // no header: backoff
		{"soon", 500 * time.Millisecond}, // malformed: backoff
		{"-1", 500 * time.Millisecond},
	} {
		t.Run(tt.header, func(t *testing.T) {
			clock := newClock()
			r := retry.New(policy, 0, 1, retry.WithClock(clock), retry.WithJitter(noJitter))
			calls := 0
			mark := func(err error) error { return retry.Throttled(err, tt.header) }
			if err := r.Do(t.Context(), failing(1, mark, &calls)); err != nil {
				t.Fatal(err)
			}
			var slept time.Duration
			for _, d := range clock.sleeps {
				slept += d
			}
			if slept != tt.want || calls != 2 {
				t.Errorf("slept %s in %d calls, want %s in 2", slept, calls, tt.want)
			}
		})
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{now.Add(time.Minute).Format(http.TimeFormat), time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Mon, 02 Jan 2006 15:04:05 GMT", 0, true},
		{"99999999999999", time.Duration(1<<31) * time.Second, true},
		{"", 0, false},
		{"1.5", 0, false},
		{"-3", 0, false},
	} {
		got, ok := retry.ParseRetryAfter(tt.in, now)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseRetryAfter(%q) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestGiveUp(t *testing.T) {
	tests := []struct {
		name   string
		policy retry.Policy
		mark   func(error) error
		calls  int
		reason string
	}{
		{"retries", policy, retry.Again, 5, "giving up after 4 retries"},
		{"no retries", retry.Policy{MaxWait: time.Second}, retry.Again, 1, "giving up after 0 retries"},
		{"long retry-after", policy, func(err error) error { return retry.Throttled(err, "60") }, 1,
			"the target asked to wait 1m0s, more than retry_max_wait 10s"},
		{"total wait", retry.Policy{MaxRetries: 10, MinWait: 4 * time.Second, MaxWait: 4 * time.Second, MaxTotalWait: 10 * time.Second},
			retry.Again, 3, "giving up after 2 retries and 8s of waiting (retry_max_total_wait 10s)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := newClock()
			r := retry.New(tt.policy, 0, 1, retry.WithClock(clock), retry.WithJitter(maxJitter))
			calls := 0
			err := r.Do(t.Context(), failing(100, tt.mark, &calls))
			var g *retry.GiveUpError
			if !errors.As(err, &g) || !errors.Is(err, errBusy) || g.Reason() != tt.reason {
				t.Fatalf("Do = %v, want a GiveUpError wrapping errBusy: %s", err, tt.reason)
			}
			if err.Error() != "busy: "+tt.reason {
				t.Errorf("Error() = %q", err.Error())
			}
			if calls != tt.calls {
				t.Errorf("calls = %d, want %d", calls, tt.calls)
			}
		})
	}
}

func TestFinalErrorNotRetried(t *testing.T) {
	r := retry.New(policy, 0, 1, retry.WithClock(newClock()))
	final := errors.New("rejected")
	calls := 0
	err := r.Do(t.Context(), func(context.Context, int) error { calls++; return final })
	if err != final || calls != 1 {
		t.Errorf("Do = %v after %d calls, want the final error after 1", err, calls)
	}
}

func TestContextEndsWait(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	clock := newClock()
	clock.cancel = cancel
	r := retry.New(policy, 0, 1, retry.WithClock(clock))
	calls := 0
	err := r.Do(ctx, failing(100, retry.Again, &calls))
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Errorf("Do = %v after %d calls, want context.Canceled after 1", err, calls)
	}
	cancel()
	calls = 0
	if err := r.Do(ctx, failing(0, retry.Again, &calls)); !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Do on a done context = %v after %d calls", err, calls)
	}
}

// TestPacing: with 4 requests per second and a burst of 2, ten requests
// wait 2 s in all on the clock (the first two go at once, then one every
// 250 ms).
func TestPacing(t *testing.T) {
	clock := newClock()
	r := retry.New(retry.Policy{}, 4, 2, retry.WithClock(clock))
	start := clock.Now()
	for range 10 {
		if err := r.Do(t.Context(), func(context.Context, int) error { return nil }); err != nil {
			t.Fatal(err)
		}
	}
	if got := clock.Now().Sub(start); got != 2*time.Second {
		t.Errorf("10 requests at 4/s, burst 2, took %s on the clock, want 2s (sleeps %v)", got, clock.sleeps)
	}
	unlimited := retry.New(retry.Policy{}, 0, 0, retry.WithClock(newClock()))
	for range 1000 {
		_ = unlimited.Do(t.Context(), func(context.Context, int) error { return nil })
	}
}

func TestRetryableStatus(t *testing.T) {
	for _, tt := range []struct {
		status             int
		idempotent, notIdm bool
	}{
		{429, true, true}, {503, true, true}, {500, true, false}, {502, true, false}, {504, true, false},
		{501, false, false}, {505, false, false}, {400, false, false}, {404, false, false}, {409, false, false},
		{200, false, false},
	} {
		if got := retry.RetryableStatus(tt.status, true); got != tt.idempotent {
			t.Errorf("RetryableStatus(%d, idempotent) = %v", tt.status, got)
		}
		if got := retry.RetryableStatus(tt.status, false); got != tt.notIdm {
			t.Errorf("RetryableStatus(%d, not idempotent) = %v", tt.status, got)
		}
	}
}

func TestNotSent(t *testing.T) {
	_, err := http.Get("http://127.0.0.1:1/") // nothing listens on port 1
	if err == nil || !retry.NotSent(err) {
		t.Errorf("NotSent(%v) = false", err)
	}
	if retry.NotSent(errors.New("EOF")) || !strings.Contains(err.Error(), "refused") {
		t.Errorf("NotSent misclassifies")
	}
}

// FuzzParseRetryAfter: any header value gives a wait that is not negative,
// or none.
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "-1", "Mon, 02 Jan 2006 15:04:05 GMT", "Thursday, 02-Jan-25 03:05:05 GMT", "1e9"} {
		f.Add(s)
	}
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		if d, ok := retry.ParseRetryAfter(v, now); d < 0 || (!ok && d != 0) {
			t.Fatalf("ParseRetryAfter(%q) = %s, %v", v, d, ok)
		}
	})
}

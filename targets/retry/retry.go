// Package retry runs the requests of an HTTP target with pacing and bounded
// retries: a token bucket (golang.org/x/time/rate) before every attempt,
// exponential backoff with jitter between attempts, the server's
// Retry-After (seconds or an HTTP date) when it sends one, and caps on the
// number of retries, on one wait and on the total time spent waiting.
//
// It knows HTTP, not any target's protocol: a target decides, per attempt,
// whether the answer is final or worth another try (see Again and
// Throttled), and classifies the final answer itself. Time comes from a
// Clock, so tests run without real sleeps.
package retry

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"
)

// Policy bounds the retries of one request.
type Policy struct {
	// MaxRetries is how many attempts may follow the first one.
	MaxRetries int
	// MinWait is the first backoff wait, doubled per retry.
	MinWait time.Duration
	// MaxWait caps one wait. A Retry-After longer than this ends the
	// request instead of stalling the run.
	MaxWait time.Duration
	// MaxTotalWait caps the sum of the waits of one request; 0 means no cap
	// beyond MaxRetries × MaxWait.
	MaxTotalWait time.Duration
}

// Clock is the time source of a Retrier.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() then.
	Sleep(ctx context.Context, d time.Duration) error
}

// Retrier paces and retries attempts. It is safe for concurrent use; all
// requests made through one Retrier share its rate limit, and a
// Retry-After one of them is told holds the others back too (see Pacer,
// which several Retriers may share).
type Retrier struct {
	policy  Policy
	pacer   *Pacer
	clock   Clock
	jitter  func(n int64) int64 // a random number in [0, n)
	onRetry func(err error, wait time.Duration)
}

// Option changes a Retrier built by New.
type Option func(*Retrier)

// WithClock replaces the real clock, for tests.
func WithClock(c Clock) Option { return func(r *Retrier) { r.clock = c } }

// WithJitter replaces the random source of the jitter: fn returns a number
// in [0, n). For tests.
func WithJitter(fn func(n int64) int64) Option { return func(r *Retrier) { r.jitter = fn } }

// WithOnRetry calls fn before every wait for a retry with the error of the
// attempt that failed and the wait, for logging.
func WithOnRetry(fn func(err error, wait time.Duration)) Option {
	return func(r *Retrier) { r.onRetry = fn }
}

// New returns a Retrier with the given policy that sends at most perSecond
// requests per second, burst at once; perSecond 0 means no limit.
func New(p Policy, perSecond float64, burst int, opts ...Option) *Retrier {
	r := &Retrier{
		policy: p,
		clock:  realClock{},
		jitter: rand.Int64N,
	}
	for _, o := range opts {
		o(r)
	}
	if r.pacer == nil {
		r.pacer = NewPacer(perSecond, burst)
	}
	return r
}

// Attempt makes one try. It returns nil on success, an error made with
// Again or Throttled when another try may succeed, or any other error,
// which ends the request as it is. attempt counts from 0.
type Attempt func(ctx context.Context, attempt int) error

// Do waits for the rate limit and calls fn until it succeeds, returns a
// final error, or the policy is exhausted. A final error is returned as fn
// returned it; an exhausted policy returns a *GiveUpError; a done ctx
// returns ctx.Err().
func (r *Retrier) Do(ctx context.Context, fn Attempt) error {
	var waited time.Duration
	for attempt := 0; ; attempt++ {
		if err := r.pace(ctx); err != nil {
			return err
		}
		err := fn(ctx, attempt)
		var again *againError
		if !errors.As(err, &again) {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if attempt >= r.policy.MaxRetries {
			return &GiveUpError{Err: again.err, Retries: attempt}
		}
		wait, asked := r.wait(attempt, again.retryAfter)
		if asked > r.policy.MaxWait {
			return &GiveUpError{Err: again.err, Retries: attempt, Asked: asked, MaxWait: r.policy.MaxWait}
		}
		if asked > 0 {
			// The server said how long it is busy: the other requests
			// paced with this one hold off too.
			r.pacer.Pause(r.clock.Now().Add(asked))
		}
		if r.policy.MaxTotalWait > 0 && waited+wait > r.policy.MaxTotalWait {
			return &GiveUpError{Err: again.err, Retries: attempt, TotalWait: waited, MaxTotalWait: r.policy.MaxTotalWait}
		}
		if r.onRetry != nil {
			r.onRetry(again.err, wait)
		}
		if err := r.clock.Sleep(ctx, wait); err != nil {
			return err
		}
		waited += wait
	}
}

// pace waits out a pause a server asked for, then for the rate limiter,
// on r's clock.
func (r *Retrier) pace(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d := r.pacer.pausedFor(r.clock.Now()); d > 0 {
		if err := r.clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
	now := r.clock.Now()
	res := r.pacer.limiter.ReserveN(now, 1)
	if !res.OK() { // burst 0 cannot happen: New makes it at least 1
		return errors.New("retry: rate limiter refused a request")
	}
	if err := r.clock.Sleep(ctx, res.DelayFrom(now)); err != nil {
		res.CancelAt(r.clock.Now())
		return err
	}
	return nil
}

// wait returns how long to wait before retry attempt+1 and, when the
// server said how long (retryAfter), that duration.
func (r *Retrier) wait(attempt int, retryAfter string) (wait, asked time.Duration) {
	if d, ok := ParseRetryAfter(retryAfter, r.clock.Now()); ok {
		// Spread the clients that were told the same, within MaxWait.
		return min(d+time.Duration(r.jitter(int64(r.policy.MinWait/4)+1)), max(d, r.policy.MaxWait)), d
	}
	return r.backoff(attempt), 0
}

// backoff is the jittered exponential wait before retry attempt+1: half
// the capped exponential value plus a random part up to the other half.
func (r *Retrier) backoff(attempt int) time.Duration {
	d := r.policy.MaxWait
	if attempt < 30 {
		d = min(d, r.policy.MinWait<<attempt)
	}
	return d/2 + time.Duration(r.jitter(int64(d/2)+1))
}

// Again marks err as worth another attempt after the usual backoff.
func Again(err error) error { return &againError{err: err} }

// Throttled marks err as worth another attempt after the wait the server
// asked for in retryAfter (a Retry-After header value: seconds or an HTTP
// date), or after the usual backoff when retryAfter is empty or invalid.
func Throttled(err error, retryAfter string) error {
	return &againError{err: err, retryAfter: retryAfter}
}

type againError struct {
	err        error
	retryAfter string
}

func (e *againError) Error() string { return e.err.Error() }
func (e *againError) Unwrap() error { return e.err }

// GiveUpError is returned by Do when it stops retrying. Exactly one of the
// reasons is set: the retries ran out (Asked and TotalWait zero), the
// server asked for a wait longer than MaxWait (Asked), or another wait
// would pass MaxTotalWait.
type GiveUpError struct {
	// Err is what the last attempt returned.
	Err error
	// Retries is the number of retries made.
	Retries int
	// Asked is the Retry-After the server sent, when over MaxWait.
	Asked, MaxWait time.Duration
	// TotalWait is the time already waited, when the next wait would pass
	// MaxTotalWait.
	TotalWait, MaxTotalWait time.Duration
}

// Reason says why Do gave up, in a phrase such as "giving up after 3
// retries".
func (e *GiveUpError) Reason() string {
	switch {
	case e.Asked > 0:
		return fmt.Sprintf("the target asked to wait %s, more than retry_max_wait %s", e.Asked, e.MaxWait)
	case e.MaxTotalWait > 0:
		return fmt.Sprintf("giving up after %d retries and %s of waiting (retry_max_total_wait %s)",
			e.Retries, e.TotalWait, e.MaxTotalWait)
	}
	return fmt.Sprintf("giving up after %d retries", e.Retries)
}

// Error formats as "<last error>: <reason>".
func (e *GiveUpError) Error() string { return e.Err.Error() + ": " + e.Reason() }

// Unwrap returns the last attempt's error.
func (e *GiveUpError) Unwrap() error { return e.Err }

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

package ldapsource

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff waits before reconnection attempt number attempt (1 for the
// first after a loss; the count starts again once a connection worked).
// It returns early with ctx's error when ctx is done.
type Backoff func(ctx context.Context, attempt int) error

// Bounds of DefaultBackoff.
const (
	BackoffMin = time.Second
	BackoffMax = time.Minute
)

// DefaultBackoff waits ExponentialBackoff(BackoffMin, BackoffMax) with
// jitter.
func DefaultBackoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(Jitter(ExponentialBackoff(BackoffMin, BackoffMax, attempt), rand.Float64()))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// ExponentialBackoff returns lo doubled for each attempt after the first,
// at most hi.
func ExponentialBackoff(lo, hi time.Duration, attempt int) time.Duration {
	d := lo
	for i := 1; i < attempt && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}

// Jitter spreads d over [d/2, d) with r in [0, 1), so that watchers
// cut off together do not reconnect together.
func Jitter(d time.Duration, r float64) time.Duration {
	return d/2 + time.Duration(float64(d/2)*r)
}

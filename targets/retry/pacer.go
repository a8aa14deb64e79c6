package retry

import (
	gosync "sync"
	"time"

	"golang.org/x/time/rate"
)

// Pacer is the pacing that several Retriers may share, as the clients of
// every target pointing at one tenant of a vendor whose limit is org-wide
// must: a token bucket, and a pause that a server's Retry-After sets for
// every request paced by it, not only for the one that was told. It is
// safe for concurrent use.
type Pacer struct {
	limiter *rate.Limiter
	mu      gosync.Mutex
	until   time.Time
}

// NewPacer returns a Pacer that lets at most perSecond requests per second
// through, burst at once; perSecond 0 means no limit.
func NewPacer(perSecond float64, burst int) *Pacer {
	limit := rate.Limit(perSecond)
	if perSecond <= 0 {
		limit = rate.Inf
	}
	return &Pacer{limiter: rate.NewLimiter(limit, max(burst, 1))}
}

// Pause holds every request paced by p until t; a later pause wins, an
// earlier one changes nothing.
func (p *Pacer) Pause(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.until) {
		p.until = t
	}
}

// pausedFor returns how long requests are still held at now.
func (p *Pacer) pausedFor(now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.until.Sub(now)
}

// WithPacer makes the Retrier pace its requests with p, shared with other
// Retriers, instead of its own limit (New's perSecond and burst are then
// not used).
func WithPacer(p *Pacer) Option { return func(r *Retrier) { r.pacer = p } }

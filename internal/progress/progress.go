// Package progress measures how far a long operation (an apply of many
// writes) has come and when it will end, from the rate measured over the
// last stretch of it rather than since its start, so that a target that
// slows down (429s, a rate limit) moves the estimate. It formats a
// terminal line and log fields; it does no I/O and starts no goroutine:
// the caller asks for a Snapshot when it wants to show one.
package progress

import (
	"fmt"
	"sync"
	"time"
)

// Window is how far back the rate is measured.
const Window = 30 * time.Second

// sampleEvery is the spacing of the samples the rate is measured over.
const sampleEvery = time.Second

// Meter counts the units of work done out of a total. It is safe for
// concurrent use.
type Meter struct {
	mu      sync.Mutex
	now     func() time.Time
	total   int
	done    int
	start   time.Time
	samples []sample // oldest first, at least sampleEvery apart, within Window
}

type sample struct {
	at   time.Time
	done int
}

// New returns a meter of total units starting now. now is time.Now when
// nil (tests pass a fake clock).
func New(total int, now func() time.Time) *Meter {
	if now == nil {
		now = time.Now
	}
	t := now()
	return &Meter{now: now, total: total, start: t, samples: []sample{{t, 0}}}
}

// Add records n more units done.
func (m *Meter) Add(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.done += n
	m.sample(m.now())
}

// sample keeps a sample at t when the last is sampleEvery old, and drops
// those older than Window (always keeping one to measure from).
func (m *Meter) sample(t time.Time) {
	if last := m.samples[len(m.samples)-1]; t.Sub(last.at) >= sampleEvery {
		m.samples = append(m.samples, sample{t, m.done})
	}
	drop := 0
	for drop < len(m.samples)-1 && t.Sub(m.samples[drop+1].at) >= Window {
		drop++
	}
	m.samples = m.samples[drop:]
}

// Snapshot is the state of a meter at one moment.
type Snapshot struct {
	Done, Total int
	Elapsed     time.Duration
	// Rate is units per second over the last Window (since the start
	// when shorter); 0 before a second has passed.
	Rate float64
	// ETA is the time left at Rate; Known is false while there is no
	// rate to go by (nothing done yet, or under a second).
	ETA   time.Duration
	Known bool
}

// Snapshot returns the meter's state now.
func (m *Meter) Snapshot() Snapshot {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	m.sample(now)
	s := Snapshot{Done: m.done, Total: m.total, Elapsed: now.Sub(m.start)}
	from := m.samples[0]
	if span := now.Sub(from.at); span >= sampleEvery && m.done > from.done {
		s.Rate = float64(m.done-from.done) / span.Seconds()
	}
	if s.Rate > 0 {
		left := max(0, m.total-m.done)
		s.ETA, s.Known = time.Duration(float64(left)/s.Rate*float64(time.Second)).Round(time.Second), true
	}
	return s
}

// Percent is Done as a share of Total, 0-100 (100 for a Total of 0).
func (s Snapshot) Percent() int {
	if s.Total <= 0 {
		return 100
	}
	return min(100, s.Done*100/s.Total)
}

// String is the one-line form, for a terminal or a log message:
// "1234/10000 (12%), 85.2/s, about 1m43s left".
func (s Snapshot) String() string {
	line := fmt.Sprintf("%d/%d (%d%%)", s.Done, s.Total, s.Percent())
	if s.Rate > 0 {
		line += fmt.Sprintf(", %.1f/s", s.Rate)
	}
	if s.Known {
		line += ", about " + s.ETA.String() + " left"
	}
	return line
}

// Fields are the snapshot as structured log fields.
func (s Snapshot) Fields() map[string]any {
	f := map[string]any{"done": s.Done, "total": s.Total, "percent": s.Percent(),
		"elapsed_seconds": s.Elapsed.Round(time.Second).Seconds(), "per_second": s.Rate}
	if s.Known {
		f["eta_seconds"] = s.ETA.Seconds()
	}
	return f
}

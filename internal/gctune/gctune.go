// Package gctune trades memory for CPU while the heap is small.
//
// A run of idsync builds its data monotonically: people, accounts and
// links pile up until the plan is made. With a fixed GOGC the collector
// runs every time the heap grows by that share, and each cycle marks
// everything read so far: most of the collector's work goes into
// re-marking data that is still live. The tuner instead lets the heap
// grow towards a target between collections and tightens as the live heap
// approaches it: after every cycle it sets GOGC so that the next goal is
// the target, within [Min, Max]. Below the target this means fewer,
// larger cycles; at and above it, GOGC is Min, as if it were set by hand.
//
// It is not a memory limit: it never makes the collector run more often
// than Min would, so a live heap larger than the target cannot make it
// thrash.
package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// Config says how far the heap may grow.
type Config struct {
	// Target is the heap size, in bytes, the tuner lets the heap reach
	// between collections.
	Target uint64
	// Min and Max bound the GOGC the tuner sets.
	Min, Max int
}

// Percent returns the GOGC that puts the next heap goal, live*(1+GOGC/100),
// at c.Target, clamped to [c.Min, c.Max]. It is Max while nothing is live.
func (c Config) Percent(live uint64) int {
	if live == 0 {
		return c.Max
	}
	if live >= c.Target {
		return c.Min
	}
	p := (c.Target - live) * 100 / live
	if p > uint64(c.Max) {
		return c.Max
	}
	return max(int(p), c.Min)
}

// Tuner retunes GOGC after every collection; see Start.
type Tuner struct {
	cfg     Config
	stopped atomic.Bool
	applied atomic.Int64 // the GOGC last set
	mu      sync.Mutex   // serialises onGC and Stop
	before  int          // GOGC before Start
	sample  []metrics.Sample
}

// sentinel is the object whose finalizer tells the tuner a cycle ended.
// It holds a pointer so that it is not batched with other tiny objects,
// whose finalizers may never run.
type sentinel struct{ _ *int }

// Start sets GOGC to c.Max and retunes it after every collection until
// Stop. Run one Tuner at a time: each sets the process-wide GOGC.
func Start(c Config) *Tuner {
	t := &Tuner{cfg: c, sample: []metrics.Sample{{Name: "/gc/heap/live:bytes"}}}
	t.before = debug.SetGCPercent(c.Max)
	t.applied.Store(int64(c.Max))
	t.arm()
	return t
}

// Stop stops retuning and restores the GOGC in effect before Start. It may
// be called more than once.
func (t *Tuner) Stop() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped.CompareAndSwap(false, true) {
		debug.SetGCPercent(t.before)
	}
}

// GOGC returns the GOGC the tuner set last.
func (t *Tuner) GOGC() int { return int(t.applied.Load()) }

func (t *Tuner) arm() {
	s := &sentinel{}
	runtime.SetFinalizer(s, func(*sentinel) { t.onGC() })
}

// onGC runs on the finalizer goroutine after a cycle found the sentinel
// unreachable: the cycle's live heap is known.
func (t *Tuner) onGC() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped.Load() {
		return
	}
	metrics.Read(t.sample)
	var live uint64
	if v := t.sample[0].Value; v.Kind() == metrics.KindUint64 {
		live = v.Uint64()
	}
	p := t.cfg.Percent(live)
	if int64(p) != t.applied.Load() {
		debug.SetGCPercent(p)
		t.applied.Store(int64(p))
	}
	t.arm()
}

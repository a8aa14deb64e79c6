package sync

import (
	"context"
	"errors"
	gosync "sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
	"github.com/sirupsen/logrus/hooks/test"
)

// fakeClock is a clock whose timers fire when the test says so: After
// hands each new timer's channel to the test through timers.
type fakeClock struct {
	mu     gosync.Mutex
	now    time.Time
	timers chan chan time.Time
}

func newFakeClock(now time.Time) *fakeClock {
	return &fakeClock{now: now, timers: make(chan chan time.Time, 8)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(time.Duration) <-chan time.Time {
	ch := make(chan time.Time, 1)
	c.timers <- ch
	return ch
}

// fakeScheduler keeps the jobs; the test runs them by hand.
type fakeScheduler struct {
	mu      gosync.Mutex
	loc     *time.Location
	jobs    []cron.Job
	started bool
	stopped bool
}

func (s *fakeScheduler) Schedule(_ cron.Schedule, job cron.Job) cron.EntryID {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs = append(s.jobs, job)
	return cron.EntryID(len(s.jobs))
}

func (s *fakeScheduler) Entry(cron.EntryID) cron.Entry { return cron.Entry{} }

func (s *fakeScheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.started = true
}

func (s *fakeScheduler) Stop() context.Context {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	return context.Background()
}

func (s *fakeScheduler) state() (started, stopped bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started, s.stopped
}

var _ scheduler = (*fakeScheduler)(nil)

// fakeRun is a RunFunc that reports each run's start on started and ends
// it with the next value the test sends on results (or when its context is
// cancelled). ctxErrs receives the run context's error as the run returns.
type fakeRun struct {
	started chan Request
	results chan error
	ctxErrs chan error
}

func newFakeRun() *fakeRun {
	return &fakeRun{started: make(chan Request, 16), results: make(chan error), ctxErrs: make(chan error, 16)}
}

func (f *fakeRun) run(ctx context.Context, req Request) error {
	f.started <- req
	select {
	case err := <-f.results:
		f.ctxErrs <- ctx.Err()
		return err
	case <-ctx.Done():
		f.ctxErrs <- ctx.Err()
		return ctx.Err()
	}
}

// harness is an Engine running on fakes.
type harness struct {
	t      *testing.T
	e      *Engine
	clk    *fakeClock
	run    *fakeRun
	logs   *test.Hook
	cancel context.CancelFunc
	done   chan struct{} // closed when Run has returned runErr
	runErr error

	mu     gosync.Mutex
	scheds []*fakeScheduler
}

var testStart = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

// newHarness builds an Engine on fakes with cfg, not yet running. run is
// the fake's unless another RunFunc is given.
func newHarness(t *testing.T, cfg EngineConfig, run RunFunc) *harness {
	t.Helper()
	log, hook := test.NewNullLogger()
	log.SetLevel(logrus.DebugLevel)
	h := &harness{t: t, clk: newFakeClock(testStart), run: newFakeRun(), logs: hook}
	if run == nil {
		run = h.run.run
	}
	e, err := newEngine(cfg, run, log, h.clk, func(loc *time.Location) scheduler {
		h.mu.Lock()
		defer h.mu.Unlock()
		s := &fakeScheduler{loc: loc}
		h.scheds = append(h.scheds, s)
		return s
	})
	if err != nil {
		t.Fatal(err)
	}
	h.e = e
	return h
}

// start runs the Engine until the test ends; the cleanup stops it, firing
// the grace timer if a run is still in flight.
func (h *harness) start() {
	ctx, cancel := context.WithCancel(h.t.Context())
	h.cancel, h.done = cancel, make(chan struct{})
	go func() {
		h.runErr = h.e.Run(ctx)
		close(h.done)
	}()
	h.t.Cleanup(func() {
		cancel()
		for {
			select {
			case <-h.done:
				return
			case timer := <-h.clk.timers:
				timer <- h.clk.Now()
			}
		}
	})
}

// wait waits for Run to return and returns its error.
func (h *harness) wait() error {
	<-h.done
	return h.runErr
}

// stopAndWait cancels Run and returns its error.
func (h *harness) stopAndWait() error {
	h.cancel()
	return h.wait()
}

func (h *harness) sched(i int) *fakeScheduler {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.scheds[i]
}

// trigger calls Trigger and fails the test on an error.
func (h *harness) trigger(req Request) {
	h.t.Helper()
	if err := h.e.Trigger(req); err != nil {
		h.t.Fatal(err)
	}
}

// submit queues req and returns the channel of its outcome.
func (h *harness) submit(req Request) <-chan error {
	h.t.Helper()
	res, err := h.e.submit(req)
	if err != nil {
		h.t.Fatal(err)
	}
	return res
}

var errTarget = errors.New("scim: target down")

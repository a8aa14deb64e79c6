package sync

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	gosync "sync"
	"time"

	"github.com/sirupsen/logrus"
)

// RunKind says how much a run reads.
type RunKind string

// The kinds of run.
const (
	// RunFull is a full reconciliation: the whole source, every target.
	RunFull RunKind = "full"
	// RunIncremental reads only what changed: the people in SourceIDs or,
	// when SourceIDs is empty, whatever changed since the last run.
	RunIncremental RunKind = "incremental"
)

// Request asks the Engine for a run.
type Request struct {
	Kind RunKind
	// Reason says who asked: a schedule's name, "change notification",
	// "manual". The status keeps the last run of each reason, so reasons
	// are a small fixed set, not free text.
	Reason string
	// SourceIDs are the entries (people, or groups deleted) an
	// incremental run reads, and Groups the DNs of the groups whose
	// members it reads again; both empty: everything that changed since
	// the last run. Unused by a full run.
	SourceIDs []string
	Groups    []string
	// Deleted are those of SourceIDs deleted from the directory
	// (sync.Changes.Deleted).
	Deleted []string
	// GoneAt are, for those of SourceIDs a watcher reported deleted or
	// gone out of its scope, when its report arrived (sync.Changes.GoneAt).
	GoneAt map[string]time.Time
	// DryRun stops the run after the plan.
	DryRun bool
}

// RunFunc performs one run. It is the only way the Engine touches sources,
// targets and state. It must return when ctx is cancelled; ctx outlives a
// stop request by the grace period so that the run can commit.
type RunFunc func(ctx context.Context, req Request) error

// ErrStopped is returned for requests made to, or left queued in, an Engine
// that has stopped.
var ErrStopped = errors.New("engine: stopped")

// clock is the time the Engine reads; a fake replaces it in tests.
type clock interface {
	Now() time.Time
	// After is time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Engine decides when runs happen: on its cron schedules, on Trigger (a
// change notification, an on-demand request) and once per request queued
// while a run was in flight. It runs one run at a time (single flight)
// through one RunFunc, which handles every target: two runs never touch the
// same target at once. Requests that arrive during a run are coalesced
// into the next run. Its methods are safe for concurrent use.
type Engine struct {
	run          RunFunc
	log          logrus.FieldLogger
	clock        clock
	newScheduler func(loc *time.Location) scheduler

	// OnFailure, when set before Run, is called after each failed run with
	// its error and the number of runs in a row that failed (1 for the
	// first). The Engine has already logged the failure at error level;
	// OnFailure is for metrics and notifications. It must not block long:
	// the next run waits for it.
	OnFailure func(err error, consecutive int)

	wake chan struct{}

	mu       gosync.Mutex
	grace    time.Duration
	sched    *scheduleSet
	started  bool
	stopped  bool
	queue    []*pending // at most one real and one dry run, oldest first
	running  *RunningRun
	status   history
	onFailFn func(error, int)
}

// NewEngine returns an Engine that runs run on cfg's schedules. cfg is
// validated first; log receives the Engine's and cron's messages.
func NewEngine(cfg EngineConfig, run RunFunc, log logrus.FieldLogger) (*Engine, error) {
	return newEngine(cfg, run, log, realClock{}, newCron(log))
}

func newEngine(cfg EngineConfig, run RunFunc, log logrus.FieldLogger, c clock, ns func(*time.Location) scheduler) (*Engine, error) {
	e := &Engine{run: run, log: log, clock: c, newScheduler: ns, wake: make(chan struct{}, 1),
		status: history{last: map[string]RunRecord{}, lastByKind: map[RunKind]RunRecord{}}}
	set, err := e.compile(cfg)
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	e.sched, e.grace = set, cfg.grace()
	return e, nil
}

// Run starts the schedules and performs runs until ctx is done. Then it
// takes no new work, fails the queued requests with ErrStopped, lets the
// run in flight go on for the grace period (through a context that is not
// ctx), cancels it if it is still going, waits for it to end and returns
// nil. Run may be called once.
func (e *Engine) Run(ctx context.Context) error {
	if err := e.start(); err != nil {
		return err
	}
	defer e.stop()
	for ctx.Err() == nil {
		p := e.take()
		if p == nil {
			select {
			case <-ctx.Done():
			case <-e.wake:
			}
			continue
		}
		e.execute(ctx, p)
	}
	return nil
}

func (e *Engine) start() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return errors.New("engine: Run called twice")
	}
	e.started = true
	e.onFailFn = e.OnFailure
	e.sched.s.Start()
	return nil
}

// stop marks the Engine stopped, stops the schedules and fails the queue.
func (e *Engine) stop() {
	e.mu.Lock()
	e.stopped = true
	e.sched.s.Stop()
	queue := e.queue
	e.queue = nil
	e.mu.Unlock()
	for _, p := range queue {
		e.log.WithFields(logrus.Fields{"kind": p.req.Kind, "reason": p.req.Reason}).Info("queued run dropped: the daemon is stopping")
		p.resolve(ErrStopped)
	}
}

// execute performs p's run and records its outcome. When ctx ends during
// the run, the run gets the grace period before its context is cancelled.
func (e *Engine) execute(ctx context.Context, p *pending) {
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- e.call(runCtx, p.req) }()
	var err error
	cancelled := false
	select {
	case err = <-done:
	case <-ctx.Done():
		e.mu.Lock()
		grace := e.grace
		e.mu.Unlock()
		e.log.WithFields(logrus.Fields{"reason": p.req.Reason, "grace": grace.String()}).Info("stopping: letting the run in flight finish")
		select {
		case err = <-done:
		case <-e.clock.After(grace):
			e.log.WithField("reason", p.req.Reason).Warn("stopping: the run in flight outlived the grace period; cancelling it")
			cancel()
			cancelled = true
			err = <-done
		}
	}
	e.finish(p, err, cancelled)
}

// call runs the RunFunc, turning a panic into an error.
func (e *Engine) call(ctx context.Context, req Request) (err error) {
	defer func() {
		if r := recover(); r != nil {
			e.log.WithField("stack", string(debug.Stack())).Error("run panicked")
			err = fmt.Errorf("engine: run panicked: %v", r)
		}
	}()
	return e.run(ctx, req)
}

// Trigger asks for a run and returns at once. The request runs after the
// run in flight, merged with every other request queued meanwhile with the
// same DryRun (dry and real runs are never merged): a full request absorbs
// incremental ones, an incremental one without SourceIDs absorbs those with
// IDs, and incremental ones with IDs run the union of their IDs. It fails
// only for an unknown Kind or a stopped Engine.
func (e *Engine) Trigger(req Request) error {
	_, err := e.submit(req)
	return err
}

// Do asks for a run like Trigger and waits for the run that serves the
// request (possibly merged with others) to end, returning its error. When
// ctx ends first, Do returns ctx's error and the request stays queued.
func (e *Engine) Do(ctx context.Context, req Request) error {
	res, err := e.submit(req)
	if err != nil {
		return err
	}
	select {
	case err := <-res:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// submit queues req and returns a channel that receives the outcome of the
// run that serves it.
func (e *Engine) submit(req Request) (<-chan error, error) {
	if req.Kind != RunFull && req.Kind != RunIncremental {
		return nil, fmt.Errorf("engine: unknown run kind %q", req.Kind)
	}
	res := make(chan error, 1)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.stopped {
		return nil, ErrStopped
	}
	now := e.clock.Now()
	for _, p := range e.queue {
		if p.req.DryRun == req.DryRun {
			p.merge(req, res)
			e.signal()
			return res, nil
		}
	}
	e.queue = append(e.queue, newPending(req, res, now))
	e.signal()
	return res, nil
}

// signal wakes Run without blocking; one pending wake-up is enough.
func (e *Engine) signal() {
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// take removes the oldest queued request and marks it running.
func (e *Engine) take() *pending {
	e.mu.Lock()
	defer e.mu.Unlock()
	if len(e.queue) == 0 {
		return nil
	}
	p := e.queue[0]
	e.queue = e.queue[1:]
	e.running = &RunningRun{Kind: p.req.Kind, Reason: p.req.Reason, DryRun: p.req.DryRun,
		People: len(p.req.SourceIDs), Since: e.clock.Now()}
	return p
}

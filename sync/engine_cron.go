package sync

import (
	"context"
	"fmt"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"
)

// scheduler fires jobs on their schedules: *cron.Cron outside tests, a
// fake that tests fire by hand.
type scheduler interface {
	// Schedule adds job to fire on s, in the scheduler's time zone.
	Schedule(s cron.Schedule, job cron.Job) cron.EntryID
	// Entry returns the entry with id; its Next is zero until the
	// scheduler has started.
	Entry(id cron.EntryID) cron.Entry
	// Start starts firing in the background; Stop stops firing without
	// waiting for the jobs running.
	Start()
	Stop() context.Context
}

var _ scheduler = (*cron.Cron)(nil)

// newCron returns the constructor of the real scheduler.
func newCron(log logrus.FieldLogger) func(*time.Location) scheduler {
	return func(loc *time.Location) scheduler {
		return cron.New(cron.WithLocation(loc), cron.WithLogger(cronLogger{log}))
	}
}

// scheduleSet is one configuration's schedules, loaded in their scheduler.
type scheduleSet struct {
	loc     *time.Location
	s       scheduler
	entries []scheduleEntry
}

type scheduleEntry struct {
	compiled
	id cron.EntryID
}

// compile validates cfg and loads its schedules into a new scheduler, not
// started. Each schedule's job asks for a run and waits for it to end,
// behind cron's Recover and SkipIfStillRunning: a schedule whose last run is
// still queued or running skips its turn instead of piling up.
func (e *Engine) compile(cfg EngineConfig) (*scheduleSet, error) {
	loc, list, err := cfg.compile()
	if err != nil {
		return nil, err
	}
	set := &scheduleSet{loc: loc, s: e.newScheduler(loc)}
	logger := cronLogger{e.log}
	chain := cron.NewChain(cron.Recover(logger), cron.SkipIfStillRunning(logger))
	for _, c := range list {
		req := Request{Kind: c.cfg.Mode, Reason: c.cfg.Name, DryRun: c.cfg.DryRun}
		job := chain.Then(cron.FuncJob(func() { e.fire(req) }))
		set.entries = append(set.entries, scheduleEntry{compiled: c, id: set.s.Schedule(c.sched, job)})
	}
	return set, nil
}

// fire is a schedule's job: it asks for req's run and waits for its end
// (or for the Engine to stop, which fails every queued request).
func (e *Engine) fire(req Request) {
	res, err := e.submit(req)
	if err != nil {
		return
	}
	<-res
}

// Reload replaces the schedules, time zone and stop grace with cfg's. An
// invalid cfg is refused with an error that names the problems, and the
// schedules in place keep running. The run in flight and the queue are not
// touched.
func (e *Engine) Reload(cfg EngineConfig) error {
	set, err := e.compile(cfg)
	if err != nil {
		return fmt.Errorf("engine: configuration refused, the previous schedules stay: %w", err)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old := e.sched
	e.sched, e.grace = set, cfg.grace()
	if e.started && !e.stopped {
		old.s.Stop()
		set.s.Start()
	}
	return nil
}

// cronLogger passes cron's messages to logrus. cron reports its routine
// work at Info, which is Debug here; a skipped turn is Info.
type cronLogger struct{ log logrus.FieldLogger }

var _ cron.Logger = cronLogger{}

// Info logs msg with keysAndValues as fields.
func (l cronLogger) Info(msg string, keysAndValues ...any) {
	if msg == "skip" {
		l.log.Info("schedule skipped its turn: its previous run is still queued or running")
		return
	}
	l.log.WithFields(kvFields(keysAndValues)).Debug("cron: " + msg)
}

// Error logs err and msg with keysAndValues as fields.
func (l cronLogger) Error(err error, msg string, keysAndValues ...any) {
	l.log.WithError(err).WithFields(kvFields(keysAndValues)).Error("cron: " + msg)
}

// kvFields turns alternating keys and values into fields.
func kvFields(kv []any) logrus.Fields {
	f := make(logrus.Fields, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		f[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return f
}
